package dev.hotpath.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class HttpDatesTest {
  @Property
  void readsBackEveryDateItWrites(@ForAll @LongRange(min = 0, max = 253402300799L) long seconds) {
    String written = HttpDates.format(seconds);
    assertThat(written).hasSize(29).endsWith(" GMT");
    assertThat(HttpDates.parse(written)).isEqualTo(seconds);
  }

  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM uuuu HH:mm:ss 'GMT'", Locale.US)
          .withZone(ZoneOffset.UTC);

  /** The written-out form is the formatter's, text and header bytes alike, over years 0-9999. */
  @Property(tries = 5000)
  void writesWhatTheFormatterWrites(
      @ForAll @LongRange(min = -62_167_219_200L, max = 253_402_300_799L) long seconds) {
    String expected = IMF_FIXDATE.format(Instant.ofEpochSecond(seconds));
    assertThat(HttpDates.format(seconds)).isEqualTo(expected);
    assertThat(HttpDates.ascii(seconds).toString()).isEqualTo(expected);
  }

  @Test
  void writesTheEdgesOfTheCalendarAsTheFormatterDoes() {
    for (long seconds :
        new long[] {
          0,
          -1,
          86_399,
          86_400,
          951_782_400L,
          951_868_799L,
          4_107_542_400L,
          -62_167_219_200L,
          -62_167_219_201L,
          253_402_300_799L,
          253_402_300_800L,
          1_709_164_800L
        }) {
      assertThat(HttpDates.format(seconds))
          .as("%d", seconds)
          .isEqualTo(IMF_FIXDATE.format(Instant.ofEpochSecond(seconds)));
    }
  }

  private static final DateTimeFormatter RFC_850 =
      DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss 'GMT'", Locale.US)
          .withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter ASCTIME =
      DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss uuuu", Locale.US).withZone(ZoneOffset.UTC);

  /** Whether {@code value} is {@code seconds} written in one of the three forms of RFC 9110. */
  private static boolean writes(String value, long seconds) {
    Instant at = Instant.ofEpochSecond(seconds);
    String s = value.trim();
    return s.equals(HttpDates.format(seconds))
        || s.equals(RFC_850.format(at))
        || s.equals(ASCTIME.format(at));
  }

  @Property(tries = 2000)
  void anyValueIsRefusedOrIsTheDateItReadsInOneOfTheThreeForms(@ForAll String value) {
    long read = HttpDates.parse(value);
    if (read != HttpDates.INVALID) {
      assertThat(writes(value, read)).as(value).isTrue();
    }
  }

  @Property(tries = 2000)
  void aDateWithOneCharacterChangedIsRefusedOrReadAsTheDateItNowSays(
      @ForAll @LongRange(min = 0, max = 3_155_759_999L) long seconds,
      @ForAll @IntRange(min = 0, max = 2) int form,
      @ForAll @IntRange(min = 0, max = 40) int position,
      @ForAll @Chars({'0', '1', '2', '9', ' ', ',', '-', ':', 'a', 'J', 'S', 'G', 'M', 'T'})
          char replacement) {
    Instant at = Instant.ofEpochSecond(seconds);
    String written =
        switch (form) {
          case 0 -> HttpDates.format(seconds);
          case 1 -> RFC_850.format(at);
          default -> ASCTIME.format(at);
        };
    if (form == 1 && (at.atZone(ZoneOffset.UTC).getYear() >= 2070)) {
      return; // two-digit years from 70 are the 1900s
    }
    assertThat(HttpDates.parse(written)).as(written).isEqualTo(seconds);
    int p = position % written.length();
    String changed = written.substring(0, p) + replacement + written.substring(p + 1);
    long read = HttpDates.parse(changed);
    if (changed.equals(written)) {
      assertThat(read).isEqualTo(seconds);
    } else if (read != HttpDates.INVALID) {
      assertThat(writes(changed, read)).as(changed).isTrue();
    }
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
