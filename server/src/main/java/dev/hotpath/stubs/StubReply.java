package dev.hotpath.stubs;

/**
 * What a stand-in's route answers, before the delivery faults (loss, drip) apply.
 *
 * @param status HTTP status
 * @param body JSON body
 * @param replayed whether it repeats an earlier answer for the same {@code Idempotency-Key}
 */
record StubReply(int status, String body, boolean replayed) {
  static StubReply of(int status, String body) {
    return new StubReply(status, body, false);
  }

  /** A small problem body; {@code detail} holds no quote. */
  static StubReply problem(int status, String detail) {
    return of(status, problemBody(detail));
  }

  static String problemBody(String detail) {
    return "{\"title\":\"" + detail + "\"}";
  }
}
