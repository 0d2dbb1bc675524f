package dev.hotpath.examples.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Rebuilds hotpath's {@code customer_order_summary} from the {@code <prefix>orders} topic alone:
 * per customer and currency, the orders not cancelled, what they add up to, and when the latest was
 * placed. Reads committed records only, from the beginning, and drops duplicates by event id (the
 * relay delivers at least once).
 *
 * <p>Run: {@code java -cp ... dev.hotpath.examples.kafka.OrderSummaries localhost:9092 hotpath.}
 * prints one line per customer and currency once the topic has been quiet for five seconds.
 */
public final class OrderSummaries {
  /** One row of the summary. */
  public record Summary(long orderCount, long totalSpentMinor, Instant lastOrderAt) {}

  /** The key of a row: customer and currency. */
  public record Key(long customerId, String currency) implements Comparable<Key> {
    @Override
    public int compareTo(Key o) {
      int c = Long.compare(customerId, o.customerId);
      return c != 0 ? c : currency.compareTo(o.currency);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<Key, Summary> rows = new TreeMap<>();
  private final Set<Long> seen = new HashSet<>();

  /** Applies one event value (the v1 envelope); a duplicate event id changes nothing. */
  public void apply(byte[] value) {
    JsonNode event;
    try {
      event = JSON.readTree(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (event.path("schema_version").asInt() != 1 || !seen.add(event.path("id").asLong())) {
      return;
    }
    String type = event.path("type").asText();
    JsonNode data = event.path("data");
    Key key = new Key(data.path("customer_id").asLong(), data.path("currency").asText());
    long total = data.path("total_minor").asLong();
    Summary s = rows.getOrDefault(key, new Summary(0, 0, null));
    if (type.equals("order.created")) {
      Instant at = OffsetDateTime.parse(data.path("created_at").asText()).toInstant();
      Instant last = s.lastOrderAt() == null || at.isAfter(s.lastOrderAt()) ? at : s.lastOrderAt();
      rows.put(key, new Summary(s.orderCount() + 1, s.totalSpentMinor() + total, last));
    } else if (type.equals("order.cancelled")) {
      rows.put(key, new Summary(s.orderCount() - 1, s.totalSpentMinor() - total, s.lastOrderAt()));
    }
  }

  public Map<Key, Summary> rows() {
    return Map.copyOf(rows);
  }

  /**
   * Reads {@code <prefix>orders} from the beginning until no record has come for {@code quiet}, and
   * returns the summaries.
   */
  public static Map<Key, Summary> rebuild(String bootstrap, String prefix, Duration quiet) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "order-summaries-" + System.nanoTime());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    OrderSummaries summaries = new OrderSummaries();
    try (var consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(prefix + "orders"));
      long quietSince = System.nanoTime();
      while (System.nanoTime() - quietSince < quiet.toNanos()) {
        var records = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord<String, byte[]> r : records) {
          summaries.apply(r.value());
        }
        if (!records.isEmpty()) {
          quietSince = System.nanoTime();
        }
      }
    }
    return summaries.rows();
  }

  public static void main(String[] args) {
    String bootstrap = args.length > 0 ? args[0] : "localhost:9092";
    String prefix = args.length > 1 ? args[1] : "hotpath.";
    rebuild(bootstrap, prefix, Duration.ofSeconds(5))
        .forEach(
            (k, s) ->
                System.out.println(
                    k.customerId()
                        + " "
                        + k.currency()
                        + " "
                        + s.orderCount()
                        + " "
                        + s.totalSpentMinor()
                        + " "
                        + s.lastOrderAt()));
  }
}
