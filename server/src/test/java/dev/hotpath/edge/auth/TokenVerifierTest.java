package dev.hotpath.edge.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Tokens;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TokenVerifierTest {
  private static final Tokens tokens = Tokens.get();
  private static KeySet keys;
  private final TokenVerifier verifier =
      new TokenVerifier(Tokens.ISSUER, Tokens.AUDIENCE, Duration.ofSeconds(30));

  @BeforeAll
  static void trustTheTestKeys() throws Exception {
    keys = KeySet.parse(Files.readString(tokens.jwksFile()));
  }

  private TokenVerifier.Outcome check(String token) {
    return verifier.verify(token, keys, System.currentTimeMillis());
  }

  private void assertRejected(String token, String reason) {
    assertThat(check(token))
        .isInstanceOfSatisfying(
            TokenVerifier.Rejected.class, r -> assertThat(r.reason()).contains(reason));
  }

  @Test
  void acceptsRs256Es256AndEdDsaTokensOfTrustedKeys() {
    for (String token :
        List.of(
            tokens.builder().sub("customer:42").rs256(),
            tokens.builder().sub("customer:42").es256(),
            tokens.builder().sub("customer:42").eddsa())) {
      assertThat(check(token))
          .isInstanceOfSatisfying(
              TokenVerifier.Verified.class,
              v -> {
                assertThat(v.principal().customerId()).isEqualTo(42);
                assertThat(v.principal().has(Scope.ORDERS_READ.bit())).isTrue();
                assertThat(v.principal().mayAccess(43))
                    .as("the default scopes have service")
                    .isTrue();
              });
    }
  }

  @Test
  void aCustomerWithoutTheServiceScopeMayAccessOnlyItself() {
    String token =
        tokens.builder().sub("customer:7").scopes(List.of("orders:read", "nonsense")).es256();
    var p = ((TokenVerifier.Verified) check(token)).principal();
    assertThat(p.mayAccess(7)).isTrue();
    assertThat(p.mayAccess(8)).isFalse();
    assertThat(p.mayAccess(0)).isFalse();
    assertThat(Scope.names(p.scopes())).isEqualTo("orders:read");
  }

  @Test
  void refusesUnsignedTokens() {
    assertRejected(tokens.builder().unsigned(), "alg none");
  }

  @Test
  void refusesHs256SignedWithThePublicKey() {
    assertRejected(tokens.builder().hs256WithPublicKey(), "algorithm HS256 is not accepted");
  }

  @Test
  void refusesABadSignatureAndTamperedClaims() {
    assertRejected(tokens.builder().badSignature(), "signature does not verify");
    assertRejected(tokens.builder().tamperedClaims("customer:1"), "signature does not verify");
  }

  @Test
  void refusesExpiredAndNotYetValidTokensBeyondTheClockSkew() {
    assertRejected(tokens.builder().expiredAgo(Duration.ofMinutes(2)).es256(), "expired");
    assertRejected(
        tokens.builder().notBefore(Instant.now().plus(Duration.ofMinutes(2))).es256(),
        "not valid yet");
    assertRejected(tokens.builder().withoutExpiry().es256(), "no expiry");
    assertThat(check(tokens.builder().expiredAgo(Duration.ofSeconds(5)).es256()))
        .as("within the 30 s skew")
        .isInstanceOf(TokenVerifier.Verified.class);
  }

  @Test
  void refusesAnotherIssuerOrAudience() {
    assertRejected(tokens.builder().issuer("https://evil.example").es256(), "another issuer");
    assertRejected(tokens.builder().audience("someone-else").rs256(), "another audience");
  }

  @Test
  void aKeyIdNotInTheSetAsksForAReloadAndASignatureByNoKeyIsRefused() {
    String rogue = tokens.rogue("rogue-1").sign(tokens.builder());
    assertThat(check(rogue))
        .isInstanceOfSatisfying(
            TokenVerifier.UnknownKey.class, u -> assertThat(u.kid()).isEqualTo("rogue-1"));
  }

  @Test
  void refusesGarbageWithoutQuotingIt() {
    for (String garbage :
        List.of("", "abc", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..", "x".repeat(9000), "\u0000.\u0001.")) {
      TokenVerifier.Outcome outcome = check(garbage);
      assertThat(outcome).isInstanceOf(TokenVerifier.Rejected.class);
      if (garbage.length() > 3) {
        assertThat(((TokenVerifier.Rejected) outcome).reason()).doesNotContain(garbage);
      }
    }
  }

  /**
   * Regression: the parser's base64url decoder skips what is not in its alphabet, so a valid token
   * followed by {@code !!}, {@code %}, {@code ====}, a tab and an accent or a non-ASCII byte
   * verified. Only the compact form itself is accepted.
   */
  @Test
  void aValidTokenWithAnythingAddedIsRefused() {
    String token = tokens.service();
    assertThat(check(token)).isInstanceOf(TokenVerifier.Verified.class);
    for (String added : List.of("!!", "%", "====", "\t\u00e9", "\u0080", "=", "+", "/")) {
      assertRejected(token + added, "compact form");
      assertRejected(added + token, "compact form");
    }
    String[] parts = token.split("\\.");
    assertRejected(parts[0] + ".!" + parts[1] + "." + parts[2], "compact form");
    assertRejected(token + ".", "compact form");
  }

  @Test
  void aJwksIgnoresSymmetricAndWeakKeys() throws Exception {
    KeySet set =
        KeySet.parse(
            "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"hmac\",\"k\":\"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"},"
                + "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"enc\",\"use\":\"enc\","
                + "\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
                + "\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\"}]}");
    assertThat(set.size()).isZero();
    assertThat(set.ignored()).hasSize(2);
  }

  @Test
  void readsTheCustomerIdOfACustomerSubjectOnly() {
    assertThat(TokenVerifier.customerId("customer:42")).isEqualTo(42);
    assertThat(TokenVerifier.customerId("customer:0")).isZero();
    assertThat(TokenVerifier.customerId("customer:-1")).isZero();
    assertThat(TokenVerifier.customerId("customer:42x")).isZero();
    assertThat(TokenVerifier.customerId("customer:99999999999999999999")).isZero();
    assertThat(TokenVerifier.customerId("service:42")).isZero();
  }
}
