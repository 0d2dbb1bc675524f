package dev.hotpath.outside;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hotpath.http.Deadline;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/**
 * The payments provider's API as hotpath uses it: authorize an amount under the provider's own
 * idempotency key (the same key always yields the same authorization, so an authorization may be
 * retried, inline or later from the job queue, without charging twice), and void an authorization
 * that will not be used.
 */
public final class Payments {
  /**
   * An authorization id hotpath accepts from the provider (and so may later void): 1 to 128
   * letters, digits, {@code _} or {@code -}. The payments stand-in voids exactly these.
   */
  public static final String AUTHORIZATION_ID = "[A-Za-z0-9_-]{1,128}";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final java.util.regex.Pattern ID =
      java.util.regex.Pattern.compile(AUTHORIZATION_ID);

  private Payments() {}

  /** What became of an authorization. */
  public sealed interface Outcome permits Authorized, Declined, Unavailable {}

  /** The provider holds the amount under {@code id}. */
  public record Authorized(String id) implements Outcome {}

  /** The provider refused the payment (a final answer for this key and amount). */
  public record Declined(String reason) implements Outcome {}

  /**
   * No answer (breaker open, timeout, 5xx, connection): the payment may or may not exist at the
   * provider; asking again with the same key finds out.
   */
  public record Unavailable(String why) implements Outcome {}

  /**
   * Authorizes {@code amountMinor} of {@code currency}; never fails, an unanswered call is {@link
   * Unavailable}.
   *
   * @param attempts attempts within the deadline (1 when another layer retries, as the job queue
   *     does)
   */
  public static Future<Outcome> authorize(
      OutsideClient client,
      String key,
      long amountMinor,
      String currency,
      String reference,
      Deadline deadline,
      int attempts) {
    Buffer body =
        Buffer.buffer(
            "{\"amount_minor\":"
                + amountMinor
                + ",\"currency\":\""
                + currency
                + "\",\"reference\":\""
                + reference
                + "\"}");
    return client
        .call(
            OutsideCall.post(Service.PAYMENTS, "/v1/authorizations", body, key, deadline, attempts))
        .map(Payments::outcome)
        .otherwise(e -> new Unavailable(e.getMessage()));
  }

  static Outcome outcome(Reply reply) {
    JsonNode json;
    try {
      json = JSON.readTree(reply.body().getBytes());
    } catch (IOException e) {
      return new Unavailable("payments answered " + reply.status() + " without JSON");
    }
    if (reply.ok() && "authorized".equals(json.path("status").asText())) {
      String id = json.path("id").asText("");
      return ID.matcher(id).matches()
          ? new Authorized(id)
          : new Unavailable("payments answered without a usable authorization id");
    }
    if (reply.status() == 402 || "declined".equals(json.path("status").asText())) {
      String reason = json.path("reason").asText("declined");
      return new Declined(reason.length() > 200 ? reason.substring(0, 200) : reason);
    }
    return new Unavailable("payments answered " + reply.status());
  }

  /**
   * Voids an authorization that will not be used; succeeds when the provider confirmed it (or knows
   * no such authorization), fails otherwise (retry it).
   */
  public static Future<Void> voidAuthorization(
      OutsideClient client, String authorizationId, Deadline deadline) {
    return client
        .call(
            OutsideCall.post(
                Service.PAYMENTS,
                "/v1/authorizations/" + authorizationId + "/void",
                Buffer.buffer("{}"),
                "void-" + authorizationId,
                deadline,
                1))
        .compose(
            reply ->
                reply.ok() || reply.status() == 404
                    ? Future.<Void>succeededFuture()
                    : Future.<Void>failedFuture("payments refused the void: " + reply.status()));
  }
}
