package dev.hotpath.cli;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The development signing key of {@code serve --demo} and {@code token}: an ES256 key kept under
 * the data folder ({@code dev-keys/signing.jwk}, readable by its owner only), and the JWKS of its
 * public half ({@code dev-keys/jwks.json}) that the demo server trusts. Never for production: the
 * private key sits on disk next to the data.
 */
public final class DevKeys {
  public static final String ISSUER = "hotpath-dev";
  public static final String AUDIENCE = "hotpath";

  private final Path jwks;
  private final ECKey key;

  private DevKeys(Path jwks, ECKey key) {
    this.jwks = jwks;
    this.key = key;
  }

  static Path dir(Path dataDir) {
    return dataDir.resolve("dev-keys");
  }

  /** Loads the development key, creating it (and its JWKS) on first use. */
  public static DevKeys ensure(Path dataDir) {
    Path dir = dir(dataDir);
    Path signing = dir.resolve("signing.jwk");
    try {
      if (!Files.exists(signing)) {
        Files.createDirectories(dir);
        ECKey created =
            new ECKeyGenerator(Curve.P_256)
                .keyUse(KeyUse.SIGNATURE)
                .algorithm(JWSAlgorithm.ES256)
                .keyID("dev-" + UUID.randomUUID().toString().substring(0, 8))
                .generate();
        Files.writeString(signing, created.toJSONString(), StandardOpenOption.CREATE_NEW);
        try {
          Files.setPosixFilePermissions(signing, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
          // not a POSIX file system: left as created
        }
        Files.writeString(
            dir.resolve("jwks.json"), new JWKSet(created.toPublicJWK()).toString(false));
      }
      return load(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (JOSEException e) {
      throw new IllegalStateException("could not create a development key: " + e.getMessage(), e);
    }
  }

  /**
   * Loads the development key.
   *
   * @throws IllegalStateException when there is none yet
   */
  public static DevKeys load(Path dataDir) {
    Path signing = dir(dataDir).resolve("signing.jwk");
    if (!Files.exists(signing)) {
      throw new IllegalStateException(
          "no development key in " + dir(dataDir) + ": run ./hotpath serve --demo once first");
    }
    try {
      return new DevKeys(dir(dataDir).resolve("jwks.json"), ECKey.parse(Files.readString(signing)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ParseException e) {
      throw new IllegalStateException(signing + " is not a JWK: " + e.getMessage(), e);
    }
  }

  /** The JWKS file of the public key. */
  public Path jwks() {
    return jwks;
  }

  /** Settings that make a server trust this key (unless the environment names another JWKS). */
  public Map<String, String> environment(Map<String, String> env) {
    Map<String, String> out = new HashMap<>(env);
    if (!env.containsKey("HOTPATH_JWKS")) {
      out.put("HOTPATH_JWKS", jwks.toString());
      out.put("HOTPATH_JWT_ISSUER", ISSUER);
      out.put("HOTPATH_JWT_AUDIENCE", AUDIENCE);
    }
    return out;
  }

  /** A token for {@code subject} with {@code scopes}, valid for {@code ttl} from now. */
  public String mint(String subject, Collection<String> scopes, Duration ttl) {
    Instant now = Instant.now();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .subject(subject)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(ttl)))
            .claim("scope", String.join(" ", scopes))
            .build();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims);
    try {
      jwt.sign(new ECDSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("could not sign: " + e.getMessage(), e);
    }
    return jwt.serialize();
  }
}
