package dev.hotpath.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.metadata.BrokerState;
import org.awaitility.Awaitility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka broker in this JVM (KRaft: one controller, one broker, as the Kafka project's own
 * test kit runs them), started once for the suite. The broker can be stopped and started again on
 * the same port while the controller stays up, which is how the relay's tests take it down.
 */
public final class KafkaBroker {
  private static final Logger log = LoggerFactory.getLogger(KafkaBroker.class);
  private static KafkaBroker instance;

  private final KafkaClusterTestKit cluster;
  private final String bootstrap;

  private KafkaBroker(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
    this.bootstrap = cluster.bootstrapServers();
  }

  public static synchronized KafkaBroker get() {
    if (instance == null) {
      instance = start();
    }
    return instance;
  }

  private static KafkaBroker start() {
    // Kafka ends its process on a fatal fault (all log dirs failed, a lost controller at shutdown):
    // in this JVM that would end the test run with a failing exit code after green tests
    Exit.setExitProcedure(
        (code, message) -> log.warn("the test broker asked to exit {}: {}", code, message));
    Exit.setHaltProcedure(
        (code, message) -> log.warn("the test broker asked to halt {}: {}", code, message));
    try {
      TestKitNodes nodes =
          new TestKitNodes.Builder().setNumControllerNodes(1).setNumBrokerNodes(1).build();
      KafkaClusterTestKit cluster =
          new KafkaClusterTestKit.Builder(nodes)
              .setConfigProp("auto.create.topics.enable", "true")
              .setConfigProp("num.partitions", "3")
              .setConfigProp("offsets.topic.replication.factor", "1")
              .setConfigProp("offsets.topic.num.partitions", "1")
              .setConfigProp("transaction.state.log.replication.factor", "1")
              .setConfigProp("transaction.state.log.min.isr", "1")
              .setConfigProp("transaction.state.log.num.partitions", "1")
              .setConfigProp("group.initial.rebalance.delay.ms", "0")
              .build();
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
      KafkaBroker broker = new KafkaBroker(cluster);
      // a bounded close at the end of the run: the JVM must not wait on a slow broker shutdown
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    Thread closing =
                        Thread.ofPlatform()
                            .daemon()
                            .start(
                                () -> {
                                  try {
                                    cluster.close();
                                  } catch (Exception e) {
                                    log.warn(
                                        "the test broker did not close cleanly: {}", e.toString());
                                  }
                                });
                    try {
                      closing.join(Duration.ofSeconds(15));
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  },
                  "kafka-broker-stop"));
      return broker;
    } catch (Exception e) {
      throw new IllegalStateException("the in-JVM Kafka broker did not start: " + e, e);
    }
  }

  public String bootstrap() {
    return bootstrap;
  }

  /** Stops the broker (the controller stays); clients see it down until {@link #restart}. */
  public void stop() {
    var broker = cluster.brokers().values().iterator().next();
    broker.shutdown();
    broker.awaitShutdown();
  }

  /** Starts the broker again on the port it had, and waits until it serves. */
  public void restart() {
    var broker = cluster.brokers().values().iterator().next();
    broker.startup();
    Awaitility.await()
        .atMost(Duration.ofSeconds(90))
        .until(() -> broker.brokerState() == BrokerState.RUNNING);
    if (!cluster.bootstrapServers().equals(bootstrap)) {
      throw new IllegalStateException(
          "the broker came back on " + cluster.bootstrapServers() + ", not " + bootstrap);
    }
  }

  /**
   * Every committed record of {@code topics} from the beginning, read until {@code expected}
   * records have come or {@code timeout} has passed.
   */
  public List<ConsumerRecord<String, byte[]>> readAll(
      List<String> topics, int expected, Duration timeout) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + System.nanoTime());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
    Properties p = new Properties();
    p.putAll(props);
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    try (var consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(topics);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (records.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }
}
