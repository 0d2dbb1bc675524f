package dev.hotpath.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * The metadata a call forwards to the REST route it stands for: {@code authorization} (the bearer
 * token), {@code idempotency-key} and {@code x-client-id}, kept in the call's {@link Context}.
 */
final class CallHeaders implements ServerInterceptor {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> IDEMPOTENCY_KEY =
      Metadata.Key.of("idempotency-key", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> CLIENT_ID =
      Metadata.Key.of("x-client-id", Metadata.ASCII_STRING_MARSHALLER);

  /** The forwarded headers of the current call: name, value pairs. */
  static final Context.Key<String[]> HEADERS = Context.key("hotpath.headers");

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata metadata, ServerCallHandler<Q, R> next) {
    String[] headers = {
      "Authorization", metadata.get(AUTHORIZATION),
      "Idempotency-Key", metadata.get(IDEMPOTENCY_KEY),
      "X-Client-Id", metadata.get(CLIENT_ID)
    };
    return Contexts.interceptCall(
        Context.current().withValue(HEADERS, headers), call, metadata, next);
  }
}
