package dev.hotpath.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 9110 conditional requests: 304 on reads, 412 and 428 on updates; Cache-Control. */
class ConditionalRequestsApiTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);

  private List<String> everyKindOfGet() {
    long customer = fx.customer();
    long product = fx.product(100, 100);
    long order = fx.order(customer, product, 1);
    fx.order(customer, product, 2);
    String cursor =
        api.get("/v1/customers/" + customer + "/orders?limit=1").json().get("next_cursor").asText();
    return List.of(
        "/v1/customers/" + customer,
        "/v1/customers/" + customer + "?fields=id,name",
        "/v1/products/" + product,
        "/v1/orders/" + order,
        "/v1/orders/" + order + "?fields=id,items.quantity",
        "/v1/customers/" + customer + "/orders",
        "/v1/customers/" + customer + "/orders?limit=1&cursor=" + cursor,
        "/v1/customers?status=active&limit=3",
        "/v1/products?limit=3");
  }

  @Test
  void returns304WhenTheEtagMatchesOnEveryGet() {
    for (String path : everyKindOfGet()) {
      Api.Response first = api.get(path);
      String etag = first.header("ETag").orElseThrow();
      assertThat(etag).as(path).matches("\"[A-Za-z0-9.:_-]+\"");

      Api.Response again = api.get(path, "If-None-Match", etag);

      assertThat(again.status()).as(path).isEqualTo(304);
      assertThat(again.body()).as(path).isEmpty();
      assertThat(again.header("ETag")).as(path).contains(etag);
      assertThat(again.header("Cache-Control")).as(path).isEqualTo(first.header("Cache-Control"));
      assertThat(again.header("Vary")).as(path).contains("Accept-Encoding");
    }
  }

  @Test
  void weakListedAndStarTagsMatchForRevalidation() {
    long product = fx.product(100, 1);
    String path = "/v1/products/" + product;
    String etag = api.etag(path);
    assertThat(api.get(path, "If-None-Match", "W/" + etag).status()).isEqualTo(304);
    assertThat(api.get(path, "If-None-Match", "\"other\", " + etag).status()).isEqualTo(304);
    assertThat(api.get(path, "If-None-Match", "*").status()).isEqualTo(304);
    assertThat(api.get(path, "If-None-Match", "\"other\"").status()).isEqualTo(200);
  }

  @Test
  void aChangedResourceAnswers200WithItsNewTag() {
    long customer = fx.customer();
    String path = "/v1/customers/" + customer;
    String old = api.etag(path);
    api.patch(path, old, "{\"name\":\"Changed\"}");

    Api.Response r = api.get(path, "If-None-Match", old);

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("ETag")).isPresent().isNotEqualTo(java.util.Optional.of(old));
    assertThat(r.json().get("name").asText()).isEqualTo("Changed");
  }

  @Test
  void tagsDifferByFieldsetAndAreStableAcrossReads() {
    long order = fx.order(fx.customer(), fx.product(100, 10), 1);
    String full = api.etag("/v1/orders/" + order);
    String slim = api.etag("/v1/orders/" + order + "?fields=id,status");
    String items = api.etag("/v1/orders/" + order + "?fields=id,items.quantity");
    assertThat(List.of(full, slim, items)).doesNotHaveDuplicates();
    assertThat(api.etag("/v1/orders/" + order)).isEqualTo(full);
    assertThat(full).isEqualTo("\"o" + order + "v1\"");
  }

  @Test
  void ifModifiedSinceGives304UnlessTheResourceChangedAfterIt() {
    long customer = fx.customer();
    String path = "/v1/customers/" + customer;
    Api.Response first = api.get(path);
    String lastModified = first.header("Last-Modified").orElseThrow();
    ZonedDateTime date = ZonedDateTime.parse(lastModified, DateTimeFormatter.RFC_1123_DATE_TIME);
    String dayBefore = DateTimeFormatter.RFC_1123_DATE_TIME.format(date.minusDays(1));

    assertThat(api.get(path, "If-Modified-Since", lastModified).status()).isEqualTo(304);
    assertThat(api.get(path, "If-Modified-Since", dayBefore).status()).isEqualTo(200);
    assertThat(api.get(path, "If-Modified-Since", "not a date").status()).isEqualTo(200);
    assertThat(
            api.get(path, "If-None-Match", "\"stale\"", "If-Modified-Since", lastModified).status())
        .as("If-None-Match decides when both are sent")
        .isEqualTo(200);
  }

  @Test
  void aPatchWithoutIfMatchIs428AndChangesNothing() {
    long customer = fx.customer();
    String path = "/v1/customers/" + customer;
    Api.Response r = api.patch(path, "{\"name\":\"Unconditional\"}");
    assertThat(r.status()).isEqualTo(428);
    assertThat(r.json().get("type").asText()).endsWith("/precondition-required");
    assertThat(api.get(path).json().get("version").asInt()).isEqualTo(1);
  }

  @Test
  void aPatchWithAStaleIfMatchIs412AndChangesNothing() {
    long customer = fx.customer();
    String path = "/v1/customers/" + customer;
    String v1 = api.etag(path);
    assertThat(api.patch(path, v1, "{\"name\":\"First\"}").status()).isEqualTo(200);

    Api.Response stale = api.patch(path, v1, "{\"name\":\"Lost update\"}");

    assertThat(stale.status()).isEqualTo(412);
    assertThat(stale.json().get("type").asText()).endsWith("/precondition-failed");
    Api.Response now = api.get(path);
    assertThat(now.json().get("name").asText()).isEqualTo("First");
    assertThat(now.json().get("version").asInt()).isEqualTo(2);
  }

  @Test
  void aPatchWithTheCurrentTagSucceedsAndReturnsTheNextTag() {
    long customer = fx.customer();
    String path = "/v1/customers/" + customer;
    Api.Response first = api.patch(path, api.etag(path), "{\"name\":\"One\"}");
    assertThat(first.status()).isEqualTo(200);
    assertThat(first.header("ETag")).contains("\"c" + customer + "v2\"");
    assertThat(first.header("Last-Modified")).isPresent();

    Api.Response second = api.patch(path, first.header("ETag").get(), "{\"name\":\"Two\"}");
    assertThat(second.status()).isEqualTo(200);
    assertThat(second.json().get("version").asInt()).isEqualTo(3);
  }

  @Test
  void ifMatchAcceptsAnyTagOfTheCurrentVersionOrStarButNeverAWeakOne() {
    long customer = fx.customer();
    String path = "/v1/customers/" + customer;
    String slimV1 = api.etag(path + "?fields=id,name");

    assertThat(api.patch(path, "W/" + api.etag(path), "{\"name\":\"W\"}").status()).isEqualTo(412);
    assertThat(api.patch(path, "\"c" + (customer + 1) + "v1\"", "{\"name\":\"X\"}").status())
        .as("another customer's tag")
        .isEqualTo(412);
    assertThat(api.patch(path, "\"x\", " + slimV1, "{\"name\":\"Slim\"}").status())
        .as("a sparse fieldset's tag of the current version")
        .isEqualTo(200);
    String gzipV2 = api.etag(path).replaceFirst("\"$", ".gz\"");
    assertThat(api.patch(path, gzipV2, "{\"name\":\"Gzip\"}").status())
        .as("the gzip coding's tag of the current version")
        .isEqualTo(200);
    assertThat(api.patch(path, "*", "{\"name\":\"Star\"}").status()).isEqualTo(200);
    assertThat(api.patch(path, slimV1, "{\"name\":\"Stale\"}").status()).isEqualTo(412);
    Api.Response now = api.get(path);
    assertThat(now.json().get("name").asText()).isEqualTo("Star");
    assertThat(now.json().get("version").asInt()).isEqualTo(4);
  }

  @Test
  void aCreatedCustomerIsAtTheVersionItsFirstReadTags() {
    // the creation response is stored for its Idempotency-Key and replayed as it was, so it
    // carries no validators of its own; the first read tags version 1, which a patch can name
    Api.Response created =
        api.post(
            "/v1/customers",
            "{\"email\":\"" + Fixtures.uniqueEmail("etag") + "\",\"name\":\"Tagged\"}");
    long id = created.json().get("id").asLong();
    assertThat(created.json().get("version").asInt()).isEqualTo(1);
    String tag = api.etag("/v1/customers/" + id);
    assertThat(tag).contains("v1");
    assertThat(api.patch("/v1/customers/" + id, tag, "{\"name\":\"N\"}").status()).isEqualTo(200);
  }

  @Test
  void customerDataIsPrivateAndTheCatalogueIsPublic() {
    long customer = fx.customer();
    long product = fx.product(100, 1);
    long order = fx.order(customer, product, 1);
    for (String path :
        List.of(
            "/v1/customers/" + customer,
            "/v1/customers?limit=1",
            "/v1/orders/" + order,
            "/v1/customers/" + customer + "/orders")) {
      assertThat(api.get(path).header("Cache-Control")).as(path).contains("private, no-cache");
    }
    for (String path : List.of("/v1/products/" + product, "/v1/products?limit=1")) {
      assertThat(api.get(path).header("Cache-Control"))
          .as(path)
          .contains(
              "public, max-age=30, s-maxage=60, stale-while-revalidate=30, stale-if-error=300");
    }
    assertThat(api.get("/v1/products/999999999").header("Cache-Control")).contains("no-store");
  }
}
