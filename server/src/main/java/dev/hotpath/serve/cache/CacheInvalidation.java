package dev.hotpath.serve.cache;

import dev.hotpath.store.DatabaseCoordinates;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this instance's {@link ResponseCache} in step with writes made by every instance on the
 * database. Writes send {@code NOTIFY hotpath_cache} inside their transaction, so a message is
 * delivered only once the write has committed; order placements are announced after their commit by
 * the log's {@code cache_invalidation} consumer instead ({@code compute.OrderInvalidations}), so
 * that orders do not commit one at a time. This listener, on a connection of its own, evicts what
 * each message names.
 *
 * <p>A message is a comma-separated list of {@link ResponseCache.Owner#token() owner tokens}
 * ({@code c:42,co:42}), preceded by the writer's {@link ResponseCache#origin() origin} and a bar
 * ({@code 5f3a9c|c:42,co:42}); an instance skips its own messages, having evicted before it
 * answered the write. {@code *} clears the whole cache (useful after changing data by hand: {@code
 * SELECT pg_notify('hotpath_cache', '*')}). Unknown tokens are ignored.
 *
 * <p>When the connection drops, messages may be missed: the connection is retried with capped
 * exponential backoff (at most {@link #MAX_RETRY_MS} apart) for as long as it takes, and the cache
 * is cleared once listening resumes (entries held or loaded meanwhile may have missed messages).
 * The cache is not cleared when the connection drops: the drop usually means the database is down,
 * and then the cache is what can still be served (nothing can be written meanwhile); the cache's
 * TTL remains the last safety net.
 */
public final class CacheInvalidation {
  public static final String CHANNEL = "hotpath_cache";

  private volatile Runnable beforeEvicting = () -> {};

  /** The statement that sends an invalidation message ($1: its {@link #payload}). */
  public static final String NOTIFY = "SELECT pg_notify('" + CHANNEL + "', $1)";

  private static final Logger log = LoggerFactory.getLogger(CacheInvalidation.class);
  private static final long FIRST_RETRY_MS = 50;
  // short: entries kept across a drop are trusted only until listening resumes
  private static final long MAX_RETRY_MS = 500;

  private final ResponseCache cache;
  private final PgSubscriber subscriber;
  private final AtomicBoolean listening = new AtomicBoolean();
  private final LongAdder messages = new LongAdder();
  private final LongAdder ownMessages = new LongAdder();
  private final LongAdder drops = new LongAdder();
  private final LongAdder subscriptions = new LongAdder();

  private CacheInvalidation(ResponseCache cache, PgSubscriber subscriber) {
    this.cache = cache;
    this.subscriber = subscriber;
  }

  /**
   * Connects and listens; the future completes once {@code LISTEN} has run, so nothing cached after
   * it can miss a message while the connection stands.
   *
   * @param name the listener's {@code application_name}, to find its session in pg_stat_activity
   */
  public static Future<CacheInvalidation> start(
      Vertx vertx, DatabaseCoordinates database, ResponseCache cache, String name) {
    PgConnectOptions options = database.connectOptions(1).addProperty("application_name", name);
    PgSubscriber subscriber = PgSubscriber.subscriber(vertx, options);
    CacheInvalidation invalidation = new CacheInvalidation(cache, subscriber);
    subscriber.reconnectPolicy(invalidation::retryDelay);
    subscriber
        .channel(CHANNEL)
        .subscribeHandler(v -> invalidation.subscribed())
        .handler(invalidation::message);
    return subscriber.connect().map(invalidation);
  }

  /** The reconnect policy; PgSubscriber calls it with 0 as soon as the connection drops. */
  private long retryDelay(int retries) {
    if (retries == 0) {
      drops.increment();
      listening.set(false);
      log.warn(
          "cache invalidation listener lost its connection; reconnecting (the cache is cleared once it listens again)");
    }
    return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS << Math.min(retries, 10));
  }

  private void subscribed() {
    subscriptions.increment();
    if (subscriptions.sum() > 1) {
      cache.clear();
      log.info("cache invalidation listener reconnected; cache cleared");
    }
    listening.set(true);
  }

  /**
   * Runs {@code hook} on every message before it evicts anything (read replicas raise their floor
   * there, so no read can fill the cache again from a replica that has not replayed the write).
   */
  public void beforeEvicting(Runnable hook) {
    this.beforeEvicting = hook;
  }

  private void message(String payload) {
    beforeEvicting.run();
    messages.increment();
    if (!apply(payload, cache)) {
      ownMessages.increment();
    }
  }

  /** Evicts what one message names; false when the message is this cache's own. */
  static boolean apply(String payload, ResponseCache cache) {
    int bar = payload.indexOf('|');
    if (bar >= 0) {
      if (payload.regionMatches(0, cache.origin(), 0, bar) && cache.origin().length() == bar) {
        return false;
      }
      payload = payload.substring(bar + 1);
    }
    if (payload.trim().equals("*")) {
      cache.clearEverywhere();
      return true;
    }
    List<ResponseCache.Owner> owners = new ArrayList<>();
    for (String token : payload.split(",")) {
      Optional<ResponseCache.Owner> owner = ResponseCache.Owner.parse(token.trim());
      if (owner.isPresent()) {
        owners.add(owner.get());
      } else {
        log.debug("ignoring invalidation token '{}'", token);
      }
    }
    // also deleted from the shared level: the writer did so before it answered, but a writer that
    // died between its commit and that delete would leave the old bytes there
    cache.invalidate(owners);
    return true;
  }

  /**
   * The message naming {@code owners}, from the cache of {@code origin}, for a write to send with
   * {@code pg_notify}.
   */
  public static String payload(String origin, Collection<ResponseCache.Owner> owners) {
    StringJoiner joined = new StringJoiner(",", origin + "|", "");
    for (ResponseCache.Owner owner : owners) {
      joined.add(owner.token());
    }
    return joined.toString();
  }

  /** Whether the listener is connected and listening now. */
  public boolean listening() {
    return listening.get();
  }

  /** Messages received. */
  public long messages() {
    return messages.sum();
  }

  /** Messages skipped as this instance's own. */
  public long ownMessages() {
    return ownMessages.sum();
  }

  /** Times the connection dropped. */
  public long drops() {
    return drops.sum();
  }

  /** Times LISTEN succeeded: 1 plus the reconnections. */
  public long subscriptions() {
    return subscriptions.sum();
  }

  public Future<Void> close() {
    listening.set(false);
    return subscriber.close();
  }
}
