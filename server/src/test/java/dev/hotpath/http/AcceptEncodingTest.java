package dev.hotpath.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class AcceptEncodingTest {
  private final Compression compression = new Compression(1024);

  /** One member of the field: a coding and its weight in thousandths (-1: no q parameter). */
  record Member(String coding, int q, int digits, boolean upper, int space) {
    int weight() {
      return q < 0 ? 1000 : q;
    }

    String render() {
      String name = upper ? coding.toUpperCase(Locale.ROOT) : coding;
      if (q < 0) {
        return name;
      }
      String pad = " ".repeat(space);
      return name + pad + ";" + pad + (upper ? "Q" : "q") + "=" + qvalue(q, digits);
    }

    /** q in thousandths with 0 to 3 decimals (as many as it needs at least). */
    static String qvalue(int q, int digits) {
      String three = String.format(Locale.ROOT, "%d.%03d", q / 1000, q % 1000);
      int needed = q % 1000 == 0 ? 0 : (q % 100 == 0 ? 1 : (q % 10 == 0 ? 2 : 3));
      int shown = Math.max(needed, digits);
      return shown == 0 ? three.substring(0, 1) : three.substring(0, 2 + shown);
    }
  }

  @Provide
  Arbitrary<List<Member>> fields() {
    Arbitrary<String> codings =
        Arbitraries.of("gzip", "x-gzip", "identity", "*", "br", "deflate", "zstd", "compress");
    Arbitrary<Integer> weights =
        Arbitraries.oneOf(
            Arbitraries.just(-1), Arbitraries.of(0, 1000), Arbitraries.integers().between(0, 1000));
    Arbitrary<Member> members =
        Combinators.combine(
                codings,
                weights,
                Arbitraries.integers().between(0, 3),
                Arbitraries.of(true, false),
                Arbitraries.integers().between(0, 2))
            .as(Member::new);
    return members.list().ofMaxSize(6);
  }

  private static String render(List<Member> members, long seed) {
    Random random = new Random(seed);
    StringBuilder field = new StringBuilder();
    for (Member m : members) {
      if (!field.isEmpty()) {
        field.append(random.nextBoolean() ? ", " : ",").append(random.nextBoolean() ? "\t" : "");
      }
      field.append(m.render());
    }
    return field.toString();
  }

  /** The model: the highest weight of each coding the list names. */
  private static AcceptEncoding model(List<Member> members) {
    int gzip = AcceptEncoding.UNLISTED;
    int identity = AcceptEncoding.UNLISTED;
    int any = AcceptEncoding.UNLISTED;
    for (Member m : members) {
      switch (m.coding()) {
        case "gzip", "x-gzip" -> gzip = Math.max(gzip, m.weight());
        case "identity" -> identity = Math.max(identity, m.weight());
        case "*" -> any = Math.max(any, m.weight());
        default -> {}
      }
    }
    return new AcceptEncoding(gzip, identity, any);
  }

  @Property
  void readsTheWeightOfEveryCodingItCanSend(
      @ForAll("fields") List<Member> members, @ForAll long seed) {
    assertThat(AcceptEncoding.parse(render(members, seed))).isEqualTo(model(members));
  }

  @Property
  void theOrderOfMembersDoesNotMatter(@ForAll("fields") List<Member> members, @ForAll long seed) {
    List<Member> shuffled = new ArrayList<>(members);
    Collections.shuffle(shuffled, new Random(seed));
    assertThat(AcceptEncoding.parse(render(shuffled, seed)))
        .isEqualTo(AcceptEncoding.parse(render(members, seed)));
  }

  @Property
  void gzipWithWeightZeroIsNeverSentWhateverElseTheFieldSays(
      @ForAll("fields") List<Member> others,
      @ForAll long seed,
      @ForAll @IntRange(min = 0, max = 1 << 20) int length) {
    List<Member> members = new ArrayList<>();
    for (Member m : others) {
      if (!m.coding().contains("gzip")) {
        members.add(m);
      }
    }
    members.add(new Member("gzip", 0, (int) (seed & 3), seed < 0, 0));
    Collections.shuffle(members, new Random(seed));
    assertThat(compression.useGzip(render(members, seed), length)).isFalse();
  }

  @Property
  void largeBodiesAreGzippedExactlyWhenGzipIsAcceptableAndPreferredOrIdentityIsRefused(
      @ForAll("fields") List<Member> members, @ForAll long seed) {
    AcceptEncoding model = model(members);
    boolean expected =
        model.effectiveGzip() > 0 && (model.prefersGzip() || !model.identityAcceptable());
    assertThat(compression.useGzip(render(members, seed), 4096)).isEqualTo(expected);
  }

  @Property
  void neverThrowsOnAnyField(@ForAll String field) {
    AcceptEncoding parsed = AcceptEncoding.parse(field);
    assertThat(parsed.gzip()).isBetween(-1, 1000);
    compression.useGzip(field, 2048);
  }

  @Test
  void commonBrowserFieldsGetGzip() {
    assertThat(compression.useGzip("gzip, deflate, br, zstd", 2048)).isTrue();
    assertThat(compression.useGzip("gzip", 2048)).isTrue();
    assertThat(compression.useGzip("GZIP;Q=1.000", 2048)).isTrue();
    assertThat(compression.useGzip("x-gzip", 2048)).isTrue();
    assertThat(compression.useGzip("*", 2048)).isTrue();
  }

  @Test
  void smallBodiesAndUnwillingClientsGetIdentity() {
    assertThat(compression.useGzip("gzip", 1023)).isFalse();
    assertThat(compression.useGzip(null, 2048)).isFalse();
    assertThat(compression.useGzip("", 2048)).isFalse();
    assertThat(compression.useGzip("identity", 2048)).isFalse();
    assertThat(compression.useGzip("br", 2048)).isFalse();
    assertThat(compression.useGzip("gzip;q=0", 2048)).isFalse();
    assertThat(compression.useGzip("*;q=0", 2048)).isFalse();
    assertThat(compression.useGzip("*, gzip;q=0", 2048)).isFalse();
    assertThat(compression.useGzip("gzip;q=0.5, identity;q=0.8", 2048)).isFalse();
  }

  @Test
  void weightsDecideBetweenGzipAndIdentity() {
    assertThat(compression.useGzip("gzip;q=0.8, identity;q=0.5", 2048)).isTrue();
    assertThat(compression.useGzip("gzip;q=0.5, identity;q=0.5", 2048)).isTrue();
    assertThat(compression.useGzip("gzip;q=0.001", 2048)).isTrue();
  }

  @Test
  void aClientRefusingIdentityGetsGzipEvenForSmallBodies() {
    assertThat(compression.useGzip("gzip, identity;q=0", 10)).isTrue();
    assertThat(compression.useGzip("gzip, *;q=0", 10)).isTrue();
    assertThat(compression.useGzip("gzip, *;q=0, identity", 10)).isFalse();
  }

  @Test
  void malformedWeightsInvalidateTheirMemberOnly() {
    assertThat(AcceptEncoding.parse("gzip;q=1.5").gzip()).isEqualTo(AcceptEncoding.UNLISTED);
    assertThat(AcceptEncoding.parse("gzip;q=0.0001").gzip()).isEqualTo(AcceptEncoding.UNLISTED);
    assertThat(AcceptEncoding.parse("gzip;q=").gzip()).isEqualTo(AcceptEncoding.UNLISTED);
    assertThat(AcceptEncoding.parse("gzip;q=abc, identity").identity()).isEqualTo(1000);
    assertThat(AcceptEncoding.parse("gzip;level=9").gzip()).isEqualTo(1000);
  }
}
