package dev.hotpath.observe.analyze;

/** Traffic that is not business: what it is, in words for the reports. */
public enum Noise {
  MALFORMED("malformed requests (400 malformed-json / bad-request)"),
  SCANNER("scanners (4xx on probe paths: /wp-admin, /.env, *.php, ...)"),
  BOT("bots (4xx from crawler, scanner or empty user agents)"),
  RETRY("retries (2nd+ request with one idempotency key)");

  private final String description;

  Noise(String description) {
    this.description = description;
  }

  public String description() {
    return description;
  }

  public String key() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
