package dev.hotpath.grpc;

import dev.hotpath.config.GrpcSettings;
import dev.hotpath.http.InProcess;
import dev.hotpath.proto.v1.CustomersServiceGrpc;
import dev.hotpath.proto.v1.OrdersServiceGrpc;
import dev.hotpath.proto.v1.ProductsServiceGrpc;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC server: OrdersService, CustomersService and ProductsService (api/proto), the standard
 * health service and server reflection, on {@code HOTPATH_GRPC_PORT}: grpc-java's Netty transport
 * on Vert.x's own Netty and event loops, which accept its connections and read its frames. A call's
 * callbacks run on the event loop that read it (a direct executor) and never block: each call is
 * the REST request it stands for, handed once, in memory, to the routes of that same event loop
 * (see {@link Bridge}), and its answer is written from there, so a call is read, served and
 * answered on one thread, with no hand-off or wake-up. grpc-java on its own (shaded) Netty instead,
 * with its event loops apart, cost a hand-off to an HTTP event loop and back per call and a second
 * Netty (#22; the figures are in the commit that moved it).
 */
public final class GrpcServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GrpcServer.class);

  private final Server server;
  private final HealthStatusManager health;
  private final GrpcSettings settings;
  private final AtomicBoolean terminal = new AtomicBoolean();

  private GrpcServer(Server server, HealthStatusManager health, GrpcSettings settings) {
    this.server = server;
    this.health = health;
    this.settings = settings;
  }

  /**
   * Starts the server on {@code host}:{@code settings.port()}, its calls sent to the REST routes of
   * the event loops registered with {@code routes}.
   *
   * @param maxMessageBytes largest request message (the REST body limit)
   */
  public static GrpcServer start(
      GrpcSettings settings,
      String host,
      InProcess routes,
      int maxMessageBytes,
      MeterRegistry registry,
      Vertx vertx) {
    Bridge bridge = new Bridge(routes, registry);
    HealthStatusManager health = new HealthStatusManager();
    VertxInternal loops = (VertxInternal) vertx;
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, settings.port()))
            // Vert.x's own event loops and Netty: a call is read, routed and answered on one
            // thread, with no hand-off between gRPC's event loops and the HTTP server's
            .bossEventLoopGroup(loops.acceptorEventLoopGroup())
            .workerEventLoopGroup(loops.nettyEventLoopGroup())
            // Vert.x's transport: a connection beyond HOTPATH_MAX_CONNECTIONS open in the process
            // (HTTP's counted too) is closed on the acceptor thread (edge/ConnectionBound)
            .channelFactory(loops.transport().serverChannelFactory(false))
            .directExecutor()
            .keepAliveTime(settings.keepAlive().toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveTimeout(settings.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .maxConnectionAge(settings.maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
            .maxConnectionAgeGrace(
                settings.maxConnectionAgeGrace().toMillis(), TimeUnit.MILLISECONDS)
            // clients may ping as often as every 20 s (grpc-java's least keepalive is 10 s)
            .permitKeepAliveTime(20, TimeUnit.SECONDS)
            // the calls a client has open are what admission may hold for it (see AdmissionGate)
            .maxConcurrentCallsPerConnection(settings.maxCallsPerConnection())
            .maxInboundMessageSize(maxMessageBytes)
            .intercept(new CallHeaders())
            .intercept(new CallMetrics(registry))
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .addService(ServerInterceptors.intercept(ProtoReflectionService.newInstance()));
    Services.bind(bridge).forEach(builder::addService);
    Server server = builder.build();
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException("gRPC server did not start on port " + settings.port(), e);
    }
    for (String service :
        List.of(
            "",
            OrdersServiceGrpc.SERVICE_NAME,
            CustomersServiceGrpc.SERVICE_NAME,
            ProductsServiceGrpc.SERVICE_NAME)) {
      health.setStatus(service, ServingStatus.SERVING);
    }
    log.info(
        "gRPC serving on {}:{} (keepalive {}, max connection age {})",
        host,
        server.getPort(),
        settings.keepAlive(),
        settings.maxConnectionAge());
    return new GrpcServer(server, health, settings);
  }

  public int port() {
    return server.getPort();
  }

  /** The health service answers NOT_SERVING (draining): balancers stop sending new calls. */
  public void draining() {
    if (terminal.compareAndSet(false, true)) {
      health.enterTerminalState();
    }
  }

  /** Stops taking calls and lets those in flight finish within the connection-age grace. */
  @Override
  public void close() {
    draining();
    server.shutdown();
    try {
      if (!server.awaitTermination(
          settings.maxConnectionAgeGrace().toMillis() + 1_000, TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Counts calls by method and status code ({@code grpc_server_calls_seconds}); each method's
   * timers are looked up once, not built and registered again per call.
   */
  private static final class CallMetrics implements ServerInterceptor {
    private final MeterRegistry registry;
    private final Map<String, AtomicReferenceArray<Timer>> timers = new ConcurrentHashMap<>();

    CallMetrics(MeterRegistry registry) {
      this.registry = registry;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      long start = System.nanoTime();
      AtomicReferenceArray<Timer> byCode =
          timers.computeIfAbsent(
              call.getMethodDescriptor().getFullMethodName(),
              m -> new AtomicReferenceArray<>(Status.Code.values().length));
      String method = call.getMethodDescriptor().getFullMethodName();
      ServerCall.Listener<Q> listener =
          next.startCall(
              new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void close(Status status, Metadata trailers) {
                  record(byCode, method, status.getCode(), start);
                  super.close(status, trailers);
                }
              },
              headers);
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
        @Override
        public void onCancel() {
          // the client went away (cancelled, or its deadline passed): no close follows
          record(byCode, method, Status.Code.CANCELLED, start);
          super.onCancel();
        }
      };
    }

    private void record(
        AtomicReferenceArray<Timer> byCode, String method, Status.Code code, long start) {
      Timer timer = byCode.get(code.ordinal());
      if (timer == null) {
        // registering is idempotent: a race registers the same timer twice
        timer =
            Timer.builder("grpc.server.calls")
                .description("gRPC calls by method and status code")
                .tag("method", method)
                .tag("code", code.name())
                .register(registry);
        byCode.set(code.ordinal(), timer);
      }
      timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }
}
