package dev.hotpath.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.hotpath.edge.auth.Ed25519;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Test signing keys (RS256, ES256, EdDSA), the JWKS file the test servers trust, and tokens minted
 * with them — valid ones and every kind the server must refuse. One set per test JVM.
 */
public final class Tokens {
  public static final String ISSUER = "https://issuer.test.hotpath";
  public static final String AUDIENCE = "hotpath-test";

  /** Scopes of the default test token: a service that may do everything but admin. */
  public static final List<String> SERVICE_SCOPES =
      List.of(
          "service", "customers:read", "customers:write", "orders:read", "orders:write", "reports");

  private static Tokens instance;

  private final Path jwksFile;
  private final RSAKey rsa;
  private final ECKey ec;
  private final OctetKeyPair ed;
  private final KeyPair edPair;
  private final List<JWK> published = new ArrayList<>();
  private final String service;

  private Tokens() {
    try {
      Path dir = Files.createTempDirectory("hotpath-keys-");
      jwksFile = dir.resolve("jwks.json");
      rsa = new RSAKeyGenerator(2048).keyID("test-rsa").generate();
      ec = new ECKeyGenerator(Curve.P_256).keyID("test-ec").generate();
      KeyPairGenerator gen = KeyPairGenerator.getInstance("Ed25519");
      edPair = gen.generateKeyPair();
      ed =
          new OctetKeyPair.Builder(
                  Curve.Ed25519, Base64URL.encode(Ed25519.rawPublic(edPair.getPublic())))
              .keyID("test-ed")
              .build();
      published.add(rsa.toPublicJWK());
      published.add(ec.toPublicJWK());
      published.add(ed);
      writeJwks();
      SecretScanner.watch(rsa.getPrivateExponent().toString());
      SecretScanner.watch(ec.getD().toString());
      SecretScanner.watch(Base64URL.encode(Ed25519.rawPrivate(edPair.getPrivate())).toString());
      service =
          builder().sub("service:tests").scopes(SERVICE_SCOPES).ttl(Duration.ofHours(6)).es256();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (JOSEException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static synchronized Tokens get() {
    if (instance == null) {
      instance = new Tokens();
    }
    return instance;
  }

  public Path jwksFile() {
    return jwksFile;
  }

  /** Settings that make a server trust these keys. */
  public Map<String, String> environment() {
    Map<String, String> env = new HashMap<>();
    env.put("HOTPATH_JWKS", jwksFile.toString());
    env.put("HOTPATH_JWT_ISSUER", ISSUER);
    env.put("HOTPATH_JWT_AUDIENCE", AUDIENCE);
    env.put("HOTPATH_JWKS_REFRESH_FLOOR_MS", "300");
    return env;
  }

  /** The default token of the test clients: a service with every scope but admin. */
  public String service() {
    return service;
  }

  /** A customer's token with the usual customer scopes. */
  public String customer(long id) {
    return builder()
        .sub("customer:" + id)
        .scopes(List.of("customers:read", "customers:write", "orders:read", "orders:write"))
        .es256();
  }

  public String admin() {
    return builder().sub("ops:admin").scopes(List.of("admin")).es256();
  }

  public Builder builder() {
    return new Builder();
  }

  /** Publishes another key in the JWKS file (a rotation); tokens it signs name {@code kid}. */
  public synchronized Signer rotateIn(String kid) {
    try {
      ECKey key = new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
      published.add(key.toPublicJWK());
      writeJwks();
      return new Signer(key);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A key no server trusts, with an id no JWKS has. */
  public Signer rogue(String kid) {
    try {
      return new Signer(new ECKeyGenerator(Curve.P_256).keyID(kid).generate());
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Signs with a key of its own. */
  public final class Signer {
    private final ECKey key;

    Signer(ECKey key) {
      this.key = key;
    }

    public String sign(Builder claims) {
      return claims.sign(
          new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(),
          jwt -> jwt.sign(new ECDSASigner(key)));
    }
  }

  private void writeJwks() {
    try {
      Path tmp = Files.createTempFile(jwksFile.getParent(), "jwks", ".tmp");
      Files.writeString(tmp, new JWKSet(published).toString(false));
      Files.move(
          tmp,
          jwksFile,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FunctionalInterface
  private interface Signing {
    void sign(SignedJWT jwt) throws JOSEException, GeneralSecurityException;
  }

  /** Claims of a token to mint; valid by default (this issuer and audience, an hour to live). */
  public final class Builder {
    private String sub = "service:tests";
    private List<String> scopes = SERVICE_SCOPES;
    private String issuer = ISSUER;
    private String audience = AUDIENCE;
    private Instant expires = Instant.now().plus(Duration.ofHours(1));
    private Instant notBefore;
    private boolean noExpiry;

    public Builder sub(String value) {
      sub = value;
      return this;
    }

    public Builder scopes(List<String> value) {
      scopes = value;
      return this;
    }

    public Builder issuer(String value) {
      issuer = value;
      return this;
    }

    public Builder audience(String value) {
      audience = value;
      return this;
    }

    public Builder ttl(Duration ttl) {
      expires = Instant.now().plus(ttl);
      return this;
    }

    public Builder expiredAgo(Duration ago) {
      expires = Instant.now().minus(ago);
      return this;
    }

    public Builder notBefore(Instant value) {
      notBefore = value;
      return this;
    }

    public Builder withoutExpiry() {
      noExpiry = true;
      return this;
    }

    JWTClaimsSet claims() {
      var b =
          new JWTClaimsSet.Builder()
              .issuer(issuer)
              .audience(audience)
              .subject(sub)
              .issueTime(Date.from(Instant.now().minusSeconds(5)))
              .claim("scope", String.join(" ", scopes));
      if (!noExpiry) {
        b.expirationTime(Date.from(expires));
      }
      if (notBefore != null) {
        b.notBeforeTime(Date.from(notBefore));
      }
      return b.build();
    }

    String sign(JWSHeader header, Signing signing) {
      SignedJWT jwt = new SignedJWT(header, claims());
      try {
        signing.sign(jwt);
      } catch (JOSEException | GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
      return jwt.serialize();
    }

    public String rs256() {
      return sign(
          new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(rsa.getKeyID()).build(),
          jwt -> jwt.sign(new RSASSASigner(rsa)));
    }

    public String es256() {
      return sign(
          new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(ec.getKeyID()).build(),
          jwt -> jwt.sign(new ECDSASigner(ec)));
    }

    /**
     * EdDSA with the JDK's Ed25519 (the signing input signed by hand, as nimbus would need Tink).
     */
    public String eddsa() {
      JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.EdDSA).keyID(ed.getKeyID()).build();
      String input =
          header.toBase64URL()
              + "."
              + Base64URL.encode(claims().toString().getBytes(StandardCharsets.UTF_8));
      try {
        byte[] sig = Ed25519.sign(edPair.getPrivate(), input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + Base64URL.encode(sig);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    /** {@code alg: none}: no signature at all. */
    public String unsigned() {
      return new PlainJWT(claims()).serialize();
    }

    /**
     * Algorithm confusion: HS256 with the RSA key's public key (its X.509 PEM, as a verifier that
     * trusted the header's alg would use) as the HMAC secret, naming the RSA key's id.
     */
    public String hs256WithPublicKey() {
      try {
        String pem =
            "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(rsa.toRSAPublicKey().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        byte[] secret = pem.getBytes(StandardCharsets.US_ASCII);
        return sign(
            new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(rsa.getKeyID()).build(),
            jwt -> jwt.sign(new MACSigner(secret)));
      } catch (JOSEException e) {
        throw new IllegalStateException(e);
      }
    }

    /** A valid token whose signature is then altered (its last characters replaced). */
    public String badSignature() {
      String good = es256();
      int dot = good.lastIndexOf('.');
      String sig = good.substring(dot + 1);
      char[] chars = sig.toCharArray();
      chars[5] = chars[5] == 'A' ? 'B' : 'A';
      chars[6] = chars[6] == 'A' ? 'B' : 'A';
      return good.substring(0, dot + 1) + new String(chars);
    }

    /** Valid claims and signature, but the payload swapped for other claims (a tampered body). */
    public String tamperedClaims(String otherSub) {
      String good = es256();
      String[] parts = good.split("\\.");
      String other = sub(otherSub).claims().toString();
      return parts[0]
          + "."
          + Base64URL.encode(other.getBytes(StandardCharsets.UTF_8))
          + "."
          + parts[2];
    }
  }
}
