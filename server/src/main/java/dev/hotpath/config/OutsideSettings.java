package dev.hotpath.config;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * How hotpath talks to its outside services (payments, reviews, recommendations): where they are,
 * how many connections, and the rules of timeouts, circuit breakers, retries and hedging.
 *
 * @param paymentsUrl base URL of the payments provider; empty: orders are placed without an
 *     authorization (status {@code placed}), as before payments existed
 * @param reviewsUrl base URL of the reviews service; empty: product pages omit reviews
 * @param recommendationsUrl base URL of the recommendations service; empty: product pages omit them
 * @param poolSize keep-alive connections per service per event loop
 * @param waitQueue calls waiting for a connection per service per event loop; more fail at once
 * @param margin taken off a request's remaining budget to give an outside call its timeout (the
 *     time to write the response after the call)
 * @param paymentsReserve part of an order's budget kept for its database transaction after the
 *     authorization (the authorization gets the rest, minus the margin)
 * @param paymentsJobTimeout timeout of an authorization retried from the job queue
 * @param paymentsJobAttempts attempts of an authorization job before it is dead
 * @param maxAttempts attempts of one idempotent call, the first included
 * @param backoffBase first retry delay bound (full jitter: uniform in [0, bound))
 * @param backoffCap largest retry delay bound
 * @param retryRatio retries allowed per first attempt, per service, over the budget window
 * @param hedging whether reads of reviews and recommendations are hedged
 * @param hedgeRatio hedges allowed per call, per service, over the budget window
 * @param budgetWindow sliding window of the retry and hedge budgets and of the latency tracker
 * @param breakerWindow calls in a breaker's sliding window
 * @param breakerMinCalls calls a breaker needs in its window before it may open
 * @param breakerFailureRate failure rate (0..1) that opens a breaker
 * @param breakerSlowRate slow-call rate (0..1) that opens a breaker
 * @param breakerSlowCall a call slower than this is slow
 * @param breakerOpen how long an open breaker refuses calls before it lets probes through
 * @param breakerProbes calls let through while half-open; all must succeed to close
 * @param staleEntries last good answers kept per service, served when the service fails
 * @param staleTtl how long a last good answer may be served
 */
