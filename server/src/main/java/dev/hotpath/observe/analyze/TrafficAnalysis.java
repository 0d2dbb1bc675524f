package dev.hotpath.observe.analyze;

import java.io.BufferedReader;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The breakdown of one access log: business traffic by route template, status class, payload type,
 * latency band and minute, and noise by kind with its top sources. Fed line by line ({@link
 * #accept}); holds only aggregates, each with a bounded number of keys. A line the server sampled
 * ({@code "sample":n}) counts as the {@code n} requests it stands for. Not thread-safe.
 */
public final class TrafficAnalysis {
  /** Distinct routes, payload types and noise sources kept before the rest go to "(other)". */
  static final int MAX_KEYS = 1_000;

  /** Default number of idempotency keys remembered to recognise retries. */
  public static final int KEY_MEMORY = 1_000_000;

  /** A count split into business traffic and noise. */
  public record Split(long business, long noise) {
    public long total() {
      return business + noise;
    }
  }

  /** Business traffic of one route template. Latencies in ms; ratios 0..1. */
  public record RouteRow(
      String route,
      long count,
      long clientErrors,
      long serverErrors,
      double p50,
      double p95,
      double p99,
      double meanDbQueries,
      double cacheHitRatio,
      long bytes) {}

  /** One minute of traffic ({@code serverErrors}: 5xx among business requests). */
  public record MinuteRow(Instant minute, long business, long noise, long serverErrors) {}

  /** One kind of noise with where it came from (paths, user agents or routes). */
  public record NoiseRow(Noise kind, long count, List<Map.Entry<String, Long>> sources) {}

  private final AccessLogParser parser = new AccessLogParser();
  private final NoiseFilter noiseFilter;

  private long lines;
  private long notJson;
  private long notAccess;
  private long business;
  private long noise;
  private long limited;
  private long shed;
  private long sampledLines;
  private final Map<String, RouteAggregate> routes = new TreeMap<>();
  private final Map<String, long[]> statusClasses = new TreeMap<>();
  private final Map<String, long[]> payloadTypes = new TreeMap<>();
  private final Map<LatencyBand, long[]> bands = new EnumMap<>(LatencyBand.class);
  private final TreeMap<Long, long[]> minutes = new TreeMap<>();
  private final Map<Noise, Long> noiseCounts = new EnumMap<>(Noise.class);
  private final Map<Noise, TopCounter> noiseSources = new EnumMap<>(Noise.class);

  public TrafficAnalysis(NoiseFilter noiseFilter) {
    this.noiseFilter = noiseFilter;
    for (Noise n : Noise.values()) {
      noiseSources.put(n, new TopCounter(MAX_KEYS));
    }
  }

  /** Reads {@code log} to its end, one line at a time. */
  public static TrafficAnalysis of(BufferedReader log) throws IOException {
    TrafficAnalysis analysis = new TrafficAnalysis(new NoiseFilter(KEY_MEMORY));
    for (String line = log.readLine(); line != null; line = log.readLine()) {
      analysis.accept(line);
    }
    return analysis;
  }

  /** Adds one line of the log; lines that are not access records are counted and skipped. */
  public void accept(String line) {
    lines++;
    AccessLogParser.Parsed parsed = parser.parse(line);
    if (parsed.record().isEmpty()) {
      if (parsed.skip().orElseThrow() == AccessLogParser.Skip.NOT_JSON) {
        notJson++;
      } else {
        notAccess++;
      }
      return;
    }
    add(parsed.record().get());
  }

  private void add(AccessRecord r) {
    Optional<Noise> kind = noiseFilter.classify(r);
    int side = kind.isPresent() ? 1 : 0;
    long n = r.sample();
    if (n > 1) {
      sampledLines++;
    }
    if (r.limited()) {
      limited += n;
    }
    if (r.shed()) {
      shed += n;
    }
    statusClasses.computeIfAbsent(r.statusClass(), k -> new long[2])[side] += n;
    bounded(payloadTypes, r.payloadType())[side] += n;
    bands.computeIfAbsent(LatencyBand.of(r.durationMs()), k -> new long[2])[side] += n;
    r.ts()
        .ifPresent(
            ts -> {
              long[] m = minutes.computeIfAbsent(ts.getEpochSecond() / 60, k -> new long[3]);
              m[side] += n;
              if (side == 0 && r.status() >= 500) {
                m[2] += n;
              }
            });
    if (kind.isPresent()) {
      noise += n;
      Noise k = kind.get();
      noiseCounts.merge(k, n, Long::sum);
      noiseSources
          .get(k)
          .add(
              switch (k) {
                case MALFORMED -> r.method() + " " + r.path();
                case SCANNER -> r.path();
                case BOT -> r.userAgent().isBlank() ? "(no user agent)" : r.userAgent();
                case RETRY -> r.routeKey();
              },
              n);
      return;
    }
    business += n;
    String key =
        routes.containsKey(r.routeKey()) || routes.size() < MAX_KEYS
            ? r.routeKey()
            : TopCounter.OTHER;
    routes.computeIfAbsent(key, x -> new RouteAggregate()).add(r);
  }

  private static long[] bounded(Map<String, long[]> map, String key) {
    String k = map.containsKey(key) || map.size() < MAX_KEYS ? key : TopCounter.OTHER;
    return map.computeIfAbsent(k, x -> new long[2]);
  }

  public long lines() {
    return lines;
  }

  /** Lines that were not JSON (plain log lines, stack traces, truncated lines). */
  public long notJson() {
    return notJson;
  }

  /** JSON lines that are not access lines (another logger, or no status and duration). */
  public long notAccess() {
    return notAccess;
  }

  /**
   * Lines that stood for more than one request ({@code "sample":n}, written by a busy route); every
   * count of this analysis is already scaled by them.
   */
  public long sampledLines() {
    return sampledLines;
  }

  public long requests() {
    return business + noise;
  }

  public long business() {
    return business;
  }

  public long noise() {
    return noise;
  }

  /** Requests refused by the rate limiter ({@code limited}) and by load shedding ({@code shed}). */
  public long limited() {
    return limited;
  }

  public long shed() {
    return shed;
  }

  /** Business routes, busiest first. */
  public List<RouteRow> routes() {
    List<RouteRow> rows = new ArrayList<>();
    routes.forEach((k, a) -> rows.add(a.row(k)));
    rows.sort(Comparator.comparingLong(RouteRow::count).reversed().thenComparing(RouteRow::route));
    return rows;
  }

  public Map<String, Split> statusClasses() {
    return splits(statusClasses);
  }

  public Map<String, Split> payloadTypes() {
    return splits(payloadTypes);
  }

  /** Every band, in order, zero when empty. */
  public Map<LatencyBand, Split> latencyBands() {
    Map<LatencyBand, Split> out = new EnumMap<>(LatencyBand.class);
    for (LatencyBand b : LatencyBand.values()) {
      long[] v = bands.getOrDefault(b, new long[2]);
      out.put(b, new Split(v[0], v[1]));
    }
    return out;
  }

  /** Every minute from the first to the last request, in order, empty minutes included. */
  public List<MinuteRow> minutes() {
    List<MinuteRow> rows = new ArrayList<>();
    if (minutes.isEmpty()) {
      return rows;
    }
    for (long m = minutes.firstKey(); m <= minutes.lastKey(); m++) {
      long[] v = minutes.getOrDefault(m, new long[3]);
      rows.add(new MinuteRow(Instant.ofEpochSecond(m * 60), v[0], v[1], v[2]));
    }
    return rows;
  }

  /** Every kind of noise, in {@link Noise} order, with its {@code top} sources. */
  public List<NoiseRow> noiseKinds(int top) {
    List<NoiseRow> rows = new ArrayList<>();
    for (Noise n : Noise.values()) {
      rows.add(new NoiseRow(n, noiseCounts.getOrDefault(n, 0L), noiseSources.get(n).top(top)));
    }
    return rows;
  }

  private static Map<String, Split> splits(Map<String, long[]> map) {
    Map<String, Split> out = new TreeMap<>();
    map.forEach((k, v) -> out.put(k, new Split(v[0], v[1])));
    return out;
  }

  private static final class RouteAggregate {
    private final LatencyHistogram latency = new LatencyHistogram();
    private long clientErrors;
    private long serverErrors;
    private long dbQueries;
    private long cacheHits;
    private long cacheLookups;
    private long bytes;

    void add(AccessRecord r) {
      long n = r.sample();
      latency.add(r.durationMs(), n);
      if (r.status() >= 500) {
        serverErrors += n;
      } else if (r.status() >= 400) {
        clientErrors += n;
      }
      dbQueries += r.dbQueries() * n;
      bytes += r.bytes() * n;
      if (r.cache().equals("hit") || r.cache().equals("miss")) {
        cacheLookups += n;
        cacheHits += r.cache().equals("hit") ? n : 0;
      }
    }

    RouteRow row(String route) {
      long n = latency.count();
      return new RouteRow(
          route,
          n,
          clientErrors,
          serverErrors,
          latency.percentile(0.50),
          latency.percentile(0.95),
          latency.percentile(0.99),
          n == 0 ? 0 : (double) dbQueries / n,
          cacheLookups == 0 ? 0 : (double) cacheHits / cacheLookups,
          bytes);
    }
  }
}
