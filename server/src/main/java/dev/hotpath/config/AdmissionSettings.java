package dev.hotpath.config;

import java.time.Duration;
import java.util.OptionalInt;

/**
 * Rate limits and admission control: who may send how much, and how much the server takes on at
 * once.
 *
 * <p>Rate limits are token buckets in quota units (a request costs its operation's {@code
 * x-rate-cost}: reads 1, lists 2, writes 5, reports 50, imports 100). Each bucket holds {@code
 * quota} units and refills evenly over {@code rateWindow}, so a client may burst its whole quota
 * and then sustain quota / window.
 *
 * @param rateLimits whether requests are rate limited at all
 * @param rateWindow the window {@code w} of every policy: a bucket refills from empty in this time
 * @param perClient units per window for one client (the token's subject); 0 = no such limit
 * @param perAddress units per window for one client address; 0 = no such limit
 * @param global units per window for the whole process; 0 = no such limit
 * @param trackedKeys clients and addresses each tracked at once (idle ones are dropped after a
 *     window, the least recently used when more arrive)
 * @param admission whether requests pass the concurrency limit (admission control, load shedding)
 * @param fixedLimit a fixed concurrency limit; empty means adaptive (Gradient2)
 * @param minLimit the adaptive limit's floor
 * @param startLimit the adaptive limit's value at start (between the floor and the ceiling): high
 *     enough that a cold server takes a burst of clients without shedding while the limit learns
 *     (it is then free to fall to the floor under overload)
 * @param maxLimit the adaptive limit's ceiling
 * @param queue requests of high criticality that may wait for a slot, per event loop
 * @param queueWait how long a request may wait in that queue once it stands full (its deadline, if
 *     sooner, ends the wait first): short, so that under sustained overload, when every admitted
 *     request has waited, the wait adds little to their latency, and a refusal after waiting still
 *     comes at once
 * @param burstWait how long a request may wait while the queue is riding out a burst (it has been
 *     empty within {@code standing}); never less than {@code queueWait}
 * @param standing how long the queue must stay non-empty to count as standing full
 * @param warmup how long a starting server drives its own read routes over loopback before it
 *     reports ready (0: not at all), so that the first clients meet compiled code and a filled
 *     cache, not deadline 503s from a cold JVM
 */
public record AdmissionSettings(
    boolean rateLimits,
    Duration rateWindow,
    long perClient,
    long perAddress,
    long global,
    int trackedKeys,
    boolean admission,
    OptionalInt fixedLimit,
    int minLimit,
    int startLimit,
    int maxLimit,
    int queue,
    Duration queueWait,
    Duration burstWait,
    Duration standing,
    Duration warmup) {
  public AdmissionSettings {
    new Rules()
        .positive("RATE_WINDOW_S", rateWindow)
        .atLeast("RATE_CLIENT", perClient, 0)
        .atLeast("RATE_IP", perAddress, 0)
        .atLeast("RATE_GLOBAL", global, 0)
        .atLeast("RATE_KEYS", trackedKeys, 1)
        .require(
            fixedLimit.isEmpty() || fixedLimit.getAsInt() >= 1,
            EnvReader.var("ADMISSION_LIMIT") + " must be adaptive or at least 1")
        .atLeast("ADMISSION_MIN_LIMIT", minLimit, 1)
        .notAbove("ADMISSION_MIN_LIMIT", minLimit, "ADMISSION_MAX_LIMIT", maxLimit)
        .require(
            minLimit > maxLimit || startLimit >= minLimit && startLimit <= maxLimit,
            EnvReader.var("ADMISSION_START_LIMIT") + " must lie between the floor and the ceiling")
        .atLeast("ADMISSION_QUEUE", queue, 0)
        .positive("ADMISSION_QUEUE_WAIT_MS", queueWait)
        .positive("ADMISSION_QUEUE_BURST_WAIT_MS", burstWait)
        .positive("ADMISSION_QUEUE_STANDING_MS", standing)
        .require(!warmup.isNegative(), EnvReader.var("WARMUP_MS") + " must be 0 or more")
        .enforce();
  }

  /**
   * Rate limits (HOTPATH_RATE_*) and admission control (HOTPATH_ADMISSION*):
   * HOTPATH_ADMISSION_LIMIT is {@code adaptive} or a fixed number; the adaptive floor must not
   * exceed its ceiling; the start limit is held between them.
   */
  static AdmissionSettings from(EnvReader r) {
    OptionalInt fixed = OptionalInt.empty();
    if (!"adaptive".equals(r.string("ADMISSION_LIMIT", "adaptive"))) {
      fixed = OptionalInt.of(r.integer("ADMISSION_LIMIT", 1, 1, 1_000_000));
    }
    int min = r.integer("ADMISSION_MIN_LIMIT", 20, 1, 1_000_000);
    int max = r.integer("ADMISSION_MAX_LIMIT", 1000, 1, 1_000_000);
    return new AdmissionSettings(
        r.bool("RATE_LIMITS", true),
        r.seconds("RATE_WINDOW_S", 10, 1, 86_400),
        r.integer("RATE_CLIENT", (int) CLIENT_QUOTA, 0, Integer.MAX_VALUE),
        r.integer("RATE_IP", (int) ADDRESS_QUOTA, 0, Integer.MAX_VALUE),
        r.integer("RATE_GLOBAL", (int) GLOBAL_QUOTA, 0, Integer.MAX_VALUE),
        r.integer("RATE_KEYS", 100_000, 100, 10_000_000),
        r.bool("ADMISSION", true),
        fixed,
        min,
        Math.min(Math.max(min, r.integer("ADMISSION_START_LIMIT", 100, 1, 1_000_000)), max),
        max,
        r.integer("ADMISSION_QUEUE", 16, 0, 10_000),
        r.millis("ADMISSION_QUEUE_WAIT_MS", 1, 1, 60_000),
        r.millis("ADMISSION_QUEUE_BURST_WAIT_MS", 10, 1, 60_000),
        r.millis("ADMISSION_QUEUE_STANDING_MS", 100, 1, 60_000),
        r.millis("WARMUP_MS", 3_000, 0, 600_000));
  }

  /** Quota units per window of a client, an address and the process by default. */
  public static final long CLIENT_QUOTA = 10_000;

  public static final long ADDRESS_QUOTA = 50_000;
  public static final long GLOBAL_QUOTA = 1_000_000;

  /**
   * What {@code serve --demo} raises the client and address quotas to (the global one): the demo is
   * one user, and the benchmark scripts drive it with one token from one address.
   */
  public static final long DEMO_QUOTA = GLOBAL_QUOTA;
}
