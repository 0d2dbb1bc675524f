package dev.hotpath.stubs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hotpath.outside.Payments;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The payments provider's routes: {@code POST /v1/authorizations} (idempotent by its {@code
 * Idempotency-Key}, declined at the knobs' decline rate) and {@code POST
 * /v1/authorizations/{id}/void}.
 */
final class StubPayments {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Voids any id {@link Payments} accepts, so no void it sends falls on the 404 of no route. */
  private static final Pattern VOID =
      Pattern.compile("/v1/authorizations/(" + Payments.AUTHORIZATION_ID + ")/void");

  /**
   * Authorizations remembered for idempotent replays, and voids counted by authorization; each
   * cleared wholesale beyond this.
   */
  private static final int MAX_AUTHORIZATIONS = 500_000;

  private final StubCounters counters;
  private final Map<String, Authorization> authorizations = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> voidsById = new ConcurrentHashMap<>();

  /** An authorization as first answered, replayed for its idempotency key. */
  private record Authorization(long amount, String currency, int status, String body) {}

  StubPayments(StubCounters counters) {
    this.counters = counters;
  }

  /** Voids of the authorization {@code id} since the last reset. */
  long voids(String id) {
    AtomicLong n = voidsById.get(id);
    return n == null ? 0 : n.get();
  }

  void reset() {
    voidsById.clear();
  }

  StubReply answer(HttpMethod method, String path, String key, Buffer body, Faults f) {
    if (method != HttpMethod.POST) {
      return StubReply.problem(405, "POST only");
    }
    Matcher voiding = VOID.matcher(path);
    if (voiding.matches()) {
      counters.voids.incrementAndGet();
      if (voidsById.size() > MAX_AUTHORIZATIONS) {
        voidsById.clear();
      }
      voidsById.computeIfAbsent(voiding.group(1), id -> new AtomicLong()).incrementAndGet();
      return StubReply.of(200, "{\"id\":\"" + voiding.group(1) + "\",\"status\":\"voided\"}");
    }
    if (!path.equals("/v1/authorizations")) {
      return StubReply.problem(404, "no such route");
    }
    long amount;
    String currency;
    try {
      JsonNode json = JSON.readTree(body.getBytes());
      amount = json.get("amount_minor").asLong(-1);
      currency = json.get("currency").asText();
      if (key == null || key.isBlank() || amount < 0 || !currency.matches("[A-Z]{3}")) {
        throw new IllegalArgumentException();
      }
    } catch (Exception e) {
      return StubReply.problem(400, "need Idempotency-Key and a body {amount_minor, currency}");
    }
    if (authorizations.size() > MAX_AUTHORIZATIONS) {
      authorizations.clear();
    }
    Authorization fresh = decide(amount, currency, f);
    Authorization stored = authorizations.putIfAbsent(key, fresh);
    Authorization a = stored == null ? fresh : stored;
    if (stored == null) {
      (a.status() == 201 ? counters.authorizations : counters.declines).incrementAndGet();
    }
    if (a.amount() != amount || !a.currency().equals(currency)) {
      return StubReply.problem(422, "idempotency key reused for another amount");
    }
    return new StubReply(a.status(), a.body(), stored != null);
  }

  private static Authorization decide(long amount, String currency, Faults f) {
    if (ThreadLocalRandom.current().nextDouble() < f.declineRate()) {
      return new Authorization(
          amount, currency, 402, "{\"status\":\"declined\",\"reason\":\"card_declined\"}");
    }
    String id = "auth_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    return new Authorization(
        amount,
        currency,
        201,
        "{\"id\":\""
            + id
            + "\",\"status\":\"authorized\",\"amount_minor\":"
            + amount
            + ",\"currency\":\""
            + currency
            + "\"}");
  }
}