public record OutsideSettings(
    Optional<URI> paymentsUrl,
    Optional<URI> reviewsUrl,
    Optional<URI> recommendationsUrl,
    int poolSize,
    int waitQueue,
    Duration margin,
    Duration paymentsReserve,
    Duration paymentsJobTimeout,
    int paymentsJobAttempts,
    int maxAttempts,
    Duration backoffBase,
    Duration backoffCap,
    double retryRatio,
    boolean hedging,
    double hedgeRatio,
    Duration budgetWindow,
    int breakerWindow,
    int breakerMinCalls,
    double breakerFailureRate,
    double breakerSlowRate,
    Duration breakerSlowCall,
    Duration breakerOpen,
    int breakerProbes,
    int staleEntries,
    Duration staleTtl) {

  public OutsideSettings {
    new Rules()
        .atLeast("OUTSIDE_POOL_SIZE", poolSize, 1)
        .atLeast("OUTSIDE_WAIT_QUEUE", waitQueue, 0)
        .notNegative("OUTSIDE_MARGIN_MS", margin)
        .notNegative("PAYMENTS_RESERVE_MS", paymentsReserve)
        .positive("PAYMENTS_JOB_TIMEOUT_MS", paymentsJobTimeout)
        .atLeast("PAYMENTS_JOB_ATTEMPTS", paymentsJobAttempts, 1)
        .atLeast("OUTSIDE_MAX_ATTEMPTS", maxAttempts, 1)
        .positive("OUTSIDE_BACKOFF_BASE_MS", backoffBase)
        .require(
            backoffBase.compareTo(backoffCap) <= 0,
            EnvReader.var("OUTSIDE_BACKOFF_BASE_MS")
                + " must not exceed "
                + EnvReader.var("OUTSIDE_BACKOFF_CAP_MS"))
        .fraction("OUTSIDE_RETRY_RATIO", retryRatio)
        .fraction("HEDGE_RATIO", hedgeRatio)
        .positive("OUTSIDE_BUDGET_WINDOW_MS", budgetWindow)
        .atLeast("BREAKER_WINDOW", breakerWindow, 2)
        .atLeast("BREAKER_MIN_CALLS", breakerMinCalls, 1)
        .notAbove("BREAKER_MIN_CALLS", breakerMinCalls, "BREAKER_WINDOW", breakerWindow)
        .fraction("BREAKER_FAILURE_RATE", breakerFailureRate)
        .fraction("BREAKER_SLOW_RATE", breakerSlowRate)
        .positive("BREAKER_SLOW_CALL_MS", breakerSlowCall)
        .positive("BREAKER_OPEN_MS", breakerOpen)
        .atLeast("BREAKER_PROBES", breakerProbes, 1)
        .atLeast("OUTSIDE_STALE_ENTRIES", staleEntries, 0)
        .positive("OUTSIDE_STALE_TTL_MS", staleTtl)
        .enforce();
  }

  /** The settings as the environment gives them (HOTPATH_PAYMENTS_URL, HOTPATH_BREAKER_*, ...). */
  static OutsideSettings from(EnvReader r) {
    return new OutsideSettings(
        r.httpUrl("PAYMENTS_URL"),
        r.httpUrl("REVIEWS_URL"),
        r.httpUrl("RECOMMENDATIONS_URL"),
        r.integer("OUTSIDE_POOL_SIZE", 32, 1, 10_000),
        r.integer("OUTSIDE_WAIT_QUEUE", 256, 0, 1_000_000),
        r.millis("OUTSIDE_MARGIN_MS", 5, 0, 10_000),
        r.millis("PAYMENTS_RESERVE_MS", 150, 0, 60_000),
        r.millis("PAYMENTS_JOB_TIMEOUT_MS", 5_000, 10, 600_000),
        r.integer("PAYMENTS_JOB_ATTEMPTS", 30, 1, 1_000),
        r.integer("OUTSIDE_MAX_ATTEMPTS", 3, 1, 10),
        r.millis("OUTSIDE_BACKOFF_BASE_MS", 10, 1, 60_000),
        r.millis("OUTSIDE_BACKOFF_CAP_MS", 100, 1, 600_000),
        r.fraction("OUTSIDE_RETRY_RATIO", 0.1),
        r.bool("HEDGING", true),
        r.fraction("HEDGE_RATIO", 0.05),
        r.millis("OUTSIDE_BUDGET_WINDOW_MS", 10_000, 1_000, 3_600_000),
        r.integer("BREAKER_WINDOW", 50, 2, 10_000),
        r.integer("BREAKER_MIN_CALLS", 20, 1, 10_000),
        r.fraction("BREAKER_FAILURE_RATE", 0.5),
        r.fraction("BREAKER_SLOW_RATE", 0.8),
        r.millis("BREAKER_SLOW_CALL_MS", 150, 1, 600_000),
        r.millis("BREAKER_OPEN_MS", 5_000, 10, 3_600_000),
        r.integer("BREAKER_PROBES", 3, 1, 1_000),
        r.integer("OUTSIDE_STALE_ENTRIES", 10_000, 0, 10_000_000),
        r.millis("OUTSIDE_STALE_TTL_MS", 600_000, 1_000, 86_400_000));
  }

  /** The same settings with the three base URLs replaced (the demo's in-process stand-ins). */
  public OutsideSettings withUrls(URI payments, URI reviews, URI recommendations) {
    return new OutsideSettings(
        Optional.of(payments),
        Optional.of(reviews),
        Optional.of(recommendations),
        poolSize,
        waitQueue,
        margin,
        paymentsReserve,
        paymentsJobTimeout,
        paymentsJobAttempts,
        maxAttempts,
        backoffBase,
        backoffCap,
        retryRatio,
        hedging,
        hedgeRatio,
        budgetWindow,
        breakerWindow,
        breakerMinCalls,
        breakerFailureRate,
        breakerSlowRate,
        breakerSlowCall,
        breakerOpen,
        breakerProbes,
        staleEntries,
        staleTtl);
  }

  /** Whether any outside service is configured. */
  public boolean any() {
    return paymentsUrl.isPresent() || reviewsUrl.isPresent() || recommendationsUrl.isPresent();
  }
}
