package dev.hotpath.edge.auth;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;

/**
 * Ed25519 (JWS {@code EdDSA}) with the JDK's own implementation, from the raw 32-byte keys a JWK
 * carries ({@code x}, {@code d}), so that no second crypto library is needed. Thread-safe.
 */
public final class Ed25519 {
  /** DER prefix of an X.509 SubjectPublicKeyInfo for Ed25519 (RFC 8410), before the 32 bytes. */
  private static final byte[] SPKI_PREFIX = hex("302a300506032b6570032100");

  /** DER prefix of a PKCS#8 PrivateKeyInfo for Ed25519 (RFC 8410), before the 32 bytes. */
  private static final byte[] PKCS8_PREFIX = hex("302e020100300506032b657004220420");

  private Ed25519() {}

  public static PublicKey publicKey(byte[] x) throws GeneralSecurityException {
    if (x.length != 32) {
      throw new GeneralSecurityException("an Ed25519 public key has 32 bytes, not " + x.length);
    }
    return KeyFactory.getInstance("Ed25519")
        .generatePublic(new X509EncodedKeySpec(concat(SPKI_PREFIX, x)));
  }

  public static PrivateKey privateKey(byte[] d) throws GeneralSecurityException {
    if (d.length != 32) {
      throw new GeneralSecurityException("an Ed25519 private key has 32 bytes");
    }
    return KeyFactory.getInstance("Ed25519")
        .generatePrivate(new PKCS8EncodedKeySpec(concat(PKCS8_PREFIX, d)));
  }

  /** The raw 32 bytes of a JDK Ed25519 public key (the JWK's {@code x}). */
  public static byte[] rawPublic(PublicKey key) {
    byte[] der = key.getEncoded();
    return java.util.Arrays.copyOfRange(der, der.length - 32, der.length);
  }

  /** The raw 32 bytes of a JDK Ed25519 private key (the JWK's {@code d}). */
  public static byte[] rawPrivate(PrivateKey key) {
    byte[] der = key.getEncoded();
    return java.util.Arrays.copyOfRange(der, der.length - 32, der.length);
  }

  public static byte[] sign(PrivateKey key, byte[] message) throws GeneralSecurityException {
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(key);
    s.update(message);
    return s.sign();
  }

  public static boolean verify(PublicKey key, byte[] message, byte[] signature) {
    if (signature.length != 64) {
      return false;
    }
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(key);
      s.update(message);
      return s.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static byte[] hex(String s) {
    return java.util.HexFormat.of().parseHex(s);
  }
}
