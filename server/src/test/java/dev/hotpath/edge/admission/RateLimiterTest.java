package dev.hotpath.edge.admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.hotpath.config.AdmissionSettings;
import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The buckets behind the rate limits: costs, refunds, refills, and the bound on their memory. */
class RateLimiterTest {
  private static final int CLIENT = RateLimiter.Policy.CLIENT.ordinal();
  private static final int IP = RateLimiter.Policy.IP.ordinal();
  private static final int GLOBAL = RateLimiter.Policy.GLOBAL.ordinal();

  /** One clock for the buckets' refills and the caches' expiry, moved by hand. */
  static final class ManualClock implements TimeMeter, Ticker {
    final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Override
    public long currentTimeNanos() {
      return nanos.get();
    }

    @Override
    public boolean isWallClockBased() {
      return false;
    }

    @Override
    public long read() {
      return nanos.get();
    }

    void advance(Duration d) {
      nanos.addAndGet(d.toNanos());
    }
  }

  private final ManualClock clock = new ManualClock();

  private RateLimiter limiter(long client, long ip, long global, int trackedKeys) {
    var settings =
        new AdmissionSettings(
            true,
            Duration.ofSeconds(10),
            client,
            ip,
            global,
            trackedKeys,
            true,
            OptionalInt.empty(),
            100,
            100,
            1000,
            16,
            Duration.ofMillis(1),
            Duration.ofMillis(10),
            Duration.ofMillis(100),
            Duration.ZERO);
    return new RateLimiter(settings, true, new SimpleMeterRegistry(), clock, clock);
  }

  /**
   * A charge below Vert.x fills the caller's holder with the values the route's check writes: the
   * policy of the client (or of the address when no client is charged), the units left in the
   * reported bucket and the seconds until it is full; a refusal takes nothing.
   */
  @Test
  void aChargeBelowVertxReportsWhatTheRoutesCheckWrites() {
    RateLimiter limiter = limiter(10, 100, 1000, 100);
    var charged = new RateLimiter.Charged();
    var client = new dev.hotpath.edge.auth.Principal("service:a", 0, ~0, Long.MAX_VALUE);
    assertThat(limiter.chargeBelow(client, "10.0.0.1", 3, charged)).isTrue();
    assertThat(charged.policy().toString())
        .isEqualTo("\"client\";q=10;w=10, \"ip\";q=100;w=10, \"global\";q=1000;w=10");
    assertThat(charged.reported().toString()).isEqualTo("\"client\"");
    assertThat(charged.left()).isEqualTo(7);
    assertThat(charged.reset()).isEqualTo(3); // 3 of 10 units at 1 a second
    assertThat(limiter.chargeBelow(client, "10.0.0.1", 8, charged)).isFalse();
    assertThat(limiter.charge("service:a", "10.0.0.1", 1)).as("nothing taken").isEqualTo(6);

    assertThat(
            limiter.chargeBelow(
                dev.hotpath.edge.auth.Principal.UNRESTRICTED, "10.0.0.2", 1, charged))
        .isTrue();
    assertThat(charged.policy().toString()).isEqualTo("\"ip\";q=100;w=10, \"global\";q=1000;w=10");
    assertThat(charged.reported().toString()).isEqualTo("\"ip\"");
    assertThat(charged.left()).isEqualTo(99);
    assertThat(charged.reset()).isEqualTo(1); // rounded up
  }

  private static long refusedBy(int policyOrdinal) {
    return -(policyOrdinal + 1);
  }

  @Test
  void aRequestCostsItsUnitsAndReportsWhatIsLeftOfTheClientsQuota() {
    RateLimiter limiter = limiter(10, 100, 1000, 1000);
    assertThat(limiter.charge("service:a", "10.0.0.1", 1)).isEqualTo(9);
    assertThat(limiter.charge("service:a", "10.0.0.1", 5)).isEqualTo(4);
    assertThat(limiter.charge("service:a", "10.0.0.1", 5)).isEqualTo(refusedBy(CLIENT));
    assertThat(limiter.charge("service:a", "10.0.0.1", 4)).isZero();
  }

