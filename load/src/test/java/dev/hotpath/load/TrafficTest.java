package dev.hotpath.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TrafficTest {
  @Test
  void zipfIdsStayWithinOneToNAndMapRanksOneToOne() {
    ZipfIds ids = new ZipfIds(1_000, 0.99);
    Set<Long> seen = new HashSet<>();
    for (int rank = 1; rank <= 1_000; rank++) {
      seen.add(ids.idOfRank(rank));
    }
    assertThat(seen).hasSize(1_000).allSatisfy(id -> assertThat(id).isBetween(1L, 1_000L));
  }

  @Test
  void zipfIdsSendMostTrafficToAFewHotKeys() {
    ZipfIds ids = new ZipfIds(10_000, 0.99);
    SplittableRandom random = new SplittableRandom(1);
    long hottest = ids.idOfRank(1);
    int hits = 0;
    int top100 = 0;
    Set<Long> hot = new HashSet<>();
    for (int r = 1; r <= 100; r++) {
      hot.add(ids.idOfRank(r));
    }
    for (int i = 0; i < 100_000; i++) {
      long id = ids.next(random);
      hits += id == hottest ? 1 : 0;
      top100 += hot.contains(id) ? 1 : 0;
    }
    // 1% of the keys take about half of the traffic; uniform would give them 1%
    assertThat(top100).isBetween(45_000, 60_000);
    assertThat(hits).isGreaterThan(8_000);
  }

  @Test
  void mixDefaultsToSixtyThirtyTen() {
    assertThat(Mix.DEFAULT.of(RequestClass.READS)).isEqualTo(60);
    assertThat(Mix.DEFAULT.of(RequestClass.WRITES)).isEqualTo(30);
    assertThat(Mix.DEFAULT.of(RequestClass.LISTS)).isEqualTo(10);
  }

  @Test
  void zipfIdsOverManyKeysStayInRangeAndKeepTheSkew() {
    ZipfIds ids = new ZipfIds(50_000_000, 0.99);
    SplittableRandom random = new SplittableRandom(2);
    int hottest = 0;
    for (int i = 0; i < 100_000; i++) {
      long id = ids.next(random);
      assertThat(id).isBetween(1L, 50_000_000L);
      hottest += id == ids.idOfRank(1) ? 1 : 0;
    }
    assertThat(hottest).isGreaterThan(2_000);
  }

  @Test
  void namedMixesAreKnownByName() {
    assertThat(Mix.parse("read-heavy").of(RequestClass.READS)).isEqualTo(90);
    assertThatThrownBy(() -> Mix.parse("chaos")).hasMessageContaining("read-heavy");
  }

  @Test
  void mixMustSumToOneHundredPercent() {
    assertThatThrownBy(() -> Mix.parse("reads=60,writes=30"))
        .hasMessageContaining("must sum to 100%");
  }

  @Test
  void feederSendsOrderBodiesWithOneToThreeOfAProductAndAFreshIdempotencyKey() {
    TrafficFeeder feeder =
        new TrafficFeeder(new IdSpace(100, 10, 1_000, 0.99), List.of("garden & tools"));
    Set<Object> keys = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      Map<String, Object> v = feeder.next();
      keys.add(v.get("idemKey"));
      assertThat((String) v.get("orderBody"))
          .matches(
              "\\{\"customer_id\":\\d+,\"items\":\\[\\{\"product_id\":\\d+,\"quantity\":[123]}]}");
      assertThat(v.get("category")).isEqualTo("garden+%26+tools");
      // the n-th seeded order's id carries its month, 2024-01 (key 288) to 2025-12 (key 311)
      long orderId = (long) v.get("orderId");
      assertThat(orderId & ((1L << 40) - 1)).isBetween(1L, 1_000L);
      assertThat(orderId >>> 40).isBetween(288L, 311L);
    }
    assertThat(keys).hasSize(200);
  }
}
