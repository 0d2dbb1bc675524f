import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Splits the CPU-time samples of a JFR recording of a server placing orders
 * (scripts/attribute-writes.sh) by thread, then by component: the innermost frame (nearest the top
 * of the stack) of a package listed below, in the order listed, so that a sample in Jackson called
 * by the order's request parser counts for the parser, one in the pg client's codec for the pg
 * client. A thread that ran the payments stand-in ({@code dev.hotpath.stubs}, its own Vert.x)
 * more than a tenth of its samples is reported as that stand-in's, wholly. With the run's request count and the JVM's CPU in us (from
 * /proc), prints us per request.
 *
 * <pre>java scripts/WriteLayers.java FILE.jfr REQUESTS JVM_CPU_US</pre>
 */
public final class WriteLayers {
  private static final String[][] COMPONENTS = {
    {"dev.hotpath.stubs", "payments stand-in (demo stub server)"},
    {"dev.hotpath.compute.relay", "relay"},
    {"dev.hotpath.compute.WebhookDelivery", "webhooks"},
    {"dev.hotpath.compute.JobWorkers", "jobs (queue, workers)"},
    {"dev.hotpath.compute.JobQueue", "jobs (queue, workers)"},
    {"dev.hotpath.compute.PaymentJobs", "jobs: payment handlers"},
    {"dev.hotpath.compute", "consumers and projections"},
    {"dev.hotpath.serve.cache", "cache invalidation and response cache"},
    {"dev.hotpath.outside", "payments client (quote, authorize)"},
    {"dev.hotpath.ingest.OrderPayments", "payments client (quote, authorize)"},
    {"dev.hotpath.ingest.IdempotencyStore", "idempotency (hashes, key)"},
    {"dev.hotpath.ingest.WriteTransaction", "order transaction (WriteTransaction)"},
    {"dev.hotpath.ingest.OrderRequest", "order request parse and validation"},
    {"dev.hotpath.ingest.OrderPricing", "order pricing"},
    {"dev.hotpath.serve.OrderReads", "order response encoding"},
    {"dev.hotpath.serve.OrderRepresentation", "order response encoding"},
    {"dev.hotpath.ingest", "order pipeline (OrderWrites)"},
    {"dev.hotpath.edge.auth", "auth"},
    {"dev.hotpath.edge", "edge (admission, limits, guard, routes)"},
    {"io.opentelemetry", "tracing"},
    {"dev.hotpath.observe.Tracing", "tracing"},
    {"dev.hotpath.observe.AccessLog", "access log"},
    {"ch.qos.logback", "logging"},
    {"io.micrometer", "metrics"},
    {"dev.hotpath.observe", "observe (metrics, traces, logs)"},
    {"dev.hotpath.store", "store (pools, flushes, deadlines)"},
    {"io.vertx.pgclient", "pg client (protocol, rows)"},
    {"io.vertx.sqlclient", "pg client (protocol, rows)"},
    {"com.fasterxml.jackson", "JSON (Jackson, other callers)"},
    {"io.vertx.ext.web", "routing (vertx-web)"},
    {"io.vertx.core.http", "HTTP (Vert.x)"},
    {"io.netty.handler.codec.http", "HTTP (Netty codec)"},
    {"dev.hotpath", "other hotpath"},
    {"sun.nio.ch", "socket I/O"},
    {"io.netty.channel", "socket I/O"},
    {"io.vertx.core", "Vert.x core (futures, contexts, timers)"},
    {"io.netty", "Netty (other)"},
  };

  public static void main(String[] args) throws Exception {
    List<RecordedEvent> events = RecordingFile.readAllEvents(Path.of(args[0]));
    long requests = Long.parseLong(args[1]);
    double jvmUs = Double.parseDouble(args[2]);
    // the stand-in's thread: one whose samples run its code more than a tenth of the time
    Map<Long, int[]> stubSamples = new HashMap<>();
    for (RecordedEvent e : events) {
      if (e.getEventType().getName().equals("jdk.CPUTimeSample")
          && e.getStackTrace() != null
          && e.getThread("eventThread") != null) {
        int[] n = stubSamples.computeIfAbsent(e.getThread("eventThread").getId(), id -> new int[2]);
        n[0]++;
        for (RecordedFrame f : e.getStackTrace().getFrames()) {
          if (f.getMethod().getType().getName().startsWith("dev.hotpath.stubs")) {
            n[1]++;
            break;
          }
        }
      }
    }
    Set<Long> stubThreads = new HashSet<>();
    stubSamples.forEach((id, n) -> {
      if (n[1] * 10 > n[0]) {
        stubThreads.add(id);
      }
    });
    Map<String, Integer> byThread = new HashMap<>();
    Map<String, Integer> byComponent = new HashMap<>();
    int total = 0;
    for (RecordedEvent e : events) {
      if (!e.getEventType().getName().equals("jdk.CPUTimeSample") || e.getStackTrace() == null) {
        continue;
      }
      var thread = e.getThread("eventThread");
      String name = thread == null || thread.getJavaName() == null ? "?" : thread.getJavaName();
      boolean stub = thread != null && stubThreads.contains(thread.getId());
      String group = stub ? "payments stand-in's event loop" : name.replaceAll("[-#]?\\d+$", "");
      byThread.merge(group, 1, Integer::sum);
      String component = stub ? "payments stand-in (demo stub server)" : component(e);
      if (!name.startsWith("vert.x-eventloop") && !stub) {
        component = "off the event loops: " + group;
      }
      byComponent.merge(component, 1, Integer::sum);
      total++;
    }
    double perSample = jvmUs / requests / Math.max(1, total);
    System.out.printf("%nJVM CPU per request by thread (%d CPU-time samples)%n", total);
    print(byThread, total, perSample);
    System.out.printf("%nJVM CPU per request by component (innermost frame of a listed package)%n");
    print(byComponent, total, perSample);
  }

  private static String component(RecordedEvent e) {
    for (RecordedFrame f : e.getStackTrace().getFrames()) {
      String type = f.getMethod().getType().getName();
      for (String[] c : COMPONENTS) {
        if (type.startsWith(c[0])) {
          return c[1];
        }
      }
    }
    return "JDK and other";
  }

  private static void print(Map<String, Integer> counts, int total, double perSample) {
    counts.entrySet().stream()
        .sorted((a, b) -> b.getValue() - a.getValue())
        .forEach(
            r ->
                System.out.printf(
                    "  %7.1f us %5.1f %%  %s%n",
                    r.getValue() * perSample, 100.0 * r.getValue() / total, r.getKey()));
  }
}
