package dev.hotpath.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The seed's time line (server's store/seed/SeedRun) is the 730 days before 2026-01-01: it starts
 * on 2024-01-02, 2024 being a leap year, not on 2024-01-01.
 */
class SeededOrderIdsTest {
  @Test
  void anOrderSeededOnTheFirstOfAMonthCarriesThatMonth() {
    // the 8300th of 200000 orders sits 8299 x 315.36 s = 30.3 days after 2024-01-02: 2024-02-01
    assertThat(SeededOrderIds.id(8_300, 200_000) >>> 40).isEqualTo((2024 - 2000) * 12 + 1);
    assertThat(SeededOrderIds.id(8_300, 200_000) & ((1L << 40) - 1)).isEqualTo(8_300);
  }

  @Test
  void theFirstAndLastOrdersAreInJanuary2024AndDecember2025() {
    assertThat(SeededOrderIds.id(1, 200_000) >>> 40).isEqualTo((2024 - 2000) * 12);
    assertThat(SeededOrderIds.id(200_000, 200_000) >>> 40).isEqualTo((2025 - 2000) * 12 + 11);
  }
}
