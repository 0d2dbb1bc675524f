package dev.hotpath.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.feed;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.randomSwitch;
import static io.gatling.javaapi.core.CoreDsl.responseTimeInMillis;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.core.CoreDsl.stopLoadGeneratorIf;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.Choice;
import io.gatling.javaapi.core.OpenInjectionStep;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.Http;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import io.gatling.javaapi.http.HttpRequestActionBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The traffic of a {@link LoadRun}: each virtual user sends one request, chosen by the mix, and
 * leaves. Users arrive at the steps' rates whatever the server does (open model), so a slow server
 * faces the same offered load and its slowness shows in the latencies (no coordinated omission).
 * Gatling instantiates this class by name; it takes its plan from {@link LoadRun#current()}.
 */
public final class HotpathSimulation extends Simulation {
  /** Answers that are correct: success, and the business refusals of {@link Outcome#BUSINESS}. */
  private static final List<Integer> ACCEPTED = List.of(200, 201, 204, 304, 404, 409, 422);

  /** System property holding the bearer token every request carries, when the target needs one. */
  public static final String TOKEN_PROPERTY = "hotpath.load.token";

  private final LoadRun run = LoadRun.current();

  public HotpathSimulation() {
    LoadPlan plan = run.plan();
    HttpProtocolBuilder protocol =
        http.baseUrl(plan.target().toString().replaceAll("/+$", ""))
            .acceptHeader("application/json")
            .userAgentHeader("hotpath-load/0.1 (Gatling)")
            .shareConnections()
            .disableWarmUp();
    String token = System.getProperty(TOKEN_PROPERTY);
    if (token != null) {
      protocol = protocol.authorizationHeader("Bearer " + token);
    }

    ChainBuilder reads =
        oneOf(
            call(RequestClass.READS, "GET /v1/orders/{id}", h -> h.get("/v1/orders/#{orderId}")),
            call(
                RequestClass.READS,
                "GET /v1/customers/{id}",
                h -> h.get("/v1/customers/#{customerId}")),
            call(
                RequestClass.READS,
                "GET /v1/products/{id}",
                h -> h.get("/v1/products/#{productId}")));
    ChainBuilder lists =
        oneOf(
            call(
                RequestClass.LISTS,
                "GET /v1/customers/{id}/orders",
                h -> h.get("/v1/customers/#{customerId}/orders")),
            call(
                RequestClass.LISTS,
                "GET /v1/products?category=",
                h -> h.get(s -> "/v1/products?category=" + s.getString("category"))));
    ChainBuilder writes =
        randomSwitch()
            .on(
                percent(80)
                    .then(
                        call(
                            RequestClass.WRITES,
                            "POST /v1/orders",
                            h ->
                                h.post("/v1/orders")
                                    .header("Content-Type", "application/json")
                                    .header("Idempotency-Key", "#{idemKey}")
                                    .body(StringBody(s -> s.getString("orderBody"))))),
                percent(20)
                    .then(
                        call(
                            RequestClass.WRITES,
                            "POST /v1/customers",
                            h ->
                                h.post("/v1/customers")
                                    .header("Content-Type", "application/json")
                                    .header("Idempotency-Key", "#{idemKey}")
                                    .body(StringBody(s -> s.getString("customerBody"))))));

    List<Choice.WithWeight> byClass = new ArrayList<>();
    Mix mix = plan.mix();
    addChoice(byClass, mix.of(RequestClass.READS), reads);
    addChoice(byClass, mix.of(RequestClass.WRITES), writes);
    addChoice(byClass, mix.of(RequestClass.LISTS), lists);

    TrafficFeeder feeder = new TrafficFeeder(plan.ids(), plan.categories());
    var scenario =
        scenario("hotpath " + plan.profile().key())
            .exec(
                stopLoadGeneratorIf(
                    s -> run.recorder().stopReason().orElse("stop"),
                    s -> run.recorder().stopReason().isPresent()))
            .exec(feed(feeder))
            .exec(
                session -> {
                  run.recorder().arrived(session.getLong("t0"));
                  return session;
                })
            .exec(randomSwitch().on(byClass));

    List<OpenInjectionStep> injection = new ArrayList<>();
    Duration total = Duration.ZERO;
    for (Step step : plan.steps()) {
      injection.add(constantUsersPerSec(step.rate()).during(step.duration()));
      total = total.plus(step.duration());
    }
    setUp(scenario.injectOpen(injection))
        .protocols(protocol)
        .maxDuration(total.plus(plan.requestTimeout()).plusSeconds(5));
  }

  @Override
  public void before() {
    run.started();
  }

  private static void addChoice(List<Choice.WithWeight> choices, double percent, ChainBuilder c) {
    if (percent > 0) {
      choices.add(new Choice.WithWeight(percent, c));
    }
  }

  private static ChainBuilder oneOf(ChainBuilder... chains) {
    List<Choice.WithWeight> choices = new ArrayList<>();
    for (ChainBuilder c : chains) {
      choices.add(new Choice.WithWeight(100.0 / chains.length, c));
    }
    return randomSwitch().on(choices);
  }

  /**
   * One request, named for Gatling's report by class and route, recorded in the run's steps
   * whatever its outcome (status 0 when no answer came).
   */
  private ChainBuilder call(
      RequestClass c, String route, Function<Http, HttpRequestActionBuilder> request) {
    return exec(request
            .apply(http(c.key() + " " + route))
            .check(
                status().saveAs("status"),
                responseTimeInMillis().saveAs("rt"),
                status().in(ACCEPTED)))
        .exec(session -> record(c, session));
  }

  private Session record(RequestClass c, Session session) {
    long t0 = session.getLong("t0");
    int status = session.contains("status") ? session.getInt("status") : 0;
    int rt =
        session.contains("rt") ? session.getInt("rt") : (int) (System.currentTimeMillis() - t0);
    run.recorder().record(c, t0, rt, status);
    return session;
  }
}
