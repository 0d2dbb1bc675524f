package dev.hotpath.outside;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LatencyTrackerTest {
  @Test
  void knowsNothingBeforeEnoughSamples() {
    LatencyTracker t = new LatencyTracker(Duration.ofMinutes(1), 10);
    for (int i = 0; i < 9; i++) {
      t.record(1_000_000);
    }
    assertThat(t.quantileNanos(0.95)).isEqualTo(-1);
    t.record(1_000_000);
    assertThat(t.quantileNanos(0.95)).isPositive();
  }

  @Test
  void p95OfALongTailIsTheBodyNotTheTail() {
    LatencyTracker t = new LatencyTracker(Duration.ofMinutes(1), 10);
    for (int i = 0; i < 970; i++) {
      t.record(5_000_000); // 5 ms
    }
    for (int i = 0; i < 30; i++) {
      t.record(400_000_000); // 400 ms
    }
    long p95 = t.quantileNanos(0.95);
    long p99 = t.quantileNanos(0.99);
    // buckets are within a quarter of a power of two
    assertThat(p95).isBetween(5_000_000L, 6_300_000L);
    assertThat(p99).isBetween(400_000_000L, 500_000_000L);
  }

  @Test
  void bucketsCoverTheirValues() {
    for (long micros : new long[] {1, 2, 3, 4, 5, 7, 8, 100, 1_000, 123_456, 10_000_000}) {
      int bucket = LatencyTracker.bucket(micros);
      assertThat(LatencyTracker.upperMicros(bucket)).isGreaterThanOrEqualTo(micros);
      if (bucket > 0) {
        assertThat(LatencyTracker.upperMicros(bucket - 1)).isLessThan(micros);
      }
    }
  }
}
