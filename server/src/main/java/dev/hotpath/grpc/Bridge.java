package dev.hotpath.grpc;

import com.google.protobuf.Message;
import dev.hotpath.http.Format;
import dev.hotpath.http.InProcess;
import dev.hotpath.serve.ProtobufForms;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Runs a gRPC call as the REST request it stands for, handed in memory to this process's own routes
 * ({@link InProcess}: no loopback connection, no encoding), so that a call passes exactly what a
 * REST request passes: authentication and scopes, ownership, rate limits and admission (charged to
 * the call's peer address), the route's deadline, the response cache, metrics, traces and the
 * access log. Reads ask for {@code application/x-protobuf}, and the cached protobuf bytes are the
 * call's answer as they are: the answer of a read is never decoded and encoded again. The call's
 * deadline travels as the route's deadline; a cancelled call closes its request, which the route
 * sees as a client that has gone.
 */
final class Bridge {
  private static final Metadata.Key<String> RETRY_AFTER =
      Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);

  private final InProcess routes;
  private final Counter resets;

  Bridge(InProcess routes, MeterRegistry registry) {
    this.routes = routes;
    this.resets =
        Counter.builder("grpc.server.bridge.resets")
            .description("in-process requests closed because their gRPC call was cancelled")
            .register(registry);
  }

  /** A GET of {@code uri} answered in protobuf: the answer's bytes are the call's message. */
  void get(String uri, StreamObserver<byte[]> out) {
    send(HttpMethod.GET, uri, null, null, out);
  }

  /** A POST of a protobuf body to {@code uri}; its JSON answer sent as {@code prototype}'s type. */
  void post(String uri, Message body, Message prototype, StreamObserver<byte[]> out) {
    send(HttpMethod.POST, uri, Buffer.buffer(body.toByteArray()), prototype, out);
  }

  private void send(
      HttpMethod method,
      String uri,
      @Nullable Buffer body,
      @Nullable Message prototype,
      StreamObserver<byte[]> out) {
    Context context = Context.current();
    io.grpc.Deadline deadline = context.getDeadline();
    long remaining = -1;
    if (deadline != null) {
      remaining = deadline.timeRemaining(TimeUnit.MILLISECONDS);
      if (remaining <= 0) {
        out.onError(Status.DEADLINE_EXCEEDED.withDescription("deadline passed").asException());
        return;
      }
    }
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    String[] forwarded = CallHeaders.HEADERS.get(context);
    if (forwarded != null) {
      for (int i = 0; i < forwarded.length; i += 2) {
        if (forwarded[i + 1] != null) {
          headers.add(forwarded[i], forwarded[i + 1]);
        }
      }
    }
    headers.add("Accept", method == HttpMethod.GET ? Format.PROTOBUF.mediaType() : "*/*");
    if (body != null) {
      headers.add("Content-Type", Format.PROTOBUF.mediaType());
    }
    String peer = CallHeaders.PEER.get(context);
    InProcess.Exchange exchange;
    try {
      exchange =
          routes.send(
              new InProcess.Request(
                  method, uri, headers, body, peer == null ? "-" : peer, remaining));
    } catch (IllegalStateException stopping) {
      out.onError(Status.UNAVAILABLE.withDescription(stopping.getMessage()).asException());
      return;
    }
    if (out instanceof ServerCallStreamObserver<byte[]> call) {
      call.setOnCancelHandler(
          () -> {
            exchange.close();
            resets.increment();
          });
    }
    exchange
        .answer()
        .onComplete(
            ar -> {
              if (context.isCancelled()) {
                return; // the client has gone: nothing to send
              }
              if (ar.failed()) {
                boolean late = deadline != null && deadline.isExpired();
                out.onError(
                    (late ? Status.DEADLINE_EXCEEDED : Status.UNAVAILABLE)
                        .withDescription(ar.cause().toString())
                        .asException());
                return;
              }
              answer(ar.result(), prototype, out);
            });
  }

  private static void answer(
      InProcess.Answer a, @Nullable Message prototype, StreamObserver<byte[]> out) {
    if (a.ok()) {
      byte[] message;
      try {
        message =
            prototype == null
                ? a.body().getBytes()
                : ProtobufForms.bytes(a.body(), prototype).getBytes();
      } catch (RuntimeException e) {
        out.onError(
            Status.INTERNAL.withDescription("answer not decoded: " + e).withCause(e).asException());
        return;
      }
      out.onNext(message);
      out.onCompleted();
      return;
    }
    InProcess.Problem problem = a.problem();
    Metadata trailers = new Metadata();
    String retryAfter = a.headers().get("Retry-After");
    if (retryAfter != null) {
      trailers.put(RETRY_AFTER, retryAfter);
    }
    out.onError(ProblemStatus.status(problem, a.status()).asException(trailers));
  }
}
