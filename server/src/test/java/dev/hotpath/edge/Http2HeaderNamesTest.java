package dev.hotpath.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Over HTTP/2 (h2c) a response carries the same header fields as over HTTP/1.1, its names given
 * lowercase by hotpath itself (so that Vert.x need not lowercase them per response), and over
 * HTTP/1.1 the names keep their case: a cursor page and an order, as JSON and as protobuf.
 */
class Http2HeaderNamesTest {
  /** Fields whose values change from one response to the next. */
  private static final Set<String> PER_RESPONSE =
      Set.of("x-request-id", "traceparent", "server-timing", "ratelimit", "content-length");

  private final TestServer server = TestServer.get();
  private final Fixtures fx = new Fixtures(server);

  private HttpResponse<byte[]> get(HttpClient client, String path, String accept) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(server.api().base() + path))
            .header("Authorization", "Bearer " + Tokens.get().service())
            .header("Accept", accept)
            .timeout(Duration.ofSeconds(30))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Header fields by lowercase name, the per-response ones with their values left out. */
  private static Map<String, List<String>> stable(HttpResponse<?> r) {
    Map<String, List<String>> fields = new TreeMap<>();
    r.headers()
        .map()
        .forEach(
            (name, values) -> {
              if (name.startsWith(":")) {
                return; // HTTP/2's :status, which the client lists with the fields
              }
              String lower = name.toLowerCase(Locale.ROOT);
              fields.put(lower, PER_RESPONSE.contains(lower) ? List.of() : values);
            });
    return fields;
  }

  @Test
  void http2SendsTheFieldsOfHttp11AndHttp11KeepsTheirCase() throws Exception {
    long customer = fx.customer();
    long product = fx.product(250, 100);
    long order = fx.order(customer, product, 1);
    fx.order(customer, product, 2);
    HttpClient h1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    get(h2, "/health/live", "*/*"); // the h2c upgrade: the client's next requests are HTTP/2
    for (String path :
        List.of("/v1/customers/" + customer + "/orders?limit=1", "/v1/orders/" + order)) {
      for (String accept : List.of("application/json", "application/x-protobuf")) {
        HttpResponse<byte[]> one = get(h1, path, accept);
        HttpResponse<byte[]> two = get(h2, path, accept);
        assertThat(one.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(two.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(two.statusCode()).isEqualTo(one.statusCode()).isEqualTo(200);
        assertThat(two.body()).isEqualTo(one.body());
        assertThat(stable(two)).as(path + " " + accept).isEqualTo(stable(one));
        assertThat(two.headers().map().keySet())
            .filteredOn(name -> !name.startsWith(":"))
            .allSatisfy(name -> assertThat(name).isEqualTo(name.toLowerCase(Locale.ROOT)));
      }
    }
    for (String accept : List.of("application/json", "application/x-protobuf")) {
      assertThat(rawHead("/v1/customers/" + customer + "/orders?limit=1", accept))
          .as("HTTP/1.1 names keep their case")
          .startsWith("HTTP/1.1 200")
          .contains(
              "\r\nX-Request-Id: ",
              "\r\nX-Content-Type-Options: ",
              "\r\nContent-Security-Policy: ",
              "\r\nRateLimit-Policy: ",
              "\r\nRateLimit: ",
              "\r\nETag: ",
              "\r\nCache-Control: ",
              "\r\nVary: ",
              "\r\nLink: ",
              "\r\nContent-Type: ",
              "\r\nServer-Timing: ");
    }
  }

  /** The status line and header fields of a GET over HTTP/1.1, as the server wrote them. */
  private String rawHead(String path, String accept) throws Exception {
    URI base = URI.create(server.api().base());
    try (Socket socket = new Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(30_000);
      socket
          .getOutputStream()
          .write(
              ("GET "
                      + path
                      + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                      + Tokens.get().service()
                      + "\r\nAccept: "
                      + accept
                      + "\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      String all = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      return all.substring(0, all.indexOf("\r\n\r\n") + 2);
    }
  }
}
