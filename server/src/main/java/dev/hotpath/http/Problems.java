package dev.hotpath.http;

import dev.hotpath.store.DatabaseHealth;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place failures become {@code application/problem+json} (RFC 9457). Unexpected failures
 * are logged with their stack and answered with a 500 that reveals nothing internal.
 */
public final class Problems {
  private static final Logger log = LoggerFactory.getLogger(Problems.class);
  public static final String CONTENT_TYPE = "application/problem+json";

  private Problems() {}

  /** Router failure handler: renders whatever failed the context. */
  public static void handleFailure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ProblemException problem) {
      send(ctx, problem);
      return;
    }
    // the client closed its connection before the request was read or answered: nobody is left
    // to answer and nothing went wrong here (the access log and metrics count it as 499)
    if (failure instanceof HttpClosedException || ctx.response().closed()) {
      return;
    }
    ProblemException database = ofDatabase(failure);
    if (database != null) {
      send(ctx, database);
      return;
    }
    int status = ctx.statusCode();
    ProblemType type = forStatus(status);
    if (type == ProblemType.INTERNAL) {
      log.error(
          "unhandled failure on {} {}", ctx.request().method(), ctx.request().path(), failure);
      send(
          ctx,
          new ProblemException(
              type, "The server could not complete the request; it has been logged"));
      return;
    }
    send(ctx, new ProblemException(type, detailFor(type, ctx)));
  }

  private static final ProblemException DATABASE_UNAVAILABLE =
      new ProblemException(
          ProblemType.DATABASE_UNAVAILABLE,
          "The database cannot be reached; retry after Retry-After seconds");

  private static final ProblemException DATABASE_TIMEOUT =
      new ProblemException(
          ProblemType.DATABASE_TIMEOUT,
          "The database did not answer within this request's budget; retry after Retry-After seconds");

  /**
   * The problem a fault of the database is answered with (a 503 to retry, not a 500 logged per
   * request: {@code DatabaseHealth} logs once per change of state): unreachable or timed out; null
   * for any other failure.
   */
  public static @org.jspecify.annotations.Nullable ProblemException ofDatabase(Throwable failure) {
    if (DatabaseHealth.unreachable(failure)) {
      return DATABASE_UNAVAILABLE;
    }
    if (DatabaseHealth.timedOut(failure)) {
      return DATABASE_TIMEOUT;
    }
    return null;
  }

  private static ProblemType forStatus(int status) {
    return switch (status) {
      case 400 -> ProblemType.BAD_REQUEST;
      case 414 -> ProblemType.URI_TOO_LONG;
      case 431 -> ProblemType.HEADERS_TOO_LARGE;
      case 404 -> ProblemType.NOT_FOUND;
      case 405 -> ProblemType.METHOD_NOT_ALLOWED;
      case 406 -> ProblemType.NOT_ACCEPTABLE;
      case 408 -> ProblemType.REQUEST_TIMEOUT;
      case 413 -> ProblemType.PAYLOAD_TOO_LARGE;
      case 415 -> ProblemType.UNSUPPORTED_MEDIA_TYPE;
      case 417 -> ProblemType.EXPECTATION_FAILED; // Vert.x's body handler: an unknown Expect
      case 503 -> ProblemType.UNAVAILABLE;
      default -> ProblemType.INTERNAL;
    };
  }

  private static String detailFor(ProblemType type, RoutingContext ctx) {
    return switch (type) {
      case NOT_FOUND -> "No route or resource at " + ctx.request().path();
      case METHOD_NOT_ALLOWED ->
          ctx.request().method() + " is not allowed on " + ctx.request().path();
      case NOT_ACCEPTABLE ->
          "No media type in Accept is available here: the API answers application/json, and the"
              + " reads the contract lists with it also application/x-protobuf";
      case PAYLOAD_TOO_LARGE -> "The body exceeds the limit of this server";
      case UNSUPPORTED_MEDIA_TYPE -> "Send the body as application/json";
      case EXPECTATION_FAILED ->
          "The only expectation understood is Expect: 100-continue; send the request without the"
              + " others";
      case BAD_REQUEST -> "The request could not be read (check its URL encoding and headers)";
      default -> type.title();
    };
  }

  /**
   * Sends the problem; when a response has already started (a failure mid-body) the connection is
   * closed instead, and when one has ended (a request that timed out) nothing happens.
   */
  public static Future<Void> send(RoutingContext ctx, ProblemException problem) {
    HttpServerResponse response = ctx.response();
    if (response.ended()) {
      return Future.succeededFuture();
    }
    if (response.headWritten()) {
      return ctx.request().connection().close();
    }
    return answer(response, problem.type(), encode(problem, ctx.request().path()));
  }

  /**
   * Ends {@code response} with an encoded problem of {@code type}, and names the problem in the
   * request's trace (the access log shows it).
   */
  public static Future<Void> answer(HttpServerResponse response, ProblemType type, Buffer body) {
    var trace = dev.hotpath.observe.Tracing.currentOrNull();
    if (trace != null) {
      trace.problem(type.uri().substring(ProblemType.BASE.length()));
    }
    response
        .setStatusCode(type.status())
        .putHeader("Content-Type", CONTENT_TYPE)
        .putHeader("Cache-Control", "no-store");
    if (type == ProblemType.DATABASE_UNAVAILABLE || type == ProblemType.DATABASE_TIMEOUT) {
      response.putHeader("Retry-After", "1");
    }
    return response.end(body);
  }

  public static Buffer encode(ProblemException problem, String instance) {
    ProblemType type = problem.type();
    return JsonOutput.write(
        256,
        gen -> {
          gen.writeStartObject();
          gen.writeStringField("type", type.uri());
          gen.writeStringField("title", type.title());
          gen.writeNumberField("status", type.status());
          gen.writeStringField("detail", problem.detail());
          if (instance != null) {
            gen.writeStringField("instance", instance);
          }
          if (!problem.errors().isEmpty()) {
            gen.writeArrayFieldStart("errors");
            for (FieldError error : problem.errors()) {
              gen.writeStartObject();
              gen.writeStringField("field", error.field());
              gen.writeStringField("message", error.message());
              gen.writeEndObject();
            }
            gen.writeEndArray();
          }
          gen.writeEndObject();
        });
  }
}
