package dev.hotpath.grpc;

import com.google.protobuf.Message;
import dev.hotpath.http.Format;
import dev.hotpath.http.Loopback;
import dev.hotpath.serve.ProtobufForms;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Runs a gRPC call as the REST request it stands for, over loopback to this process's own HTTP port
 * ({@link Loopback}), so that a call passes exactly what a REST request passes: authentication and
 * scopes, ownership, rate limits and admission (charged to the call's peer address, not loopback),
 * the route's deadline, the response cache, metrics, traces and the access log. Reads ask for
 * {@code application/x-protobuf}, and the cached protobuf bytes are the call's answer as they are:
 * the answer of a read is never decoded and encoded again. The call's deadline travels as the
 * route's deadline and bounds the loopback request; a cancelled call resets its request.
 */
final class Bridge {
  private static final Metadata.Key<String> RETRY_AFTER =
      Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);

  private final Loopback loopback;
  private final Counter resets;

  Bridge(Loopback loopback, MeterRegistry registry) {
    this.loopback = loopback;
    this.resets =
        Counter.builder("grpc.server.bridge.resets")
            .description("loopback requests reset because their gRPC call was cancelled")
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
    String peer = CallHeaders.PEER.get(context);
    RequestOptions options = Loopback.request(method, uri, peer == null ? "-" : peer, remaining);
    String[] headers = CallHeaders.HEADERS.get(context);
    if (headers != null) {
      for (int i = 0; i < headers.length; i += 2) {
        if (headers[i + 1] != null) {
          options.putHeader(headers[i], headers[i + 1]);
        }
      }
    }
    options.putHeader("Accept", method == HttpMethod.GET ? Format.PROTOBUF.mediaType() : "*/*");
    if (body != null) {
      options.putHeader("Content-Type", Format.PROTOBUF.mediaType());
    }
    AtomicReference<HttpClientRequest> sent = new AtomicReference<>();
    if (out instanceof ServerCallStreamObserver<byte[]> call) {
      call.setOnCancelHandler(
          () -> {
            HttpClientRequest request = sent.get();
            if (request != null) {
              request.reset();
              resets.increment();
            }
          });
    }
    loopback
        .send(
            options,
            body,
            request -> {
              sent.set(request);
              if (context.isCancelled()) {
                request.reset();
                resets.increment();
              }
            })
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
      Loopback.Answer a, @Nullable Message prototype, StreamObserver<byte[]> out) {
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
    Loopback.Problem problem = a.problem();
    Metadata trailers = new Metadata();
    String retryAfter = a.headers().get("Retry-After");
    if (retryAfter != null) {
      trailers.put(RETRY_AFTER, retryAfter);
    }
    out.onError(ProblemStatus.status(problem, a.status()).asException(trailers));
  }
}
