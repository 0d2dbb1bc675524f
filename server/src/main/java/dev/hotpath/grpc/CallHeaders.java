package dev.hotpath.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

/**
 * The metadata a call forwards to the REST route it stands for: {@code authorization} (the bearer
 * token), {@code idempotency-key}, {@code x-client-id} and the caller's W3C trace context ({@code
 * traceparent}, {@code tracestate}: the route's span, and its access log line, continue the
 * caller's trace), and the peer's address, kept in the call's {@link Context}.
 */
final class CallHeaders implements ServerInterceptor {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> IDEMPOTENCY_KEY =
      Metadata.Key.of("idempotency-key", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> CLIENT_ID =
      Metadata.Key.of("x-client-id", Metadata.ASCII_STRING_MARSHALLER);

  static final Metadata.Key<String> TRACEPARENT =
      Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> TRACESTATE =
      Metadata.Key.of("tracestate", Metadata.ASCII_STRING_MARSHALLER);

  /** The forwarded headers of the current call: name, value pairs. */
  static final Context.Key<String[]> HEADERS = Context.key("hotpath.headers");

  /** The address of the current call's peer: what its REST request is charged to and logged as. */
  static final Context.Key<String> PEER = Context.key("hotpath.peer");

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata metadata, ServerCallHandler<Q, R> next) {
    for (Metadata.Key<String> single : SINGLE) {
      Iterable<String> values = metadata.getAll(single);
      if (values != null && count(values) > 1) {
        // one value each: a proxy that checked one of them and this server using another would
        // act for another caller, or replay another request
        call.close(
            Status.INVALID_ARGUMENT.withDescription(
                "the call has "
                    + count(values)
                    + " "
                    + single.name()
                    + " metadata entries; send one"),
            new Metadata());
        return new ServerCall.Listener<>() {};
      }
    }
    String[] headers = {
      "Authorization", metadata.get(AUTHORIZATION),
      "Idempotency-Key", metadata.get(IDEMPOTENCY_KEY),
      "X-Client-Id", metadata.get(CLIENT_ID),
      "traceparent", metadata.get(TRACEPARENT),
      "tracestate", metadata.get(TRACESTATE)
    };
    return Contexts.interceptCall(
        Context.current().withValues(HEADERS, headers, PEER, peer(call)), call, metadata, next);
  }

  /** Metadata that holds one value: the credentials and the idempotency key. */
  private static final List<Metadata.Key<String>> SINGLE = List.of(AUTHORIZATION, IDEMPOTENCY_KEY);

  private static int count(Iterable<String> values) {
    int n = 0;
    for (String ignored : values) {
      n++;
    }
    return n;
  }

  private static String peer(ServerCall<?, ?> call) {
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
      return inet.getAddress().getHostAddress();
    }
    return "-";
  }
}
