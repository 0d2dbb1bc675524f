package dev.hotpath.compute;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@value #KIND} job: POSTs a JSON event to a callback URL, signed so the receiver can check it
 * came from us and is fresh: {@code Hotpath-Timestamp} (Unix seconds) and {@code Hotpath-Signature:
 * v1=HEX(HMAC-SHA256(key, timestamp + "." + body))}, plus {@code Hotpath-Event-Id} for
 * de-duplication (delivery is at least once). A non-2xx answer or no answer fails the attempt, and
 * the job queue retries it with backoff until it is dead. Callbacks may only point at loopback
 * addresses (no outbound network from this service yet).
 */
public final class WebhookDelivery implements JobHandler {
  public static final String KIND = "webhook.deliver";
  public static final Duration TIMEOUT = Duration.ofSeconds(10);

  /**
   * Attempts before a delivery is dead-lettered: a receiver down for a deploy or an outage must not
   * lose its event after the jobs' default five attempts (about 15 s of backoff). With the default
   * backoff (1 s doubling to a 300 s cap, full jitter), twenty attempts span about half an hour on
   * average and at most about an hour; a dead delivery stays in {@code /admin/jobs/dead} and is
   * sent again by {@code POST /admin/jobs/{id}/retry}.
   */
  public static final int ATTEMPTS = 20;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LOOPBACK_V4 =
      Pattern.compile("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

  private final byte[] key;
  private HttpClient client;

  public WebhookDelivery(byte[] key) {
    this.key = key.clone();
  }

  /** The job that delivers {@code body} to {@code url}. */
  static JobQueue.Spec spec(JobQueue queue, String url, String eventId, String body) {
    ObjectNode payload = JSON.createObjectNode();
    payload.put("url", url).put("event_id", eventId).put("body", body);
    return queue
        .spec(KIND, payload.toString())
        .withTimeout(TIMEOUT)
        .withAttempts(ATTEMPTS)
        .withDedupeKey("webhook:" + eventId);
  }

  /** True for an http(s) URL whose host is a loopback address (127.0.0.0/8, ::1, localhost). */
  public static boolean allowed(String url) {
    try {
      URI uri = new URI(url);
      String scheme = uri.getScheme();
      String host = uri.getHost();
      if (!"http".equals(scheme) && !"https".equals(scheme) || host == null) {
        return false;
      }
      return host.equals("localhost")
          || host.equals("[::1]")
          || LOOPBACK_V4.matcher(host).matches();
    } catch (Exception e) {
      return false;
    }
  }

  /** {@code v1=} and the hex HMAC-SHA256 of {@code timestamp + "." + body}. */
  public static String signature(byte[] key, String timestamp, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update(timestamp.getBytes(StandardCharsets.US_ASCII));
      mac.update((byte) '.');
      return "v1=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  @Override
  public Future<String> handle(Job job) {
    JsonNode payload;
    try {
      payload = JSON.readTree(job.payload());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String url = payload.get("url").asText();
    if (!allowed(url)) {
      return Future.failedFuture("callback " + url + " is not a loopback http(s) URL");
    }
    String body = payload.get("body").asText();
    String timestamp = Long.toString(System.currentTimeMillis() / 1000);
    Vertx vertx = job.vertx();
    return client(vertx)
        .request(new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url))
        .compose(
            request -> {
              // the whole exchange within the job's timeout: the client's idle timeout alone let a
              // receiver that sends a byte now and then hold the connection for ever
              long cut = vertx.setTimer(TIMEOUT.toMillis(), t -> request.reset());
              return request
                  .putHeader("Content-Type", "application/json")
                  .putHeader("Hotpath-Event-Id", payload.get("event_id").asText())
                  .putHeader("Hotpath-Timestamp", timestamp)
                  .putHeader("Hotpath-Signature", signature(key, timestamp, body))
                  .send(Buffer.buffer(body))
                  .compose(
                      response ->
                          // the receiver's body is not kept: only its status matters
                          response.handler(ignored -> {}).end().map(v -> response.statusCode()))
                  .andThen(done -> vertx.cancelTimer(cut));
            })
        .compose(
            status ->
                status / 100 == 2
                    ? Future.succeededFuture("{\"status\":" + status + "}")
                    : Future.failedFuture("the receiver answered " + status));
  }

  private synchronized HttpClient client(Vertx vertx) {
    if (client == null) {
      client =
          vertx.createHttpClient(
              new HttpClientOptions()
                  .setConnectTimeout((int) TIMEOUT.toMillis())
                  .setIdleTimeout((int) TIMEOUT.toSeconds()));
    }
    return client;
  }
}
