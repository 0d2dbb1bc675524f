package dev.hotpath.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class AccessSamplerTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void writesEveryLineUpToTheRateThenOneInKStandingForK() {
    AtomicLong clock = new AtomicLong(5 * SECOND);
    AccessSampler sampler = new AccessSampler(3, 4, clock::get);
    List<Integer> weights = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      weights.add(sampler.weigh("/v1/orders/:id", true));
    }

    assertThat(weights).containsExactly(1, 1, 1, 0, 0, 0, 4, 0, 0, 0, 4);
    assertThat(sampler.leftOut()).isEqualTo(6);
  }

  @Test
  void errorsSlowRequestsAndOtherRoutesAreAlwaysWritten() {
    AtomicLong clock = new AtomicLong(0);
    AccessSampler sampler = new AccessSampler(0, 10, clock::get);

    assertThat(sampler.weigh("/v1/orders/:id", true)).isZero();
    assertThat(sampler.weigh("/v1/orders/:id", false)).isEqualTo(1);
    assertThat(sampler.weigh("/v1/orders/:id", false)).isEqualTo(1);
    assertThat(sampler.weigh("/v1/customers/:id", false)).isEqualTo(1);
  }

  @Test
  void theFirstLineOfAQuieterSecondCarriesTheRequestsLeftOutBeforeIt() {
    AtomicLong clock = new AtomicLong(0);
    AccessSampler sampler = new AccessSampler(2, 10, clock::get);
    for (int i = 0; i < 7; i++) {
      sampler.weigh("/r", true); // 2 written, 5 left out
    }
    clock.addAndGet(SECOND);

    assertThat(sampler.weigh("/r", true)).isEqualTo(6);
    assertThat(sampler.weigh("/r", true)).isEqualTo(1);
  }

  /**
   * However requests fall over seconds, the weights written add up to the requests, less fewer than
   * {@code oneIn} left out at the very end.
   */
  @Property
  void weightsAddUpToTheRequestsLessFewerThanOneInK(
      @ForAll @Size(max = 2_000) List<@IntRange(min = 0, max = 3) Integer> gaps,
      @ForAll @IntRange(min = 0, max = 20) int perSecond,
      @ForAll @IntRange(min = 1, max = 50) int oneIn) {
    AtomicLong clock = new AtomicLong(0);
    AccessSampler sampler = new AccessSampler(perSecond, oneIn, clock::get);
    long sum = 0;
    for (int gap : gaps) {
      clock.addAndGet(gap * SECOND / 10); // 0 to 0.3 s apart
      sum += sampler.weigh("/r", true);
    }

    assertThat(sum).isBetween((long) gaps.size() - (oneIn - 1), (long) gaps.size());
  }
}
