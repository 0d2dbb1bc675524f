package dev.hotpath.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FormatTest {
  @Test
  void subMillisecondDurationsKeepTwoSignificantDigits() {
    assertThat(Format.ms(0.01)).isEqualTo("0.01 ms");
    assertThat(Format.ms(0.4549)).isEqualTo("0.45 ms");
    assertThat(Format.ms(0.0123)).isEqualTo("0.012 ms");
    assertThat(Format.ms(0)).isEqualTo("0 ms");
  }

  @Test
  void longerDurationsKeepTheirFamiliarPrecision() {
    assertThat(Format.ms(1.25)).isEqualTo("1.3 ms");
    assertThat(Format.ms(12.5)).isEqualTo("12.5 ms");
    assertThat(Format.ms(200)).isEqualTo("200 ms");
    assertThat(Format.ms(1234.5)).isEqualTo("1235 ms");
  }

  @Test
  void anSloOfAHundredthOfAMillisecondIsNotPrintedAsZero() {
    Slo slo = new Slo(RequestClass.READS, 0.01, 0.02);
    Verdict v =
        Verdict.of(
            RequestClass.READS,
            ClassStats.synthetic(100, 0, 10, 0.5, 0.9),
            java.util.Optional.of(slo),
            0.01,
            true);

    assertThat(v.reason()).isEqualTo("p95 0.5 ms/0.01 ms, p99 0.9 ms/0.02 ms");
  }
}
