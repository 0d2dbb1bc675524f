package dev.hotpath.edge.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One immutable snapshot of the trusted signing keys, each with a verifier ready for its one
 * algorithm: RSA keys of 2048 bits or more for RS256, P-256 keys for ES256, Ed25519 keys for EdDSA.
 * Anything else in the JWKS — symmetric keys above all, which would let HS256 tokens be forged with
 * a public key — is ignored. Thread-safe.
 */
public final class KeySet {
  static final KeySet EMPTY = new KeySet(List.of(), List.of());

  /** A verifier of one key for one algorithm. */
  record Key(String kid, JWSAlgorithm alg, Verifier verifier) {}

  @FunctionalInterface
  interface Verifier {
    boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature);
  }

  private final List<Key> keys;
  private final List<String> ignored;

  private KeySet(List<Key> keys, List<String> ignored) {
    this.keys = List.copyOf(keys);
    this.ignored = List.copyOf(ignored);
  }

  /**
   * Parses a JWKS document.
   *
   * @throws ParseException when it is not a JWK set
   */
  public static KeySet parse(String json) throws ParseException {
    JWKSet set = JWKSet.parse(json);
    List<Key> keys = new ArrayList<>();
    List<String> ignored = new ArrayList<>();
    for (JWK jwk : set.getKeys()) {
      String kid = jwk.getKeyID();
      String name = kid == null ? jwk.getKeyType().getValue() + " key without kid" : "key " + kid;
      if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
        ignored.add(name + ": not a signing key");
        continue;
      }
      try {
        Key key = verifierOf(jwk);
        if (key == null) {
          ignored.add(name + ": " + jwk.getKeyType() + " keys are not accepted");
        } else if (jwk.getAlgorithm() != null && !jwk.getAlgorithm().equals(key.alg())) {
          ignored.add(name + ": algorithm " + jwk.getAlgorithm() + " is not accepted");
        } else {
          keys.add(key);
        }
      } catch (JOSEException | GeneralSecurityException e) {
        ignored.add(name + ": " + e.getMessage());
      }
    }
    return new KeySet(keys, ignored);
  }

  private static Key verifierOf(JWK jwk) throws JOSEException, GeneralSecurityException {
    String kid = jwk.getKeyID();
    if (jwk instanceof RSAKey rsa) {
      if (rsa.size() < 2048) {
        throw new GeneralSecurityException("RSA keys need at least 2048 bits");
      }
      RSASSAVerifier v = new RSASSAVerifier(rsa.toRSAPublicKey());
      return new Key(kid, JWSAlgorithm.RS256, guarded(v::verify));
    }
    if (jwk instanceof ECKey ec) {
      if (!Curve.P_256.equals(ec.getCurve())) {
        throw new GeneralSecurityException("EC keys must be on P-256 (ES256)");
      }
      ECDSAVerifier v = new ECDSAVerifier(ec.toECPublicKey());
      return new Key(kid, JWSAlgorithm.ES256, guarded(v::verify));
    }
    if (jwk instanceof OctetKeyPair okp) {
      if (!Curve.Ed25519.equals(okp.getCurve())) {
        throw new GeneralSecurityException("OKP keys must be Ed25519 (EdDSA)");
      }
      PublicKey pub = Ed25519.publicKey(okp.getX().decode());
      return new Key(
          kid,
          JWSAlgorithm.EdDSA,
          (header, input, signature) ->
              noCriticalHeaders(header) && Ed25519.verify(pub, input, signature.decode()));
    }
    return null;
  }

  /** Nimbus verifiers signal a malformed signature by exception; here it is a plain "no". */
  private static Verifier guarded(JoseVerify verify) {
    return (header, input, signature) -> {
      try {
        return noCriticalHeaders(header) && verify.verify(header, input, signature);
      } catch (JOSEException | RuntimeException e) {
        return false;
      }
    };
  }

  @FunctionalInterface
  private interface JoseVerify {
    boolean verify(JWSHeader header, byte[] input, Base64URL signature) throws JOSEException;
  }

  /** No extension is understood here, so a token that marks one critical is refused (RFC 7515). */
  private static boolean noCriticalHeaders(JWSHeader header) {
    return header.getCriticalParams() == null || header.getCriticalParams().isEmpty();
  }

  /**
   * The keys that may have signed a token with this header: those with its {@code kid} (any key
   * when it names none) and its algorithm.
   */
  List<Key> candidates(String kid, JWSAlgorithm alg) {
    List<Key> out = new ArrayList<>(1);
    for (Key k : keys) {
      if (k.alg().equals(alg) && (kid == null || Objects.equals(kid, k.kid()))) {
        out.add(k);
      }
    }
    return out;
  }

  /** Whether some key has this id. */
  boolean knows(String kid) {
    for (Key k : keys) {
      if (Objects.equals(kid, k.kid())) {
        return true;
      }
    }
    return false;
  }

  public int size() {
    return keys.size();
  }

  /** Keys of the JWKS that are not used, each with the reason. */
  public List<String> ignored() {
    return ignored;
  }
}
