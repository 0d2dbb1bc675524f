package dev.hotpath.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Timestamps#text} is {@code toInstant().toString()}, character for character. */
class TimestampsTest {
  private static void same(OffsetDateTime t) {
    assertThat(Timestamps.text(t)).as(t.toString()).isEqualTo(t.toInstant().toString());
  }

  @Test
  void edgesOfDaysYearsAndFractions() {
    String[] instants = {
      "1970-01-01T00:00:00Z",
      "1969-12-31T23:59:59.999999999Z",
      "2000-02-29T12:00:00.5Z",
      "1900-03-01T00:00:00.000001Z",
      "2024-12-31T23:59:59.123Z",
      "2026-12-07T04:05:06.120000Z",
      "0000-01-01T00:00:00Z",
      "0000-03-01T00:00:00Z",
      "9999-12-31T23:59:59.999999Z",
      "1600-02-29T01:02:03.000000100Z",
      "+10000-01-01T00:00:00Z",
      "-0001-12-31T23:59:59Z",
    };
    for (String text : instants) {
      same(Instant.parse(text).atOffset(ZoneOffset.UTC));
      same(Instant.parse(text).atOffset(ZoneOffset.ofHoursMinutes(-5, -30)));
      same(Instant.parse(text).atOffset(ZoneOffset.ofHours(14)));
    }
  }

  @Test
  void anyInstantOfYearsZeroToTenThousandWithAnyPrecision() {
    SplittableRandom random = new SplittableRandom(22);
    long first = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
    long last = Instant.parse("+10000-01-01T00:00:00Z").getEpochSecond();
    for (int i = 0; i < 200_000; i++) {
      int nano =
          switch (i % 4) {
            case 0 -> 0;
            case 1 -> random.nextInt(1_000) * 1_000_000;
            case 2 -> random.nextInt(1_000_000) * 1_000;
            default -> random.nextInt(1_000_000_000);
          };
      Instant instant = Instant.ofEpochSecond(random.nextLong(first, last), nano);
      same(instant.atOffset(ZoneOffset.ofTotalSeconds(random.nextInt(-18 * 3600, 18 * 3600 + 1))));
    }
  }

  @Test
  void microsecondsRoundTrip() {
    OffsetDateTime t = Instant.parse("2026-12-07T04:05:06.123456Z").atOffset(ZoneOffset.UTC);
    assertThat(Timestamps.fromMicros(Timestamps.micros(t))).isEqualTo(t);
  }
}
