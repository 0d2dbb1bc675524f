package dev.hotpath.outside;

import io.vertx.core.buffer.Buffer;

/**
 * An answer of an outside service that is not a failure: a 2xx, or a 4xx other than 408 and 429
 * (the service refused the request itself, e.g. a declined payment).
 */
public record Reply(int status, Buffer body) {
  public boolean ok() {
    return status >= 200 && status < 300;
  }
}
