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

  public static ProblemException validation(List<FieldError> errors) {
    return new ProblemException(
        ProblemType.VALIDATION,
        errors.size() == 1 ? "1 field is invalid" : errors.size() + " fields are invalid",
        errors);
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
