package dev.hotpath.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.NumericChars;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class ConditionalTest {
  private static final AsciiString TAG = AsciiString.of("\"o42v3\"");
  private static final AsciiString GZ = AsciiString.of("\"o42v3.gz\"");

  @Test
  void ifNoneMatchComparesWeakly() {
    assertThat(Conditional.listsAny("\"o42v3\"", TAG, GZ)).isTrue();
    assertThat(Conditional.listsAny("W/\"o42v3\"", TAG, GZ)).isTrue();
    assertThat(Conditional.listsAny("\"x\", \"o42v3.gz\"", TAG, GZ)).isTrue();
    assertThat(Conditional.listsAny("*", TAG, GZ)).isTrue();
    assertThat(Conditional.listsAny("\"o42v2\", \"o42v3x\"", TAG, GZ)).isFalse();
    assertThat(Conditional.listsAny("o42v3", TAG, GZ)).isFalse();
    assertThat(Conditional.listsAny("\"o42v3", TAG, GZ)).isFalse();
    assertThat(Conditional.listsAny("", TAG, GZ)).isFalse();
  }

  @Property
  void ifNoneMatchFindsTheTagAmongAnyOthers(
      @ForAll @Size(max = 5) List<@AlphaChars @NumericChars @StringLength(max = 12) String> others,
      @ForAll boolean weak,
      @ForAll long seed) {
    List<String> tags = new ArrayList<>();
    for (String other : others) {
      tags.add("\"" + other + "\"");
    }
    tags.add((weak ? "W/" : "") + TAG);
    Collections.shuffle(tags, new Random(seed));
    assertThat(Conditional.listsAny(String.join(seed % 2 == 0 ? ", " : ",", tags), TAG, GZ))
        .isTrue();
  }

  @Property
  void ifNoneMatchNeverThrows(@ForAll String field) {
    Conditional.listsAny(field, TAG, GZ);
  }

  @Test
  void ifMatchReadsVersionsOfTheResourceFromStrongTagsOnly() {
    assertThat(Conditional.IfMatch.parse("\"c7v3\"", "c", 7).versions()).containsExactly(3L);
    assertThat(Conditional.IfMatch.parse("\"c7v3.1f\", \"c7v5.gz\"", "c", 7).versions())
        .containsExactly(3L, 5L);
    assertThat(Conditional.IfMatch.parse("W/\"c7v3\"", "c", 7).versions()).isEmpty();
    assertThat(Conditional.IfMatch.parse("\"c8v3\"", "c", 7).versions()).isEmpty();
    assertThat(Conditional.IfMatch.parse("\"c77v3\"", "c", 7).versions()).isEmpty();
    assertThat(Conditional.IfMatch.parse("\"c7v3x\"", "c", 7).versions()).isEmpty();
    assertThat(Conditional.IfMatch.parse("\"p7v3\"", "c", 7).versions()).isEmpty();
    assertThat(Conditional.IfMatch.parse("*", "c", 7).any()).isTrue();
    assertThat(Conditional.IfMatch.parse("garbage", "c", 7).versions()).isEmpty();
  }

  @Property
  void ifMatchNeverThrows(@ForAll String field) {
    Conditional.IfMatch.parse(field, "c", 7);
  }
}
