package dev.hotpath.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.hotpath.http.Deadline;
import dev.hotpath.http.Format;
import dev.hotpath.serve.ProtobufForms;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a gRPC call as the REST request it stands for, over loopback to this process's own HTTP
 * port, so that a call passes exactly what a REST request passes: authentication and scopes,
 * ownership, rate limits, admission, the route's deadline, the response cache, metrics, traces and
 * the access log. Reads ask for {@code application/x-protobuf}, so the cached protobuf bytes are
 * what the call decodes. The call's deadline travels as {@link Deadline#TIMEOUT_HEADER} and bounds
 * the loopback request; a cancelled call resets its request.
 */
final class Bridge {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Metadata.Key<String> RETRY_AFTER =
      Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);

  private final HttpClient client;
  private final Counter resets;

  Bridge(HttpClient client, MeterRegistry registry) {
    this.client = client;
    this.resets =
        Counter.builder("grpc.server.bridge.resets")
            .description("loopback requests reset because their gRPC call was cancelled")
            .register(registry);
  }

  /** A GET of {@code path} answered in protobuf, decoded by {@code parser}. */
  <T extends Message> void get(String path, Parser<T> parser, StreamObserver<T> out) {
    send(HttpMethod.GET, path, null, out, body -> parser.parseFrom(body.getBytes()));
  }

  /** A POST of a protobuf body to {@code path}; its JSON answer read as {@code prototype}. */
  <T extends Message> void post(String path, Message body, T prototype, StreamObserver<T> out) {
    send(
        HttpMethod.POST,
        path,
        Buffer.buffer(body.toByteArray()),
        out,
        answer -> cast(ProtobufForms.message(answer, prototype)));
  }

  @SuppressWarnings("unchecked")
  private static <T> T cast(Message m) {
    return (T) m;
  }

  @FunctionalInterface
  private interface Decoder<T> {
    T decode(Buffer body) throws IOException;
  }

  private <T> void send(
      HttpMethod method, String path, Buffer body, StreamObserver<T> out, Decoder<T> decoder) {
    Context context = Context.current();
    RequestOptions options = new RequestOptions().setMethod(method).setURI(path);
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
    io.grpc.Deadline deadline = context.getDeadline();
    if (deadline != null) {
      long ms = deadline.timeRemaining(TimeUnit.MILLISECONDS);
      if (ms <= 0) {
        out.onError(Status.DEADLINE_EXCEEDED.withDescription("deadline passed").asException());
        return;
      }
      options.putHeader(Deadline.TIMEOUT_HEADER, Long.toString(ms));
      // the loopback request gives up a little after the route's deadline, so that a route that
      // answers at its deadline is heard
      options.setTimeout(ms + 50);
    }
    AtomicReference<HttpClientRequest> sent = new AtomicReference<>();
    if (out instanceof ServerCallStreamObserver<T> call) {
      call.setOnCancelHandler(
          () -> {
            HttpClientRequest request = sent.get();
            if (request != null) {
              request.reset();
              resets.increment();
            }
          });
    }
    client
        .request(options)
        .compose(
            request -> {
              sent.set(request);
              if (context.isCancelled()) {
                request.reset();
                resets.increment();
              }
              return (body == null ? request.send() : request.send(body))
                  .compose(
                      response ->
                          response.body().map(b -> new Answer(response.statusCode(), response, b)));
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
              answer(ar.result(), out, decoder);
            });
  }

  private record Answer(int status, io.vertx.core.http.HttpClientResponse response, Buffer body) {}

  private static <T> void answer(Answer a, StreamObserver<T> out, Decoder<T> decoder) {
    if (a.status() >= 200 && a.status() < 300) {
      T message;
      try {
        message = decoder.decode(a.body());
      } catch (IOException | RuntimeException e) {
        out.onError(
            Status.INTERNAL.withDescription("answer not decoded: " + e).withCause(e).asException());
        return;
      }
      out.onNext(message);
      out.onCompleted();
      return;
    }
    String type = "";
    String detail = "HTTP " + a.status();
    try {
      JsonNode problem = MAPPER.readTree(a.body().getBytes());
      type = problem.path("type").asText("");
      detail = problem.path("detail").asText(problem.path("title").asText(detail));
    } catch (IOException | RuntimeException e) {
      // not a problem document: the status alone decides
    }
    Metadata trailers = new Metadata();
    String retryAfter = a.response().getHeader("Retry-After");
    if (retryAfter != null) {
      trailers.put(RETRY_AFTER, retryAfter);
    }
    out.onError(ProblemStatus.status(type, a.status(), detail).asException(trailers));
  }

  /** {@code ?name=value&...} of the values given (name, value pairs) that are set. */
  static String query(String... pairs) {
    StringBuilder q = new StringBuilder();
    for (int i = 0; i < pairs.length; i += 2) {
      String value = pairs[i + 1];
      if (value != null && !value.isEmpty()) {
        q.append(q.isEmpty() ? '?' : '&')
            .append(pairs[i])
            .append('=')
            .append(URLEncoder.encode(value, StandardCharsets.UTF_8));
      }
    }
    return q.toString();
  }
}
