package dev.hotpath.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

class AccessLogTest {
  @Property
  void timestampsAreRfc3339WithMillisecondsInUtc(
      @ForAll @LongRange(min = 0, max = 4_102_444_800_000L) long millis) {
    StringBuilder sb = new StringBuilder();
    AccessLog.timestamp(sb, millis);
    assertThat(Instant.parse(sb.toString())).isEqualTo(Instant.ofEpochMilli(millis));
    assertThat(sb.toString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
  }
}
