package dev.hotpath.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class CursorCodecTest {
  private final CursorCodec codec =
      new CursorCodec("0123456789abcdef0123".getBytes(StandardCharsets.UTF_8));

  @Property
  void roundTripsAnyKeys(@ForAll long a, @ForAll long b, @ForAll String scope) {
    String cursor = codec.encode(scope, a, b);
    assertThat(codec.decode(scope, cursor, 2)).containsExactly(a, b);
  }

  @Property
  void rejectsAnyAlteredByte(
      @ForAll long a,
      @ForAll long b,
      @ForAll @IntRange(min = 0, max = 31) int position,
      @ForAll @IntRange(min = 1, max = 255) int flip) {
    byte[] raw = Base64.getUrlDecoder().decode(codec.encode("s", a, b));
    raw[position] ^= (byte) flip;
    String altered = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    assertThatThrownBy(() -> codec.decode("s", altered, 2))
        .isInstanceOf(ProblemException.class)
        .extracting(e -> ((ProblemException) e).type())
        .isEqualTo(ProblemType.INVALID_CURSOR);
  }

  @Property
  void rejectsCursorsOfAnotherScope(@ForAll long a, @ForAll String scope) {
    String cursor = codec.encode(scope, a);
    assertThatThrownBy(() -> codec.decode(scope + "x", cursor, 1))
        .isInstanceOf(ProblemException.class);
  }

  @Property
  void rejectsArbitraryStrings(@ForAll String junk) {
    assertThatThrownBy(() -> codec.decode("s", junk, 2)).isInstanceOf(ProblemException.class);
  }

  @Property
  void aCursorFromAnotherKeyIsRejected(@ForAll long a) {
    CursorCodec other =
        new CursorCodec("another-secret-of-some-length".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> codec.decode("s", other.encode("s", a), 1))
        .isInstanceOf(ProblemException.class);
  }
}
