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

  /** Static files are not API operations: fetched outside the contract check. */
  private HttpResponse<byte[]> fetch(String path, String acceptEncoding) throws Exception {
    return api.client()
        .send(
            api.request(path).header("Accept-Encoding", acceptEncoding).build(),
            HttpResponse.BodyHandlers.ofByteArray());
  }
}
