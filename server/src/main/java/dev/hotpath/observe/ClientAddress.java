package dev.hotpath.observe;

import io.netty.util.concurrent.FastThreadLocal;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

/**
 * The address a request is charged to (rate limits, failed authentications) and logged under (the
 * access log's {@code client}): the socket's peer. A request this process makes of its own routes
 * on a caller's behalf (a gRPC call, a GraphQL mutation, sent in process by {@code http.InProcess})
 * has its caller's address as its peer; no header can name another. Thread-safe.
 *
 * <p>Read from the connection, not from the router's request (whose {@code remoteAddress()} runs
 * its forwarded-header parser for every request, though no forwarded header is trusted), and the
 * text of an address is made once per connection and thread: a connection keeps one address object,
 * and each thread remembers the text of the last {@value #SLOTS} it formatted, by the object's
 * identity.
 */
public final class ClientAddress {
  private static final int SLOTS = 256;

  /** Per thread: address objects at even indexes, their text at the odd index after each. */
  private static final FastThreadLocal<Object[]> MEMO =
      new FastThreadLocal<>() {
        @Override
        protected Object[] initialValue() {
          return new Object[2 * SLOTS];
        }
      };

  private ClientAddress() {}

  /** The address {@code request} is charged to and logged under; {@code "-"} when unknown. */
  public static String of(HttpServerRequest request) {
    HttpConnection connection = request.connection();
    SocketAddress remote =
        connection == null ? request.remoteAddress() : connection.remoteAddress();
    return remote == null ? "-" : host(remote);
  }

  /** The address a request on {@code connection} is charged to and logged under. */
  public static String of(HttpConnection connection) {
    SocketAddress remote = connection.remoteAddress();
    return remote == null ? "-" : host(remote);
  }

  private static String host(SocketAddress remote) {
    Object[] memo = MEMO.get();
    int slot = (System.identityHashCode(remote) & (SLOTS - 1)) << 1;
    if (memo[slot] == remote) {
      return (String) memo[slot + 1];
    }
    String host = remote.hostAddress();
    if (host == null) {
      host = "-";
    }
    memo[slot] = remote;
    memo[slot + 1] = host;
    return host;
  }
}
