package dev.hotpath.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Opaque, tamper-evident pagination cursors. A cursor carries the keyset position (a few longs) and
 * is bound to the list it came from (its scope: route plus filters), then sealed with an
 * HMAC-SHA256 tag truncated to 128 bits. A cursor that was altered, forged, or taken from another
 * list is rejected with a 400. Thread-safe.
 */
public final class CursorCodec {
  private static final int TAG_BYTES = 16;
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  private final SecretKeySpec key;
  private final ThreadLocal<Mac> macs;

  public CursorCodec(byte[] secret) {
    if (secret.length < 16) {
      throw new IllegalArgumentException(
          "cursor secret must have at least 16 bytes, had " + secret.length);
    }
    this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
    this.macs = ThreadLocal.withInitial(this::newMac);
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /** Seals {@code keys} for the list named by {@code scope}. */
  public String encode(String scope, long... keys) {
    ByteBuffer payload = ByteBuffer.allocate(keys.length * Long.BYTES + TAG_BYTES);
    for (long k : keys) {
      payload.putLong(k);
    }
    byte[] tag = tag(scope, payload.array(), keys.length * Long.BYTES);
    payload.put(tag, 0, TAG_BYTES);
    return ENCODER.encodeToString(payload.array());
  }

  /**
   * Opens a cursor made by {@link #encode} for the same scope.
   *
   * @throws ProblemException 400 invalid-cursor when it is malformed, altered or from another list
   */
  public long[] decode(String scope, String cursor, int keyCount) {
    int expected = keyCount * Long.BYTES + TAG_BYTES;
    if (cursor.length() > 4 * expected) {
      throw invalid();
    }
    byte[] raw;
    try {
      raw = DECODER.decode(cursor);
    } catch (IllegalArgumentException e) {
      throw invalid();
    }
    if (raw.length != expected) {
      throw invalid();
    }
    byte[] tag = tag(scope, raw, keyCount * Long.BYTES);
    byte[] given = new byte[TAG_BYTES];
    System.arraycopy(raw, keyCount * Long.BYTES, given, 0, TAG_BYTES);
    byte[] want = new byte[TAG_BYTES];
    System.arraycopy(tag, 0, want, 0, TAG_BYTES);
    if (!MessageDigest.isEqual(given, want)) {
      throw invalid();
    }
    ByteBuffer buf = ByteBuffer.wrap(raw);
    long[] keys = new long[keyCount];
    for (int i = 0; i < keyCount; i++) {
      keys[i] = buf.getLong();
    }
    return keys;
  }

  private byte[] tag(String scope, byte[] payload, int length) {
    Mac mac = macs.get();
    mac.update(scope.getBytes(StandardCharsets.UTF_8));
    mac.update((byte) 0);
    mac.update(payload, 0, length);
    return mac.doFinal();
  }

  private static ProblemException invalid() {
    return new ProblemException(
        ProblemType.INVALID_CURSOR,
        "The cursor was altered, has expired with a key change, or belongs to another list; start again without it",
        java.util.List.of(new FieldError("cursor", "not a cursor issued for this list")));
  }
}
