package dev.hotpath.edge.admission;

import com.netflix.concurrency.limits.Limit;
import com.netflix.concurrency.limits.limit.FixedLimit;
import com.netflix.concurrency.limits.limit.Gradient2Limit;
import dev.hotpath.config.AdmissionSettings;
import dev.hotpath.observe.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The process's concurrency limit: how many requests may be in flight at once, adapted to the
 * latency it causes (Netflix concurrency-limits' Gradient2: the limit shrinks when recent latency
 * rises above its long-term average, and grows while it does not), or fixed by a setting.
 *
 * <p>Requests are admitted by each event loop's {@link AdmissionGate}: a request of {@link
 * Criticality} {@code c} is admitted while the count in flight is below {@code c.threshold(limit)},
 * by one compare-and-set on a shared counter; its end gives the slot back and its latency to the
 * gate's sampling window, which feeds the limit algorithm once per window (so the algorithm's lock
 * is taken a few times a second, not per request). Thread-safe; one per process.
 */
public final class Admission {
  /** Why a request was refused, as the metrics tag it. */
  enum Reason {
    /** No room under its class's threshold (and no room in the queue). */
    LIMIT,
    /** It waited for a slot until its deadline passed. */
    DEADLINE,
    /**
     * Refused before routing: no class had room (in flight at the limit, the queue full), so the
     * answer was the same whatever the route; counted under {@code high}, the most lenient class.
     */
    FULL;

    String key() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final AdmissionSettings settings;
  private final Limit limit;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicInteger paused = new AtomicInteger();
  private final AtomicInteger lowered = new AtomicInteger();
  private final AtomicInteger h2Connections = new AtomicInteger();
  private final java.util.List<Backpressure> loops =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Counter[][] shed = new Counter[Criticality.values().length][Reason.values().length];
  private volatile LongSupplier clock = System::nanoTime;

  public Admission(AdmissionSettings settings, MeterRegistry registry) {
    this(settings, registry, limitFor(settings));
  }

  Admission(AdmissionSettings settings, MeterRegistry registry, Limit limit) {
    this.settings = settings;
    this.limit = limit;
    Meters.gauge(
        registry,
        "hotpath_admission_limit",
        "Requests that may be in flight at once (the concurrency limit)",
        limit,
        Limit::getLimit);
    Meters.gauge(
        registry,
        "hotpath_admission_in_flight",
        "Requests admitted and not yet answered",
        inFlight,
        AtomicInteger::get);
    Meters.gauge(
        registry,
        "hotpath_admission_queued",
        "Requests waiting for a slot",
        queued,
        AtomicInteger::get);
    Meters.gauge(
        registry,
        "hotpath_backpressure_paused_connections",
        "HTTP/1.x connections not read while admission is saturated",
        paused,
        AtomicInteger::get);
    for (Criticality c : Criticality.values()) {
      for (Reason r : Reason.values()) {
        shed[c.ordinal()][r.ordinal()] =
            Counter.builder("hotpath_admission_shed")
                .description("Requests refused with 503 before any work, by criticality and reason")
                .tag("criticality", c.key())
                .tag("reason", r.key())
                .register(registry);
      }
    }
  }

  /**
   * How far recent latency may rise above its long-term average before Gradient2 lowers the limit:
   * 2 (the library's default is 1.5). Measured here (scripts/bench-knee.sh, two fresh servers),
   * with 1.5 the mixed ramp's writes going from 25 to 51 ms p95 at 1,605 req/s (every latency
   * within its SLO) took the limit towards its floor and shed 464 requests of a step the server
   * could carry; real overload raises latency far more than twofold, and is still shed.
   */
  static final double RTT_TOLERANCE = 2.0;

  /**
   * Gradient2 between the floor and the ceiling of the settings, from their start value, lowering
   * the limit past {@link #RTT_TOLERANCE}; or a fixed limit when one is set.
   */
  static Limit limitFor(AdmissionSettings settings) {
    if (settings.fixedLimit().isPresent()) {
      return FixedLimit.of(settings.fixedLimit().getAsInt());
    }
    return Gradient2Limit.newBuilder()
        .initialLimit(settings.startLimit())
        .minLimit(settings.minLimit())
        .maxConcurrency(settings.maxLimit())
        .rttTolerance(RTT_TOLERANCE)
        .build();
  }

  /** The source of nanoseconds that deadlines and queue waits run on. */
  public LongSupplier clock() {
    return clock;
  }

  /** See {@link Gatekeeper#useClock}. */
  void useClock(LongSupplier nanoTime) {
    clock = nanoTime;
  }

