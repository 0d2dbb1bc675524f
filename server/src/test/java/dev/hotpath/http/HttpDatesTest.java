package dev.hotpath.http;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class HttpDatesTest {
  @Property
  void readsBackEveryDateItWrites(@ForAll @LongRange(min = 0, max = 253402300799L) long seconds) {
    String written = HttpDates.format(seconds);
    assertThat(written).hasSize(29).endsWith(" GMT");
    assertThat(HttpDates.parse(written)).isEqualTo(seconds);
  }

  @Property
  void neverThrowsOnAnyValue(@ForAll String value) {
    HttpDates.parse(value);
  }

  @Test
  void readsTheThreeFormsOfRfc9110() {
    long expected = 784111777L;
    assertThat(HttpDates.format(expected)).isEqualTo("Sun, 06 Nov 1994 08:49:37 GMT");
    assertThat(HttpDates.parse("Sun, 06 Nov 1994 08:49:37 GMT")).isEqualTo(expected);
    assertThat(HttpDates.parse("Sunday, 06-Nov-94 08:49:37 GMT")).isEqualTo(expected);
    assertThat(HttpDates.parse("Sun Nov  6 08:49:37 1994")).isEqualTo(expected);
  }

  @Test
  void rejectsImpossibleDatesAndWrongWeekdays() {
    assertThat(HttpDates.parse("Mon, 06 Nov 1994 08:49:37 GMT")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parse("Sun, 31 Nov 1994 08:49:37 GMT")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parse("yesterday")).isEqualTo(HttpDates.INVALID);
    assertThat(HttpDates.parse("Sun, 06 Nov 1994 08:49:37 CET")).isEqualTo(HttpDates.INVALID);
  }
}
