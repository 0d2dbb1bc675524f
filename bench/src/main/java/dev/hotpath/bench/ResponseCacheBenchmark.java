package dev.hotpath.bench;

import dev.hotpath.config.CacheSettings;
import dev.hotpath.http.Compression;
import dev.hotpath.http.Conditional;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Representation;
import dev.hotpath.serve.cache.CacheKey;
import dev.hotpath.serve.cache.ResponseCache;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cached-hit path of a read: look the representation up in the {@link ResponseCache}, decide
 * the coding and precondition, and produce the bytes to send. The baseline is what a miss pays on
 * top of its query: encoding the same body again with Jackson.
 *
 * <p>Run with the allocation profiler to see what a hit allocates per request:
 *
 * <pre>
 *   ./mvnw -q -B -Pbench -pl bench -am package -DskipTests
 *   java -jar bench/target/benchmarks.jar ResponseCacheBenchmark -prof gc
 * </pre>
 *
 * Keys are spread over {@code entries} representations, looked up in a fixed pseudo-random order,
 * so that the map lookups are not all one cache line.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+UseParallelGC"})
@Threads(1)
public class ResponseCacheBenchmark {
  /** Body sizes: a customer, an order with a few lines, a page of orders. */
  @Param({"350", "2000", "20000"})
  public int bodyBytes;

  @Param({"10000"})
  public int entries;

  private ResponseCache.Lookup lookup;
  private CacheKey[] keys;
  private final Compression compression = new Compression(1024);
  private String ifNoneMatch;
  private int next;

  @Setup(Level.Trial)
  public void fill() {
    ResponseCache cache =
        new ResponseCache(new CacheSettings(1L << 30, Duration.ofHours(1), Duration.ofSeconds(2)));
    lookup =
        cache.lookup(
            key ->
                Future.succeededFuture(
                    Optional.of(
                        Representation.cached(
                            encode(key.id(), bodyBytes),
                            "o" + key.id() + "v1",
                            1_700_000_000L,
                            Optional.empty(),
                            Representation.NO_OWNER))));
    keys = new CacheKey[entries];
    for (int i = 0; i < entries; i++) {
      keys[i] = new CacheKey(Kind.ORDER, i + 1, -1, -1, 0);
      Representation rep = lookup.get(keys[i]).join().representation();
      rep.gzip(); // as after the first gzip request of each entry
    }
    // a permutation, so that consecutive lookups touch unrelated entries
    for (int i = entries - 1; i > 0; i--) {
      int j = (int) ((i * 2654435761L) % (i + 1));
      CacheKey t = keys[i];
      keys[i] = keys[j];
      keys[j] = t;
    }
    ifNoneMatch = "\"o1v0\", W/\"o1v1.gz\"";
  }

  private CacheKey nextKey() {
    int i = next + 1;
    if (i == keys.length) {
      i = 0;
    }
    next = i;
    return keys[i];
  }

  /** Baseline: encoding a body of this size (what every miss pays after its query). */
  @Benchmark
  public Buffer encodeBaseline() {
    return encode(nextKey().id(), bodyBytes);
  }

  /** A hit from a client that sent no Accept-Encoding: the uncoded bytes. */
  @Benchmark
  public Buffer hitIdentity() {
    Representation rep = lookup.get(nextKey()).join().representation();
    return compression.useGzip(null, rep.length()) ? rep.gzip() : rep.body();
  }

  /** A hit from a browser: Accept-Encoding parsed, the memoised gzip bytes. */
  @Benchmark
  public Buffer hitGzip() {
    Representation rep = lookup.get(nextKey()).join().representation();
    return compression.useGzip("gzip, deflate, br, zstd", rep.length()) ? rep.gzip() : rep.body();
  }

  /** A revalidation: If-None-Match compared with both tags (304 when it matches). */
  @Benchmark
  public boolean hitRevalidation() {
    Representation rep = lookup.get(nextKey()).join().representation();
    return Conditional.listsAny(ifNoneMatch, rep.etag(), rep.gzipEtag());
  }

  /** An order-shaped JSON document of about {@code bytes} bytes. */
  static Buffer encode(long id, int bytes) {
    int lines = Math.max(0, (bytes - 330) / 150);
    return JsonOutput.write(
        bytes + 64,
        gen -> {
          gen.writeStartObject();
          gen.writeNumberField("id", id);
          gen.writeNumberField("customer_id", 4242);
          gen.writeStringField("status", "placed");
          gen.writeStringField("currency", "EUR");
          gen.writeNumberField("subtotal_minor", 129_900);
          gen.writeNumberField("total_minor", 129_900);
          gen.writeNumberField("item_count", lines);
          gen.writeObjectFieldStart("shipping_address");
          gen.writeStringField("line1", "1 Test Street");
          gen.writeStringField("city", "Springfield");
          gen.writeStringField("postal_code", "12345");
          gen.writeStringField("country", "US");
          gen.writeEndObject();
          gen.writeArrayFieldStart("items");
          for (int i = 0; i < lines; i++) {
            gen.writeStartObject();
            gen.writeNumberField("line_no", i + 1);
            gen.writeNumberField("product_id", 1000 + i);
            gen.writeStringField("product_name", "Product number " + (1000 + i));
            gen.writeNumberField("unit_price_minor", 1299);
            gen.writeNumberField("quantity", 1 + i % 3);
            gen.writeNumberField("line_total_minor", 1299 * (1 + i % 3));
            gen.writeEndObject();
          }
          gen.writeEndArray();
          gen.writeNumberField("version", 1);
          gen.writeStringField("created_at", "2025-01-01T10:00:00Z");
          gen.writeStringField("updated_at", "2025-01-01T10:00:00Z");
          gen.writeEndObject();
        });
  }
}
