package dev.hotpath.edge.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Set;

/**
 * Checks one token in full: its form, its algorithm (RS256, ES256 or EdDSA only: no {@code none},
 * no HMAC), its signature against the key set, and its claims ({@code iss}, {@code aud}, {@code
 * exp}, {@code nbf}, {@code iat}, {@code sub}). Runs only on a claims-cache miss. Thread-safe.
 */
final class TokenVerifier {
  static final Set<JWSAlgorithm> ACCEPTED =
      Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256, JWSAlgorithm.EdDSA);

  /** Longest token looked at; a longer one is refused unread. */
  static final int MAX_TOKEN_CHARS = 8192;

  /** What checking a token found. */
  sealed interface Outcome permits Verified, Rejected, UnknownKey {}

  record Verified(Principal principal) implements Outcome {}

  /** The token is refused; {@code reason} is safe to send back (it never quotes the token). */
  record Rejected(String reason) implements Outcome {}

  /** The token names a key id the key set lacks: reload the keys (within the floor) and retry. */
  record UnknownKey(String kid) implements Outcome {}

  private final String issuer;
  private final String audience;
  private final long skewMillis;

  TokenVerifier(String issuer, String audience, Duration skew) {
    this.issuer = issuer;
    this.audience = audience;
    this.skewMillis = skew.toMillis();
  }

  /**
   * Whether {@code token} is made of three base64url parts without padding, as a signed JWT's
   * compact form is (RFC 7515, 7.1): the parser's base64url decoder skips characters outside the
   * alphabet, so a valid token with {@code !!}, {@code %} or any byte above ASCII after it would
   * otherwise verify, and one token would have many spellings (each its own token-cache entry).
   */
  static boolean compact(String token) {
    int dots = 0;
    for (int i = 0, n = token.length(); i < n; i++) {
      char c = token.charAt(i);
      if (c == '.') {
        dots++;
      } else if (!((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '_')) {
        return false;
      }
    }
    return dots == 2;
  }

  Outcome verify(String token, KeySet keys, long nowMillis) {
    if (token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
      return new Rejected("the token is empty or too long");
    }
    if (!compact(token)) {
      return new Rejected(
          "the token is not a well-formed JWT: its compact form is three base64url parts");
    }
    JWT jwt;
    try {
      jwt = JWTParser.parse(token);
    } catch (ParseException | RuntimeException e) {
      return new Rejected("the token is not a well-formed JWT");
    }
    if (jwt instanceof PlainJWT) {
      return new Rejected("unsigned tokens (alg none) are not accepted");
    }
    if (jwt instanceof EncryptedJWT || !(jwt instanceof SignedJWT signed)) {
      return new Rejected("only signed tokens (JWS) are accepted");
    }
    JWSHeader header = signed.getHeader();
    JWSAlgorithm alg = header.getAlgorithm();
    if (!ACCEPTED.contains(alg)) {
      return new Rejected("the algorithm " + safe(alg.getName()) + " is not accepted");
    }
    String kid = header.getKeyID();
    List<KeySet.Key> candidates = keys.candidates(kid, alg);
    if (candidates.isEmpty()) {
      return kid != null && !keys.knows(kid)
          ? new UnknownKey(kid)
          : new Rejected("no trusted key matches the token's key id and algorithm");
    }
    byte[] input = signed.getSigningInput();
    boolean valid = false;
    for (KeySet.Key key : candidates) {
      if (key.verifier().verify(header, input, signed.getSignature())) {
        valid = true;
        break;
      }
    }
    if (!valid) {
      return new Rejected("the signature does not verify");
    }
    JWTClaimsSet claims;
    try {
      claims = signed.getJWTClaimsSet();
    } catch (ParseException e) {
      return new Rejected("the token's claims are not a JSON object");
    }
    return checkClaims(claims, nowMillis);
  }

  private Outcome checkClaims(JWTClaimsSet claims, long now) {
    if (!issuer.equals(claims.getIssuer())) {
      return new Rejected("the token is from another issuer");
    }
    List<String> aud = claims.getAudience();
    if (aud == null || !aud.contains(audience)) {
      return new Rejected("the token is for another audience");
    }
    Date exp = claims.getExpirationTime();
    if (exp == null) {
      return new Rejected("the token has no expiry (exp)");
    }
    if (exp.getTime() + skewMillis <= now) {
      return new Rejected("the token has expired");
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && nbf.getTime() - skewMillis > now) {
      return new Rejected("the token is not valid yet (nbf)");
    }
    Date iat = claims.getIssueTime();
    if (iat != null && iat.getTime() - skewMillis > now) {
      return new Rejected("the token was issued in the future (iat)");
    }
    String sub = claims.getSubject();
    if (sub == null || sub.isEmpty() || sub.length() > 256) {
      return new Rejected("the token has no subject (sub)");
    }
    int scopes;
    try {
      scopes = scopes(claims);
    } catch (ParseException e) {
      return new Rejected("the token's scope claim is malformed");
    }
    return new Verified(new Principal(sub, customerId(sub), scopes, exp.getTime()));
  }

  /** {@code scope} (space-separated, RFC 8693) or {@code scp} (an array); unknown names ignored. */
  private static int scopes(JWTClaimsSet claims) throws ParseException {
    int mask = 0;
    Object scope = claims.getClaim("scope");
    if (scope != null) {
      if (!(scope instanceof String s)) {
        throw new ParseException("scope", 0);
      }
      for (String name : s.split(" ")) {
        mask |= Scope.of(name).map(Scope::bit).orElse(0);
      }
    }
    Object scp = claims.getClaim("scp");
    if (scp != null) {
      List<String> names = claims.getStringListClaim("scp");
      for (String name : names) {
        mask |= Scope.of(name).map(Scope::bit).orElse(0);
      }
    }
    return mask;
  }

  /** The id of {@code customer:<id>}, or 0 for any other subject. */
  static long customerId(String sub) {
    if (!sub.startsWith("customer:") || sub.length() > 9 + 19) {
      return 0;
    }
    long id = dev.hotpath.http.Params.parsePositiveLong(sub.substring(9));
    return Math.max(id, 0);
  }

  /** An algorithm name as sent, reduced to characters safe in a header and a problem. */
  private static String safe(String name) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < name.length() && i < 16; i++) {
      char c = name.charAt(i);
      sb.append(Character.isLetterOrDigit(c) || c == '-' || c == '_' ? c : '?');
    }
    return sb.toString();
  }
}