  @Test
  void withoutAClientTheAddressQuotaIsReported() {
    RateLimiter limiter = limiter(10, 100, 1000, 1000);
    assertThat(limiter.charge(null, "10.0.0.2", 2)).isEqualTo(98);
  }

  @Test
  void aRefusalByTheAddressGivesTheClientItsUnitsBack() {
    RateLimiter limiter = limiter(10, 8, 1000, 1000);
    assertThat(limiter.charge("service:a", "10.0.0.3", 5)).isEqualTo(5);
    assertThat(limiter.charge("service:b", "10.0.0.3", 5)).isEqualTo(refusedBy(IP));
    // b paid nothing: its whole quota is still there from another address
    assertThat(limiter.charge("service:b", "10.0.0.4", 5)).isEqualTo(5);
  }

  @Test
  void theGlobalQuotaSpansClientsAndAddressesAndRefundsTheOthersWhenSpent() {
    RateLimiter limiter = limiter(100, 100, 10, 1000);
    assertThat(limiter.charge("service:a", "10.0.0.5", 5)).isEqualTo(95);
    assertThat(limiter.charge("service:c", "10.0.0.7", 6)).isEqualTo(refusedBy(GLOBAL));
    // c and its address paid nothing for the refusal
    assertThat(limiter.charge("service:c", "10.0.0.7", 5)).isEqualTo(95);
    assertThat(limiter.charge("service:d", "10.0.0.8", 1)).isEqualTo(refusedBy(GLOBAL));
  }

  @Test
  void bucketsRefillEvenlyOverTheWindow() {
    RateLimiter limiter = limiter(10, 100, 1000, 1000);
    assertThat(limiter.charge("service:r", "10.0.0.8", 10)).isZero();
    assertThat(limiter.charge("service:r", "10.0.0.8", 1)).isEqualTo(refusedBy(CLIENT));
    clock.advance(Duration.ofSeconds(3)); // 10 units per 10 s: 3 back
    assertThat(limiter.charge("service:r", "10.0.0.8", 3)).isZero();
  }

  @Test
  void idleBucketsAreDroppedAfterAWindowWithoutLosingAnything() {
    RateLimiter limiter = limiter(10, 100, 1000, 1000);
    limiter.charge("service:idle", "10.0.0.9", 10);
    assertThat(limiter.trackedClients()).isEqualTo(1);
    clock.advance(Duration.ofSeconds(11));
    assertThat(limiter.trackedClients()).isZero();
    assertThat(limiter.trackedAddresses()).isZero();
    // a client that comes back finds a full bucket, as it would have found its old one refilled
    assertThat(limiter.charge("service:idle", "10.0.0.9", 1)).isEqualTo(9);
  }

  @Test
  void aMillionDistinctClientsFromAMillionAddressesStayWithinTheConfiguredBound() {
    int bound = 10_000;
    RateLimiter limiter = limiter(10, 100, 0, bound);
    for (int i = 0; i < 1_000_000; i++) {
      String n = Integer.toString(i);
      limiter.charge(
          "customer:" + n, "10." + (i >>> 16) + "." + ((i >>> 8) & 255) + "." + (i & 255), 1);
      if (i % 100_000 == 99_999) {
        assertThat(limiter.trackedClients())
            .as("clients after %d", i + 1)
            .isLessThanOrEqualTo(bound);
        assertThat(limiter.trackedAddresses())
            .as("addresses after %d", i + 1)
            .isLessThanOrEqualTo(bound);
      }
    }
    assertThat(limiter.trackedClients()).isLessThanOrEqualTo(bound);
    assertThat(limiter.trackedAddresses()).isLessThanOrEqualTo(bound);
  }
}
