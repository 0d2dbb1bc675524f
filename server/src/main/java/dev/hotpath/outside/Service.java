package dev.hotpath.outside;

/** The outside services hotpath calls, and what may be done with their calls. */
public enum Service {
  /** Authorizes payments; idempotent through the provider's own idempotency key. Never hedged. */
  PAYMENTS("payments", false),
  /** A product's reviews: an idempotent read, hedged. */
  REVIEWS("reviews", true),
  /** Products related to a product: an idempotent read, hedged. */
  RECOMMENDATIONS("recommendations", true);

  private final String id;
  private final boolean hedged;

  Service(String id, boolean hedged) {
    this.id = id;
    this.hedged = hedged;
  }

  /** The name in settings, metrics, logs and the stand-ins' paths. */
  public String id() {
    return id;
  }

  /** Whether a slow call may be raced by a second one (a hedge). */
  public boolean hedged() {
    return hedged;
  }
}
