package dev.hotpath.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.support.Api;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class HealthTest {
  private final TestServer server = TestServer.get();

  @Test
  void liveAndReady() {
    Api api = server.api();
    Api.Response live = api.get("/health/live");
    assertThat(live.status()).isEqualTo(200);
    Api.Response ready = api.get("/health/ready");
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.json().get("checks").get("database").asText()).isEqualTo("up");
    assertThat(ready.json().get("checks").get("migrations").asText()).isEqualTo("applied");
  }

  /**
   * A second instance on the same database (as a scaled-out deployment runs): it shares the data
   * and the cursor key, and on close it finishes what it accepted before the port goes away. It
   * keeps serving for its shutdown delay, so the requests sent just before {@code close} arrive
   * before the listener closes however slow this machine is.
   */
  @Test
  void aSecondInstanceSharesDataAndCursorsAndDrainsOnClose() throws Exception {
    Settings settings = server.secondInstance(Map.of("HOTPATH_SHUTDOWN_DELAY_MS", "1000"));
    App second = App.start(settings);
    String base = "http://localhost:" + second.port();
    HttpClient client = HttpClient.newHttpClient();
    String cursor = server.api().get("/v1/customers?limit=2").json().get("next_cursor").asText();
    HttpResponse<String> paged =
        client.send(
            HttpRequest.newBuilder(URI.create(base + "/v1/customers?limit=2&cursor=" + cursor))
                .header("Authorization", "Bearer " + Tokens.get().service())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(paged.statusCode()).isEqualTo(200);

    List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      inFlight.add(
          client.sendAsync(
              HttpRequest.newBuilder(URI.create(base + "/v1/customers?limit=100"))
                  .header("Authorization", "Bearer " + Tokens.get().service())
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    second.close();
    int completed = 0;
    for (var f : inFlight) {
      try {
        HttpResponse<String> r = f.get();
        assertThat(r.statusCode()).isEqualTo(200);
        completed++;
      } catch (java.util.concurrent.ExecutionException refused) {
        // sent after the listener closed: refused at connect, never half-answered
        assertThat(refused.getCause()).isInstanceOf(java.io.IOException.class);
      }
    }
    assertThat(completed).isPositive();
    assertThat(server.api().get("/health/ready").status()).isEqualTo(200);
  }
}
