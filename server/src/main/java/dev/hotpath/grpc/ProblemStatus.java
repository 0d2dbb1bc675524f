package dev.hotpath.grpc;

import dev.hotpath.http.InProcess;
import dev.hotpath.http.ProblemType;
import io.grpc.Status;

/**
 * The one table from the API's problem types to gRPC status codes: a call fails with the code of
 * the problem the same request over REST is answered with, and the problem's detail as the status
 * description. The switch is exhaustive, so a new problem type cannot be left unmapped.
 */
final class ProblemStatus {
  private ProblemStatus() {}

  static Status.Code code(ProblemType type) {
    return switch (type) {
      case BAD_REQUEST,
          VALIDATION,
          INVALID_CURSOR,
          MALFORMED_JSON,
          IDEMPOTENCY_KEY_MISSING,
          PAYLOAD_TOO_LARGE,
          URI_TOO_LONG,
          HEADERS_TOO_LARGE ->
          Status.Code.INVALID_ARGUMENT;
      case UNAUTHORIZED -> Status.Code.UNAUTHENTICATED;
      case FORBIDDEN -> Status.Code.PERMISSION_DENIED;
      case NOT_FOUND -> Status.Code.NOT_FOUND;
      case CONFLICT, IDEMPOTENCY_KEY_IN_USE -> Status.Code.ABORTED;
      case IDEMPOTENCY_KEY_REUSED -> Status.Code.ALREADY_EXISTS;
      case PRECONDITION_FAILED,
          PRECONDITION_REQUIRED,
          OUT_OF_STOCK,
          UNKNOWN_PRODUCT,
          UNKNOWN_CUSTOMER,
          CURRENCY_MISMATCH,
          MISSING_SHIPPING_ADDRESS,
          PAYMENT_DECLINED ->
          Status.Code.FAILED_PRECONDITION;
      case TOO_MANY_REQUESTS, RATE_LIMITED -> Status.Code.RESOURCE_EXHAUSTED;
      case REQUEST_TIMEOUT, DATABASE_TIMEOUT -> Status.Code.DEADLINE_EXCEEDED;
      case UNAVAILABLE, OVERLOADED, DATABASE_UNAVAILABLE -> Status.Code.UNAVAILABLE;
      // the bridge sends what the route accepts, and never to /graphql; these mean a bug on this
      // side
      case METHOD_NOT_ALLOWED,
          INVALID_QUERY,
          QUERY_TOO_DEEP,
          QUERY_TOO_COSTLY,
          PERSISTED_QUERY_NOT_FOUND,
          NOT_ACCEPTABLE,
          UNSUPPORTED_MEDIA_TYPE,
          EXPECTATION_FAILED,
          HTTP_VERSION_NOT_SUPPORTED,
          INTERNAL ->
          Status.Code.INTERNAL;
    };
  }

  /** The status of a problem answer: its type's code, described by its detail. */
  static Status status(InProcess.Problem problem, int httpStatus) {
    Status.Code code =
        problem.type().map(ProblemStatus::code).orElseGet(() -> fallback(httpStatus));
    return Status.fromCode(code).withDescription(problem.detail());
  }

  /** A status for an answer without a known problem type, by its HTTP status alone. */
  static Status.Code fallback(int httpStatus) {
    return switch (httpStatus) {
      case 400 -> Status.Code.INVALID_ARGUMENT;
      case 401 -> Status.Code.UNAUTHENTICATED;
      case 403 -> Status.Code.PERMISSION_DENIED;
      case 404 -> Status.Code.NOT_FOUND;
      case 429 -> Status.Code.RESOURCE_EXHAUSTED;
      case 503 -> Status.Code.UNAVAILABLE;
      default -> Status.Code.INTERNAL;
    };
  }
}
