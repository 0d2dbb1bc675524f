package dev.hotpath.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.App;
import dev.hotpath.support.Api;
import dev.hotpath.support.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code HOTPATH_AUTH=off} (a development setting): every API route answers without a token, and no
 * operator route is there at all, since no one could be granted their {@code admin} scope. Before,
 * the job queue's operator routes stayed mounted and answered anyone, retrying dead jobs included,
 * while the log level and flight recordings were gone.
 */
class AuthOffTest {
  private static final TestServer server = TestServer.get();
  private static App open;
  private static Api api;

  @BeforeAll
  static void startAnInstanceWithoutAuthentication() {
    open = App.start(server.secondInstance(Map.of("HOTPATH_AUTH", "off")));
    api = Api.of("http://localhost:" + open.port());
  }

  @AfterAll
  static void stop() {
    open.close();
  }

  /**
   * The operator routes' 404 is not in the contract (which describes them with authentication on),
   * so they are asked with a plain client, not the contract-checking one.
   */
  private static HttpResponse<String> plain(String method, String path) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://localhost:" + open.port() + path))
            .header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofString("{}"))
            .build();
    return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void apiRoutesAnswerWithoutATokenAndOperatorRoutesAreAbsent() throws Exception {
    assertThat(api.get("/v1/products?limit=1").status()).isEqualTo(200);
    String[][] operator = {
      {"GET", "/admin/jobs/stats"},
      {"GET", "/admin/jobs/dead"},
      {"POST", "/admin/jobs/1/retry"},
      {"GET", "/admin/jfr"},
      {"PUT", "/admin/log-level"}
    };
    for (String[] route : operator) {
      HttpResponse<String> response = plain(route[0], route[1]);
      assertThat(response.statusCode()).as(route[1]).isEqualTo(404);
      assertThat(response.headers().firstValue("Content-Type"))
          .as(route[1])
          .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    }
  }
}
