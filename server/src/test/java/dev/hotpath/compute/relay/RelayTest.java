package dev.hotpath.compute.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.hotpath.config.RelaySettings;
import dev.hotpath.store.seed.DataGenerator;
import dev.hotpath.store.seed.Progress;
import dev.hotpath.store.seed.SeedPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The relay against a real broker (in this JVM) and the suite's PostgreSQL: every event arrives, in
 * order per key; a relay killed with SIGKILL mid-stream loses nothing; one instance publishes at a
 * time, and one that lost its claim can neither commit to Kafka nor move the position.
 */
class RelayTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void everyEventOfTenThousandOrdersArrivesInOrderPerKeyWithItsHeaders() throws Exception {
    RelayFixture f = new RelayFixture("relay_all");
    DataGenerator.seed(f.database, new SeedPlan(500, 50, 10_000, 11), Progress.NONE);
    assertThat(
            f.queryLong(
                "SELECT count(DISTINCT aggregate_id) FROM outbox WHERE type = 'order.created'"))
        .isEqualTo(10_000);
    Relay relay = relay(f, 2_000, "one");
    try {
      f.awaitRelayed();
    } finally {
      relay.stop(Duration.ofSeconds(30));
    }
    List<ConsumerRecord<String, byte[]>> records = f.assertEveryEventArrivedInOrderPerKey();
    assertThat(relay.published()).isEqualTo(f.events());
    assertThat(relay.failures()).isZero();

