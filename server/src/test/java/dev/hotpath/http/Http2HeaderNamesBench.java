package dev.hotpath.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import io.vertx.core.http.impl.headers.Http2HeadersAdaptor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

/**
 * Not a test: the CPU of putting an HTTP/2 response's header fields into Vert.x's HTTP/2 headers
 * and HPACK-encoding them on one connection's encoder, with the names as HTTP/1.1 writes them
 * (mixed case: Vert.x lowercases each into a new string, which HPACK hashes and compares) and as
 * {@link Headers.Name} gives them for HTTP/2 (lowercase constants), in turn in one JVM. The fields
 * are those of an uncached protobuf page over h2c, with new values for the five that change per
 * response. Prints the thread's CPU nanoseconds per response for each, per round. From server/
 * after test-compile:
 *
 * <pre>
 * java -cp target/test-classes:target/classes:target/hotpath.jar dev.hotpath.http.Http2HeaderNamesBench [ROUNDS] [PER_ROUND]
 * </pre>
 */
public final class Http2HeaderNamesBench {
  private Http2HeaderNamesBench() {}

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /** Name, and value (null: a new one per response). */
  private static final String[][] FIELDS = {
    {"X-Request-Id", null},
    {"traceparent", null},
    {"RateLimit-Policy", "\"client\";q=2000000000;w=10, \"ip\";q=2000000000;w=10"},
    {"RateLimit", null},
    {"ETag", "\"co2.6bb4eeb22adeb551.pb\""},
    {"Cache-Control", "private, no-cache"},
    {"Vary", "Accept-Encoding"},
    {"Vary", "Accept"},
    {"Link", "</v1/customers/2/orders?limit=20&cursor=AAZiCjfo_GAAAUMAAAOkAXtMTaE>; rel=\"next\""},
    {"Content-Type", "application/x-protobuf"},
    {"content-length", null},
    {"Server-Timing", null}
  };

  public static void main(String[] args) throws Http2Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    Headers.Name[] names = new Headers.Name[FIELDS.length];
    AsciiString[] values = new AsciiString[FIELDS.length];
    for (int i = 0; i < FIELDS.length; i++) {
      names[i] = Headers.Name.of(FIELDS[i][0]);
      values[i] = FIELDS[i][1] == null ? null : AsciiString.cached(FIELDS[i][1]);
    }
    // the values that change: 4,096 of each, made before, the same for both ways
    Random random = new Random(1);
    String[] changing = new String[4096];
    for (int i = 0; i < changing.length; i++) {
      changing[i] = Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
    }
    DefaultHttp2HeadersEncoder mixed = new DefaultHttp2HeadersEncoder();
    DefaultHttp2HeadersEncoder lower = new DefaultHttp2HeadersEncoder();
    ByteBuf out = Unpooled.directBuffer(8192);
    for (int round = 1; round <= rounds; round++) {
      long[] ns = new long[2];
      for (int way = 0; way < 2; way++) {
        boolean h2Names = (way + round) % 2 == 0;
        DefaultHttp2HeadersEncoder encoder = h2Names ? lower : mixed;
        long start = THREADS.getCurrentThreadCpuTime();
        for (int n = 0; n < perRound; n++) {
          Http2Headers headers = new DefaultHttp2Headers();
          headers.status(AsciiString.cached("200"));
          MultiMap adaptor = new Http2HeadersAdaptor(headers);
          SecurityHeaders.add(adaptor, false, h2Names);
          for (int i = 0; i < FIELDS.length; i++) {
            CharSequence value = values[i] != null ? values[i] : changing[(n + i) & 4095];
            adaptor.add(names[i].on(h2Names), value);
          }
          out.clear();
          encoder.encodeHeaders(n * 2 + 1, headers, out);
        }
        ns[h2Names ? 1 : 0] = (THREADS.getCurrentThreadCpuTime() - start) / perRound;
      }
      System.out.printf(
          "round %d: names as HTTP/1.1 writes them %d ns, lowercase (Headers.Name) %d ns per"
              + " response%n",
          round, ns[0], ns[1]);
    }
  }
}
