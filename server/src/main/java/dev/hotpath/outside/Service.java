package dev.hotpath.outside;

import java.util.Locale;

/** The outside services hotpath calls, and what may be done with their calls. */
public enum Service {
  /** Authorizes payments; idempotent through the provider's own idempotency key. Never hedged. */
  PAYMENTS(false),
  /** A product's reviews: an idempotent read, hedged. */
  REVIEWS(true),
  /** Products related to a product: an idempotent read, hedged. */
  RECOMMENDATIONS(true);

  private final String id = name().toLowerCase(Locale.ROOT);
  private final boolean hedged;

  Service(boolean hedged) {
    this.hedged = hedged;
  }

  /** The name in settings, metrics, logs and the stand-ins' paths: the constant's, lower case. */
  public String id() {
    return id;
  }

  /** Whether a slow call may be raced by a second one (a hedge). */
  public boolean hedged() {
    return hedged;
  }
}
