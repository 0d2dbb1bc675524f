package dev.hotpath.outside;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.hotpath.config.OutsideSettings;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.buffer.Buffer;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One outside service as the whole process sees it: where it is, its circuit breaker, its retry and
 * hedge budgets, its latency tracker, the last good answers kept for when it fails, and its
 * metrics. Shared by every event loop; thread-safe.
 *
 * <p>The breaker (resilience4j) is driven without its decorators, which would block: a call asks
 * {@link CircuitBreaker#tryAcquirePermission()} before it is sent and reports its outcome and
 * duration with {@code onSuccess} / {@code onError} when it ends; a call abandoned (a hedge that
 * lost) gives its permission back. It opens when, over its last {@code breakerWindow} calls (at
 * least {@code breakerMinCalls}), the failure rate or the slow-call rate passes its threshold;
 * after {@code breakerOpen} it lets {@code breakerProbes} calls through and closes if they succeed.
 */
public final class Dependency {
  private static final Logger log = LoggerFactory.getLogger(Dependency.class);

  /** Samples the latency tracker needs before hedging starts. */
  static final int MIN_SAMPLES = 50;

  private final Service service;
  private final URI base;
  private final CircuitBreaker breaker;
  private final RatioBudget retries;
  private final RatioBudget hedges;
  private final LatencyTracker latency;
  private final Cache<Long, Buffer> lastGood;
  private final Counter succeeded;
  private final Counter failed;
  private final Counter timedOut;
  private final Counter rejected;
  private final Counter retried;
  private final Counter retryDenied;
  private final Counter hedged;
  private final Counter hedgeWon;
  private final Counter stale;
  private final Timer duration;

  Dependency(Service service, URI base, OutsideSettings settings, MeterRegistry registry) {
    this.service = service;
    this.base = base;
    this.breaker =
        CircuitBreaker.of(
            service.id(),
            CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(settings.breakerWindow())
                .minimumNumberOfCalls(settings.breakerMinCalls())
                .failureRateThreshold((float) (settings.breakerFailureRate() * 100))
                .slowCallRateThreshold((float) (settings.breakerSlowRate() * 100))
                .slowCallDurationThreshold(settings.breakerSlowCall())
                .waitDurationInOpenState(settings.breakerOpen())
                .permittedNumberOfCallsInHalfOpenState(settings.breakerProbes())
                // no scheduler thread: the first call after the wait moves it to half-open
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .writableStackTraceEnabled(false)
                .build());
    breaker
        .getEventPublisher()
        .onStateTransition(
            e ->
                log.warn(
                    "circuit breaker of {} went {} (failure rate {}%, slow-call rate {}%)",
                    service.id(),
                    e.getStateTransition(),
                    breaker.getMetrics().getFailureRate(),
                    breaker.getMetrics().getSlowCallRate()));
    this.retries = new RatioBudget(settings.retryRatio(), settings.budgetWindow());
    this.hedges = new RatioBudget(settings.hedgeRatio(), settings.budgetWindow());
    this.latency = new LatencyTracker(settings.budgetWindow(), MIN_SAMPLES);
    this.lastGood =
        Caffeine.newBuilder()
            .maximumSize(settings.staleEntries())
            .expireAfterWrite(settings.staleTtl())
            .executor(Runnable::run) // maintenance on the caller: see ResponseCache
            .build();
    String id = service.id();
    for (CircuitBreaker.State state :
        new CircuitBreaker.State[] {
          CircuitBreaker.State.CLOSED, CircuitBreaker.State.OPEN, CircuitBreaker.State.HALF_OPEN
        }) {
      Gauge.builder("hotpath_outside_breaker_state", breaker, b -> b.getState() == state ? 1 : 0)
          .description("1 for the state the service's circuit breaker is in, 0 for the others")
          .tag("service", id)
          .tag("state", state.name().toLowerCase(java.util.Locale.ROOT))
          .register(registry);
    }
    Gauge.builder(
            "hotpath_outside_breaker_failure_rate", breaker, b -> b.getMetrics().getFailureRate())
        .tag("service", id)
        .register(registry);
    this.succeeded = outcome(registry, id, "success");
    this.failed = outcome(registry, id, "failure");
    this.timedOut = outcome(registry, id, "timeout");
    this.rejected = outcome(registry, id, "breaker_open");
    this.retried = counter(registry, "hotpath_outside_retries", id, "granted", "true");
    this.retryDenied = counter(registry, "hotpath_outside_retries", id, "granted", "false");
    this.hedged = counter(registry, "hotpath_outside_hedges", id, "outcome", "sent");
    this.hedgeWon = counter(registry, "hotpath_outside_hedges", id, "outcome", "won");
    this.stale =
        Counter.builder("hotpath_outside_stale_answers")
            .description("Last good answers served because the service failed")
            .tag("service", id)
            .register(registry);
    this.duration =
        Timer.builder("hotpath_outside_call")
            .description("Attempts sent to an outside service, by how long they took")
            .tag("service", id)
            .register(registry);
  }

  private static Counter outcome(MeterRegistry registry, String id, String outcome) {
    return Counter.builder("hotpath_outside_calls")
        .description("Attempts at an outside service by outcome (breaker_open: not sent)")
        .tag("service", id)
        .tag("outcome", outcome)
        .register(registry);
  }

  private static Counter counter(
      MeterRegistry registry, String name, String id, String tag, String value) {
    return Counter.builder(name).tag("service", id).tag(tag, value).register(registry);
  }

  public Service service() {
    return service;
  }

  public URI base() {
    return base;
  }

  public CircuitBreaker breaker() {
    return breaker;
  }

  public RatioBudget retryBudget() {
    return retries;
  }

  public RatioBudget hedgeBudget() {
    return hedges;
  }

  public LatencyTracker latency() {
    return latency;
  }

  /** Remembers the last good answer about {@code id}. */
  public void remember(long id, Buffer answer) {
    lastGood.put(id, answer);
  }

  /** The last good answer about {@code id}, if still kept; counted as a stale answer served. */
  public Optional<Buffer> lastGood(long id) {
    Buffer b = lastGood.getIfPresent(id);
    if (b != null) {
      stale.increment();
    }
    return Optional.ofNullable(b);
  }

  void succeeded(long nanos) {
    succeeded.increment();
    duration.record(Duration.ofNanos(nanos));
  }

  void failed(long nanos, boolean timeout) {
    (timeout ? timedOut : failed).increment();
    duration.record(Duration.ofNanos(nanos));
  }

  void rejected() {
    rejected.increment();
  }

  void retry(boolean granted) {
    (granted ? retried : retryDenied).increment();
  }

  void hedgeSent() {
    hedged.increment();
  }

  void hedgeWon() {
    hedgeWon.increment();
  }
}
