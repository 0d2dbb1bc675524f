package dev.hotpath.observe.analyze;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Decides whether a request is noise, and which kind; the first rule that matches wins, in the
 * order of {@link Noise}. Retries are found by remembering idempotency keys: the last {@code
 * keyMemory} distinct keys (a retry of an older key counts as business). Not thread-safe: one
 * filter per log, fed in log order.
 */
public final class NoiseFilter {
  private static final Set<String> MALFORMED_PROBLEMS = Set.of("malformed-json", "bad-request");

  private static final Pattern SCANNER_PATH =
      Pattern.compile(
          "(?i)(/(wp-admin|wp-login|wp-content|wp-includes|xmlrpc|phpmyadmin|pma|myadmin|\\.env"
              + "|\\.git|\\.aws|\\.ssh|\\.svn|\\.ds_store|\\.htaccess|cgi-bin|boaform|hnap1"
              + "|vendor/phpunit|server-status|config\\.json|backup|actuator)"
              + "|\\.(php\\d?|asp|aspx|jsp|cgi|bak|sql|ini)$)");

  private static final Pattern BOT_AGENT =
      Pattern.compile(
          "(?i)(bot\\b|bot/|crawler|spider|slurp|scanner|nikto|sqlmap|masscan|zgrab|nmap|nuclei"
              + "|dirbuster|gobuster|wpscan|censys|shodan|httpx|fuzz)");

  private final Map<String, Boolean> seenKeys;

  public NoiseFilter(int keyMemory) {
    if (keyMemory < 1) {
      throw new IllegalArgumentException("keyMemory must be >= 1, was " + keyMemory);
    }
    this.seenKeys =
        new LinkedHashMap<>(Math.min(keyMemory, 1 << 16), 0.75f, false) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > keyMemory;
          }
        };
  }

  /** The kind of noise {@code r} is, or empty for business traffic. Remembers its key. */
  public Optional<Noise> classify(AccessRecord r) {
    boolean retry = r.idemKey().map(k -> seenKeys.put(k, Boolean.TRUE) != null).orElse(false);
    if (r.status() == 400 && r.problem().map(MALFORMED_PROBLEMS::contains).orElse(true)) {
      return Optional.of(Noise.MALFORMED);
    }
    boolean clientError = r.status() >= 400 && r.status() < 500;
    if (clientError && SCANNER_PATH.matcher(r.path()).find()) {
      return Optional.of(Noise.SCANNER);
    }
    if (clientError && isBot(r.userAgent())) {
      return Optional.of(Noise.BOT);
    }
    return retry ? Optional.of(Noise.RETRY) : Optional.empty();
  }

  static boolean isBot(String userAgent) {
    String ua = userAgent.strip();
    return ua.isEmpty() || ua.equals("-") || BOT_AGENT.matcher(ua).find();
  }
}
