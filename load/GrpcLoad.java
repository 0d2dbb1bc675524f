import dev.hotpath.proto.v1.GetOrderRequest;
import dev.hotpath.proto.v1.ListCustomerOrdersRequest;
import dev.hotpath.proto.v1.OrdersServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A small closed-loop gRPC load client for scripts/bench-formats.sh (ghz is not packaged here):
 * CONCURRENCY callers on one HTTP/2 connection each send the next call when the last is answered,
 * for SECONDS. Prints requests, errors, requests per second, p50/p99 latency, bytes per answer,
 * and the errors by status code (with the first description of each), so that a run's errors
 * say what they were.
 * Run from the repository with the server jar on the class path:
 *
 * <pre>java -cp server/target/hotpath.jar load/GrpcLoad.java HOST:PORT TOKEN order|page ID [CURSOR] [SECONDS] [CONCURRENCY]</pre>
 */
public class GrpcLoad {
  /** Errors by status code, and the first description each code came with. */
  private static final java.util.concurrent.ConcurrentHashMap<String, Long> CODES =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static final java.util.concurrent.ConcurrentHashMap<String, String> FIRST =
      new java.util.concurrent.ConcurrentHashMap<>();

  public static void main(String[] args) throws Exception {
    String[] target = args[0].split(":");
    String token = args[1];
    String what = args[2];
    long id = Long.parseLong(args[3]);
    String cursor = args.length > 4 ? args[4] : "";
    int limit = Integer.parseInt(System.getProperty("limit", "10"));
    int seconds = args.length > 5 ? Integer.parseInt(args[5]) : 20;
    int concurrency = args.length > 6 ? Integer.parseInt(args[6]) : 64;
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(target[0], Integer.parseInt(target[1]))
            .usePlaintext()
            .build();
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    var stub =
        OrdersServiceGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    GetOrderRequest order = GetOrderRequest.newBuilder().setId(id).build();
    ListCustomerOrdersRequest page =
        ListCustomerOrdersRequest.newBuilder().setId(id).setLimit(limit).setCursor(cursor).build();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    List<Future<long[]>> callers = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int c = 0; c < concurrency; c++) {
        callers.add(
            pool.submit(
                () -> {
                  long[] lat = new long[1 << 16];
                  int n = 0;
                  long errors = 0;
                  long bytes = 0;
                  while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    try {
                      var answer =
                          what.equals("order")
                              ? stub.withDeadlineAfter(5, TimeUnit.SECONDS).getOrder(order)
                              : stub.withDeadlineAfter(5, TimeUnit.SECONDS)
                                  .listCustomerOrders(page);
                      bytes += answer.getSerializedSize();
                    } catch (RuntimeException e) {
                      errors++;
                      String code =
                          e instanceof io.grpc.StatusRuntimeException s
                              ? s.getStatus().getCode().name()
                              : e.getClass().getSimpleName();
                      CODES.merge(code, 1L, Long::sum);
                      FIRST.putIfAbsent(code, String.valueOf(e.getMessage()));
                    }
                    if (n == lat.length) {
                      lat = java.util.Arrays.copyOf(lat, n * 2);
                    }
                    lat[n++] = System.nanoTime() - t0;
                  }
                  long[] out = java.util.Arrays.copyOf(lat, n + 2);
                  out[n] = errors;
                  out[n + 1] = bytes;
                  return out;
                }));
      }
    }
    List<Long> all = new ArrayList<>();
    long errors = 0;
    long bytes = 0;
    for (Future<long[]> f : callers) {
      long[] r = f.get();
      for (int i = 0; i < r.length - 2; i++) {
        all.add(r[i]);
      }
      errors += r[r.length - 2];
      bytes += r[r.length - 1];
    }
    channel.shutdownNow();
    all.sort(null);
    int n = all.size();
    System.out.printf(
        "requests: %d, errors: %d, req/s: %.0f, p50: %.2f ms, p99: %.2f ms, bytes/answer: %d%s%n",
        n,
        errors,
        n / (double) seconds,
        n == 0 ? 0 : all.get(n / 2) / 1e6,
        n == 0 ? 0 : all.get(Math.min(n - 1, (int) (n * 0.99))) / 1e6,
        n - errors == 0 ? 0 : bytes / (n - errors),
        CODES.isEmpty() ? "" : ", errors by code: " + CODES + ", first of each: " + FIRST);
  }
}
