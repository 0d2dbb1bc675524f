package dev.hotpath.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
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

  @Property(tries = 2000)
  void ifNoneMatchMatchesOnlyAFieldThatNamesTheTagOrAStar(
      @ForAll
          @Chars({'"', 'W', '/', '*', ',', ' ', '\t', 'o', '4', '2', 'v', '3', '.', 'g', 'z', 'x'})
          @StringLength(max = 24)
          String field) {
    boolean matched = Conditional.listsAny(field, TAG, GZ);
    if (!field.contains("*") && !field.contains(TAG.toString())) {
      assertThat(matched).as(field).isFalse();
    }
    String head = field.replaceFirst("^[ \t,]*", "");
    if (head.startsWith("*")
        || head.startsWith(TAG.toString())
        || head.startsWith(GZ.toString())
        || head.startsWith("W/" + TAG)
        || head.startsWith("W/" + GZ)) {
      assertThat(matched).as(field).isTrue();
    }
  }

  /** One member of a field: a tag of ours, another tag, a star, or a bare (malformed) token. */
  record Member(String text, boolean matches, boolean malformed) {}

  @Provide
  Arbitrary<List<Member>> members() {
    Arbitrary<Member> member =
        Arbitraries.oneOf(
            Arbitraries.of(
                new Member(TAG.toString(), true, false),
                new Member("W/" + TAG, true, false),
                new Member(GZ.toString(), true, false),
                new Member("*", true, false),
                new Member("o42v3", false, true),
                new Member("\"o42v3x\"", false, false),
                new Member("W/\"o42v2\"", false, false)),
            Arbitraries.strings()
                .alpha()
                .numeric()
                .ofMaxLength(8)
                .map(t -> new Member("\"" + t + "\"", false, false)));
    return member.list().ofMaxSize(6);
  }

  @Property(tries = 2000)
  void ifNoneMatchReadsMembersInOrderUntilOneMatchesOrOneIsMalformed(
      @ForAll("members") List<Member> members, @ForAll boolean spaced) {
    boolean expected = false;
    for (Member m : members) {
      if (m.malformed()) {
        break;
      }
      if (m.matches()) {
        expected = true;
        break;
      }
    }
    String field = String.join(spaced ? ", " : ",", members.stream().map(Member::text).toList());
    assertThat(Conditional.listsAny(field, TAG, GZ)).as(field).isEqualTo(expected);
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

  @Property(tries = 2000)
  void ifMatchNamesOnlyVersionsThatAStrongTagOfThisResourceCarries(
      @ForAll
          @Chars({'"', 'W', '/', '*', ',', ' ', 'c', '7', 'v', '0', '3', '9', '.', 'x'})
          @StringLength(max = 30)
          String field) {
    Conditional.IfMatch parsed = Conditional.IfMatch.parse(field, "c", 7);
    if (parsed.any()) {
      assertThat(field).contains("*");
      assertThat(parsed.versions()).isEmpty();
    }
    for (long version : parsed.versions()) {
      assertThat(version).isPositive();
      assertThat(
              field.contains("\"c7v" + version + "\"") || field.contains("\"c7v" + version + "."))
          .as("%s names version %d", field, version)
          .isTrue();
    }
  }

  @Property(tries = 2000)
  void ifMatchCollectsTheVersionsOfEveryStrongTagOfThisResourceInOrder(
      @ForAll @Size(max = 5) List<@LongRange(min = 0, max = 999_999_999L) Long> versions,
      @ForAll @Size(max = 5) List<@IntRange(min = 0, max = 3) Integer> decoys,
      @ForAll long seed) {
    List<String> members = new ArrayList<>();
    List<Long> expected = new ArrayList<>();
    Random random = new Random(seed);
    for (long v : versions) {
      members.add(random.nextBoolean() ? "\"c7v" + v + "\"" : "\"c7v" + v + ".gz\"");
      if (v > 0) {
        expected.add(v);
      }
    }
    for (int decoy : decoys) {
      String text =
          switch (decoy) {
            case 0 -> "W/\"c7v5\"";
            case 1 -> "\"c77v5\"";
            case 2 -> "\"p7v5\"";
            default -> "\"c7v5x\"";
          };
      members.add(random.nextInt(members.size() + 1), text);
    }
    String field = String.join(random.nextBoolean() ? ", " : ",", members);
    Conditional.IfMatch parsed = Conditional.IfMatch.parse(field, "c", 7);
    assertThat(parsed.any()).isFalse();
    assertThat(parsed.versions()).as(field).isEqualTo(expected);
  }
}
