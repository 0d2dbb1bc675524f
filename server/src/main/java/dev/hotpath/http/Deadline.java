package dev.hotpath.http;

import dev.hotpath.observe.Slos;
import dev.hotpath.store.RequestDeadline;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The time a request has left. Every route gets a budget when it is matched — the p99 objective of
 * its class in ops/slo.yaml (reads 200 ms, writes 500 ms, lists and search 1 s); operations routes
 * have none — counted from the moment the request arrived. Work that can wait (admission queues)
 * drops a request whose deadline has passed, and every outside call gets what remains minus a
 * margin as its timeout.
 *
 * @param clock a source of nanoseconds like {@link System#nanoTime}, which tests replace
 * @param startNanos when the request arrived, a reading of {@code clock}
 * @param endNanos when the deadline passes, a reading of {@code clock}; {@link Long#MAX_VALUE} for
 *     none
 */
public record Deadline(LongSupplier clock, long startNanos, long endNanos) {
  private static final String KEY = "hotpath.deadline";

  /**
   * A request header naming, in milliseconds, a time the client will wait that is shorter than the
   * route's budget: the deadline becomes that (gRPC calls carry their own deadline here). A longer
   * or malformed value is ignored: a client cannot extend the budget.
   */
  public static final String TIMEOUT_HEADER = "Hotpath-Timeout-Ms";

  private static final Map<String, Duration> BUDGETS = Slos.load().p99ByClass();

  /** A deadline that never passes, for routes without a budget and requests outside a route. */
  public static final Deadline NONE =
      new Deadline(System::nanoTime, Long.MAX_VALUE, Long.MAX_VALUE);

  /** A deadline {@code budget} after {@code startNanos} (a {@link System#nanoTime()} reading). */
  public static Deadline after(long startNanos, Duration budget) {
    return after(System::nanoTime, startNanos, budget);
  }

  /**
   * A deadline {@code budget} after {@code startNanos}, a reading of {@code clock} (a source of
   * nanoseconds like {@link System#nanoTime}, which tests replace to move time themselves).
   */
  public static Deadline after(LongSupplier clock, long startNanos, Duration budget) {
    long nanos = budget.toNanos();
    return new Deadline(
        clock,
        startNanos,
        nanos >= Long.MAX_VALUE - startNanos ? Long.MAX_VALUE : startNanos + nanos);
  }

  /** The budget of a route class, or empty for classes without one (ops). */
  public static Duration budget(String routeClass) {
    return BUDGETS.get(routeClass);
  }

  /**
   * Starts the request's deadline from its route class, when its first route matches, on {@code
   * clock} (the admission clock, so that queue waits and deadlines run on one time).
   */
  public static void begin(RoutingContext ctx, String routeClass, LongSupplier clock) {
    Duration budget = BUDGETS.get(routeClass);
    // a request that falls through to a second route (GET /v1/products) keeps its first deadline
    if (budget != null && ctx.get(KEY) == null) {
      budget = tighter(budget, ctx.request().getHeader(TIMEOUT_HEADER));
      long start = clock.getAsLong();
      Deadline deadline = after(clock, start, budget);
      ctx.put(KEY, deadline);
      bindDatabase(ctx, deadline.remainingNanos(start));
    }
  }

  /**
   * Bounds the database calls made on the current context by the budget of {@code routeClass} from
   * now, as {@link #begin} bounds those of a routed request: for a request answered below Vert.x
   * ({@code edge.PreparedRead}), which has no routing context and carries no timeout of its own. A
   * statement still unanswered at the deadline fails its load.
   */
  public static void bindBelow(String routeClass) {
    Duration budget = BUDGETS.get(routeClass);
    if (budget != null) {
      RequestDeadline.bind(System.nanoTime() + budget.toNanos(), null, failure -> {});
    }
  }

  /** {@code budget}, or the client's own timeout in milliseconds when that is shorter. */
  static Duration tighter(Duration budget, String clientMillis) {
    if (clientMillis == null || clientMillis.isEmpty() || clientMillis.length() > 9) {
      return budget;
    }
    long millis = 0;
    for (int i = 0; i < clientMillis.length(); i++) {
      char c = clientMillis.charAt(i);
      if (c < '0' || c > '9') {
        return budget;
      }
      millis = millis * 10 + (c - '0');
    }
    return millis < budget.toMillis() ? Duration.ofMillis(millis) : budget;
  }

  /** The request's deadline, or {@link #NONE}. */
  public static Deadline of(RoutingContext ctx) {
    Deadline d = ctx.get(KEY);
    return d == null ? NONE : d;
  }

  /** Replaces the request's deadline (a tighter one, for tests or a client's own). */
  public static void set(RoutingContext ctx, Deadline deadline) {
    ctx.put(KEY, deadline);
    bindDatabase(ctx, deadline.remainingNanos());
  }

  /**
   * Bounds the database calls made for the request by the same deadline. The store reads {@link
   * System#nanoTime}, while the deadline runs on its own clock (the admission clock, which tests
   * replace): the end is handed over as the time left from now, so the two agree whatever the
   * clock.
   */
  private static void bindDatabase(RoutingContext ctx, long left) {
    long end = left == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + left;
    RequestDeadline.bind(end, ctx.response(), ctx::fail);
  }

  public boolean unbounded() {
    return endNanos == Long.MAX_VALUE;
  }

  /** Time left, never negative; {@link Long#MAX_VALUE} nanoseconds when unbounded. */
  public long remainingNanos() {
    return remainingNanos(clock.getAsLong());
  }

  /** Time left at {@code now} (a reading of this deadline's clock), never negative. */
  public long remainingNanos(long now) {
    return unbounded() ? Long.MAX_VALUE : Math.max(0, endNanos - now);
  }

  /** Time left minus {@code margin}, never negative. */
  public Duration remaining(Duration margin) {
    long left = remainingNanos();
    return left == Long.MAX_VALUE
        ? Duration.ofNanos(Long.MAX_VALUE)
        : Duration.ofNanos(Math.max(0, left - margin.toNanos()));
  }

  public boolean expired() {
    return expired(clock.getAsLong());
  }

  /** Whether it has passed at {@code now} (a reading of this deadline's clock). */
  public boolean expired(long now) {
    return !unbounded() && now - endNanos >= 0;
  }

  /** Nanoseconds since the request arrived. */
  public long elapsedNanos() {
    return clock.getAsLong() - startNanos;
  }
}
