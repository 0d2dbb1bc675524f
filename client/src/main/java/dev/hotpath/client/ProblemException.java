package dev.hotpath.client;

import dev.hotpath.client.invoker.ApiException;
import dev.hotpath.client.model.Problem;

/**
 * An error answer of the hotpath API as its {@code application/problem+json} body (RFC 9457) says
 * it: {@link #kind()} is the stable last segment of the problem's {@code type} ({@code not-found},
 * {@code validation-error}, {@code precondition-failed}, ...), {@link #problem()} the whole body,
 * including the failing fields of a 400.
 */
public final class ProblemException extends ApiException {
  private final transient Problem problem;

  ProblemException(ApiException cause, Problem problem) {
    super(
        problem.getStatus() + " " + problem.getTitle() + ": " + problem.getDetail(),
        cause,
        cause.getCode(),
        cause.getResponseHeaders(),
        cause.getResponseBody());
    this.problem = problem;
  }

  /** The problem as the server sent it. */
  public Problem problem() {
    return problem;
  }

  /** The kind of problem: the last path segment of its {@code type} URI. */
  public String kind() {
    String type = problem.getType().getPath();
    return type.substring(type.lastIndexOf('/') + 1);
  }
}
