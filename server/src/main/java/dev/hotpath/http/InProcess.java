package dev.hotpath.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.tracing.SpanKind;
import io.vertx.core.spi.tracing.TagExtractor;
import io.vertx.core.spi.tracing.VertxTracer;
import io.vertx.core.tracing.TracingPolicy;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Requests this process makes of its own routes on a caller's behalf (a gRPC call, a GraphQL
 * mutation), handed in memory to the request handler an event loop's HTTP server gives its
 * requests: no encoding, no socket, no parsing, yet exactly a REST request's path from there on
 * (canonical path check, early refusal, the router: deadline, admission, authentication, ownership,
 * rate limits, the handler, the response cache, metrics, traces and the access log). A request
 * names its caller's address, which the rate limits and the access log see as its peer, and the
 * caller's remaining time as {@link Deadline#TIMEOUT_HEADER}. Each event loop's HTTP server
 * registers its handler ({@link #enter}); a request runs on the event loop it is sent from when
 * that is one of them (a Vert.x handler, or a gRPC call read there: see grpc/GrpcServer), at once,
 * else on the next in turn ({@link #handOffs}). Thread-safe.
 */
public final class InProcess {
  private static final Map<String, ProblemType> BY_URI = new HashMap<>();

  static {
    for (ProblemType type : ProblemType.values()) {
      BY_URI.put(type.uri(), type);
    }
  }

  /** One event loop's way in: its context, its servers' request handler, and how it is traced. */
  private record Entry(
      ContextInternal context,
      Handler<HttpServerRequest> handler,
      TracingPolicy tracing,
      SocketAddress local) {}

  /** The registered event loops: replaced whole on a change, read without a lock. */
  private volatile List<Entry> entries = List.of();

  private final AtomicInteger next = new AtomicInteger();
  private final AtomicLong handOffs = new AtomicLong();

  /**
   * Registers the event loop of {@code context}: requests sent on it go to {@code handler}, the
   * handler its HTTP server (listening at {@code host}:{@code port}) gives its requests, traced by
   * {@code tracing} as that server's are.
   */
  public synchronized void enter(
      Context context,
      Handler<HttpServerRequest> handler,
      TracingPolicy tracing,
      String host,
      int port) {
    String address =
        host.equals("0.0.0.0") || host.equals("::") || host.isEmpty() ? "127.0.0.1" : host;
    List<Entry> more = new ArrayList<>(entries);
    more.add(
        new Entry(
            (ContextInternal) context,
            handler,
            tracing,
            SocketAddress.inetSocketAddress(port, address)));
    entries = List.copyOf(more);
  }

  /** Whether {@code request} was sent in process (by {@link #send}) rather than over a socket. */
  public static boolean isInProcess(HttpServerRequest request) {
    // the router hands its handlers a wrapper of the request; its connection is the request's own
    return request.connection() instanceof LocalConnection;
  }

  /**
   * Requests sent from a thread that is none of the registered event loops, and so handed to one (a
   * task queued there and its thread woken); those sent from an event loop run on it at once.
   */
  public long handOffs() {
    return handOffs.get();
  }

  /** Takes the event loop of {@code context} out: it is stopping. */
  public synchronized void leave(Context context) {
    List<Entry> fewer = new ArrayList<>(entries);
    fewer.removeIf(e -> e.context() == context);
    entries = List.copyOf(fewer);
  }

  /**
   * A request to send: {@code uri} (path and query, as a client sends them), its headers (without
   * the caller's address or deadline, which are given apart; the map becomes the request's own and
   * is added to, not copied), its body (null for none), the caller's address ({@code "-"} when
   * unknown) and the caller's time left in milliseconds (negative: none).
   */
  public record Request(
      HttpMethod method,
      String uri,
      MultiMap headers,
      @Nullable Buffer body,
      String caller,
      long remainingMillis) {}

  /** A request on its way: its answer, and a way to give up on it. */
  public interface Exchange {
    /** Succeeds with whatever the route answered (problems too); fails if the request closed. */
    Future<Answer> answer();

    /**
     * The caller has gone: the route sees its client disconnect, as when a socket closes under a
     * request. Nothing happens once the answer is complete. Callable from any thread.
     */
    void close();
  }

  /**
   * Sends {@code request} to an event loop's routes.
   *
   * @throws IllegalStateException when no event loop is serving (before start, after stop)
   */
  public Exchange send(Request request) {
    List<Entry> now = entries;
    if (now.isEmpty()) {
      throw new IllegalStateException("no event loop serves requests in process");
    }
    Entry entry = null;
    // sent from an event loop's thread (a Vert.x handler, or a gRPC call read there): that loop
    for (Entry e : now) {
      if (e.context().nettyEventLoop().inEventLoop()) {
        entry = e;
        break;
      }
    }
    if (entry == null) {
      entry = now.get(Math.floorMod(next.getAndIncrement(), now.size()));
      handOffs.incrementAndGet();
    }
    Running running = new Running(entry, request);
    if (entry.context().inThread()) {
      running.context.dispatch(running::start);
    } else {
      running.context.runOnContext(v -> running.start());
    }
    return running;
  }

  /** One request in process, from its start on its own (duplicated) context to its answer. */
  private static final class Running implements Exchange, LocalResponse.Outcome {
    private final Entry entry;
    private final ContextInternal context;
    private final Request request;
    private final Promise<Answer> answer = Promise.promise();
    private final LocalResponse response = new LocalResponse(this);
    private @Nullable VertxTracer<Object, Object> tracer;
    private @Nullable Object trace;

    Running(Entry entry, Request request) {
      this.entry = entry;
      // each request on a context of its own, as the HTTP server gives each of its requests
      this.context = entry.context().duplicate();
      this.request = request;
    }

    @SuppressWarnings("unchecked")
    void start() {
      MultiMap headers = request.headers();
      if (request.remainingMillis() >= 0) {
        headers.set(Deadline.TIMEOUT_HEADER, Long.toString(request.remainingMillis()));
      }
      if (request.body() != null) {
        headers.set("Content-Length", Integer.toString(request.body().length()));
      }
      // an unknown caller: an address without a host, which is charged and logged as "-"
      SocketAddress caller =
          request.caller().equals("-")
              ? SocketAddress.domainSocketAddress("in-process")
              : SocketAddress.inetSocketAddress(0, request.caller());
      LocalRequest local =
          new LocalRequest(
              context,
              request.method(),
              request.uri(),
              headers,
              request.body(),
              caller,
              entry.local(),
              response);
      tracer = context.tracer();
      if (tracer != null) {
        trace =
            tracer.receiveRequest(
                context,
                SpanKind.RPC,
                entry.tracing(),
                local,
                request.method().name(),
                headers,
                TagExtractor.empty());
      }
      try {
        entry.handler().handle(local);
      } catch (RuntimeException e) {
        // a socket's request would get a 500 from the server; the caller hears it failed
        answer.tryFail(e);
        response.close();
      }
    }

    @Override
    public Future<Answer> answer() {
      return answer.future();
    }

    @Override
    public void close() {
      context.runOnContext(v -> response.close());
    }

    @Override
    public void ending(LocalResponse r) {
      if (tracer != null) {
        tracer.sendResponse(context, r, trace, null, TagExtractor.empty());
      }
    }

    @Override
    public void ended(LocalResponse r) {
      answer.tryComplete(new Answer(r.getStatusCode(), r.headers(), r.body()));
    }

    @Override
    public void closed(LocalResponse r) {
      HttpClosedException gone = new HttpClosedException("the in-process caller has gone");
      if (tracer != null) {
        tracer.sendResponse(context, null, trace, gone, TagExtractor.empty());
      }
      answer.tryFail(gone);
    }
  }

  /** What the route answered. */
  public record Answer(int status, MultiMap headers, Buffer body) {
    public boolean ok() {
      return status >= 200 && status < 300;
    }

    /** The problem a failed answer carries (its type empty when not one of the API's). */
    public Problem problem() {
      String fallback = "HTTP " + status;
      try {
        JsonNode problem = JsonOutput.MAPPER.readTree(body.getBytes());
        Optional<ProblemType> type = Optional.ofNullable(BY_URI.get(problem.path("type").asText()));
        List<FieldError> errors = new ArrayList<>();
        for (JsonNode error : problem.path("errors")) {
          errors.add(new FieldError(error.path("field").asText(), error.path("message").asText()));
        }
        String detail = problem.path("detail").asText(problem.path("title").asText(fallback));
        return new Problem(type, detail, List.copyOf(errors));
      } catch (IOException | RuntimeException e) {
        // not a problem document: the status alone tells
        return new Problem(Optional.empty(), fallback, List.of());
      }
    }
  }

  /** A problem answer: its type when it is one of the API's, its detail and field errors. */
  public record Problem(Optional<ProblemType> type, String detail, List<FieldError> errors) {
    /** As the exception the same problem is raised with on this side. */
    public ProblemException exception() {
      return new ProblemException(type.orElse(ProblemType.INTERNAL), detail, errors);
    }
  }
}
