package dev.hotpath.support;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import net.logstash.logback.encoder.LogstashEncoder;

/**
 * A log appender (installed on the root and access loggers by logback-test.xml, so it sees every
 * line of the whole test run from the first) that looks in each encoded line for what must never be
 * logged: anything shaped like a JWT, a bearer credential, credentials in a URL, and the private
 * key material of the test keys. {@code LogLeakTest}, run last, asserts it found nothing.
 */
public final class SecretScanner extends AppenderBase<ILoggingEvent> {
  /** Two base64url JSON objects and a dot: the header and payload of a JWT. */
  static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]{6,}\\.[A-Za-z0-9_-]{6,}");

  static final Pattern BEARER = Pattern.compile("(?i)bearer\\s+[A-Za-z0-9._~+/-]{12,}");
  static final Pattern URL_CREDENTIALS = Pattern.compile("://[^/\\s:@\"]+:[^/\\s@\"]+@");

  private static final AtomicLong scanned = new AtomicLong();
  private static final ConcurrentLinkedQueue<String> findings = new ConcurrentLinkedQueue<>();
  private static final Set<String> secrets = ConcurrentHashMap.newKeySet();

  private final LogstashEncoder encoder = new LogstashEncoder();

  @Override
  public void start() {
    encoder.setContext(getContext());
    encoder.start();
    super.start();
  }

  @Override
  protected void append(ILoggingEvent event) {
    String line = new String(encoder.encode(event), StandardCharsets.UTF_8);
    scanned.incrementAndGet();
    String found = find(line);
    if (found != null && findings.size() < 100) {
      findings.add(found + " in: " + (line.length() > 600 ? line.substring(0, 600) : line));
    }
  }

  static String find(String line) {
    for (Pattern p : List.of(JWT, BEARER, URL_CREDENTIALS)) {
      var m = p.matcher(line);
      if (m.find()) {
        return p.pattern() + " (" + m.group() + ")";
      }
    }
    for (String secret : secrets) {
      if (line.contains(secret)) {
        return "a registered secret";
      }
    }
    return null;
  }

  /** Adds a value that must never appear in a log line (e.g. private key material). */
  public static void watch(String secret) {
    secrets.add(secret);
  }

  public static long scanned() {
    return scanned.get();
  }

  public static List<String> findings() {
    return List.copyOf(findings);
  }

  /** Removes findings that contain {@code marker} (a canary logged on purpose). */
  public static void forget(String marker) {
    findings.removeIf(f -> f.contains(marker));
  }
}
