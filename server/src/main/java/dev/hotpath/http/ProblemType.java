package dev.hotpath.http;

import java.util.Locale;

/**
 * Every kind of error the API returns, each with one stable {@code type} URI (RFC 9457). The URIs
 * identify the error kind; api/openapi.yaml documents each one.
 */
public enum ProblemType {
  BAD_REQUEST(400, "The request is malformed"),
  VALIDATION(400, "validation-error", "The request is not valid"),
  INVALID_CURSOR(400, "The cursor is not valid"),
  MALFORMED_JSON(400, "The body is not well-formed JSON"),
  UNAUTHORIZED(401, "Missing or wrong credentials"),
  FORBIDDEN(403, "The token lacks a scope this route needs"),
  NOT_FOUND(404, "No such resource"),
  METHOD_NOT_ALLOWED(405, "Method not allowed"),
  NOT_ACCEPTABLE(406, "No acceptable representation"),
  IDEMPOTENCY_KEY_MISSING(400, "This request needs an Idempotency-Key header"),
  REQUEST_TIMEOUT(408, "The request took the client too long to send"),
  CONFLICT(409, "The request conflicts with the current state"),
  IDEMPOTENCY_KEY_IN_USE(409, "A request with this Idempotency-Key is still running"),
  PRECONDITION_FAILED(412, "The resource has changed"),
  PAYLOAD_TOO_LARGE(413, "The body is too large"),
  URI_TOO_LONG(414, "The URI is too long"),
  UNSUPPORTED_MEDIA_TYPE(415, "Unsupported media type"),
  EXPECTATION_FAILED(417, "The expectation cannot be met"),
  OUT_OF_STOCK(422, "Not enough stock"),
  UNKNOWN_PRODUCT(422, "Unknown or unavailable product"),
  UNKNOWN_CUSTOMER(422, "Unknown or inactive customer"),
  CURRENCY_MISMATCH(422, "Items are priced in different currencies"),
  MISSING_SHIPPING_ADDRESS(422, "No shipping address"),
  PAYMENT_DECLINED(422, "The payment was declined"),
  PRECONDITION_REQUIRED(428, "The request must be conditional"),
  TOO_MANY_REQUESTS(429, "Too many requests"),
  RATE_LIMITED(429, "A rate limit is spent"),
  IDEMPOTENCY_KEY_REUSED(422, "This Idempotency-Key was used for a different request"),
  HEADERS_TOO_LARGE(431, "The request headers are too large"),
  INTERNAL(500, "internal-error", "Internal error"),
  HTTP_VERSION_NOT_SUPPORTED(505, "Only HTTP/1.0, HTTP/1.1 and HTTP/2 are served"),
  UNAVAILABLE(503, "Service unavailable"),
  OVERLOADED(503, "The server is shedding load"),
  DATABASE_UNAVAILABLE(503, "The database is unavailable"),
  DATABASE_TIMEOUT(503, "The database did not answer in time"),
  // GraphQL (#22): refused before execution
  INVALID_QUERY(400, "The GraphQL query is not valid"),
  QUERY_TOO_DEEP(400, "The GraphQL query is nested deeper than the limit"),
  QUERY_TOO_COSTLY(400, "The GraphQL query costs more than the limit"),
  PERSISTED_QUERY_NOT_FOUND(404, "No persisted query has this hash; send it with its text");

  public static final String BASE = "https://hotpath.dev/problems/";

  private final int status;
  private final String uri;
  private final String title;

  /** A kind whose {@code type} URI ends in its name, lower case, words joined by hyphens. */
  ProblemType(int status, String title) {
    this.status = status;
    this.uri = BASE + name().toLowerCase(Locale.ROOT).replace('_', '-');
    this.title = title;
  }

  /** A kind whose {@code type} URI ends in {@code slug}. */
  ProblemType(int status, String slug, String title) {
    this.status = status;
    this.uri = BASE + slug;
    this.title = title;
  }

  public int status() {
    return status;
  }

  public String uri() {
    return uri;
  }

  public String title() {
    return title;
  }
}
