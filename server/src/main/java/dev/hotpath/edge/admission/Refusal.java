package dev.hotpath.edge.admission;

import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Problems;
import dev.hotpath.http.SecurityHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The HTTP/1.1 answer to a request refused before it is parsed past its request line and headers:
 * {@code 503} problem {@code overloaded} with {@code Retry-After: 1}, the security headers, {@code
 * Server-Timing} reporting no query, and its problem document, encoded once into one read-only
 * buffer that every refusal writes as it is (a duplicate: no copy, no allocation of the bytes).
 *
 * <p>Two variants: one that keeps the connection, one with {@code Connection: close}. No {@code
 * Date}: no response of this server sends one.
 */
final class Refusal {
  static final ProblemException OVERLOADED =
      new ProblemException(
          ProblemType.OVERLOADED,
          "The server is at its concurrency limit and refused this request before doing any work;"
              + " retry after Retry-After seconds");

  /** The body, encoded once ({@code instance} is optional in the contract). */
  static final byte[] BODY = Problems.encode(OVERLOADED, null).getBytes();

  private final ByteBuf keepAlive;
  private final ByteBuf close;

  Refusal(boolean tls) {
    this.keepAlive = frozen(encode(tls, false));
    this.close = frozen(encode(tls, true));
  }

  /** The bytes to write, to be written as they are (releasing them is a no-op). */
  ByteBuf bytes(boolean keepConnection) {
    return (keepConnection ? keepAlive : close).duplicate();
  }

  /** The whole response, status line to body, as the client receives it. */
  static byte[] encode(boolean tls, boolean closeConnection) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    headers
        .add("Content-Type", Problems.CONTENT_TYPE)
        .add("Cache-Control", "no-store")
        .add("Retry-After", "1")
        .add("Server-Timing", "db;dur=0.000;desc=\"0 queries\"");
    SecurityHeaders.add(headers, tls);
    if (closeConnection) {
      headers.add("Connection", "close");
    }
    headers.add("Content-Length", Integer.toString(BODY.length));
    StringBuilder head = new StringBuilder(512);
    head.append("HTTP/1.1 503 Service Unavailable\r\n");
    for (Map.Entry<String, String> h : headers) {
      head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
    }
    head.append("\r\n");
    byte[] headBytes = head.toString().getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[headBytes.length + BODY.length];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    System.arraycopy(BODY, 0, all, headBytes.length, BODY.length);
    return all;
  }

  private static ByteBuf frozen(byte[] bytes) {
    return Unpooled.unreleasableBuffer(
        Unpooled.directBuffer(bytes.length).writeBytes(bytes).asReadOnly());
  }
}
