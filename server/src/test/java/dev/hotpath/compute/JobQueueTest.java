package dev.hotpath.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.support.Api;
import dev.hotpath.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class JobQueueTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Api admin = api.as(dev.hotpath.support.Tokens.get().admin());
  private final App app = server.app();
  private final JobQueue jobs = app.jobs();

  private static String uniqueKind(String prefix) {
    return "test." + prefix + "." + UUID.randomUUID().toString().substring(0, 8);
  }

  private Pool pool() {
    return app.compute().pool();
  }

  private long enqueue(JobQueue.Spec spec) throws Exception {
    return jobs.enqueue(pool(), spec).await(10, TimeUnit.SECONDS).orElseThrow();
  }

  private String status(long id) {
    return server.queryText("SELECT status FROM jobs WHERE id = " + id).strip();
  }

  private void awaitStatus(long id, String status) {
    await().atMost(Duration.ofSeconds(30)).until(() -> status(id).equals(status));
  }

  @Test
  void backoffDrawsFullJitterFromAnExponentialWindowCappedAtTheMaximum() {
    Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(3));
    assertThat(backoff.boundMillis(1)).isEqualTo(100);
    assertThat(backoff.boundMillis(2)).isEqualTo(200);
    assertThat(backoff.boundMillis(5)).isEqualTo(1600);
    assertThat(backoff.boundMillis(6)).isEqualTo(3000);
    assertThat(backoff.boundMillis(1000)).isEqualTo(3000);
    SplittableRandom random = new SplittableRandom(1);
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < 2000; i++) {
      long delay = backoff.delayMillis(4, random);
      assertThat(delay).isBetween(0L, 799L);
      seen.add(delay / 100);
    }
    // full jitter: the whole window is used, not only its upper end
    assertThat(seen).containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
  }

  @Test
  void claimsTakeHigherPriorityFirstThenOlderAndNeverTheSameJobTwice() throws Exception {
    String kind = uniqueKind("unhandled");
    long low = enqueue(jobs.spec(kind, "{}"));
    long highOld = enqueue(jobs.spec(kind, "{}").withPriority(9));
    long highNew = enqueue(jobs.spec(kind, "{}").withPriority(9));
    List<Long> order = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      order.add(
          jobs.claim(pool(), "test-claimer", 1, List.of(kind))
              .await(10, TimeUnit.SECONDS)
              .get(0)
              .id());
    }
    assertThat(order).containsExactly(highOld, highNew, low);

    String many = uniqueKind("unhandled");
    for (int i = 0; i < 40; i++) {
      enqueue(jobs.spec(many, "{}"));
    }
    Future<List<JobQueue.Claimed>> a = jobs.claim(pool(), "a", 25, List.of(many));
    Future<List<JobQueue.Claimed>> b = jobs.claim(pool(), "b", 25, List.of(many));
    Set<Long> ids = new HashSet<>();
    a.await(10, TimeUnit.SECONDS).forEach(j -> ids.add(j.id()));
    b.await(10, TimeUnit.SECONDS).forEach(j -> ids.add(j.id()));
    assertThat(a.result().size() + b.result().size()).isEqualTo(40);
    assertThat(ids).hasSize(40);
    server.execute("DELETE FROM jobs WHERE kind IN ('" + kind + "', '" + many + "')");
  }

  @Test
  void aFailingJobBacksOffThenDiesAndAnOperatorCanRetryIt() throws Exception {
    String kind = uniqueKind("flaky");
    AtomicBoolean broken = new AtomicBoolean(true);
    app.jobHandlers()
        .register(
            kind,
            job ->
                broken.get()
                    ? Future.failedFuture(new IllegalStateException("the printer is on fire"))
                    : Future.succeededFuture("{\"printed\":true}"));
    long id = enqueue(jobs.spec(kind, "{}").withAttempts(3));
    awaitStatus(id, "dead");
    assertThat(server.queryLong("SELECT attempts FROM jobs WHERE id = " + id)).isEqualTo(3);

    Api.Response dead = admin.get("/admin/jobs/dead?limit=100");
    assertThat(dead.status()).isEqualTo(200);
    var listed = new ArrayList<com.fasterxml.jackson.databind.JsonNode>();
    dead.json().get("data").forEach(listed::add);
    var mine = listed.stream().filter(j -> j.get("id").asLong() == id).findFirst().orElseThrow();
    assertThat(mine.get("last_error").asText()).contains("the printer is on fire");
    Api.Response stats = admin.get("/admin/jobs/stats");
    assertThat(stats.json().get("dead").asLong()).isPositive();
    assertThat(stats.json().get("this_process").get("failed_attempts").asLong())
        .isGreaterThanOrEqualTo(3);

    broken.set(false);
    Api.Response retried = admin.post("/admin/jobs/" + id + "/retry", "");
    assertThat(retried.status()).as(retried.body()).isEqualTo(200);
    assertThat(retried.json().get("status").asText()).isEqualTo("queued");
    awaitStatus(id, "succeeded");
    assertThat(server.queryText("SELECT result FROM jobs WHERE id = " + id))
        .contains("\"printed\": true");
    assertThat(admin.post("/admin/jobs/" + id + "/retry", "").status()).isEqualTo(409);
    assertThat(admin.post("/admin/jobs/999999999/retry", "").status()).isEqualTo(404);
  }

  @Test
  void aRecurringJobThatDiesStillSchedulesItsNextRun() throws Exception {
    String kind = uniqueKind("recurring");
    AtomicBoolean broken = new AtomicBoolean(true);
    app.jobHandlers()
        .register(
            kind,
            job ->
                broken.get()
                    ? Future.failedFuture(new IllegalStateException("the disk is full"))
                    : Future.succeededFuture("{}"));
    jobs.recurring(kind, Duration.ofHours(1));
    long id = enqueue(jobs.recurringSpec(kind).withAttempts(1));
    awaitStatus(id, "dead");
    // the schedule lives on: the next run is queued an interval later
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                server.queryLong(
                        "SELECT count(*) FROM jobs WHERE kind = '"
                            + kind
                            + "' AND status = 'queued' AND run_at > now() + interval '50 minutes'"
                            + " AND dedupe_key = 'recurring:"
                            + kind
                            + "'")
                    == 1);

    // an operator's retry of the dead run does not collide with the pending one: it runs once more
    broken.set(false);
    Api.Response retried = admin.post("/admin/jobs/" + id + "/retry", "");
    assertThat(retried.status()).as(retried.body()).isEqualTo(200);
    awaitStatus(id, "succeeded");
    assertThat(
            server.queryLong(
                "SELECT count(*) FROM jobs WHERE kind = '" + kind + "' AND status = 'queued'"))
        .isEqualTo(1);

    // a run lost with its worker on its last attempt dies too, and schedules the next as well
    server.execute("DELETE FROM jobs WHERE kind = '" + kind + "'");
    long lost =
        server.queryLong(
            "INSERT INTO jobs (kind, status, attempts, max_attempts, timeout_ms, locked_by,"
                + " locked_until, dedupe_key) VALUES ('"
                + kind
                + "', 'running', 1, 1, 1000, 'a-worker-that-died', now() - interval '1 second',"
                + " 'recurring:"
                + kind
                + "') RETURNING id");
    awaitStatus(lost, "dead");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                server.queryLong(
                        "SELECT count(*) FROM jobs WHERE kind = '"
                            + kind
                            + "' AND status = 'queued' AND run_at > now() + interval '50 minutes'")
                    == 1);
    server.execute("DELETE FROM jobs WHERE kind = '" + kind + "'");
  }

  @Test
  void anAttemptThatOverrunsItsTimeoutCountsAsFailedAndRunsAgain() throws Exception {
    String kind = uniqueKind("slow");
    app.jobHandlers()
        .register(
            kind,
            job ->
                job.attempt() == 1
                    ? Promise.<String>promise().future()
                    : Future.succeededFuture("{}"));
    long id = enqueue(jobs.spec(kind, "{}").withTimeout(Duration.ofMillis(300)));
    awaitStatus(id, "succeeded");
    assertThat(server.queryLong("SELECT attempts FROM jobs WHERE id = " + id)).isEqualTo(2);
  }

  @Test
  void anAttemptLostWithItsWorkerIsReapedAndRunAgain() {
    String kind = uniqueKind("orphan");
    app.jobHandlers().register(kind, job -> Future.succeededFuture("{}"));
    long id =
        server.queryLong(
            "INSERT INTO jobs (kind, status, attempts, max_attempts, timeout_ms, locked_by,"
                + " locked_until) VALUES ('"
                + kind
                + "', 'running', 1, 5, 1000, 'a-worker-that-died', now() - interval '1 second')"
                + " RETURNING id");
    awaitStatus(id, "succeeded");
    assertThat(server.queryLong("SELECT attempts FROM jobs WHERE id = " + id)).isEqualTo(2);
  }

  @Test
  void withTwoInstancesOnOneDatabaseEveryJobRunsExactlyOnce() throws Exception {
    String kind = uniqueKind("shared");
    server.execute("CREATE TABLE IF NOT EXISTS test_job_runs (job_id bigint, worker text)");
    Settings settings = server.secondInstance(Map.of("HOTPATH_JOB_POLL_MS", "50"));
    App second = App.start(settings);
    try {
      for (App instance : List.of(app, second)) {
        instance
            .jobHandlers()
            .register(
                kind,
                job -> {
                  Promise<String> done = Promise.promise();
                  // a little work, so that both instances get their share
                  job.vertx()
                      .setTimer(
                          20,
                          t ->
                              job.pool()
                                  .preparedQuery("INSERT INTO test_job_runs VALUES ($1, $2)")
                                  .execute(Tuple.of(job.id(), instance.compute().worker()))
                                  .map("{}")
                                  .onComplete(done));
                  return done.future();
                });
      }
      List<Long> ids = new ArrayList<>();
      for (int i = 0; i < 80; i++) {
        ids.add(enqueue(jobs.spec(kind, "{\"n\":" + i + "}")));
      }
      String inList = ids.toString().replace('[', '(').replace(']', ')');
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  server.queryLong(
                          "SELECT count(*) FROM jobs WHERE status = 'succeeded' AND id IN "
                              + inList)
                      == 80);
      assertThat(server.queryLong("SELECT count(*) FROM test_job_runs WHERE job_id IN " + inList))
          .isEqualTo(80);
      assertThat(
              server.queryLong(
                  "SELECT count(DISTINCT job_id) FROM test_job_runs WHERE job_id IN " + inList))
          .isEqualTo(80);
      assertThat(
              server.queryLong(
                  "SELECT count(DISTINCT worker) FROM test_job_runs WHERE job_id IN " + inList))
          .isEqualTo(2);
    } finally {
      second.close();
    }
  }

  @Test
  void statsShowTheDepthAndTheAgeOfTheOldestReadyJob() throws Exception {
    String kind = uniqueKind("unhandled");
    server.execute(
        "INSERT INTO jobs (kind, max_attempts, timeout_ms, run_at) SELECT '"
            + kind
            + "', 1, 1000, now() - interval '1 minute' FROM generate_series(1, 5)");
    Api.Response stats = admin.get("/admin/jobs/stats");
    assertThat(stats.status()).isEqualTo(200);
    assertThat(stats.json().get("ready").asLong()).isGreaterThanOrEqualTo(5);
    assertThat(stats.json().get("oldest_ready_age_ms").asLong()).isGreaterThanOrEqualTo(60_000);
    server.execute("DELETE FROM jobs WHERE kind = '" + kind + "'");
  }

  @Test
  void theRecurringPurgeJobDeletesExpiredIdempotencyKeys() {
    server.execute(
        "INSERT INTO idempotency_keys (client_id, key, fingerprint, status, content_type, body,"
            + " expires_at) VALUES ('purge-test', 'old', '\\x00', 201, 'application/json', '',"
            + " now() - interval '1 hour'), ('purge-test', 'fresh', '\\x00', 201,"
            + " 'application/json', '', now() + interval '1 hour')");
    assertThat(
            server.queryLong(
                "SELECT count(*) FROM jobs WHERE kind = 'maintenance.purge'"
                    + " AND status IN ('queued', 'running')"))
        .isEqualTo(1);
    server.execute(
        "UPDATE jobs SET run_at = now() WHERE kind = 'maintenance.purge' AND status = 'queued'");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                server.queryLong(
                        "SELECT count(*) FROM idempotency_keys WHERE client_id = 'purge-test'")
                    == 1);
    assertThat(server.queryText("SELECT key FROM idempotency_keys WHERE client_id = 'purge-test'"))
        .isEqualTo("fresh\n");
    // the next run is scheduled
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                server.queryLong(
                        "SELECT count(*) FROM jobs WHERE kind = 'maintenance.purge'"
                            + " AND status = 'queued' AND run_at > now() + interval '4 minutes'")
                    == 1);
  }
}
