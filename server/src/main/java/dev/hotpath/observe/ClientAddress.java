package dev.hotpath.observe;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

/**
 * The address a request is charged to (rate limits, failed authentications) and logged under (the
 * access log's {@code client}): the socket's peer. A request this process makes of its own routes
 * on a caller's behalf (a gRPC call, a GraphQL mutation, sent in process by {@code http.InProcess})
 * has its caller's address as its peer; no header can name another. Thread-safe.
 */
public final class ClientAddress {
  private ClientAddress() {}

  /** The address {@code request} is charged to and logged under; {@code "-"} when unknown. */
  public static String of(HttpServerRequest request) {
    SocketAddress remote = request.remoteAddress();
    String host = remote == null ? null : remote.hostAddress();
    return host == null ? "-" : host;
  }
}
