package dev.hotpath.load;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The values one virtual user needs, whichever request it ends up sending: Zipf-skewed ids, a
 * category, an order and a customer body, a fresh idempotency key, and {@code t0}, the moment the
 * user arrived (the request's start for step attribution). Endless; thread-safe.
 */
public final class TrafficFeeder implements Iterator<Map<String, Object>> {
  private final ZipfIds customers;
  private final ZipfIds products;
  private final ZipfIds orders;
  private final long orderCount;
  private final List<String> categories;

  public TrafficFeeder(IdSpace ids, List<String> categories) {
    if (categories.isEmpty()) {
      throw new IllegalArgumentException("at least one product category is needed");
    }
    this.customers = new ZipfIds(ids.customers(), ids.skew());
    this.products = new ZipfIds(ids.products(), ids.skew());
    this.orders = new ZipfIds(ids.orders(), ids.skew());
    this.orderCount = ids.orders();
    this.categories =
        categories.stream().map(c -> URLEncoder.encode(c, StandardCharsets.UTF_8)).toList();
  }

  @Override
  public boolean hasNext() {
    return true;
  }

  @Override
  public Map<String, Object> next() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    Map<String, Object> values = new HashMap<>(12);
    long customer = customers.next(random);
    values.put("t0", System.currentTimeMillis());
    values.put("orderId", SeededOrderIds.id(orders.next(random), orderCount));
    values.put("customerId", customer);
    values.put("productId", products.next(random));
    values.put("category", categories.get(random.nextInt(categories.size())));
    values.put("idemKey", UUID.randomUUID().toString());
    values.put(
        "orderBody",
        "{\"customer_id\":"
            + customer
            + ",\"items\":[{\"product_id\":"
            + products.next(random)
            + ",\"quantity\":"
            + random.nextInt(1, 4)
            + "}]}");
    values.put(
        "customerBody",
        "{\"email\":\"load-" + UUID.randomUUID() + "@example.com\",\"name\":\"Load\"}");
    return values;
  }
}
