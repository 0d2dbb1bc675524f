package dev.hotpath.compute.relay;

import dev.hotpath.compute.Backoff;
import dev.hotpath.compute.Position;
import dev.hotpath.config.RelaySettings;
import dev.hotpath.observe.Meters;
import dev.hotpath.store.DatabaseCoordinates;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the outbox to Kafka, in the log's {@code (txid, id)} order, at least once, from one
 * instance at a time. Runs on a thread of its own (JDBC and the producer's transaction calls block;
 * the event loops never wait on it, and writers never wait on Kafka).
 *
 * <p>Each round: the instance holding the relay's PostgreSQL lock reads the next batch after its
 * position, sends it in one Kafka transaction (idempotent producer, {@code acks=all}, one topic per
 * aggregate type, key = aggregate id so one aggregate's events stay in one partition, in order),
 * and moves the position only after the commit returned, that is after the broker acknowledged
 * every record. A crash between the commit and the move replays that batch (duplicates, never
 * losses; the event id lets a consumer drop them).
 *
 * <p>Fencing, twice over. The lock is a session advisory lock: when the holder's connection ends
 * (process killed, network cut) it is released and another instance claims the relay, bumping the
 * epoch in {@code relay_offsets}; a position update naming an older epoch changes nothing. And
 * every instance uses the same Kafka {@code transactional.id}, so the new holder's producer, on
 * start, aborts the old holder's open transaction and fences its producer: a holder that lost its
 * lock without noticing cannot commit another record.
 *
 * <p>Broker down: sends and commits fail after {@code deliveryTimeout}; the relay drops its
 * producer, waits a full-jitter backoff (random source injectable) and tries again, keeping its
 * lock. The outbox grows meanwhile; the lag gauges show it.
 */
public final class Relay implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Relay.class);

  /** How often the lag is measured. */
  static final Duration LAG_EVERY = Duration.ofSeconds(1);

  private final RelaySettings settings;
  private final DatabaseCoordinates database;
  private final String owner;
  private final Clock clock;
  private final RandomGenerator random;
  private final Backoff backoff;
  private final Object wake = new Object();

  private final AtomicLong published = new AtomicLong();
  private final AtomicLong transactions = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong fenced = new AtomicLong();
  private final AtomicLong lagEvents = new AtomicLong(-1);
  private final AtomicLong lagMillis = new AtomicLong(-1);
  private volatile boolean leader;
  private volatile boolean stopped;
  private volatile Thread thread;
  private Timer delivery;
  private Counter eventsCounter;

  private RelayLog db;
  private Producer<String, byte[]> producer;
  private long epoch;
  private Position position = Position.START;
  private int attempt;
  private long lagCheckedAt = Long.MIN_VALUE;

  public Relay(
      RelaySettings settings,
      DatabaseCoordinates database,
      String owner,
      Clock clock,
      RandomGenerator random) {
    if (!settings.enabled()) {
      throw new IllegalArgumentException("the relay needs a kafka bootstrap");
    }
    this.settings = settings;
    this.database = database;
    this.owner = owner;
    this.clock = clock;
    this.random = random;
    this.backoff = new Backoff(settings.backoffBase(), settings.backoffCap());
  }

  /**
   * Registers {@code hotpath_relay_lag_events}, {@code hotpath_relay_lag_seconds}, {@code
   * hotpath_relay_leader}, {@code hotpath_relay_events_total}, {@code hotpath_relay_failures_total}
   * and {@code hotpath_relay_delivery_seconds} (write to broker acknowledgement, per event).
   */
  public Relay bind(MeterRegistry registry) {
    Meters.gauge(
        registry,
        "hotpath_relay_lag_events",
        "Committed outbox events the Kafka relay has not published yet",
        lagEvents,
        v -> v.get() < 0 ? Double.NaN : v.get());
    Gauge.builder(
            "hotpath_relay_lag_seconds",
            lagMillis,
            v -> v.get() < 0 ? Double.NaN : v.get() / 1000.0)
        .description(
            "Age of the oldest outbox event the Kafka relay has not published; 0 when none")
        .register(registry);
    Meters.gauge(
        registry,
        "hotpath_relay_leader",
        "1 on the instance that holds the relay's lock and publishes, else 0",
        this,
        r -> r.leader ? 1 : 0);
    eventsCounter =
        Counter.builder("hotpath_relay_events")
            .description("Outbox events published to Kafka and acknowledged by this instance")
            .register(registry);
    FunctionCounter.builder("hotpath_relay_failures", failures, AtomicLong::get)
        .description("Relay rounds that failed (broker or database unreachable) and were retried")
        .register(registry);
    delivery =
        Timer.builder("hotpath_relay_delivery")
            .description("From an event's write to the broker's acknowledgement of it")
            .publishPercentiles(0.5, 0.99)
            .publishPercentileHistogram()
            .register(registry);
    return this;
  }

  /** Starts the relay's thread. */
  public void start() {
    Thread t = Thread.ofPlatform().daemon().name("hotpath-relay").unstarted(this);
    thread = t;
    t.start();
  }

  /** Stops after the round in progress and waits at most {@code grace} for it. */
  public void stop(Duration grace) {
    stopped = true;
    synchronized (wake) {
      wake.notifyAll();
    }
    Thread t = thread;
    if (t != null) {
      try {
        t.join(grace.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Events this instance published (acknowledged and recorded) since it started. */
  public long published() {
    return published.get();
  }

  /**
   * Kafka transactions this instance committed since it started: one per round that found events,
   * so, under a steady write load, about one per {@code poll} (the relay's cost per event is mostly
   * a cost per transaction, README "Events").
   */
  long transactions() {
    return transactions.get();
  }

  /** Rounds that failed since start. */
  public long failures() {
    return failures.get();
  }

  /** Times this instance found itself fenced by another holder. */
  public long fenced() {
    return fenced.get();
  }

  /** Whether this instance holds the relay's lock now. */
  public boolean leader() {
    return leader;
  }

  /** Events not yet published at the last measurement ({@code -1} before the first). */
  public long lagEvents() {
    return lagEvents.get();
  }

  @Override
  public void run() {
    while (!stopped) {
      Duration pause;
      try {
        pause = round();
      } catch (ProducerFencedException | InvalidProducerEpochException | Fenced e) {
        fenced.incrementAndGet();
        log.warn("relay fenced by another instance ({}); standing down", e.toString());
        standDown();
        pause = jitter(settings.lockRetry());
      } catch (KafkaException e) {
        failures.incrementAndGet();
        attempt++;
        pause = Duration.ofMillis(backoff.delayMillis(attempt, random));
        log.warn(
            "relay could not publish (attempt {}, retry in {} ms): {}",
            attempt,
            pause.toMillis(),
            e.toString());
        dropProducer();
      } catch (SQLException | RuntimeException e) {
        failures.incrementAndGet();
        attempt++;
        pause = Duration.ofMillis(backoff.delayMillis(attempt, random));
        log.warn("relay round failed (retry in {} ms): {}", pause.toMillis(), e.toString());
        standDown();
      }
      sleep(pause);
    }
    standDown();
  }

  /** One round; returns how long to pause before the next (zero when there is more to do). */
  private Duration round() throws SQLException {
    if (db == null) {
      db = RelayLog.open(database);
    }
    measureLag();
    if (!leader) {
      if (!db.tryLock()) {
        return jitter(settings.lockRetry());
      }
      RelayLog.Claim claim = db.claim(owner);
      epoch = claim.epoch();
      position = claim.position();
      leader = true;
      log.info("relay claimed (epoch {}) at {}/{}", epoch, position.txid(), position.id());
    }
    if (producer == null) {
      producer = newProducer();
      producer.initTransactions();
    }
    List<OutboxEvent> batch = db.next(position, settings.batch());
    if (batch.isEmpty()) {
      attempt = 0;
      return settings.poll();
    }
    publish(batch);
    Position to = batch.get(batch.size() - 1).position();
    if (!db.move(to, batch.size(), epoch)) {
      throw new Fenced("epoch " + epoch + " is no longer the relay's");
    }
    position = to;
    published.addAndGet(batch.size());
    if (eventsCounter != null) {
      eventsCounter.increment(batch.size());
    }
    attempt = 0;
    return batch.size() < settings.batch() ? settings.poll() : Duration.ZERO;
  }

  /** Sends the batch in one transaction; returns once the broker has acknowledged all of it. */
  private void publish(List<OutboxEvent> batch) {
    producer.beginTransaction();
    // an event written by a request carries that request's trace context; the others (seeds,
    // imports, jobs) get one trace per batch: the relay's publish
    String traceId =
        HexFormat.of().toHexDigits(random.nextLong() | 1L)
            + HexFormat.of().toHexDigits(random.nextLong());
    byte[] version = Integer.toString(OutboxEvent.SCHEMA_VERSION).getBytes(StandardCharsets.UTF_8);
    for (OutboxEvent e : batch) {
      RecordHeaders headers = new RecordHeaders();
      headers.add("event_id", Long.toString(e.id()).getBytes(StandardCharsets.UTF_8));
      headers.add("event_type", e.type().getBytes(StandardCharsets.UTF_8));
      headers.add("schema_version", version);
      String traceparent =
          e.traceParent() != null
              ? e.traceParent()
              : "00-" + traceId + "-" + HexFormat.of().toHexDigits(e.id() | (1L << 62)) + "-00";
      headers.add("traceparent", traceparent.getBytes(StandardCharsets.UTF_8));
      long written = e.createdAt().toEpochMilli();
      producer.send(
          new ProducerRecord<>(e.topic(settings.topicPrefix()), null, e.key(), e.value(), headers),
          (metadata, error) -> {
            if (error == null && delivery != null) {
              delivery.record(Math.max(0, clock.millis() - written), TimeUnit.MILLISECONDS);
            }
          });
    }
    producer.commitTransaction();
    transactions.incrementAndGet();
  }

  private void measureLag() throws SQLException {
    long now = clock.millis();
    if (now - lagCheckedAt < LAG_EVERY.toMillis() && lagCheckedAt != Long.MIN_VALUE) {
      return;
    }
    lagCheckedAt = now;
    RelayLog.Lag lag = db.lag();
    lagEvents.set(lag.events());
    lagMillis.set(lag.events() == 0 ? 0 : lag.age().toMillis());
  }

  private Producer<String, byte[]> newProducer() {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap().orElseThrow());
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "hotpath-relay-" + owner);
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, settings.topicPrefix() + "outbox-relay");
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, settings.compression());
    config.put(ProducerConfig.LINGER_MS_CONFIG, (int) settings.linger().toMillis());
    config.put(ProducerConfig.BATCH_SIZE_CONFIG, settings.batchBytes());
    long deliveryMs = settings.deliveryTimeout().toMillis();
    int requestMs = (int) Math.max(500, (deliveryMs - settings.linger().toMillis()) / 2);
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, requestMs);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) deliveryMs);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, deliveryMs);
    config.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
    return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
  }

  /** Closes the producer at once: an open transaction is aborted by the next producer's start. */
  private void dropProducer() {
    if (producer != null) {
      try {
        producer.close(Duration.ZERO);
      } catch (RuntimeException e) {
        log.debug("relay producer did not close cleanly: {}", e.toString());
      }
      producer = null;
    }
  }

  /** Gives up the lock (by closing the connection) and the producer. */
  private void standDown() {
    dropProducer();
    if (db != null) {
      db.close();
      db = null;
    }
    leader = false;
  }

  private Duration jitter(Duration around) {
    long ms = around.toMillis();
    return Duration.ofMillis(ms / 2 + random.nextLong(ms / 2 + 1));
  }

  private void sleep(Duration pause) {
    if (pause.isZero() || stopped) {
      return;
    }
    synchronized (wake) {
      try {
        wake.wait(pause.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stopped = true;
      }
    }
  }

  /** The relay's epoch moved on: another instance claimed it. */
  static final class Fenced extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Fenced(String message) {
      super(message, null, false, false);
    }
  }
}
