package dev.hotpath.edge.auth;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trusted signing keys, read from a JWKS file or URL and kept in memory. Reloaded every {@code
 * refresh}, and on demand when a token names a key id the set lacks (a key rotation) — but never
 * more often than once per {@code floor}, so tokens with made-up key ids cannot make the server
 * hammer its key source. Loads run on one thread of their own, never on an event loop; a failed
 * load keeps the keys already held. Thread-safe.
 */
public final class Jwks implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Jwks.class);
  private static final int MAX_BYTES = 1 << 20;
  private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);

  /** Reads the key set document. */
  @FunctionalInterface
  public interface Source {
    String fetch() throws IOException, InterruptedException;
  }

  private final Source source;
  private final String name;
  private final long floorNanos;
  private final LongSupplier nanoClock;
  private final ScheduledExecutorService loader;
  private final AtomicLong loads = new AtomicLong();
  private volatile KeySet current = KeySet.EMPTY;
  private long lastAttempt;
  private boolean attempted;
  private CompletableFuture<KeySet> inFlight;

  Jwks(Source source, String name, Duration floor, LongSupplier nanoClock) {
    this.source = source;
    this.name = name;
    this.floorNanos = floor.toNanos();
    this.nanoClock = nanoClock;
    this.loader =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "hotpath-jwks");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Loads the key set from {@code location} (a file path or an http(s) URL) and refreshes it every
   * {@code refresh}.
   *
   * @throws IllegalStateException when the first load fails or yields no usable key
   */
  public static Jwks open(String location, Duration refresh, Duration floor) {
    Jwks jwks = new Jwks(sourceOf(location), location, floor, System::nanoTime);
    try {
      jwks.reload().get(FETCH_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
    } catch (Exception e) {
      jwks.close();
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IllegalStateException(
          "the JWKS at " + location + " could not be loaded: " + cause.getMessage());
    }
    if (jwks.current.size() == 0) {
      jwks.close();
      throw new IllegalStateException(
          "the JWKS at "
              + location
              + " has no usable key (RS256, ES256 or EdDSA): "
              + jwks.current.ignored());
    }
    long every = refresh.toMillis();
    jwks.loader.scheduleWithFixedDelay(jwks::refreshQuietly, every, every, TimeUnit.MILLISECONDS);
    return jwks;
  }

  static Source sourceOf(String location) {
    if (location.startsWith("http://") || location.startsWith("https://")) {
      HttpClient client = HttpClient.newBuilder().connectTimeout(FETCH_TIMEOUT).build();
      URI uri = URI.create(location);
      return () -> {
        HttpResponse<byte[]> r =
            client.send(
                HttpRequest.newBuilder(uri)
                    .timeout(FETCH_TIMEOUT)
                    .header("Accept", "application/json")
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
          throw new IOException("status " + r.statusCode());
        }
        if (r.body().length > MAX_BYTES) {
          throw new IOException("more than " + MAX_BYTES + " bytes");
        }
        return new String(r.body(), StandardCharsets.UTF_8);
      };
    }
    Path path = Path.of(location);
    return () -> {
      if (Files.size(path) > MAX_BYTES) {
        throw new IOException("more than " + MAX_BYTES + " bytes");
      }
      return Files.readString(path);
    };
  }

  /** The keys held now. */
  public KeySet current() {
    return current;
  }

  /** How many loads have been attempted (for tests and metrics). */
  public long loads() {
    return loads.get();
  }

  /**
   * Reloads unless the last load began less than {@code floor} ago; completes with the keys held
   * afterwards (at once, with the current ones, when the floor forbids a load). Concurrent callers
   * share one load.
   */
  public CompletableFuture<KeySet> reloadIfAllowed() {
    synchronized (this) {
      if (inFlight != null) {
        return inFlight;
      }
      if (attempted && nanoClock.getAsLong() - lastAttempt < floorNanos) {
        return CompletableFuture.completedFuture(current);
      }
    }
    return reload();
  }

  private CompletableFuture<KeySet> reload() {
    CompletableFuture<KeySet> done = new CompletableFuture<>();
    synchronized (this) {
      if (inFlight != null) {
        return inFlight;
      }
      inFlight = done;
      attempted = true;
      lastAttempt = nanoClock.getAsLong();
    }
    loader.execute(
        () -> {
          try {
            loads.incrementAndGet();
            KeySet keys = KeySet.parse(source.fetch());
            current = keys;
            if (!keys.ignored().isEmpty()) {
              log.warn("JWKS {}: ignored {}", name, keys.ignored());
            }
            finish(done, keys, null);
          } catch (IOException | ParseException | RuntimeException e) {
            log.warn("JWKS {} could not be loaded, keeping the keys held: {}", name, e.toString());
            finish(done, current, e);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finish(done, current, e);
          }
        });
    return done;
  }

  private void finish(CompletableFuture<KeySet> done, KeySet keys, Exception failure) {
    synchronized (this) {
      inFlight = null;
    }
    if (failure == null || keys != KeySet.EMPTY) {
      done.complete(keys);
    } else {
      done.completeExceptionally(failure);
    }
  }

  private void refreshQuietly() {
    reloadIfAllowed();
  }

  @Override
  public void close() {
    loader.shutdownNow();
  }
}
