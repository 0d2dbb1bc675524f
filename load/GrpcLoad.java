import dev.hotpath.proto.v1.GetOrderRequest;
import dev.hotpath.proto.v1.ListCustomerOrdersRequest;
import dev.hotpath.proto.v1.OrdersServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A small closed-loop gRPC load client for scripts/bench-formats.sh (ghz is not packaged here):
 * CONCURRENCY calls in flight over CONNECTIONS HTTP/2 connections (-Dconnections, default 2:
 * grpc-java on Netty), each call sent again as
 * soon as its answer is in, for a warm-up of WARMUP seconds (-Dwarmup, default 0) then SECONDS
 * measured, in the same JVM, so that the measured seconds run on a client that is already compiled
 * (a client started afresh for them spent its first seconds in the JIT, on the same cores as the
 * server). Prints "measuring" when the measured seconds start and "measured" when they end (the
 * script reads the server's CPU at both), then requests, errors, requests per second, p50/p99
 * latency, bytes per answer, and the errors by status code with the first description of each.
 *
 * <p>Cheap on purpose, as wrk and h2load are: the calls' callbacks run on the connection's event
 * loop (a direct executor: no thread per caller, no hand-off), and an answer is taken as its
 * message's bytes, counted and not decoded (wrk and h2load do not parse the JSON either); a call
 * is still a real gRPC call (framing, metadata, status, a deadline of 5 s). More than one
 * connection: the server reads each connection on one event loop, so the calls of one connection
 * were all served by one of its event loops (measured: 64 calls on one connection ran at a
 * quarter of the rate of 64 HTTP/1.1 connections, at ~90 ms p50, on the busy machine).
 *
 * <p>With {@code -Dframe=FILE} it only writes the call's request body (the length-prefixed message a
 * gRPC call sends) to FILE and exits: scripts/bench-formats.sh sends it with h2load too, so that
 * gRPC is also measured with the C client of the protobuf/h2c rows (this client costs several times
 * h2load's CPU per call, on the cores the server shares).
 *
 * <pre>java -cp server/target/hotpath.jar load/GrpcLoad.java HOST:PORT TOKEN order|page ID [CURSOR] [SECONDS] [CONCURRENCY]</pre>
 */
public class GrpcLoad {
  /** The answer as its bytes. */
  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  public static void main(String[] args) throws Exception {
    String[] target = args[0].split(":");
    String token = args[1];
    String what = args[2];
    long id = Long.parseLong(args[3]);
    String cursor = args.length > 4 ? args[4] : "";
    int limit = Integer.parseInt(System.getProperty("limit", "10"));
    int warmup = Integer.parseInt(System.getProperty("warmup", "0"));
    int seconds = args.length > 5 ? Integer.parseInt(args[5]) : 20;
    int concurrency = args.length > 6 ? Integer.parseInt(args[6]) : 64;
    int connections = Integer.parseInt(System.getProperty("connections", "2"));
    byte[] request =
        what.equals("order")
            ? GetOrderRequest.newBuilder().setId(id).build().toByteArray()
            : ListCustomerOrdersRequest.newBuilder()
                .setId(id)
                .setLimit(limit)
                .setCursor(cursor)
                .build()
                .toByteArray();
    String frame = System.getProperty("frame");
    if (frame != null) {
      // the call's request as it goes in an HTTP/2 DATA frame (gRPC's length-prefixed message:
      // not compressed, its length in 4 bytes, then the message), for a generic HTTP/2 client
      ByteBuffer framed = ByteBuffer.allocate(5 + request.length);
      framed.put((byte) 0).putInt(request.length).put(request);
      Files.write(Path.of(frame), framed.array());
      return;
    }
    ManagedChannel[] channels = new ManagedChannel[connections];
    for (int i = 0; i < connections; i++) {
      channels[i] =
          NettyChannelBuilder.forAddress(target[0], Integer.parseInt(target[1]))
              .usePlaintext()
              .directExecutor()
              .build();
    }
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    MethodDescriptor<?, ?> generated =
        what.equals("order")
            ? OrdersServiceGrpc.getGetOrderMethod()
            : OrdersServiceGrpc.getListCustomerOrdersMethod();
    MethodDescriptor<byte[], byte[]> method =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(generated.getFullMethodName())
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();
    Run warm = new Run(channels, method, md, request, concurrency, warmup);
    warm.await();
    System.out.println("measuring, client CPU ns: " + cpuNanos());
    System.out.flush();
    Run run = new Run(channels, method, md, request, concurrency, seconds);
    run.await();
    System.out.println("measured, client CPU ns: " + cpuNanos());
    System.out.flush();
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    long[] lat = Arrays.copyOf(run.latencies, run.n);
    Arrays.sort(lat);
    int n = lat.length;
    System.out.printf(
        "requests: %d, errors: %d, req/s: %.0f, p50: %.2f ms, p99: %.2f ms, bytes/answer: %d%s%n",
        n,
        run.errors,
        n / (double) seconds,
        n == 0 ? 0 : lat[n / 2] / 1e6,
        n == 0 ? 0 : lat[Math.min(n - 1, (int) (n * 0.99))] / 1e6,
        n - run.errors == 0 ? 0 : run.bytes / (n - run.errors),
        run.codes.isEmpty() ? "" : ", errors by code: " + run.codes + ", first of each: " + run.first);
  }

  /**
   * This process's CPU time so far: printed with "measuring" and "measured", so the script need not
   * read /proc of a client that may have exited by the time it looks.
   */
  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * CONCURRENCY callers for SECONDS, spread over the connections: each sends its next call from the
   * last one's close, on its connection's event loop.
   */
  private static final class Run {
    final ManagedChannel[] channels;
    final MethodDescriptor<byte[], byte[]> method;
    final Metadata md;
    final byte[] request;
    final long end;
    final CountDownLatch done;
    long[] latencies = new long[1 << 16];
    int n;
    long errors;
    long bytes;
    final Map<String, Long> codes = new TreeMap<>();
    final Map<String, String> first = new TreeMap<>();

    Run(
        ManagedChannel[] channels,
        MethodDescriptor<byte[], byte[]> method,
        Metadata md,
        byte[] request,
        int concurrency,
        int seconds) {
      this.channels = channels;
      this.method = method;
      this.md = md;
      this.request = request;
      this.end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      this.done = new CountDownLatch(concurrency);
      for (int c = 0; c < concurrency; c++) {
        if (seconds > 0) {
          send(channels[c % channels.length]);
        } else {
          done.countDown();
        }
      }
    }

    void await() throws InterruptedException {
      done.await();
    }

    private void send(ManagedChannel channel) {
      long t0 = System.nanoTime();
      ClientCall<byte[], byte[]> call =
          channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS));
      Metadata headers = new Metadata();
      headers.merge(md);
      call.start(
          new ClientCall.Listener<>() {
            int size = -1;

            @Override
            public void onMessage(byte[] message) {
              size = message.length;
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
              answered(channel, t0, status, size);
            }
          },
          headers);
      call.request(1);
      call.sendMessage(request);
      call.halfClose();
    }

    private synchronized void answered(
        ManagedChannel channel, long t0, Status status, int size) {
      long now = System.nanoTime();
      if (status.isOk() && size >= 0) {
        bytes += size;
      } else {
        errors++;
        String code = status.getCode().name();
        codes.merge(code, 1L, Long::sum);
        first.putIfAbsent(code, String.valueOf(status.getDescription()));
      }
      if (n == latencies.length) {
        latencies = Arrays.copyOf(latencies, n * 2);
      }
      latencies[n++] = now - t0;
      if (now < end) {
        send(channel);
      } else {
        done.countDown();
      }
    }
  }
}
