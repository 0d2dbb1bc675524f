package dev.hotpath.compute;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The product_stats consumer pauses at least a second when caught up, so that the lines of more
 * orders share each product's (non-HOT) write; the other consumers keep the configured pause.
 */
class ProductStatsPollTest {
  @Test
  void productStatsPausesAtLeastASecondAndOthersAsConfigured() {
    Duration configured = Duration.ofMillis(100);
    for (Projection p : Rebuild.projections()) {
      Duration pause = p.poll(configured);
      if (p instanceof ProductStatsProjector) {
        assertThat(pause).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.poll(Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(3));
      } else {
        assertThat(pause).as(p.name()).isEqualTo(configured);
      }
    }
  }
}
