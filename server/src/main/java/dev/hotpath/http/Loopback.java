package dev.hotpath.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.observe.ClientAddress;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Requests this process sends to its own HTTP port on a caller's behalf (a gRPC call, a GraphQL
 * mutation), so that they take exactly a REST request's path: each names its caller's address
 * ({@link ClientAddress}: rate limits and the access log see the caller, not loopback) and carries
 * the caller's remaining time as {@link Deadline#TIMEOUT_HEADER}, and its answer is read whole.
 * Non-blocking; one instance per HTTP client.
 */
public final class Loopback {
  private static final Map<String, ProblemType> BY_URI = new HashMap<>();

  static {
    for (ProblemType type : ProblemType.values()) {
      BY_URI.put(type.uri(), type);
    }
  }

  /** Past the caller's deadline, how long the request still waits for the route's own answer. */
  private static final long GRACE_MS = 50;

  private final HttpClient client;

  public Loopback(HttpClient client) {
    this.client = client;
  }

  /**
   * A client of this process's own HTTP server at {@code host} (a wildcard address: 127.0.0.1) and
   * {@code port}, keeping at most {@code connections} HTTP/1.1 connections; with TLS, the server's
   * own certificate is taken as it is (it is this process).
   */
  public static HttpClient client(
      Vertx vertx, boolean tls, String host, int port, int connections) {
    String target =
        host.equals("0.0.0.0") || host.equals("::") || host.isEmpty() ? "127.0.0.1" : host;
    return vertx.createHttpClient(
        new HttpClientOptions()
            .setSsl(tls)
            .setTrustAll(tls)
            .setVerifyHost(false)
            .setDefaultHost(target)
            .setDefaultPort(port),
        new PoolOptions().setHttp1MaxSize(connections));
  }

  /**
   * A request for {@code uri} on behalf of the caller at {@code peer}, who has {@code
   * remainingMillis} left (negative: no deadline): the route's deadline becomes that, and the
   * request gives up a little after it, so that a route that answers at its deadline is heard.
   */
  public static RequestOptions request(
      HttpMethod method, String uri, String peer, long remainingMillis) {
    RequestOptions options = new RequestOptions().setMethod(method).setURI(uri);
    ClientAddress.onBehalfOf(options, peer);
    if (remainingMillis >= 0) {
      options.putHeader(Deadline.TIMEOUT_HEADER, Long.toString(remainingMillis));
      options.setTimeout(remainingMillis + GRACE_MS);
    }
    return options;
  }

  /**
   * Sends {@code options} with {@code body} (none when null); {@code sent} learns the request as
   * soon as it exists (to reset it when the caller goes away). Fails when the request cannot be
   * sent or times out; any answer, problems included, succeeds.
   */
  public Future<Answer> send(
      RequestOptions options, @Nullable Buffer body, Consumer<HttpClientRequest> sent) {
    return client
        .request(options)
        .compose(
            request -> {
              sent.accept(request);
              return body == null ? request.send() : request.send(body);
            })
        .compose(
            response ->
                response
                    .body()
                    .map(bytes -> new Answer(response.statusCode(), response.headers(), bytes)));
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
