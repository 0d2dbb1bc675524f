package dev.hotpath.observe;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The address a request is charged to (rate limits, failed authentications) and logged under (the
 * access log's {@code client}): the socket's peer, except for a request this process sends to
 * itself on a caller's behalf (a gRPC call or a GraphQL mutation run as its REST request), which
 * names its caller in {@value #PEER_HEADER}. That header is honoured only when it comes from a
 * loopback address together with this process's secret, a random value made at start-up that never
 * leaves the process; anyone else sending it is charged and logged by their own address.
 * Thread-safe.
 */
public final class ClientAddress {
  /** The address of the caller a loopback request stands for. */
  public static final String PEER_HEADER = "X-Hotpath-Peer";

  /** Proves that the request was sent by this process. */
  static final String SECRET_HEADER = "X-Hotpath-Loopback";

  private static final String SECRET = secret();
  private static final byte[] SECRET_BYTES = SECRET.getBytes(StandardCharsets.US_ASCII);

  private ClientAddress() {}

  /** The address {@code request} is charged to and logged under; {@code "-"} when unknown. */
  public static String of(HttpServerRequest request) {
    SocketAddress remote = request.remoteAddress();
    String host = remote == null ? null : remote.hostAddress();
    if (host == null) {
      return "-";
    }
    if (loopback(host)) {
      String peer = request.getHeader(PEER_HEADER);
      if (peer != null && vouched(request.getHeader(SECRET_HEADER))) {
        return peer;
      }
    }
    return host;
  }

  /**
   * Marks {@code options}, a request this process sends to its own HTTP port, as standing for the
   * caller at {@code peer} (its address).
   */
  public static RequestOptions onBehalfOf(RequestOptions options, String peer) {
    return options.putHeader(PEER_HEADER, peer).putHeader(SECRET_HEADER, SECRET);
  }

  private static boolean vouched(String secret) {
    return secret != null
        && MessageDigest.isEqual(secret.getBytes(StandardCharsets.US_ASCII), SECRET_BYTES);
  }

  private static boolean loopback(String host) {
    return host.startsWith("127.") || host.equals("::1") || host.equals("0:0:0:0:0:0:0:1");
  }

  private static String secret() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
