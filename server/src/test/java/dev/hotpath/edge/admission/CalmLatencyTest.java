package dev.hotpath.edge.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The calm p99 that bounds an HTTP/2 stream's hold: learnt from calm requests only. */
class CalmLatencyTest {
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long FLOOR = 2 * MS;
  private static final long LONGEST = 100 * MS;

  @Test
  void untilAWindowHasEnoughCalmRequestsTheLongestHoldApplies() {
    CalmLatency calm = new CalmLatency();
    assertThat(calm.holdNanos(FLOOR, LONGEST)).isEqualTo(LONGEST);
    for (int i = 0; i < CalmLatency.MIN_SAMPLES - 1; i++) {
      calm.record(3 * MS, true);
    }
    calm.windowEnded();
    assertThat(calm.p99Nanos()).isEqualTo(-1);
    assertThat(calm.holdNanos(FLOOR, LONGEST)).isEqualTo(LONGEST);
  }

  @Test
  void theHoldIsTwiceTheCalmP99WithinItsBounds() {
    CalmLatency calm = new CalmLatency();
    // 990 requests at 4 ms, 10 at 50 ms: the p99 is 4 ms (within a bucket's width, 19 %)
    for (int i = 0; i < 990; i++) {
      calm.record(4 * MS, true);
    }
    for (int i = 0; i < 10; i++) {
      calm.record(50 * MS, true);
    }
    calm.windowEnded();
    assertThat(calm.p99Nanos()).isBetween(4 * MS, 4 * MS * 119 / 100);
    assertThat(calm.holdNanos(FLOOR, LONGEST)).isEqualTo(2 * calm.p99Nanos());
    // twice the p99 never passes the longest hold, and never falls below the floor
    assertThat(calm.holdNanos(FLOOR, 5 * MS)).isEqualTo(5 * MS);
    CalmLatency fast = new CalmLatency();
    for (int i = 0; i < 100; i++) {
      fast.record(100_000, true);
    }
    fast.windowEnded();
    assertThat(fast.holdNanos(FLOOR, LONGEST)).isEqualTo(FLOOR);
  }

  @Test
  void requestsAdmittedWithoutRoomToSpareTeachItNothing() {
    CalmLatency calm = new CalmLatency();
    for (int i = 0; i < 200; i++) {
      calm.record(5 * MS, true);
    }
    calm.windowEnded();
    long learnt = calm.p99Nanos();
    // sustained overload: every request admitted with the slots taken, at 60 ms
    for (int window = 0; window < 20; window++) {
      for (int i = 0; i < 1000; i++) {
        calm.record(60 * MS, false);
      }
      // a few calm ones among them are too few to move it
      for (int i = 0; i < CalmLatency.MIN_SAMPLES - 1; i++) {
        calm.record(60 * MS, true);
      }
      calm.windowEnded();
    }
    assertThat(calm.p99Nanos()).isEqualTo(learnt);
    // a calm window after it sets it again
    for (int i = 0; i < 100; i++) {
      calm.record(8 * MS, true);
    }
    calm.windowEnded();
    assertThat(calm.p99Nanos()).isBetween(8 * MS, 8 * MS * 119 / 100);
  }

  @Test
  void bucketsCoverEveryLatencyAndTheirBoundsLieAboveIt() {
    for (long nanos : new long[] {1, 3, 7, 1000, 999_999, 1_000_000, 12_345_678, 1L << 39}) {
      int b = CalmLatency.bucket(nanos);
      assertThat(CalmLatency.upperBound(b)).isGreaterThan(nanos);
      if (b > 0) {
        assertThat(CalmLatency.upperBound(b - 1)).isLessThanOrEqualTo(nanos);
      }
    }
  }
}
