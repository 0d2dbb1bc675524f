package dev.hotpath.edge.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every kind of bad credential is a 401 with a challenge, and nothing it asked for happens. */
class AuthenticationApiTest {
  private static final TestServer server = TestServer.get();
  private static final Tokens tokens = Tokens.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);

  static Stream<Arguments> refusedTokens() {
    Tokens t = Tokens.get();
    return Stream.of(
        Arguments.of("alg none", t.builder().unsigned(), "alg none"),
        Arguments.of("HS256 with the public key", t.builder().hs256WithPublicKey(), "HS256"),
        Arguments.of("bad signature", t.builder().badSignature(), "signature"),
        Arguments.of("tampered claims", t.builder().tamperedClaims("customer:1"), "signature"),
        Arguments.of("expired", t.builder().expiredAgo(Duration.ofMinutes(5)).rs256(), "expired"),
        Arguments.of(
            "not yet valid",
            t.builder().notBefore(Instant.now().plus(Duration.ofMinutes(5))).eddsa(),
            "not valid yet"),
        Arguments.of("wrong issuer", t.builder().issuer("https://evil.example").es256(), "issuer"),
        Arguments.of("wrong audience", t.builder().audience("other-api").es256(), "audience"),
        Arguments.of("no expiry", t.builder().withoutExpiry().es256(), "expiry"),
        Arguments.of("unknown key", t.rogue("rogue-api").sign(t.builder()), "not trusted"),
        Arguments.of("garbage", "not-a-jwt", "well-formed"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedTokens")
  void refusesTheTokenWith401AndAChallengeAndWritesNothing(
      String name, String token, String reason) {
    String before = fx.rowCounts();
    Api.Response r =
        api.as(token)
            .post(
                "/v1/customers",
                "{\"email\":\"" + Fixtures.uniqueEmail("auth") + "\",\"name\":\"X\"}");
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.json().get("type").asText()).endsWith("/unauthorized");
    assertThat(r.json().get("detail").asText()).contains(reason).doesNotContain(token);
    assertThat(r.header("WWW-Authenticate"))
        .hasValueSatisfying(
            h ->
                assertThat(h)
                    .startsWith("Bearer realm=\"hotpath\"")
                    .contains("error=\"invalid_token\"")
                    .doesNotContain(token));
    assertThat(fx.rowCounts()).isEqualTo(before);
    assertThat(api.as(token).get("/v1/orders/1").status()).isEqualTo(401);
  }

  @Test
  void aMissingTokenOrAnotherSchemeIs401() {
    Api.Response none = api.anonymous().get("/v1/customers/1");
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.contentType()).startsWith("application/problem+json");
    assertThat(none.json().get("type").asText()).endsWith("/unauthorized");
    assertThat(none.json().get("status").asInt()).isEqualTo(401);
    assertThat(none.body()).doesNotContain("email");
    assertThat(none.header("WWW-Authenticate")).hasValue("Bearer realm=\"hotpath\"");
    Api.Response basic =
        api.anonymous().get("/v1/customers/1", "Authorization", "Basic dXNlcjpwYXNz");
    assertThat(basic.status()).isEqualTo(401);
    assertThat(basic.json().get("type").asText()).endsWith("/unauthorized");
    assertThat(basic.json().get("detail").asText())
        .contains("Bearer")
        .doesNotContain("dXNlcjpwYXNz");
    assertThat(basic.header("WWW-Authenticate"))
        .hasValueSatisfying(h -> assertThat(h).startsWith("Bearer realm=\"hotpath\""));
  }

  @Test
  void acceptsRs256Es256AndEdDsaTokens() {
    long customer = fx.customer();
    List<String> bodies = new java.util.ArrayList<>();
    for (String token :
        List.of(
            tokens.builder().sub("customer:" + customer).rs256(),
            tokens.builder().sub("customer:" + customer).es256(),
            tokens.builder().sub("customer:" + customer).eddsa())) {
      Api.Response r = api.as(token).get("/v1/customers/" + customer);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().get("id").asLong()).isEqualTo(customer);
      assertThat(r.header("ETag")).isPresent();
      bodies.add(r.body());
    }
    // the algorithm the token was signed with changes nothing in what the customer reads
    assertThat(bodies).containsOnly(bodies.get(0));
  }

  @Test
  void aMissingScopeIs403NamingIt() {
    String readOnly =
        tokens.builder().sub("service:ro").scopes(List.of("service", "orders:read")).es256();
    Api.Response r =
        api.as(readOnly)
            .post(
                "/v1/customers",
                "{\"email\":\"" + Fixtures.uniqueEmail("ro") + "\",\"name\":\"X\"}");
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.json().get("type").asText()).endsWith("/forbidden");
    assertThat(r.header("WWW-Authenticate"))
        .hasValue(
            "Bearer realm=\"hotpath\", error=\"insufficient_scope\", scope=\"customers:write\"");
  }

  @Test
  void aCachedTokenIsNotVerifiedAgain() {
    Authenticator auth = server.app().authenticator().orElseThrow();
    String token = tokens.builder().sub("service:cache-check").rs256();
    assertThat(api.as(token).get("/v1/products/1").status()).isIn(200, 404);
    long before = auth.verifications();
    assertThat(api.as(token).get("/v1/customers?limit=1").status()).isEqualTo(200);
    long afterFirst = auth.verifications();
    for (int i = 0; i < 20; i++) {
      assertThat(api.as(token).get("/v1/customers?limit=1").status()).isEqualTo(200);
    }
    assertThat(afterFirst - before).as("the first use verifies").isEqualTo(1);
    assertThat(auth.verifications()).as("later uses hit the claims cache").isEqualTo(afterFirst);
  }

  @Test
  void aTokenOfANewlyPublishedKeyIsAcceptedAfterAReload() {
    Jwks jwks = server.app().authenticator().orElseThrow().jwks();
    String token = tokens.rotateIn("rotated-" + System.nanoTime()).sign(tokens.builder());
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> api.as(token).get("/v1/customers?limit=1").status() == 200);
    assertThat(jwks.current().size()).isGreaterThan(3);
  }

  @Test
  void aPostSignedByANewlyPublishedKeyKeepsItsBodyWhileTheKeysReload() {
    String token = tokens.rotateIn("rotated-post-" + System.nanoTime()).sign(tokens.builder());
    java.util.concurrent.atomic.AtomicReference<Api.Response> last =
        new java.util.concurrent.atomic.AtomicReference<>();
    // the first attempts may fall inside the reload floor (401); the first that reloads the keys
    // waits for them with its body unread, and must still see all of it
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              Api.Response r =
                  api.as(token)
                      .post(
                          "/v1/customers",
                          "{\"email\":\"rotated-"
                              + System.nanoTime()
                              + "@example.com\",\"name\":\"Rotated Key\"}");
              last.set(r);
              return r.status() != 401;
            });
    assertThat(last.get().status()).as(last.get().body()).isEqualTo(201);
  }

  @Test
  void unknownKeyIdsReloadTheKeysNoMoreThanOncePerFloor() {
    Jwks jwks = server.app().authenticator().orElseThrow().jwks();
    long start = System.nanoTime();
    long loads = jwks.loads();
    Api rogue = api.from("127.0.0.5");
    for (int i = 0; i < 40; i++) {
      rogue.as(tokens.rogue("made-up-" + i).sign(tokens.builder())).get("/v1/orders/1");
    }
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    // the test servers' floor is 300 ms
    assertThat(jwks.loads() - loads).isLessThanOrEqualTo(elapsedMs / 300 + 1);
  }

  @Test
  void failedAuthenticationsAreLimitedPerAddress() {
    // an instance of its own with 10 failures a minute: the bucket refills one failure every 6 s,
    // far longer than this test takes between its last refusal and its next request (with the
    // shared server's 200 a minute, one refill every 300 ms let a late request slip through)
    dev.hotpath.App instance =
        dev.hotpath.App.start(
            server.secondInstance(java.util.Map.of("HOTPATH_AUTH_FAILURES_PER_MINUTE", "10")));
    try {
      Api own = Api.of("http://localhost:" + instance.port());
      Api attacker = own.from("127.0.0.9").as("garbage-token");
      int refused = 0;
      Api.Response last = null;
      for (int i = 0; i < 60 && (last == null || last.status() != 429); i++) {
        last = attacker.get("/v1/orders/1");
        refused++;
      }
      assertThat(last.status()).isEqualTo(429);
      // a burst of 10; a refill may add one if the machine took more than 6 s for the burst
      assertThat(refused).isBetween(11, 13);
      assertThat(last.json().get("type").asText()).endsWith("/too-many-requests");
      assertThat(last.header("Retry-After"))
          .hasValueSatisfying(s -> assertThat(Long.parseLong(s)).isPositive());
      // even a valid token is not checked from a blocked address
      Api lateComer = attacker.as(tokens.builder().sub("service:late").es256());
      Api.Response late = lateComer.get("/v1/orders/1");
      assertThat(late.status()).isEqualTo(429);
      assertThat(late.json().get("type").asText()).endsWith("/too-many-requests");
      // another address is not affected, nor a token already verified
      assertThat(own.get("/v1/customers?limit=1").status()).isEqualTo(200);
      assertThat(attacker.as(tokens.service()).get("/v1/customers?limit=1").status())
          .isEqualTo(200);
    } finally {
      instance.close();
    }
  }
}
