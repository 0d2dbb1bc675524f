package dev.hotpath.config;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * The outbox relay to Kafka: off unless {@code HOTPATH_KAFKA_BOOTSTRAP} names a broker.
 *
 * @param bootstrap Kafka bootstrap servers ({@code host:port,...}); empty: no relay, and no Kafka
 *     class is loaded
 * @param topicPrefix prepended to the aggregate type to name a topic ({@code hotpath.orders})
 * @param batch events read from the outbox and published in one Kafka transaction
 * @param linger how long the producer waits to fill a record batch ({@code linger.ms})
 * @param batchBytes the producer's record batch size per partition ({@code batch.size})
 * @param compression the producer's compression ({@code none}, {@code lz4}, {@code zstd}, ...)
 * @param poll pause of the relay after a round that found less than a full batch: under a steady
 *     write load, one Kafka transaction (and one position update) per pause, which is what the
 *     relay's cost per event mostly depends on; an event waits at most about this long before its
 *     transaction starts
 * @param backoffBase first retry delay bound after a failure (full jitter: uniform in [0, bound))
 * @param backoffCap largest retry delay bound
 * @param deliveryTimeout how long the producer keeps trying to deliver an event or to reach the
 *     broker before the batch fails and is retried after the backoff
 * @param lockRetry how often an instance that does not hold the relay's lock tries to take it
 */
public record RelaySettings(
    Optional<String> bootstrap,
    String topicPrefix,
    int batch,
    Duration linger,
    int batchBytes,
    String compression,
    Duration poll,
    Duration backoffBase,
    Duration backoffCap,
    Duration deliveryTimeout,
    Duration lockRetry) {

  /** Compression codecs kafka-clients accepts. */
  public static final Set<String> COMPRESSIONS = Set.of("none", "gzip", "snappy", "lz4", "zstd");

  public RelaySettings {
    if (bootstrap.isPresent() && bootstrap.get().isBlank()) {
      throw new IllegalArgumentException("kafka bootstrap must name host:port, was blank");
    }
    if (!topicPrefix.matches("[A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException(
          "kafka topic prefix may hold only letters, digits, '.', '_' and '-', was " + topicPrefix);
    }
    if (batch < 1) {
      throw new IllegalArgumentException("relay batch must be at least 1, was " + batch);
    }
    if (!COMPRESSIONS.contains(compression)) {
      throw new IllegalArgumentException(
          "kafka compression must be one of " + COMPRESSIONS + ", was " + compression);
    }
    if (backoffBase.compareTo(backoffCap) > 0) {
      throw new IllegalArgumentException(
          "relay backoff base " + backoffBase + " must not exceed its cap " + backoffCap);
    }
  }

  /** Whether the relay runs. */
  public boolean enabled() {
    return bootstrap.isPresent();
  }

  /** The relay off. */
  public static RelaySettings off() {
    return from(new EnvReader(java.util.Map.of()));
  }

  /**
   * The settings as the environment gives them: HOTPATH_KAFKA_BOOTSTRAP,
   * HOTPATH_KAFKA_TOPIC_PREFIX, HOTPATH_KAFKA_COMPRESSION, HOTPATH_KAFKA_LINGER_MS,
   * HOTPATH_KAFKA_BATCH_BYTES and HOTPATH_RELAY_*. The defaults (lz4, 20 ms, 1 MiB, 2,000 events, a
   * 250 ms poll) were chosen by the measurements in the README ("Events").
   */
  static RelaySettings from(EnvReader r) {
    String prefix = r.string("KAFKA_TOPIC_PREFIX", "hotpath.");
    if (!prefix.matches("[A-Za-z0-9._-]*")) {
      r.fail(Settings.PREFIX + "KAFKA_TOPIC_PREFIX=" + prefix + " may hold only [A-Za-z0-9._-]");
      prefix = "hotpath.";
    }
    String compression = r.string("KAFKA_COMPRESSION", "lz4");
    if (!COMPRESSIONS.contains(compression)) {
      r.fail(
          Settings.PREFIX + "KAFKA_COMPRESSION=" + compression + " must be one of " + COMPRESSIONS);
      compression = "lz4";
    }
    Duration base = r.millis("RELAY_BACKOFF_BASE_MS", 200, 1, 600_000);
    Duration cap = r.millis("RELAY_BACKOFF_CAP_MS", 10_000, 1, 3_600_000);
    if (base.compareTo(cap) > 0) {
      r.fail(
          Settings.PREFIX
              + "RELAY_BACKOFF_BASE_MS must not exceed "
              + Settings.PREFIX
              + "RELAY_BACKOFF_CAP_MS");
      base = cap;
    }
    return new RelaySettings(
        r.optionalString("KAFKA_BOOTSTRAP"),
        prefix,
        r.integer("RELAY_BATCH", 2_000, 1, 100_000),
        r.millis("KAFKA_LINGER_MS", 20, 0, 60_000),
        r.integer("KAFKA_BATCH_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
        compression,
        r.millis("RELAY_POLL_MS", 250, 1, 60_000),
        base,
        cap,
        r.millis("RELAY_DELIVERY_TIMEOUT_MS", 30_000, 1_000, 3_600_000),
        r.millis("RELAY_LOCK_RETRY_MS", 2_000, 10, 600_000));
  }
}
