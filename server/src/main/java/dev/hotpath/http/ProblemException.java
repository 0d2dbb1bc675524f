package dev.hotpath.http;

import java.util.List;

/**
 * A request that must be answered with a problem document. Thrown (or used to fail a future) by
 * handlers and commands; {@link Problems} is the one place that renders it. Created without a stack
 * trace: these are expected outcomes, not bugs.
 */
public final class ProblemException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ProblemType type;
  private final transient List<FieldError> errors;

  public ProblemException(ProblemType type, String detail) {
    this(type, detail, List.of());
  }

  public ProblemException(ProblemType type, String detail, List<FieldError> errors) {
    super(detail, null, false, false);
    this.type = type;
    this.errors = List.copyOf(errors);
  }

  /** The most errors a problem lists; the detail counts them all. */
  public static final int MAX_LISTED_ERRORS = 100;

  /**
   * A 400 listing every failing field, up to {@link #MAX_LISTED_ERRORS} (in their order): a body of
   * a thousand lines with sixty unknown members each had sixty thousand listed, a 3.6 MB answer to
   * 0.6 MB.
   */
  public static ProblemException validation(List<FieldError> errors) {
    int n = errors.size();
    String detail = n == 1 ? "1 field is invalid" : n + " fields are invalid";
    if (n > MAX_LISTED_ERRORS) {
      return new ProblemException(
          ProblemType.VALIDATION,
          detail + "; the first " + MAX_LISTED_ERRORS + " are listed",
          List.copyOf(errors.subList(0, MAX_LISTED_ERRORS)));
    }
    return new ProblemException(ProblemType.VALIDATION, detail, errors);
  }

  public static ProblemException invalid(String field, String message) {
    return validation(List.of(new FieldError(field, message)));
  }

  public static ProblemException notFound(String what) {
    return new ProblemException(ProblemType.NOT_FOUND, what + " does not exist");
  }

  public ProblemType type() {
    return type;
  }

  public String detail() {
    return getMessage();
  }

  public List<FieldError> errors() {
    return errors;
  }
}
