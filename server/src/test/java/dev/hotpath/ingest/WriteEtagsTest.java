package dev.hotpath.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.net.http.HttpRequest;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Every write that returns a representation carries its entity tag (issue 15): a client goes on
 * with a conditional request (cancel, PATCH, revalidation) from the write's answer, without a GET.
 */
class WriteEtagsTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);

  private Api.Response cancel(long order, String ifMatch) {
    return api.send(
        api.request("/v1/orders/" + order + "/cancel")
            .header("If-Match", ifMatch)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build());
  }

  @Test
  void aPlacedOrdersEtagIsTheOneAGetGivesAndCancelsItWithoutAGet() {
    long order;
    String placedTag;
    Api.Response placed =
        api.post("/v1/orders", Fixtures.orderBody(fx.customer(), fx.product(100, 10), 1));
    assertThat(placed.status()).as(placed.body()).isEqualTo(201);
    order = placed.json().get("id").asLong();
    placedTag = placed.header("ETag").orElseThrow();
    assertThat(placedTag).isEqualTo("\"o" + order + "v1\"");
    assertThat(api.etag("/v1/orders/" + order)).isEqualTo(placedTag);

    Api.Response cancelled = cancel(order, placedTag);
    assertThat(cancelled.status()).as(cancelled.body()).isEqualTo(200);
    String cancelledTag = cancelled.header("ETag").orElseThrow();
    assertThat(cancelledTag).isEqualTo("\"o" + order + "v2\"");
    assertThat(cancelled.header("Last-Modified")).isPresent();
    assertThat(api.etag("/v1/orders/" + order)).isEqualTo(cancelledTag);
    Api.Response revalidated = api.get("/v1/orders/" + order, "If-None-Match", cancelledTag);
    assertThat(revalidated.status()).isEqualTo(304);
    // the first tag is stale now: a cancel conditional on it changes nothing
    assertThat(cancel(order, placedTag).status()).isEqualTo(412);
  }

  @Test
  void aCreatedCustomersEtagGoesStraightIntoAPatchAndItsReplayCarriesItToo() {
    String key = UUID.randomUUID().toString();
    String body =
        "{\"email\":\""
            + Fixtures.uniqueEmail("etag")
            + "\",\"name\":\"Tag\",\"address\":"
            + Fixtures.ADDRESS
            + "}";
    Api.Response created = api.post("/v1/customers", body, "Idempotency-Key", key);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    long id = created.json().get("id").asLong();
    String tag = created.header("ETag").orElseThrow();
    assertThat(tag).isEqualTo("\"c" + id + "v1\"");

    Api.Response replay = api.post("/v1/customers", body, "Idempotency-Key", key);
    assertThat(replay.header(IdempotencyStore.REPLAYED)).contains("true");
    assertThat(replay.header("ETag")).contains(tag);

    Api.Response patched = api.patch("/v1/customers/" + id, tag, "{\"name\":\"Tagged\"}");
    assertThat(patched.status()).as(patched.body()).isEqualTo(200);
    assertThat(patched.header("ETag")).contains("\"c" + id + "v2\"");
    assertThat(api.etag("/v1/customers/" + id)).isEqualTo(patched.header("ETag").orElseThrow());
  }
}
