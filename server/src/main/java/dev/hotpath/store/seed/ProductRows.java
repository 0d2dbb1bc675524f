package dev.hotpath.store.seed;

import static dev.hotpath.store.seed.Ascii.ascii;

import java.sql.SQLException;
import java.util.Locale;
import java.util.SplittableRandom;

/** The seeded products, and the catalogue of their names and prices that orders are priced from. */
final class ProductRows {
  private static final String COPY_PRODUCTS =
      "COPY products (id, sku, name, description, category, price_minor, currency, stock, status, version,"
          + " created_at, updated_at) FROM STDIN";

  private ProductRows() {}

  /** Names and prices of this run's products, by index (id = firstId + index). */
  record Catalog(long firstId, byte[][] names, long[] prices) {
    int size() {
      return prices.length;
    }
  }

  static Catalog write(SeedRun run, CopyLane lane, long firstId, SplittableRandom random)
      throws SQLException {
    SeedPlan plan = run.plan();
    CopyLane.Stream out = lane.stream(COPY_PRODUCTS);
    Sink sink = out.rows();
    int total = plan.products();
    byte[][] names = new byte[total][];
    long[] prices = new long[total];
    byte[] skuTail = ascii("-" + run.seedText() + "\t");
    double logMin = StrictMath.log(199);
    double logMax = StrictMath.log(99_999);
    for (int i = 0; i < total; i++) {
      long id = firstId + i;
      int category = random.nextInt(Words.CATEGORIES.length);
      String[] nouns = Words.NOUNS[category];
      String noun = nouns[random.nextInt(nouns.length)];
      String adjective = Words.ADJECTIVES[random.nextInt(Words.ADJECTIVES.length)];
      String model =
          (char) ('A' + random.nextInt(26)) + Integer.toString(100 + random.nextInt(900));
      String name = adjective + " " + noun + " " + model;
      names[i] = ascii(name);
      long price = (long) StrictMath.exp(logMin + random.nextDouble() * (logMax - logMin));
      price = Math.min(99_999, Math.max(199, price / 100 * 100 + 99));
      prices[i] = price;

      sink.num(id).tab();
      sink.raw(Words.SKU).num(id).raw(skuTail);
      sink.raw(names[i]).tab();
      sink.ascii(adjective)
          .ch(' ')
          .ascii(noun.toLowerCase(Locale.ROOT))
          .ascii(" from our ")
          .ascii(Words.CATEGORIES[category])
          .ascii(" range, model ")
          .ascii(model)
          .ch('.')
          .tab();
      sink.ascii(Words.CATEGORIES[category]).tab();
      sink.num(price).tab().raw(Words.USD).tab();
      sink.num(1_000_000 + random.nextInt(9_000_001)).tab();
      sink.raw(random.nextInt(100) < 98 ? Words.ACTIVE : Words.DISCONTINUED).tab();
      sink.raw(Words.VERSION_1);
      long created = SeedRun.spread(i, total, random);
      sink.ts(created).tab().ts(created).nl();
      if (run.due(i + 1, total)) {
        sink = out.send(run.report("products", i + 1, total));
      }
    }
    return new Catalog(firstId, names, prices);
  }
}
