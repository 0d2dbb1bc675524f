package dev.hotpath.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.hotpath.support.Api;
import dev.hotpath.support.TestServer;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** What a newcomer meets first: {@code /}, the docs page and the contract it loads (issue 15). */
class DocsTest {
  private static final Pattern ASSET =
      Pattern.compile("src=\"(/docs/assets/([^/\"]+)/swagger-ui-bundle\\.js)\"");

  private final Api api = TestServer.get().api();

  @Test
  void theServedContractNamesNoFixedHostSoTryItOutCallsTheServerThatServedIt() throws Exception {
    Api.Response yaml = api.get("/openapi.yaml");
    JsonNode servers = new ObjectMapper(new YAMLFactory()).readTree(yaml.body()).get("servers");
    assertThat(servers).hasSize(1);
    // Swagger UI resolves a relative server against the document's own URL: any host, any port
    assertThat(servers.get(0).get("url").asText()).isEqualTo("/");
    assertThat(yaml.body()).doesNotContain("localhost:");
  }

  @Test
  void theRootPointsToTheDocsTheContractAndHealthAndEachAnswers() {
    Api.Response root = api.anonymous().get("/");
    assertThat(root.status()).as(root.body()).isEqualTo(200);
    JsonNode links = root.json();
    assertThat(links.get("docs").asText()).isEqualTo("/docs");
    assertThat(links.get("openapi").asText()).isEqualTo("/openapi.yaml");
    for (String path :
        new String[] {
          links.get("docs").asText(),
          links.get("openapi").asText(),
          links.get("health").get("live").asText(),
          links.get("health").get("ready").asText()
        }) {
      assertThat(api.anonymous().get(path).status()).as(path).isEqualTo(200);
    }
  }

  @Test
  void theDocsBundleIsGzippedOnceAndImmutableOnlyUnderItsVersionedUrl() throws Exception {
    Api.Response docs = api.get("/docs");
    Matcher m = ASSET.matcher(docs.body());
    assertThat(m.find()).as(docs.body()).isTrue();
    String url = m.group(1);
    String version = m.group(2);
    assertThat(version).matches("\\d+\\.\\d+\\.\\d+.*");

    HttpResponse<byte[]> plain = fetch(url, "identity");
    assertThat(plain.statusCode()).isEqualTo(200);
    assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
    assertThat(plain.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/javascript"));
    assertThat(plain.headers().firstValue("Cache-Control"))
        .contains("public, max-age=31536000, immutable");
    assertThat(plain.body().length).isGreaterThan(1_000_000);

    HttpResponse<byte[]> gzip = fetch(url, "gzip, deflate, br");
    assertThat(gzip.statusCode()).isEqualTo(200);
    assertThat(gzip.headers().firstValue("Content-Encoding")).contains("gzip");
    assertThat(gzip.headers().firstValue("Vary")).contains("Accept-Encoding");
    assertThat(gzip.body().length).isLessThan(plain.body().length / 2);
    assertThat(new GZIPInputStream(new ByteArrayInputStream(gzip.body())).readAllBytes())
        .isEqualTo(plain.body());
    // the same bytes again: compressed once, kept
    assertThat(fetch(url, "gzip").body()).isEqualTo(gzip.body());

    // no file is immutable on a URL that does not name the version it holds
    assertThat(fetch("/docs/assets/swagger-ui-bundle.js", "gzip").statusCode()).isEqualTo(404);
    assertThat(fetch("/docs/assets/0.0.1/swagger-ui-bundle.js", "gzip").statusCode())
        .isEqualTo(404);
    assertThat(fetch("/docs/assets/" + version + "/no-such-file.js", "gzip").statusCode())
        .isEqualTo(404);
    Matcher css = Pattern.compile("href=\"(/docs/assets/[^\"]+\\.css)\"").matcher(docs.body());
    assertThat(css.find()).isTrue();
    assertThat(fetch(css.group(1), "gzip").statusCode()).isEqualTo(200);
  }

  /**
   * A documentation file asked for by many clients at once before it was ever loaded is read and
   * compressed once, and every one of them gets it. Before, each request that came before the first
   * load ended ran a load of its own on the worker pool: 200 concurrent requests for a 1.5 MB
   * bundle on a fresh demo server spent about 9 s of CPU compressing it again and again, held the
   * worker pool for 30 s, answered 102 of the 200 with the request timeout's 503, and each load
   * that ended after its 503 logged an ERROR with a stack trace (the response was already sent).
   */
  @Test
  void aFileAskedForByManyAtOnceIsLoadedOnce() throws Exception {
    Matcher m = ASSET.matcher(api.get("/docs").body());
    assertThat(m.find()).isTrue();
    // a file of the webjar that the docs page does not load: no other test has asked for it
    String url = "/docs/assets/" + m.group(2) + "/swagger-ui-es-bundle.js";
    long before = dev.hotpath.http.DocsAssets.loads();
    java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<byte[]>>> all =
        new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      all.add(
          api.client()
              .sendAsync(
                  api.request(url).header("Accept-Encoding", "gzip").build(),
                  HttpResponse.BodyHandlers.ofByteArray()));
    }
    byte[] first = null;
    for (var future : all) {
      HttpResponse<byte[]> response = future.get(60, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(response.statusCode()).isEqualTo(200);
      if (first == null) {
        first = response.body();
      }
      assertThat(response.body()).isEqualTo(first);
    }
    assertThat(dev.hotpath.http.DocsAssets.loads() - before).as("loads").isEqualTo(1);
  }

  /**
   * A file the webjar does not hold is a 404 without a load, whatever the worker pool is doing: its
   * names are known from start. Before, finding out was a load on the worker pool, so while that
   * pool was full (here: every one of Vert.x's 20 shared workers held by tasks that wait for the
   * test) the request waited for a worker and got the request timeout's 503 (seen in DocsTest at
   * machine load 7-9).
   */
  @Test
  void aMissingFileIsA404WhileTheWorkerPoolIsFull() throws Exception {
    Matcher m = ASSET.matcher(api.get("/docs").body());
    assertThat(m.find()).isTrue();
    io.vertx.core.Vertx vertx = TestServer.get().app().vertx();
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(20);
    java.util.List<io.vertx.core.Future<Object>> holders = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        holders.add(
            vertx.executeBlocking(
                () -> {
                  held.countDown();
                  release.await();
                  return null;
                },
                false));
      }
      assertThat(held.await(60, java.util.concurrent.TimeUnit.SECONDS))
          .as("every shared worker held")
          .isTrue();
      long before = dev.hotpath.http.DocsAssets.loads();
      HttpResponse<byte[]> missing =
          fetch(
              "/docs/assets/" + m.group(2) + "/no-such-file-" + System.nanoTime() + ".js", "gzip");
      assertThat(missing.statusCode()).isEqualTo(404);
      assertThat(dev.hotpath.http.DocsAssets.loads() - before).as("loads").isZero();
    } finally {
      release.countDown();
    }
    for (var holder : holders) {
      holder.await();
    }
  }

  /** Static files are not API operations: fetched outside the contract check. */
  private HttpResponse<byte[]> fetch(String path, String acceptEncoding) throws Exception {
    return api.client()
        .send(
            api.request(path).header("Accept-Encoding", acceptEncoding).build(),
            HttpResponse.BodyHandlers.ofByteArray());
  }
}
