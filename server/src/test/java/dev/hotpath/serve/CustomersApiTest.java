package dev.hotpath.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CustomersApiTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);

  @Test
  void createsACustomerAndServesIt() {
    String email = Fixtures.uniqueEmail("Create").toUpperCase();
    Api.Response created =
        api.post(
            "/v1/customers",
            "{\"email\":\""
                + email
                + "\",\"name\":\"Ada Lovelace\",\"address\":"
                + Fixtures.ADDRESS
                + "}");
    assertThat(created.status()).isEqualTo(201);
    long id = created.json().get("id").asLong();
    assertThat(created.header("Location")).contains("/v1/customers/" + id);
    assertThat(created.json().get("email").asText()).isEqualTo(email.toLowerCase());
    assertThat(created.json().get("status").asText()).isEqualTo("active");
    assertThat(created.json().get("version").asInt()).isEqualTo(1);

    Api.Response fetched = api.get("/v1/customers/" + id);
    assertThat(fetched.status()).isEqualTo(200);
    assertThat(fetched.contentType()).isEqualTo("application/json");
    assertThat(fetched.json()).isEqualTo(created.json());
    assertThat(fetched.json().get("address").get("city").asText()).isEqualTo("Springfield");
  }

  @Test
  void returns404ForAMissingCustomer() {
    Api.Response r = api.get("/v1/customers/999999999");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json().get("type").asText()).isEqualTo("https://hotpath.dev/problems/not-found");
  }

  @Test
  void returns409WhenTheEmailIsTaken() {
    String email = Fixtures.uniqueEmail("dup");
    assertThat(api.post("/v1/customers", "{\"email\":\"" + email + "\",\"name\":\"A\"}").status())
        .isEqualTo(201);
    String before = fx.rowCounts();
    Api.Response again =
        api.post("/v1/customers", "{\"email\":\"" + email.toUpperCase() + "\",\"name\":\"B\"}");
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.json().get("type").asText()).endsWith("/conflict");
    assertThat(fx.rowCounts()).isEqualTo(before);
  }

  @Test
  void anEmailIsOneAddressHoweverItsAccentsAreEncodedAndInvisibleCharactersAreRefused() {
    String local = "ren\u00e9" + Fixtures.uniqueEmail("nfc");
    Api.Response composed =
        api.post("/v1/customers", "{\"email\":\"" + local + "\",\"name\":\"Ren\u00e9\"}");
    assertThat(composed.status()).as(composed.body()).isEqualTo(201);
    String before = fx.rowCounts();
    // the same address with the accent sent as e + U+0301: the same customer, so a 409
    Api.Response decomposed =
        api.post(
            "/v1/customers",
            "{\"email\":\"" + local.replace("\u00e9", "e\u0301") + "\",\"name\":\"Rene\u0301\"}");
    assertThat(decomposed.status()).as(decomposed.body()).isEqualTo(409);
    for (String odd :
        List.of(
            "a\u200b" + Fixtures.uniqueEmail("zw"),
            "a\u00ad" + Fixtures.uniqueEmail("shy"),
            "a\u3000" + Fixtures.uniqueEmail("ideographic"))) {
      Api.Response refused =
          api.post("/v1/customers", "{\"email\":\"" + odd + "\",\"name\":\"Z\"}");
      assertThat(refused.status()).as(refused.body()).isEqualTo(400);
      assertThat(refused.body()).contains("/email").contains("invisible characters or spaces");
    }
    for (String name : List.of("   ", "\u00a0\u200b", "\u202egnp.exe")) {
      Api.Response refused =
          api.post(
              "/v1/customers",
              "{\"email\":\"" + Fixtures.uniqueEmail("name") + "\",\"name\":\"" + name + "\"}");
      assertThat(refused.status()).as(refused.body()).isEqualTo(400);
      assertThat(refused.body()).contains("/name");
    }
    assertThat(fx.rowCounts()).isEqualTo(before);
    // a patch follows the same rules and changes nothing when refused
    long id = composed.json().get("id").asLong();
    Api.Response blank = api.patchCurrent("/v1/customers/" + id, "{\"name\":\" \"}");
    assertThat(blank.status()).as(blank.body()).isEqualTo(400);
    Api.Response renamed = api.patchCurrent("/v1/customers/" + id, "{\"name\":\"Rene\u0301e\"}");
    assertThat(renamed.status()).as(renamed.body()).isEqualTo(200);
    assertThat(renamed.json().get("name").asText()).isEqualTo("Ren\u00e9e");
    assertThat(renamed.json().get("version").asInt()).isEqualTo(2);
  }

  @Test
  void controlCharactersAreRefusedInEveryLineOfACustomer() {
    String before = fx.rowCounts();
    String address =
        "{\"line1\":\"1 Main St\",\"city\":\"Springfield\",\"postal_code\":\"12345\",\"country\":\"US\"}";
    for (String[] bad :
        new String[][] {
          {"{\"email\":\"b\\u0007" + Fixtures.uniqueEmail("bel") + "\",\"name\":\"Z\"}", "/email"},
          {
            "{\"email\":\"" + Fixtures.uniqueEmail("esc") + "\",\"name\":\"a\\u001b[2Jb\"}", "/name"
          },
          {"{\"email\":\"" + Fixtures.uniqueEmail("nl") + "\",\"name\":\"a\\nb\"}", "/name"},
          {"{\"email\":\"" + Fixtures.uniqueEmail("c1") + "\",\"name\":\"a\\u009bb\"}", "/name"},
          {
            "{\"email\":\""
                + Fixtures.uniqueEmail("addr")
                + "\",\"name\":\"Z\",\"address\":"
                + address.replace("Springfield", "Spring\\tfield")
                + "}",
            "/address/city"
          },
          {
            "{\"email\":\""
                + Fixtures.uniqueEmail("blank")
                + "\",\"name\":\"Z\",\"address\":"
                + address.replace("1 Main St", "   ")
                + "}",
            "/address/line1"
          }
        }) {
      Api.Response refused = api.post("/v1/customers", bad[0]);
      assertThat(refused.status()).as(refused.body()).isEqualTo(400);
      assertThat(refused.json().get("errors").get(0).get("field").asText())
          .as(refused.body())
          .isEqualTo(bad[1]);
    }
    assertThat(fx.rowCounts()).isEqualTo(before);
    long id = fx.customer();
    Api.Response patched =
        api.patchCurrent(
            "/v1/customers/" + id, "{\"address\":" + address.replace("12345", "123\\r\\n45") + "}");
    assertThat(patched.status()).as(patched.body()).isEqualTo(400);
    assertThat(patched.body()).contains("/address/postal_code").contains("U+000D");
    Api.Response nfc =
        api.patchCurrent(
            "/v1/customers/" + id,
            "{\"address\":" + address.replace("Springfield", "Ne\u0301ma") + "}");
    assertThat(nfc.status()).as(nfc.body()).isEqualTo(200);
    assertThat(nfc.json().get("address").get("city").asText()).isEqualTo("N\u00e9ma");
  }

  /**
   * Regression: a customer suspended by the service PATCHed its own status back to active with its
   * own token. Status is the service's; the customer still changes its name.
   */
  @Test
  void aCustomerCannotChangeItsOwnStatus() {
    long id = fx.customer();
    Api.Response suspended = api.patchCurrent("/v1/customers/" + id, "{\"status\":\"suspended\"}");
    assertThat(suspended.status()).as(suspended.body()).isEqualTo(200);
    Api self = api.as(dev.hotpath.support.Tokens.get().customer(id));
    for (String status : List.of("active", "closed", "suspended")) {
      Api.Response refused =
          self.patchCurrent("/v1/customers/" + id, "{\"status\":\"" + status + "\"}");
      assertThat(refused.status()).as(refused.body()).isEqualTo(403);
      assertThat(refused.contentType()).isEqualTo("application/problem+json");
      assertThat(refused.json().get("errors").get(0).get("field").asText()).isEqualTo("/status");
    }
    JsonNode after = api.get("/v1/customers/" + id).json();
    assertThat(after.get("status").asText()).isEqualTo("suspended");
    assertThat(after.get("version").asInt()).isEqualTo(2);
    Api.Response renamed = self.patchCurrent("/v1/customers/" + id, "{\"name\":\"Still Me\"}");
    assertThat(renamed.status()).as(renamed.body()).isEqualTo(200);
    assertThat(renamed.json().get("status").asText()).isEqualTo("suspended");
  }

  @Test
  void patchesOnlyTheFieldsGivenAndBumpsTheVersion() {
    long id = fx.customer();
    Api.Response patched =
        api.patchCurrent("/v1/customers/" + id, "{\"name\":\"Renamed\",\"address\":null}");
    assertThat(patched.status()).isEqualTo(200);
    assertThat(patched.json().get("name").asText()).isEqualTo("Renamed");
    assertThat(patched.json().get("address").isNull()).isTrue();
    assertThat(patched.json().get("version").asInt()).isEqualTo(2);
    assertThat(patched.json().get("status").asText()).isEqualTo("active");

    Api.Response status =
        api.patch(
            "/v1/customers/" + id,
            patched.header("ETag").orElseThrow(),
            "{\"status\":\"suspended\"}");
    assertThat(status.json().get("name").asText()).isEqualTo("Renamed");
    assertThat(status.json().get("status").asText()).isEqualTo("suspended");
    assertThat(status.json().get("version").asInt()).isEqualTo(3);
    assertThat(api.get("/v1/customers/" + id).json()).isEqualTo(status.json());
  }

  @Test
  void patchOfAMissingCustomerIs404AndAnEmptyPatchIs400() {
    assertThat(api.patch("/v1/customers/999999999", "*", "{\"name\":\"x\"}").status())
        .isEqualTo(404);
    long id = fx.customer();
    Api.Response empty = api.patchCurrent("/v1/customers/" + id, "{}");
    assertThat(empty.status()).isEqualTo(400);
    assertThat(api.get("/v1/customers/" + id).json().get("version").asInt()).isEqualTo(1);
  }

  @Test
  void batchGetAnswersInRequestOrderWithNotFound() {
    long a = fx.customer();
    long b = fx.customer();
    Api.Response r =
        api.post("/v1/customers/batch-get", "{\"ids\":[" + b + ",999999998," + a + "," + b + "]}");
    assertThat(r.status()).isEqualTo(200);
    List<Long> ids = new ArrayList<>();
    r.json().get("data").forEach(c -> ids.add(c.get("id").asLong()));
    assertThat(ids).containsExactly(b, a);
    assertThat(r.json().get("not_found").toString()).isEqualTo("[999999998]");
  }

  @Test
  void batchGetRefusesMoreThan1000Ids() {
    StringBuilder ids = new StringBuilder();
    for (int i = 1; i <= 1001; i++) {
      ids.append(i == 1 ? "" : ",").append(i);
    }
    Api.Response r = api.post("/v1/customers/batch-get", "{\"ids\":[" + ids + "]}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("errors").get(0).get("field").asText()).isEqualTo("/ids");
  }

  @Test
  void batchGetHonoursFields() {
    long a = fx.customer();
    Api.Response r = api.post("/v1/customers/batch-get?fields=id,email", "{\"ids\":[" + a + "]}");
    JsonNode first = r.json().get("data").get(0);
    assertThat(first.size()).isEqualTo(2);
    assertThat(first.has("email")).isTrue();
  }

  @Test
  void sparseFieldsetsReturnOnlyTheFieldsAsked() {
    long id = fx.customer();
    Api.Response r = api.get("/v1/customers/" + id + "?fields=id,status");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().toString()).isEqualTo("{\"id\":" + id + ",\"status\":\"active\"}");
  }

  @Test
  void listsCustomersByStatusWithCursorAndLinkHeader() {
    Api.Response first = api.get("/v1/customers?status=suspended&limit=3");
    assertThat(first.status()).isEqualTo(200);
    JsonNode data = first.json().get("data");
    assertThat(data).hasSize(3);
    data.forEach(c -> assertThat(c.get("status").asText()).isEqualTo("suspended"));
    String cursor = first.json().get("next_cursor").asText();
    assertThat(first.header("Link"))
        .hasValueSatisfying(
            link ->
                assertThat(link)
                    .contains("cursor=" + cursor)
                    .contains("status=suspended")
                    .endsWith("rel=\"next\""));

    Api.Response second = api.get("/v1/customers?status=suspended&limit=3&cursor=" + cursor);
    long lastOfFirst = data.get(2).get("id").asLong();
    assertThat(second.json().get("data").get(0).get("id").asLong()).isGreaterThan(lastOfFirst);
  }

  @Test
  void theLastPageHasNoCursorAndNoLink() {
    long id = server.queryLong("SELECT max(id) FROM customers");
    // a cursor positioned just before the last customer comes from walking from a page near the end
    Api.Response page = api.get("/v1/customers?limit=100");
    String cursor = page.json().get("next_cursor").asText();
    while (true) {
      Api.Response next = api.get("/v1/customers?limit=100&cursor=" + cursor);
      if (next.json().get("next_cursor").isNull()) {
        assertThat(next.header("Link")).isEmpty();
        JsonNode data = next.json().get("data");
        assertThat(data.get(data.size() - 1).get("id").asLong()).isGreaterThanOrEqualTo(id);
        return;
      }
      cursor = next.json().get("next_cursor").asText();
    }
  }
}
