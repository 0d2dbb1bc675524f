package dev.hotpath.examples.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Rebuilds hotpath's {@code customer_order_summary} from the {@code <prefix>orders} topic alone:
 * per customer and currency, the orders not cancelled, what they add up to, and when the latest was
 * placed. Reads committed records only, from the beginning, and drops duplicates by event id (the
 * relay delivers at least once).
 *
 * <p>Run: {@code java -cp ... dev.hotpath.examples.kafka.OrderSummaries localhost:9092 hotpath.}
 * prints one line per customer and currency once it has read what the topic held when it started.
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
   * Reads {@code <prefix>orders} from the beginning up to what had been committed to it when the
   * call began (each partition's last stable offset then: read_committed), and returns the
   * summaries. How long that takes depends on the broker and the machine, not on a quiet period: a
   * slow first fetch does not end the read early. {@code patience} only bounds a broker that never
   * answers.
   *
   * @throws IllegalStateException when the topic does not exist or the read takes longer than
   *     {@code patience}
   */
  public static Map<Key, Summary> rebuild(String bootstrap, String prefix, Duration patience) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    OrderSummaries summaries = new OrderSummaries();
    long giveUp = System.nanoTime() + patience.toNanos();
    try (var consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      String topic = prefix + "orders";
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(topic, patience)) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
      if (partitions.isEmpty()) {
        throw new IllegalStateException("no topic " + topic);
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions, patience));
      end.entrySet().removeIf(e -> consumer.position(e.getKey(), patience) >= e.getValue());
      while (!end.isEmpty()) {
        if (System.nanoTime() - giveUp > 0) {
          throw new IllegalStateException(
              "read " + topic + " for " + patience + " without reaching its end offsets " + end);
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          summaries.apply(r.value());
        }
        end.entrySet().removeIf(e -> consumer.position(e.getKey(), patience) >= e.getValue());
      }
    }
    return summaries.rows();
  }

  public static void main(String[] args) {
    String bootstrap = args.length > 0 ? args[0] : "localhost:9092";
    String prefix = args.length > 1 ? args[1] : "hotpath.";
    rebuild(bootstrap, prefix, Duration.ofMinutes(1))
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