    ConsumerRecord<String, byte[]> first = records.getFirst();
    JsonNode value = JSON.readTree(first.value());
    assertThat(value.get("schema_version").asInt()).isEqualTo(1);
    assertThat(Long.toString(value.get("id").asLong()))
        .isEqualTo(RelayFixture.header(first, "event_id"));
    assertThat(value.get("type").asText()).isEqualTo(RelayFixture.header(first, "event_type"));
    assertThat(Long.toString(value.get("aggregate_id").asLong())).isEqualTo(first.key());
    assertThat(RelayFixture.header(first, "schema_version")).isEqualTo("1");
    assertThat(RelayFixture.header(first, "traceparent"))
        .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]");
    assertThat(value.get("data").isObject()).isTrue();

    // every value follows the published schema, api/events/v1/event.schema.json
    JsonSchema schema =
        JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
            .getSchema(Files.readString(Path.of("..", "api", "events", "v1", "event.schema.json")));
    for (ConsumerRecord<String, byte[]> r : records) {
      assertThat(schema.validate(JSON.readTree(r.value())))
          .as("event %s", RelayFixture.header(r, "event_id"))
          .isEmpty();
    }
    assertThat(records.stream().map(r -> RelayFixture.header(r, "event_type")).distinct())
        .contains("order.created", "order.cancelled", "customer.created");
    // and so does the README's example record
    String readme = Files.readString(Path.of("..", "README.md"));
    int block = readme.indexOf("```json", readme.indexOf("**A record.**"));
    String example = readme.substring(block + 7, readme.indexOf("```", block + 7));
    assertThat(schema.validate(JSON.readTree(example))).isEmpty();
  }

  @Test
  void aRelayKilledMidStreamLosesNothing() throws Exception {
    RelayFixture f = new RelayFixture("relay_kill");
    DataGenerator.seed(f.database, new SeedPlan(200, 20, 3_000, 12), Progress.NONE);
    long total = f.events();
    Path log = Files.createTempFile("relay-child-", ".log");
    // batches of 10: hundreds of Kafka transactions, so the kill lands mid-stream
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                RelayProcess.class.getName(),
                f.database.host(),
                Integer.toString(f.database.port()),
                f.database.database(),
                f.database.user(),
                f.database.password(),
                f.broker.bootstrap(),
                f.prefix,
                "10")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      Awaitility.await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(10))
          .until(() -> f.queryLong("SELECT events FROM relay_offsets") > 0 || !child.isAlive());
      assertThat(child.isAlive()).as("the relay's process is running").isTrue();
    } finally {
      child.destroyForcibly(); // SIGKILL
      child.waitFor();
    }
    assertThat(f.behind()).as("events left when the relay was killed").isPositive();

    Relay successor = relay(f, 500, "successor");
    try {
      f.awaitRelayed();
    } finally {
      successor.stop(Duration.ofSeconds(30));
    }
    f.assertEveryEventArrivedInOrderPerKey();
    assertThat(f.queryLong("SELECT events FROM relay_offsets")).isGreaterThanOrEqualTo(total);
    Files.deleteIfExists(log);
  }

  @Test
  void twoInstancesPublishOneAtATimeAndTheSecondTakesOverWhenTheFirstStops() {
    RelayFixture f = new RelayFixture("relay_two");
    Relay first = relay(f, 100, "first");
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(first::leader);
    Relay second = relay(f, 100, "second");
    AtomicBoolean both = new AtomicBoolean();
    Thread watcher =
        Thread.ofPlatform()
            .daemon()
            .start(
                () -> {
                  while (!Thread.currentThread().isInterrupted()) {
                    if (first.leader() && second.leader()) {
                      both.set(true);
                    }
                    Thread.onSpinWait();
                  }
                });
    try {
      f.appendCustomerEvents(2_000);
      f.awaitRelayed();
      assertThat(second.leader()).isFalse();
      assertThat(second.published()).isZero();
      assertThat(first.published()).isEqualTo(2_000);

      first.stop(Duration.ofSeconds(30));
      assertThat(first.leader()).isFalse();
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(second::leader);
      f.appendCustomerEvents(1_000);
      f.awaitRelayed();
      assertThat(second.published()).isEqualTo(1_000);
    } finally {
      watcher.interrupt();
      first.stop(Duration.ofSeconds(30));
      second.stop(Duration.ofSeconds(30));
    }
    assertThat(both.get()).as("both instances held the relay at once").isFalse();
    f.assertEveryEventArrivedInOrderPerKey();
  }

  /**
   * An instance that lost its claim without noticing (a pause, a cut connection) is a zombie: the
   * next holder's producer fences its Kafka transactions, and the next holder's epoch fences its
   * position updates. Either way it stands down, and nothing is lost.
   */
  @Test
  void anInstanceThatLostItsClaimCanNeitherCommitNorMoveThePosition() {
    RelayFixture f = new RelayFixture("relay_fence");
    Relay zombie = relay(f, 100, "zombie");
    try {
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(zombie::leader);
      f.appendCustomerEvents(300);
      f.awaitRelayed();

      // another holder's producer starts with the relay's transactional id
      Map<String, Object> config = new HashMap<>();
      config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, f.broker.bootstrap());
      config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, f.prefix + "outbox-relay");
      try (var other =
          new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
        other.initTransactions();
        f.appendCustomerEvents(300);
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> zombie.fenced() >= 1);
      }
      f.awaitRelayed();

      // another holder claims the relay in the database (bumps the epoch)
      long before = zombie.fenced();
      f.execute("UPDATE relay_offsets SET epoch = epoch + 1, owner = 'other'");
      f.appendCustomerEvents(300);
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> zombie.fenced() > before);
      f.awaitRelayed();
    } finally {
      zombie.stop(Duration.ofSeconds(30));
    }
    f.assertEveryEventArrivedInOrderPerKey();
  }

  @Test
  void theNextBatchFollowsTxidsAsNumbersNotAsText() {
    // regression: the batch was ordered by the output column txid::text, so "1000" came before
    // "999" and a batch cut by its limit moved the position past events it had not published
    RelayFixture f = new RelayFixture("relay_txid_text");
    // transaction ids as a long-lived cluster crosses powers of ten, all below the oldest running
    // transaction of any cluster (initdb alone uses several hundred), so all visible to the relay
    for (String txid : List.of("101", "100", "99", "98", "11", "10", "9", "8")) {
      f.execute(
          "INSERT INTO outbox (type, aggregate_id, payload, txid) VALUES ('customer.updated', 1,"
              + " jsonb_build_object('customer_id', 1, 'version', 2, 'fields', '{}'::jsonb,"
              + " 'updated_at', now()), '"
              + txid
              + "'::xid8)");
    }
    f.appendCustomerEvents(3);
    Relay relay = relay(f, 2, "txids");
    try {
      f.awaitRelayed();
    } finally {
      relay.stop(Duration.ofSeconds(30));
    }
    f.assertEveryEventArrivedInOrderPerKey();
    assertThat(relay.published()).isEqualTo(11);
  }

  @Test
  void aSteadyTrickleOfWritesIsPublishedInAboutOneTransactionPerPollNotOnePerWrite()
      throws Exception {
    RelayFixture f = new RelayFixture("relay_trickle");
    RelaySettings s = f.settings(2_000);
    Duration poll = Duration.ofMillis(250);
    RelaySettings trickle =
        new RelaySettings(
            s.bootstrap(),
            s.topicPrefix(),
            s.batch(),
            s.linger(),
            s.batchBytes(),
            s.compression(),
            poll,
            s.backoffBase(),
            s.backoffCap(),
            s.deliveryTimeout(),
            s.lockRetry());
    long start = System.nanoTime();
    Relay relay = new Relay(trickle, f.database, "trickle", Clock.systemUTC(), new Random(7));
    relay.start();
    int writes = 0;
    try {
      // 120 writes of 5 events each, one transaction per write, spread over a second or more
      for (; writes < 120; writes++) {
        f.appendCustomerEvents(5);
        Thread.sleep(10);
      }
      f.awaitRelayed();
    } finally {
      relay.stop(Duration.ofSeconds(30));
    }
    long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
    f.assertEveryEventArrivedInOrderPerKey();
    assertThat(relay.published()).isEqualTo(600);
    // each round that finds less than a full batch waits the poll before the next: however slow
    // the machine, no more transactions than polls fit in the time taken (plus the first round),
    // and far fewer than writes
    assertThat(relay.transactions())
        .isPositive()
        .isLessThanOrEqualTo(elapsedMillis / poll.toMillis() + 1)
        .isLessThan(writes);
  }

  private static Relay relay(RelayFixture f, int batch, String owner) {
    Relay relay = new Relay(f.settings(batch), f.database, owner, Clock.systemUTC(), new Random(7));
    relay.start();
    return relay;
  }
}
