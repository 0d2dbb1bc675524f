package dev.hotpath.http;

/**
 * Every kind of error the API returns, each with one stable {@code type} URI (RFC 9457). The URIs
 * identify the error kind; api/openapi.yaml documents each one.
 */
public enum ProblemType {
  BAD_REQUEST(400, "bad-request", "The request is malformed"),
  VALIDATION(400, "validation-error", "The request is not valid"),
  INVALID_CURSOR(400, "invalid-cursor", "The cursor is not valid"),
  MALFORMED_JSON(400, "malformed-json", "The body is not well-formed JSON"),
  UNAUTHORIZED(401, "unauthorized", "Missing or wrong credentials"),
  FORBIDDEN(403, "forbidden", "The token lacks a scope this route needs"),
  NOT_FOUND(404, "not-found", "No such resource"),
  METHOD_NOT_ALLOWED(405, "method-not-allowed", "Method not allowed"),
  NOT_ACCEPTABLE(406, "not-acceptable", "No acceptable representation"),
  IDEMPOTENCY_KEY_MISSING(
      400, "idempotency-key-missing", "This request needs an Idempotency-Key header"),
  REQUEST_TIMEOUT(408, "request-timeout", "The request took the client too long to send"),
  CONFLICT(409, "conflict", "The request conflicts with the current state"),
  IDEMPOTENCY_KEY_IN_USE(
      409, "idempotency-key-in-use", "A request with this Idempotency-Key is still running"),
  PRECONDITION_FAILED(412, "precondition-failed", "The resource has changed"),
  PAYLOAD_TOO_LARGE(413, "payload-too-large", "The body is too large"),
  URI_TOO_LONG(414, "uri-too-long", "The URI is too long"),
  UNSUPPORTED_MEDIA_TYPE(415, "unsupported-media-type", "Unsupported media type"),
  OUT_OF_STOCK(422, "out-of-stock", "Not enough stock"),
  UNKNOWN_PRODUCT(422, "unknown-product", "Unknown or unavailable product"),
  UNKNOWN_CUSTOMER(422, "unknown-customer", "Unknown or inactive customer"),
  CURRENCY_MISMATCH(422, "currency-mismatch", "Items are priced in different currencies"),
  MISSING_SHIPPING_ADDRESS(422, "missing-shipping-address", "No shipping address"),
  PAYMENT_DECLINED(422, "payment-declined", "The payment was declined"),
  PRECONDITION_REQUIRED(428, "precondition-required", "The request must be conditional"),
  TOO_MANY_REQUESTS(429, "too-many-requests", "Too many requests"),
  RATE_LIMITED(429, "rate-limited", "A rate limit is spent"),
  IDEMPOTENCY_KEY_REUSED(
      422, "idempotency-key-reused", "This Idempotency-Key was used for a different request"),
  HEADERS_TOO_LARGE(431, "headers-too-large", "The request headers are too large"),
  INTERNAL(500, "internal-error", "Internal error"),
  HTTP_VERSION_NOT_SUPPORTED(
      505, "http-version-not-supported", "Only HTTP/1.0, HTTP/1.1 and HTTP/2 are served"),
  UNAVAILABLE(503, "unavailable", "Service unavailable"),
  OVERLOADED(503, "overloaded", "The server is shedding load"),
  DATABASE_UNAVAILABLE(503, "database-unavailable", "The database is unavailable"),
  DATABASE_TIMEOUT(503, "database-timeout", "The database did not answer in time"),
  // GraphQL (#22): refused before execution
  INVALID_QUERY(400, "invalid-query", "The GraphQL query is not valid"),
  QUERY_TOO_DEEP(400, "query-too-deep", "The GraphQL query is nested deeper than the limit"),
  QUERY_TOO_COSTLY(400, "query-too-costly", "The GraphQL query costs more than the limit"),
  PERSISTED_QUERY_NOT_FOUND(
      404, "persisted-query-not-found", "No persisted query has this hash; send it with its text");

  public static final String BASE = "https://hotpath.dev/problems/";

  private final int status;
  private final String uri;
  private final String title;

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
