package dev.hotpath.load;

/**
 * What an answer means to the harness. Business refusals (404 unknown id, 409 e-mail taken, 422 out
 * of stock) are correct answers: their latency counts, and they are reported apart. Anything else
 * outside 2xx/3xx, and a request that got no answer (status 0), is an error.
 */
public enum Outcome {
  OK,
  BUSINESS,
  ERROR;

  public static Outcome of(int status) {
    if (status >= 200 && status < 400) {
      return OK;
    }
    if (status == 404 || status == 409 || status == 422) {
      return BUSINESS;
    }
    return ERROR;
  }
}
