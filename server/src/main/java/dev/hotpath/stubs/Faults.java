package dev.hotpath.stubs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * The knobs of one stand-in, immutable: its latency distribution, error rate, outage, slow-drip
 * bodies and lost answers (and, for payments, a decline rate). Written as {@code key=value} pairs
 * separated by commas, e.g. {@code latency=longtail,ms=5,tail=0.02,tail-ms=400,error-rate=0.1};
 * keys left out keep their defaults (an instant, healthy service).
 *
 * @param latency {@code fixed} (always {@code ms}), {@code normal} ({@code ms} mean, {@code sd}
 *     standard deviation) or {@code longtail} (normal, but a share {@code tail} of answers takes
 *     {@code tail-ms} times one plus an exponential draw)
 * @param ms mean (or fixed) latency in milliseconds
 * @param sd standard deviation of the normal part in milliseconds
 * @param tail share of answers in the long tail (0..1)
 * @param tailMs scale of the long tail in milliseconds
 * @param errorRate share of answers that are errors (0..1)
 * @param errorStatus the status of an error answer (5xx or 429)
 * @param retryAfter seconds sent as {@code Retry-After} with an error; 0 sends none
 * @param outage {@code none}, {@code refuse} (every connection closed at once) or {@code hang}
 *     (requests accepted and never answered)
 * @param dripBytes when above 0, bodies are sent this many bytes at a time...
 * @param dripMs ...this many milliseconds apart
 * @param declineRate share of new payment authorizations declined (0..1)
 * @param lostRate share of answers worked out and then never sent (0..1): the work is done (a
 *     payment authorized, replayed or voided) but the caller hears nothing and times out, as when a
 *     provider's answer is lost on the way back
 */
public record Faults(
    String latency,
    double ms,
    double sd,
    double tail,
    double tailMs,
    double errorRate,
    int errorStatus,
    int retryAfter,
    String outage,
    int dripBytes,
    int dripMs,
    double declineRate,
    double lostRate) {

  public static final Faults HEALTHY =
      new Faults("fixed", 0, 0, 0, 0, 0, 503, 0, "none", 0, 0, 0, 0);

  public Faults {
    if (!latency.equals("fixed") && !latency.equals("normal") && !latency.equals("longtail")) {
      throw new IllegalArgumentException(
          "latency must be fixed, normal or longtail, was " + latency);
    }
    if (!outage.equals("none") && !outage.equals("refuse") && !outage.equals("hang")) {
      throw new IllegalArgumentException("outage must be none, refuse or hang, was " + outage);
    }
    requireShare("tail", tail);
    requireShare("error-rate", errorRate);
    requireShare("decline-rate", declineRate);
    requireShare("lost-rate", lostRate);
    if (ms < 0 || sd < 0 || tailMs < 0 || dripBytes < 0 || dripMs < 0 || retryAfter < 0) {
      throw new IllegalArgumentException(
          "ms, sd, tail-ms, drip-*, retry-after must not be negative");
    }
    if (errorStatus != 429 && (errorStatus < 500 || errorStatus > 599)) {
      throw new IllegalArgumentException("error-status must be 429 or 5xx, was " + errorStatus);
    }
  }

  private static void requireShare(String name, double value) {
    if (!(value >= 0 && value <= 1)) {
      throw new IllegalArgumentException(name + " must be within [0, 1], was " + value);
    }
  }

  /**
   * These knobs with {@code spec} applied ({@code key=value,...}).
   *
   * @throws IllegalArgumentException naming the bad key or value
   */
  public Faults with(String spec) {
    Map<String, String> changes = new LinkedHashMap<>();
    for (String part : spec.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("expected key=value, got '" + p + "'");
      }
      changes.put(p.substring(0, eq).trim().toLowerCase(Locale.ROOT), p.substring(eq + 1).trim());
    }
    return with(changes);
  }

  /** These knobs with the fields of a JSON object applied (same keys as the text form). */
  public Faults with(JsonNode json) {
    if (!json.isObject()) {
      throw new IllegalArgumentException("expected a JSON object of knobs");
    }
    Map<String, String> changes = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> fields = json.fields();
    while (fields.hasNext()) {
      var f = fields.next();
      changes.put(f.getKey(), f.getValue().asText());
    }
    return with(changes);
  }

  private Faults with(Map<String, String> changes) {
    String latency = this.latency;
    double ms = this.ms;
    double sd = this.sd;
    double tail = this.tail;
    double tailMs = this.tailMs;
    double errorRate = this.errorRate;
    int errorStatus = this.errorStatus;
    int retryAfter = this.retryAfter;
    String outage = this.outage;
    int dripBytes = this.dripBytes;
    int dripMs = this.dripMs;
    double declineRate = this.declineRate;
    double lostRate = this.lostRate;
    for (var e : changes.entrySet()) {
      String v = e.getValue();
      try {
        switch (e.getKey()) {
          case "latency" -> latency = v;
          case "ms" -> ms = Double.parseDouble(v);
          case "sd" -> sd = Double.parseDouble(v);
          case "tail" -> tail = Double.parseDouble(v);
          case "tail-ms" -> tailMs = Double.parseDouble(v);
          case "error-rate" -> errorRate = Double.parseDouble(v);
          case "error-status" -> errorStatus = Integer.parseInt(v);
          case "retry-after" -> retryAfter = Integer.parseInt(v);
          case "outage" -> outage = v;
          case "drip-bytes" -> dripBytes = Integer.parseInt(v);
          case "drip-ms" -> dripMs = Integer.parseInt(v);
          case "decline-rate" -> declineRate = Double.parseDouble(v);
          case "lost-rate" -> lostRate = Double.parseDouble(v);
          default ->
              throw new IllegalArgumentException(
                  "unknown knob '"
                      + e.getKey()
                      + "' (latency, ms, sd, tail, tail-ms, error-rate, error-status, retry-after,"
                      + " outage, drip-bytes, drip-ms, decline-rate, lost-rate)");
        }
      } catch (NumberFormatException bad) {
        throw new IllegalArgumentException(e.getKey() + "=" + v + " is not a number");
      }
    }
    return new Faults(
        latency,
        ms,
        sd,
        tail,
        tailMs,
        errorRate,
        errorStatus,
        retryAfter,
        outage,
        dripBytes,
        dripMs,
        declineRate,
        lostRate);
  }

  /** A latency drawn from the distribution, in milliseconds. */
  long drawMillis(RandomGenerator random) {
    double value =
        switch (latency) {
          case "fixed" -> ms;
          case "normal" -> ms + sd * random.nextGaussian();
          default ->
              random.nextDouble() < tail
                  ? tailMs * (1 + random.nextExponential())
                  : ms + sd * random.nextGaussian();
        };
    return Math.max(0, Math.round(value));
  }

  /** The knobs as JSON, for the admin endpoint. */
  void writeTo(ObjectNode out) {
    out.put("latency", latency)
        .put("ms", ms)
        .put("sd", sd)
        .put("tail", tail)
        .put("tail-ms", tailMs)
        .put("error-rate", errorRate)
        .put("error-status", errorStatus)
        .put("retry-after", retryAfter)
        .put("outage", outage)
        .put("drip-bytes", dripBytes)
        .put("drip-ms", dripMs)
        .put("decline-rate", declineRate)
        .put("lost-rate", lostRate);
  }
}
