package dev.hotpath.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.http.Compression;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import org.junit.jupiter.api.Test;

/** gzip by negotiation: bodies of 1 KiB or more, for clients that accept it, compressed once. */
class CompressionApiTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);

  /** A customer with enough orders that the first page is well over 1 KiB. */
  private String largePage() {
    long customer = fx.customer();
    long product = fx.product(100, 100);
    for (int i = 0; i < 4; i++) {
      fx.order(customer, product, 1);
    }
    return "/v1/customers/" + customer + "/orders";
  }

  @Test
  void largeBodiesComeGzippedToClientsThatAcceptIt() {
    String path = largePage();
    Api.Response plain = api.get(path);
    Api.Response gzipped = api.get(path, "Accept-Encoding", "gzip, deflate, br");

    assertThat(plain.body().length()).isGreaterThan(1024);
    assertThat(plain.header("Content-Encoding")).isEmpty();
    assertThat(gzipped.header("Content-Encoding")).contains("gzip");
    assertThat(gzipped.sentLength()).isLessThan(plain.sentLength() / 2);
    assertThat(gzipped.json()).isEqualTo(plain.json());
    assertThat(gzipped.header("Vary")).contains("Accept-Encoding");
    assertThat(plain.header("Vary")).contains("Accept-Encoding");
    assertThat(gzipped.header("ETag").orElseThrow())
        .isEqualTo(plain.header("ETag").orElseThrow().replaceFirst("\"$", ".gz\""));
  }

  @Test
  void smallBodiesAreSentAsTheyAre() {
    long customer = fx.customer();
    Api.Response r = api.get("/v1/customers/" + customer + "?fields=id", "Accept-Encoding", "gzip");
    assertThat(r.header("Content-Encoding")).isEmpty();
    assertThat(r.json().get("id").asLong()).isEqualTo(customer);
  }

  @Test
  void gzipWithWeightZeroIsHonoured() {
    String path = largePage();
    for (String refusal : new String[] {"gzip;q=0", "gzip;q=0.0, identity", "br, *;q=0"}) {
      Api.Response r = api.get(path, "Accept-Encoding", refusal);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("Content-Encoding")).as(refusal).isEmpty();
    }
    assertThat(
            api.get(path, "Accept-Encoding", "identity;q=0.5, gzip;q=0.9")
                .header("Content-Encoding"))
        .contains("gzip");
  }

  @Test
  void aCacheHitNeverCompressesTwice() {
    String path = largePage();
    long before = Compression.compressions();
    for (int i = 0; i < 5; i++) {
      Api.Response r = api.get(path, "Accept-Encoding", "gzip");
      assertThat(r.header("Content-Encoding")).contains("gzip");
    }
    assertThat(Compression.compressions() - before).isEqualTo(1);
  }

  @Test
  void listsAreCompressedToo() {
    Api.Response r = api.get("/v1/products?limit=50", "Accept-Encoding", "gzip");
    assertThat(r.header("Content-Encoding")).contains("gzip");
    assertThat(r.json().get("data")).hasSize(50);
  }

  @Test
  void eitherCodingsTagRevalidates() {
    String path = largePage();
    String gzipTag = api.get(path, "Accept-Encoding", "gzip").header("ETag").orElseThrow();
    String plainTag = api.etag(path);

    Api.Response plainClient = api.get(path, "If-None-Match", gzipTag);
    Api.Response gzipClient = api.get(path, "If-None-Match", plainTag, "Accept-Encoding", "gzip");

    assertThat(plainClient.status()).isEqualTo(304);
    assertThat(plainClient.header("ETag")).contains(plainTag);
    assertThat(gzipClient.status()).isEqualTo(304);
    assertThat(gzipClient.header("ETag")).contains(gzipTag);
  }
}
