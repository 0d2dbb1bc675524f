package dev.hotpath.ingest;

import dev.hotpath.http.FieldError;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.ingest.OrderRequest.Line;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The order's pricing rule, in one place for the write and for the payment: every line's product
 * exists and is active and has the quantity in stock, all share one currency, and the total is the
 * sum of price times quantity (exact: an overflow is an error, never a wrapped total). Prices come
 * from the products' rows, never from an encoded representation. The write prices with the rows it
 * locked; the payment quotes, before the transaction, with the rows as they are then, and the write
 * decides what to do when the two totals differ ({@link OrderPayments#decide}).
 */
final class OrderPricing {
  private OrderPricing() {}

  /** The columns a {@link Product} is read from, in order: see {@link Product#of}. */
  static final String PRODUCT_COLUMNS = "id, name, price_minor, currency, stock, status";

  /** A product as its row has it. */
  record Product(
      long id, String name, long priceMinor, String currency, int stock, boolean active) {

    /**
     * The product in columns {@code from} to {@code from + 5} of {@code row} (see {@link
     * #PRODUCT_COLUMNS}); empty when the id is null (an outer join found none).
     */
    static Optional<Product> of(Row row, int from) {
      Long id = row.getLong(from);
      if (id == null) {
        return Optional.empty();
      }
      return Optional.of(
          new Product(
              id,
              row.getString(from + 1),
              row.getLong(from + 2),
              row.getString(from + 3),
              row.getInteger(from + 4),
              "active".equals(row.getString(from + 5))));
    }
  }

  /** The products of {@code rows} (from column {@code from} on) by id. */
  static Map<Long, Product> byId(Iterable<Row> rows, int from) {
    Map<Long, Product> byId = new HashMap<>();
    for (Row row : rows) {
      Product.of(row, from).ifPresent(p -> byId.put(p.id(), p));
    }
    return byId;
  }

  /**
   * A priced order.
   *
   * @param products the product of each line, in line order
   */
  record Priced(List<Product> products, long total, String currency) {}

  /**
   * Prices {@code lines} with {@code products}.
   *
   * @throws ProblemException 422 unknown-product (every line whose product is missing or inactive),
   *     else out-of-stock (every line above its stock), else currency-mismatch
   * @throws ArithmeticException when the total overflows a {@code long}
   */
  static Priced price(List<Line> lines, Map<Long, Product> products) {
    List<FieldError> unknown = new ArrayList<>();
    List<FieldError> short_ = new ArrayList<>();
    List<Product> priced = new ArrayList<>(lines.size());
    String currency = null;
    boolean mixed = false;
    long total = 0;
    for (int i = 0; i < lines.size(); i++) {
      Line line = lines.get(i);
      Product p = products.get(line.productId());
      if (p == null || !p.active()) {
        unknown.add(
            new FieldError("/items/" + i + "/product_id", "no active product " + line.productId()));
        continue;
      }
      if (p.stock() < line.quantity()) {
        short_.add(
            new FieldError(
                "/items/" + i + "/quantity",
                "product "
                    + line.productId()
                    + " has "
                    + p.stock()
                    + " in stock, "
                    + line.quantity()
                    + " requested"));
      }
      if (currency == null) {
        currency = p.currency();
      } else if (!currency.equals(p.currency())) {
        mixed = true;
      }
      total = Math.addExact(total, Math.multiplyExact(p.priceMinor(), (long) line.quantity()));
      priced.add(p);
    }
    if (!unknown.isEmpty()) {
      throw new ProblemException(
          ProblemType.UNKNOWN_PRODUCT,
          unknown.size() + " product(s) do not exist or are discontinued",
          unknown);
    }
    if (!short_.isEmpty()) {
      throw new ProblemException(
          ProblemType.OUT_OF_STOCK, short_.size() + " line(s) exceed the stock", short_);
    }
    if (mixed) {
      throw new ProblemException(
          ProblemType.CURRENCY_MISMATCH, "All products of one order must share a currency");
    }
    // an order has at least one line, so a priced one has a currency
    return new Priced(priced, total, Objects.requireNonNull(currency));
  }

  /** As {@link #price}, empty where that refuses the order or its total overflows. */
  static Optional<Priced> quote(List<Line> lines, Map<Long, Product> products) {
    try {
      return Optional.of(price(lines, products));
    } catch (ProblemException | ArithmeticException refused) {
      return Optional.empty();
    }
  }
}
