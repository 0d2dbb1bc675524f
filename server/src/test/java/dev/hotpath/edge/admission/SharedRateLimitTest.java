package dev.hotpath.edge.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hotpath.App;
import dev.hotpath.support.Api;
import dev.hotpath.support.RedisServer;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rate limits shared through a real Redis (Debian's redis-server, started here) by three instances
 * with a tiny per-client quota and an hour-long window (nothing refills while a test runs): a
 * client's quota is the same whichever instance it hits, and while Redis is dead every instance
 * limits on its own, failing no request, until Redis is back.
 */
class SharedRateLimitTest {
  private static final int QUOTA = 30;
  private static final TestServer server = TestServer.get();
  private static RedisServer redis;
  private static final List<App> instances = new ArrayList<>();

  @BeforeAll
  static void startRedisAndThreeInstances() {
    redis = RedisServer.start();
    for (int i = 0; i < 3; i++) {
      instances.add(
          App.start(
              server.secondInstance(
                  Map.of(
                      "HOTPATH_REDIS_URL", redis.url(),
                      "HOTPATH_DB_POOL_SIZE", "2",
                      "HOTPATH_REDIS_TIMEOUT_MS", "2000",
                      "HOTPATH_REDIS_PROBE_MS", "50",
                      "HOTPATH_RATE_WINDOW_S", "3600",
                      "HOTPATH_RATE_CLIENT", Integer.toString(QUOTA),
                      "HOTPATH_RATE_IP", "100000000",
                      "HOTPATH_RATE_GLOBAL", "100000000",
                      "HOTPATH_ACCESS_LOG", "off"))));
    }
    for (App app : instances) {
      assertThat(app.redis().orElseThrow().awaitUp(Duration.ofSeconds(30))).isTrue();
    }
  }

  @AfterAll
  static void stopThem() {
    instances.forEach(App::close);
    if (redis != null) {
      redis.close();
    }
  }

  /** The client {@code subject} on instance {@code i}. */
  private static Api client(String subject, int i) {
    return Api.of("http://localhost:" + instances.get(i).port())
        .as(Tokens.get().builder().sub(subject).es256());
  }

  private static String customer() {
    return "/v1/customers/" + server.queryLong("SELECT min(id) FROM customers");
  }

  /** Reads round-robin over the instances until {@code count} were sent; returns the 200s. */
  private static int admittedOf(String subject, int count, int... on) {
    int admitted = 0;
    for (int n = 0; n < count; n++) {
      Api.Response r = client(subject, on[n % on.length]).get(customer());
      assertThat(r.status()).as(r.body()).isIn(200, 429);
      if (r.status() == 200) {
        admitted++;
      } else {
        assertThat(r.json().get("type").asText()).endsWith("rate-limited");
        assertThat(r.header("RateLimit").orElseThrow()).startsWith("\"client\";r=0");
      }
    }
    return admitted;
  }

  @Test
  void aClientsQuotaIsTheSameWhicheverInstanceItHits() {
    // each instance alone would admit QUOTA; together they admit QUOTA once
    assertThat(admittedOf("service:shared-quota", 3 * QUOTA, 0, 1, 2)).isEqualTo(QUOTA);
    assertThat(client("service:shared-quota", 2).get(customer()).status()).isEqualTo(429);
    assertThat(client("service:another-client", 1).get(customer()).status()).isEqualTo(200);
  }

  @Test
  void withRedisDeadEachInstanceLimitsAloneAndNoRequestFailsUntilItIsBack() {
    redis.kill();
    try {
      // the first request to find Redis gone goes on with the local decision, like the rest
      assertThat(admittedOf("service:redis-dead", 2 * QUOTA, 0)).isEqualTo(QUOTA);
      assertThat(admittedOf("service:redis-dead", 2 * QUOTA, 1)).isEqualTo(QUOTA);
      assertThat(instances.get(0).redis().orElseThrow().up()).isFalse();
    } finally {
      redis.startAgain();
    }
    for (App app : instances) {
      await().atMost(Duration.ofSeconds(60)).until(() -> app.redis().orElseThrow().up());
    }
    assertThat(admittedOf("service:redis-back", 3 * QUOTA, 0, 1, 2)).isEqualTo(QUOTA);
  }
}
