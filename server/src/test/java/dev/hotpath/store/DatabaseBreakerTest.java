package dev.hotpath.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpath.store.DatabaseBreaker.State;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The database's breaker, driven by a fake clock. */
class DatabaseBreakerTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final List<String> changes = new ArrayList<>();
  private final DatabaseBreaker breaker =
      new DatabaseBreaker(
          3, Duration.ofMillis(200), now::get, (from, to, cause) -> changes.add(from + ">" + to));

  private final Throwable refused = new ConnectException("Connection refused");

  private void advanceMillis(long ms) {
    now.addAndGet(Duration.ofMillis(ms).toNanos());
  }

  @Test
  void opensAfterThresholdFailuresInARowAndNotBefore() {
    breaker.failure(refused);
    breaker.failure(refused);
    assertThat(breaker.permits()).isTrue();
    breaker.failure(refused);
    assertThat(breaker.permits()).isFalse();
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(changes).containsExactly("CLOSED>OPEN");
  }

  @Test
  void aSuccessBetweenFailuresStartsTheCountAgain() {
    breaker.failure(refused);
    breaker.failure(refused);
    breaker.success();
    breaker.failure(refused);
    breaker.failure(refused);
    assertThat(breaker.permits()).isTrue();
    assertThat(changes).isEmpty();
  }

  @Test
  void furtherFailuresWhileOpenChangeNothing() {
    for (int i = 0; i < 100; i++) {
      breaker.failure(refused);
    }
    assertThat(changes).containsExactly("CLOSED>OPEN");
  }

  @Test
  void noProbeUntilTheIntervalHasPassedThenExactlyOne() {
    open();
    advanceMillis(199);
    assertThat(breaker.tryProbe()).isFalse();
    advanceMillis(1);
    assertThat(breaker.tryProbe()).isTrue();
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    assertThat(breaker.permits()).as("requests still fail fast while the probe runs").isFalse();
    assertThat(breaker.tryProbe()).as("one probe at a time").isFalse();
  }

  @Test
  void aFailedProbeReopensForAnotherInterval() {
    open();
    advanceMillis(200);
    assertThat(breaker.tryProbe()).isTrue();
    breaker.failure(refused);
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    advanceMillis(100);
    assertThat(breaker.tryProbe()).isFalse();
    advanceMillis(100);
    assertThat(breaker.tryProbe()).isTrue();
  }

  @Test
  void aSuccessfulProbeClosesAtOnce() {
    open();
    advanceMillis(200);
    breaker.tryProbe();
    breaker.success();
    assertThat(breaker.permits()).isTrue();
    assertThat(changes).containsExactly("CLOSED>OPEN", "OPEN>HALF_OPEN", "HALF_OPEN>CLOSED");
    // closed again: it takes the full threshold to open once more
    breaker.failure(refused);
    breaker.failure(refused);
    assertThat(breaker.permits()).isTrue();
  }

  @Test
  void rejectsSettingsThatCannotWork() {
    assertThatThrownBy(
            () -> new DatabaseBreaker(0, Duration.ofMillis(1), now::get, (f, t, c) -> {}))
        .hasMessageContaining("threshold must be at least 1, was 0");
    assertThatThrownBy(() -> new DatabaseBreaker(1, Duration.ZERO, now::get, (f, t, c) -> {}))
        .hasMessageContaining("probe interval must be positive");
  }

  @Test
  void classifiesWhatMeansUnreachableAndWhatMeansTooSlow() {
    assertThat(DatabaseHealth.unreachable(new RuntimeException("wrapped", refused))).isTrue();
    assertThat(
            DatabaseHealth.unreachable(
                new io.vertx.pgclient.PgException("terminating", "FATAL", "57P01", "detail")))
        .isTrue();
    assertThat(
            DatabaseHealth.unreachable(
                new io.vertx.pgclient.PgException("duplicate key", "ERROR", "23505", "detail")))
        .isFalse();
    assertThat(
            DatabaseHealth.timedOut(
                new io.vertx.pgclient.PgException("canceling", "ERROR", "57014", "detail")))
        .isTrue();
    assertThat(DatabaseHealth.timedOut(new DatabaseTimeoutException("late"))).isTrue();
    assertThat(DatabaseHealth.unreachable(new DatabaseTimeoutException("late"))).isFalse();
  }

  private void open() {
    breaker.failure(refused);
    breaker.failure(refused);
    breaker.failure(refused);
    assertThat(breaker.state()).isEqualTo(State.OPEN);
  }
}