  long nanoTime() {
    return clock.getAsLong();
  }

  /** Whether requests pass through admission at all (HOTPATH_ADMISSION). */
  public boolean enabled() {
    return settings.admission();
  }

  /** The gate of one event loop; call on that loop's context. */
  AdmissionGate gate(Vertx vertx, Backpressure backpressure) {
    return new AdmissionGate(this, vertx, settings, backpressure);
  }

  /** The current concurrency limit. */
  public int limit() {
    return limit.getLimit();
  }

  /** Requests admitted and not yet answered. */
  public int inFlight() {
    return inFlight.get();
  }

  /**
   * Takes a slot when fewer than {@code criticality}'s threshold are in flight; returns the count
   * in flight including this one, or 0 when refused.
   */
  int tryAcquire(Criticality criticality) {
    int threshold = criticality.threshold(limit.getLimit());
    int now = inFlight.get();
    while (now < threshold) {
      if (inFlight.compareAndSet(now, now + 1)) {
        return now + 1;
      }
      now = inFlight.get();
    }
    return 0;
  }

  /** Whether {@code criticality} would be admitted now (for requests that hold no slot). */
  boolean hasRoom(Criticality criticality) {
    return inFlight.get() < criticality.threshold(limit.getLimit());
  }

  /**
   * Gives a slot back; if connections are paused or lowered for load and there is room now, tells
   * the event loops holding them ({@link Backpressure}): that is what resumes them, not a timer.
   */
  void release() {
    int now = inFlight.decrementAndGet();
    int max = limit.getLimit();
    if ((paused.get() > 0 && now < max) || (lowered.get() > 0 && roomToRaise(now, max))) {
      freed();
    }
    if (queued.get() > 0 && now < max) {
      for (Backpressure loop : loops) {
        loop.wakeGate(); // their queues poll slowly while all their waiters are held
      }
    }
  }

  /**
   * Whether, with {@code inFlight} of {@code limit} slots taken, a freed slot wakes the loops with
   * lowered HTTP/2 connections at once to raise their streams: half the slots free. Waking them at
   * any room ran a check on every response while connections stayed lowered (below that, their
   * safety timer raises them).
   */
  boolean roomToRaise(int inFlight, int limit) {
    return limit - inFlight >= Math.max(1, limit / 2);
  }

  /**
   * Room freed: wakes the loop whose paused connection waited longest (FIFO across loops) and every
   * loop with lowered HTTP/2 connections.
   */
  void freed() {
    Backpressure oldest = null;
    long since = Long.MAX_VALUE;
    for (Backpressure loop : loops) {
      if (loop.anyLowered()) {
        loop.wake();
      }
      long s = loop.oldestPaused();
      if (s < since) {
        since = s;
        oldest = loop;
      }
    }
    if (oldest != null) {
      oldest.wake();
    }
  }

  void register(Backpressure loop) {
    loops.add(loop);
  }

  void unregister(Backpressure loop) {
    loops.remove(loop);
  }

  /** HTTP/2 connections with a {@link StreamValve} opened ({@code 1}) or closed ({@code -1}). */
  void h2ConnectionsDelta(int delta) {
    h2Connections.addAndGet(delta);
  }

  /**
   * The concurrent streams each HTTP/2 connection may have for the process's connections together
   * to carry {@code criticality}'s threshold: its share of the slots, rounded up, at least 1.
   */
  long streamShare(Criticality criticality) {
    int connections = Math.max(1, h2Connections.get());
    int threshold = criticality.threshold(limit.getLimit());
    return Math.max(1, (threshold + connections - 1) / connections);
  }

  /** Event loops with lowered HTTP/2 connections. */
  void loweredDelta(int delta) {
    lowered.addAndGet(delta);
  }

  /** One sampling window's figures, given to the limit algorithm. */
  void sample(long startNanos, long rttNanos, int maxInFlight, boolean dropped) {
    limit.onSample(startNanos, rttNanos, maxInFlight, dropped);
  }

  void shed(Criticality criticality, Reason reason) {
    shed[criticality.ordinal()][reason.ordinal()].increment();
  }

  /** Requests waiting for a slot, over every event loop. */
  public int queued() {
    return queued.get();
  }

  void queuedDelta(int delta) {
    queued.addAndGet(delta);
  }

  /** HTTP/1.x connections paused by {@link Backpressure}, over every event loop. */
  public int pausedConnections() {
    return paused.get();
  }

  void pausedDelta(int delta) {
    paused.addAndGet(delta);
  }
}
