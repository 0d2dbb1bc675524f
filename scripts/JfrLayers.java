import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Splits a JFR recording of a server under load into the layers of a request (README, "Where a
 * read's CPU goes"): each CPU-time sample (jdk.CPUTimeSample) goes to the layer of the frame
 * nearest the top of its stack that belongs to one, skipping frames of the JDK and of the plumbing
 * every layer uses (Netty buffers, Vert.x futures and contexts); a sample inside Caffeine goes to
 * the layer that called it (response cache, rate limit, token cache). Prints each layer's share of
 * the samples, and with REQUESTS the bytes allocated per request (all threads, from
 * jdk.ThreadAllocationStatistics) and the collectors' pauses per request.
 *
 * <pre>java [-Dtop=LAYER] scripts/JfrLayers.java FILE.jfr [REQUESTS]</pre>
 *
 * <p>HTTP/2 (HPACK, frames and streams, Vert.x's HTTP/2), gRPC and protobuf have layers of their own,
 * so that h2c and gRPC recordings split as HTTP/1.1 ones do; {@code -Dtop=LAYER} also lists the top
 * frames of the samples of the layers whose names start so.
 */
public final class JfrLayers {
  /** Frames no layer owns: the JDK and the plumbing of every layer. */
  private static final String[] PLUMBING = {
    "java.",
    "jdk.",
    "sun.misc",
    "io.netty.buffer",
    "io.netty.util.internal",
    "io.netty.util.Recycler",
    "io.netty.util.AsciiString",
    "io.netty.util.Ref",
    "io.vertx.core.impl.future",
    "io.vertx.core.Future",
    "io.vertx.core.Promise",
    "io.vertx.core.buffer",
    "io.vertx.core.internal",
    "io.vertx.core.MultiMap",
    "io.vertx.core.spi.context",
    "io.vertx.core.impl.ContextBase",
    "io.vertx.core.impl.ContextImpl",
    "io.vertx.core.impl.EventLoopExecutor",
    "io.vertx.core.impl.DuplicatedContext",
    "io.vertx.core.impl.ShadowContext",
    "io.vertx.core.impl.WorkerExecutor",
    "io.vertx.core.impl.AbstractContext",
    "io.vertx.core.Handler",
    "dev.hotpath.observe.CurrentContext"
  };

  /** Layers in the order they are tried on each frame: the first whose prefix matches wins. */
  private static final Map<String, String[]> LAYERS = new LinkedHashMap<>();

  static {
    LAYERS.put(
        "logging (access log)",
        new String[] {
          "dev.hotpath.observe.AccessLog",
          "dev.hotpath.observe.AccessSampler",
          "ch.qos.logback",
          "org.slf4j"
        });
    LAYERS.put(
        "tracing",
        new String[] {
          "io.opentelemetry", "dev.hotpath.observe.Tracing", "dev.hotpath.observe.RequestTrace",
          "dev.hotpath.observe.OtelSpans", "dev.hotpath.observe.Traceparent",
              "io.vertx.core.spi.tracing"
        });
    LAYERS.put(
        "metrics",
        new String[] {
          "io.micrometer",
          "dev.hotpath.observe.Observability",
          "dev.hotpath.observe.QueryCounter",
          "dev.hotpath.observe.Meters",
          "dev.hotpath.observe.PoolGauges"
        });
    LAYERS.put("auth", new String[] {"dev.hotpath.edge.auth"});
    LAYERS.put(
        "rate limit",
        new String[] {"dev.hotpath.edge.admission.RateLimiter", "io.github.bucket4j"});
    LAYERS.put(
        "admission", new String[] {"dev.hotpath.edge.admission", "dev.hotpath.edge.EdgeGuard"});
    LAYERS.put(
        "protobuf encoding",
        new String[] {
          "dev.hotpath.serve.OrderProtobuf",
          "dev.hotpath.serve.ProtobufForms",
          "dev.hotpath.serve.ProtobufGenerator",
          "com.google.protobuf"
        });
    LAYERS.put(
        "JSON encoding",
        new String[] {
          "dev.hotpath.serve.OrderRepresentation",
          "dev.hotpath.http.JsonOutput",
          "com.fasterxml.jackson",
          "dev.hotpath.serve.Tags"
        });
    LAYERS.put(
        "response cache", new String[] {"com.github.benmanes.caffeine", "dev.hotpath.serve.cache"});
    LAYERS.put(
        "row decode (pg client)",
        new String[] {
          "io.vertx.pgclient.impl.codec.DataTypeCodec",
          "io.vertx.pgclient.impl.codec.RowResultDecoder",
          "io.vertx.sqlclient.impl.RowBase",
          "io.vertx.sqlclient.Row",
          "io.vertx.pgclient.impl.RowImpl"
        });
    LAYERS.put(
        "DB round trip (pg client: protocol, pipelining, pool; deadline)",
        new String[] {"io.vertx.pgclient", "io.vertx.sqlclient", "dev.hotpath.store"});
    LAYERS.put("handler (params, fields, response headers)", new String[] {"dev.hotpath"});
    LAYERS.put("routing (vertx-web)", new String[] {"io.vertx.ext.web"});
    LAYERS.put("gRPC (grpc-java; hotpath's bridge)", new String[] {"io.grpc"});
    LAYERS.put(
        "HTTP/2 HPACK (Netty)",
        new String[] {
          "io.netty.handler.codec.http2.Hpack",
          "io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder",
          "io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder",
          "io.netty.handler.codec.http2.DefaultHttp2Headers"
        });
    LAYERS.put(
        "HTTP/2 frames, streams, flow control (Netty)",
        new String[] {"io.netty.handler.codec.http2"});
    LAYERS.put(
        "HTTP/2 (Vert.x)",
        new String[] {
          "io.vertx.core.http.impl.Http2",
          "io.vertx.core.http.impl.VertxHttp2",
          "io.vertx.core.http.impl.VertxCompressorHttp2",
          "io.vertx.core.http.impl.headers.Http2"
        });
    LAYERS.put(
        "HTTP parse and encode (Vert.x, Netty codec)",
        new String[] {"io.vertx.core.http", "io.netty.handler.codec.http", "io.vertx.core.net"});
    LAYERS.put(
        "socket I/O (syscalls, Netty channel)", new String[] {"sun.nio.ch", "io.netty.channel"});
    LAYERS.put(
        "event loop (tasks, timers)",
        new String[] {"io.vertx.core.impl", "io.netty.util.concurrent"});
  }

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    long requests = args.length > 1 ? Long.parseLong(args[1]) : 0;
    Map<String, Integer> samples = new HashMap<>();
    Map<String, Integer> top = new HashMap<>();
    Map<Long, long[]> allocated = new HashMap<>();
    double pauseSeconds = 0;
    int total = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      switch (e.getEventType().getName()) {
        case "jdk.CPUTimeSample" -> {
          if (e.getStackTrace() == null) {
            continue;
          }
          var thread = e.getThread("eventThread");
          String name = thread == null || thread.getJavaName() == null ? "" : thread.getJavaName();
          String layer =
              name.startsWith("vert.x-eventloop")
                  ? layer(e.getStackTrace().getFrames())
                  : "off the event loops: " + name.replaceAll("[-#]?\\d+$", "");
          samples.merge(layer, 1, Integer::sum);
          if (TOP != null && layer.startsWith(TOP)) {
            top.merge(topFrame(e.getStackTrace().getFrames()), 1, Integer::sum);
          }
          total++;
        }
        case "jdk.ThreadAllocationStatistics" -> {
          long[] range =
              allocated.computeIfAbsent(e.getThread("thread").getId(), id -> new long[] {-1, 0});
          if (range[0] < 0) {
            range[0] = e.getLong("allocated");
          }
          range[1] = e.getLong("allocated");
        }
        case "jdk.GarbageCollection" ->
            pauseSeconds += e.getDuration("sumOfPauses").toNanos() / 1e9;
        default -> {}
      }
    }
    System.out.printf("%d CPU samples%n", total);
    List<Map.Entry<String, Integer>> rows = new ArrayList<>(samples.entrySet());
    rows.sort((a, b) -> b.getValue() - a.getValue());
    for (var row : rows) {
      System.out.printf("%5.1f %%  %s%n", 100.0 * row.getValue() / total, row.getKey());
    }
    if (TOP != null) {
      List<Map.Entry<String, Integer>> frames = new ArrayList<>(top.entrySet());
      frames.sort((a, b) -> b.getValue() - a.getValue());
      System.out.printf("top frames of the layers named %s...:%n", TOP);
      for (var row : frames.subList(0, Math.min(25, frames.size()))) {
        System.out.printf("  %5.1f %%  %s%n", 100.0 * row.getValue() / total, row.getKey());
      }
    }
    if (requests > 0) {
      long bytes = 0;
      for (long[] range : allocated.values()) {
        bytes += range[1] - range[0];
      }
      System.out.printf(
          "allocated %d B per request (all threads); collector pauses %.2f us per request%n",
          bytes / requests, pauseSeconds * 1e6 / requests);
    }
  }

  /** -Dtop=PREFIX: also list the top frames of the samples of the layers named so. */
  private static final String TOP = System.getProperty("top");

  /** A sample's top frame and the first non-JDK frame under it, when the top one is the JDK's. */
  private static String topFrame(List<RecordedFrame> frames) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < frames.size() && i < 6; i++) {
      var m = frames.get(i).getMethod();
      String type = m.getType().getName();
      if (b.length() > 0) {
        b.append(" < ");
      }
      b.append(type.substring(type.lastIndexOf('.') + 1)).append('.').append(m.getName());
      if (!startsWithAny(type, PLUMBING)) {
        break;
      }
    }
    return b.toString();
  }

  /** The layer of a sample: its top frame's that is not plumbing. */
  private static String layer(List<RecordedFrame> frames) {
    for (int i = 0; i < frames.size(); i++) {
      String frame = frames.get(i).getMethod().getType().getName();
      if (startsWithAny(frame, PLUMBING)) {
        continue;
      }
      for (var layer : LAYERS.entrySet()) {
        if (startsWithAny(frame, layer.getValue())) {
          return frame.startsWith("com.github.benmanes.caffeine")
              ? caller(frames, i)
              : layer.getKey();
        }
      }
    }
    return "other";
  }

  /** The layer of the hotpath code that called into Caffeine. */
  private static String caller(List<RecordedFrame> frames, int from) {
    for (int i = from; i < frames.size(); i++) {
      String frame = frames.get(i).getMethod().getType().getName();
      if (frame.startsWith("dev.hotpath.edge.auth")) {
        return "auth";
      }
      if (frame.startsWith("dev.hotpath.edge.admission.RateLimiter")) {
        return "rate limit";
      }
      if (frame.startsWith("dev.hotpath.edge.admission")) {
        return "admission";
      }
      if (frame.startsWith("dev.hotpath")) {
        return "response cache";
      }
    }
    return "response cache";
  }

  private static boolean startsWithAny(String s, String[] prefixes) {
    for (String p : prefixes) {
      if (s.startsWith(p)) {
        return true;
      }
    }
    return false;
  }
}
