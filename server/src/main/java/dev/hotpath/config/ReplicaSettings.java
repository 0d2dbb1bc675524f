package dev.hotpath.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Read replicas: off unless {@code HOTPATH_DATABASE_REPLICA_URLS} names at least one streaming
 * replica of the primary ({@code HOTPATH_DATABASE_URL}). Off, nothing is polled and no client is
 * opened.
 *
 * @param urls the replicas ({@code postgresql://user:password@host:port/database}), in order
 * @param poll how often each replica's replayed position and lag are read
 * @param maxLag a replica whose replay is further behind than this (in time) takes no reads
 * @param maxLagBytes a replica further behind than this (in WAL bytes) takes no reads
 * @param cookieAge how long a client's read-your-writes cookie lives after its last write
 */
public record ReplicaSettings(
    List<URI> urls, Duration poll, Duration maxLag, long maxLagBytes, Duration cookieAge) {
  public ReplicaSettings {
    urls = List.copyOf(urls);
    var rules = new Rules();
    for (URI url : urls) {
      rules.require(
          ("postgresql".equals(url.getScheme()) || "postgres".equals(url.getScheme()))
              && url.getHost() != null,
          EnvReader.var("DATABASE_REPLICA_URLS")
              + " must list postgresql://user:password@host:5432/database URLs, had "
              + url.getScheme()
              + "://"
              + url.getHost());
    }
    rules
        .range("REPLICA_POLL_MS", poll.toMillis(), 10, 60_000)
        .range("REPLICA_MAX_LAG_MS", maxLag.toMillis(), 1, 3_600_000)
        .atLeast("REPLICA_MAX_LAG_BYTES", maxLagBytes, 1)
        .range("REPLICA_COOKIE_SECONDS", cookieAge.toSeconds(), 1, 86_400)
        .enforce();
  }

  /** Whether reads may go to replicas. */
  public boolean enabled() {
    return !urls.isEmpty();
  }

  /**
   * HOTPATH_DATABASE_REPLICA_URLS (comma-separated), HOTPATH_REPLICA_POLL_MS (100),
   * HOTPATH_REPLICA_MAX_LAG_MS (5000), HOTPATH_REPLICA_MAX_LAG_BYTES (16 MiB),
   * HOTPATH_REPLICA_COOKIE_SECONDS (300).
   */
  static ReplicaSettings from(EnvReader r) {
    List<URI> urls = new ArrayList<>();
    for (String part : r.string("DATABASE_REPLICA_URLS", "").split(",")) {
      if (part.isBlank()) {
        continue;
      }
      try {
        URI url = new URI(part.trim());
        if (("postgresql".equals(url.getScheme()) || "postgres".equals(url.getScheme()))
            && url.getHost() != null) {
          urls.add(url);
        } else {
          r.fail(
              EnvReader.var("DATABASE_REPLICA_URLS")
                  + " must list postgresql://user:password@host:5432/database URLs");
        }
      } catch (URISyntaxException e) {
        r.fail(EnvReader.var("DATABASE_REPLICA_URLS") + " holds a URL that is not valid");
      }
    }
    return new ReplicaSettings(
        urls,
        r.millis("REPLICA_POLL_MS", 100, 10, 60_000),
        r.millis("REPLICA_MAX_LAG_MS", 5_000, 1, 3_600_000),
        r.integer("REPLICA_MAX_LAG_BYTES", 16 * 1024 * 1024, 1, Integer.MAX_VALUE),
        r.seconds("REPLICA_COOKIE_SECONDS", 300, 1, 86_400));
  }
}
