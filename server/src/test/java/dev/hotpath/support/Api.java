package dev.hotpath.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * A real HTTP client for the test server. Every response it returns has already been validated
 * against api/openapi.yaml, so a test that forgets to check the shape still checks the contract.
 */
public final class Api {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final String base;
  private final Contracts contract;
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  Api(String base, Contracts contract) {
    this.base = base;
    this.contract = contract;
  }

  /** A client for another server (a second instance, a child process), same contract checks. */
  public static Api at(String base) {
    return new Api(base, Contracts.instance());
  }

  public String base() {
    return base;
  }

  public HttpClient client() {
    return client;
  }

  public HttpRequest.Builder request(String pathAndQuery) {
    return HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(Duration.ofSeconds(30));
  }

  public Response get(String pathAndQuery) {
    return send(request(pathAndQuery).GET().build());
  }

  /** Creating routes that require an {@code Idempotency-Key}; {@link #post} sends a fresh one. */
  private static final Set<String> IDEMPOTENT =
      Set.of("/v1/orders", "/v1/customers", "/v1/reports");

  /**
   * POSTs JSON. On a route that requires an {@code Idempotency-Key}, sends a fresh one, as a
   * well-behaved client does for each new logical request.
   */
  public Response post(String pathAndQuery, String json) {
    return IDEMPOTENT.contains(pathAndQuery)
        ? post(pathAndQuery, json, "Idempotency-Key", UUID.randomUUID().toString())
        : post(pathAndQuery, json, new String[0]);
  }

  /** POSTs JSON with exactly the extra headers given (name, value, name, value...). */
  public Response post(String pathAndQuery, String json, String... headers) {
    HttpRequest.Builder request =
        request(pathAndQuery)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return send(request.build());
  }

  public Response patch(String pathAndQuery, String json) {
    return send(
        request(pathAndQuery)
            .header("Content-Type", "application/merge-patch+json")
            .method("PATCH", HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  /** Sends and validates against the contract. */
  public Response send(HttpRequest request) {
    try {
      HttpResponse<String> raw = client.send(request, HttpResponse.BodyHandlers.ofString());
      Response response = new Response(raw);
      contract.assertConforms(request, response);
      return response;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A response with its body read and, when it is JSON, parsed. */
  public static final class Response {
    private final HttpResponse<String> raw;
    private JsonNode json;

    Response(HttpResponse<String> raw) {
      this.raw = raw;
    }

    public int status() {
      return raw.statusCode();
    }

    public String body() {
      return raw.body();
    }

    public Optional<String> header(String name) {
      return raw.headers().firstValue(name);
    }

    public String contentType() {
      return header("Content-Type").orElse("");
    }

    public JsonNode json() {
      if (json == null) {
        try {
          json = MAPPER.readTree(raw.body());
        } catch (IOException e) {
          throw new AssertionError("body is not JSON: " + raw.body(), e);
        }
      }
      return json;
    }

    public HttpResponse<String> raw() {
      return raw;
    }

    @Override
    public String toString() {
      return raw.statusCode() + " " + raw.body();
    }
  }
}
