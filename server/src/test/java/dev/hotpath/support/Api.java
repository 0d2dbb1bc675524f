package dev.hotpath.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPInputStream;

/**
 * A real HTTP client for the test server. Every response it returns has already been validated
 * against api/openapi.yaml, so a test that forgets to check the shape still checks the contract.
 */
public final class Api {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final String base;
  private final Contracts contract;
  private final HttpClient client;
  private final Optional<String> token;

  Api(String base, Contracts contract) {
    this(base, contract, Optional.of(Tokens.get().service()), newClient(Optional.empty()));
  }

  private Api(String base, Contracts contract, Optional<String> token, HttpClient client) {
    this.base = base;
    this.contract = contract;
    this.token = token;
    this.client = client;
  }

  private static HttpClient newClient(Optional<java.net.InetAddress> local) {
    var builder =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5));
    local.ifPresent(builder::localAddress);
    return builder.build();
  }

  /**
   * A client of another server (a second instance), validating against the same contract, sending
   * the default service token.
   */
  /**
   * A Vert.x HTTP/2 client with prior knowledge (h2c, no upgrade), for what the JDK's client cannot
   * send: a {@code :path} in absolute form, a body framed by hand.
   */
  public static io.vertx.core.http.HttpClient h2c(io.vertx.core.Vertx vertx) {
    return vertx.createHttpClient(
        new io.vertx.core.http.HttpClientOptions()
            .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2)
            .setHttp2ClearTextUpgrade(false));
  }

  public static Api of(String base) {
    return new Api(base, Contracts.instance());
  }

  /** The same server, with {@code token} as the bearer token of every request. */
  public Api as(String newToken) {
    return new Api(base, contract, Optional.of(newToken), client);
  }

  /** The same server, without any Authorization header. */
  public Api anonymous() {
    return new Api(base, contract, Optional.empty(), client);
  }

  /**
   * The same server, and token, over a client of its own whose connections leave from {@code
   * localAddress} (e.g. 127.0.0.7): a client address of its own, for the per-address limits.
   */
  public Api from(String localAddress) {
    try {
      return new Api(
          base,
          contract,
          token,
          newClient(Optional.of(java.net.InetAddress.getByName(localAddress))));
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** The bearer token this client sends, if any. */
  public Optional<String> token() {
    return token;
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

  /** A request to {@code pathAndQuery}, with this client's token when it has one. */
  public HttpRequest.Builder request(String pathAndQuery) {
    var builder =
        HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(Duration.ofSeconds(30));
    token.ifPresent(t -> builder.header("Authorization", "Bearer " + t));
    return builder;
  }

  public Response get(String pathAndQuery) {
    return send(request(pathAndQuery).GET().build());
  }

  /** A GET with extra request headers, given as name, value, name, value... */
  public Response get(String pathAndQuery, String... headers) {
    return send(request(pathAndQuery).headers(headers).GET().build());
  }

  /** The entity tag a GET of {@code path} returns now. */
  public String etag(String path) {
    Response r = get(path);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.header("ETag").orElseThrow(() -> new AssertionError("no ETag on GET " + path));
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

  /** A PATCH without a precondition (the server answers 428). */
  public Response patch(String pathAndQuery, String json) {
    return send(
        request(pathAndQuery)
            .header("Content-Type", "application/merge-patch+json")
            .method("PATCH", HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  /** A PATCH conditional on {@code ifMatch} (an entity tag, a list of them, or *). */
  public Response patch(String pathAndQuery, String ifMatch, String json) {
    return send(
        request(pathAndQuery)
            .header("Content-Type", "application/merge-patch+json")
            .header("If-Match", ifMatch)
            .method("PATCH", HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  /** A PATCH of the resource as it is now: its current entity tag as the precondition. */
  public Response patchCurrent(String path, String json) {
    return patch(path, etag(path), json);
  }

  /** Sends and validates against the contract. */
  public Response send(HttpRequest request) {
    try {
      HttpResponse<byte[]> raw = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
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

  /**
   * {@code raw}, an answer to {@code request} that the caller received itself (a test that must
   * also see a balancer's own 502s, which the contract does not describe), validated against the
   * contract.
   */
  public Response conforming(HttpRequest request, HttpResponse<byte[]> raw) {
    Response response = new Response(raw);
    contract.assertConforms(request, response);
    return response;
  }

  /** Sends without waiting; the response is validated against the contract when it arrives. */
  public CompletableFuture<Response> sendAsync(HttpRequest request) {
    return client
        .sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(
            raw -> {
              Response response = new Response(raw);
              contract.assertConforms(request, response);
              return response;
            });
  }

  /**
   * A response with its body read, decoded when it came gzip-coded (as a client that sent {@code
   * Accept-Encoding: gzip} would) and, when it is JSON, parsed.
   */
  public static final class Response {
    private final HttpResponse<byte[]> raw;
    private final String body;
    private final byte[] bytes;
    private JsonNode json;

    Response(HttpResponse<byte[]> raw) {
      this.raw = raw;
      byte[] bytes = raw.body();
      if (raw.headers().firstValue("Content-Encoding").orElse("").equalsIgnoreCase("gzip")) {
        try (var in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
          bytes = in.readAllBytes();
        } catch (IOException e) {
          throw new AssertionError("body is not valid gzip", e);
        }
      }
      this.bytes = bytes;
      this.body = new String(bytes, StandardCharsets.UTF_8);
    }

    /** The body's bytes, decoded (a protobuf answer, say). */
    public byte[] bytes() {
      return bytes.clone();
    }

    public int status() {
      return raw.statusCode();
    }

    /** The body, decoded. */
    public String body() {
      return body;
    }

    /** Bytes of the body as sent (coded, when it was). */
    public int sentLength() {
      return raw.body().length;
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
          json = MAPPER.readTree(body);
        } catch (IOException e) {
          throw new AssertionError("body is not JSON: " + body, e);
        }
      }
      return json;
    }

    public HttpResponse<byte[]> raw() {
      return raw;
    }

    @Override
    public String toString() {
      return raw.statusCode() + " " + body;
    }
  }
}
