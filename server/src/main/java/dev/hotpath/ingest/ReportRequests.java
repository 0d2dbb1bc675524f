package dev.hotpath.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.compute.JobQueue;
import dev.hotpath.compute.ReportJob;
import dev.hotpath.compute.WebhookDelivery;
import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.Contract;
import dev.hotpath.http.FieldError;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Tuple;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code POST /v1/reports}: records the request and enqueues its job in one transaction (under the
 * request's Idempotency-Key), then answers {@code 202 Accepted} with {@code Location:
 * /v1/jobs/{id}}. The work happens in {@link ReportJob}.
 */
public final class ReportRequests {
  /** The longest range one report covers. */
  public static final int MAX_DAYS = 3_660;

  private static final String INSERT =
      "INSERT INTO reports (id, from_date, to_date, callback_url) VALUES ($1, $2, $3, $4)";
  private final Contract contract;
  private final AcceptedJobs accepted;

  public ReportRequests(Contract contract, WriteTransaction transaction, JobQueue jobs) {
    this.contract = contract;
    this.accepted = new AcceptedJobs(transaction, jobs);
  }

  public void create(RoutingContext ctx) {
    Optional<String> creator = Optional.of(Principal.of(ctx).subject());
    IdempotencyStore.Key key = IdempotencyStore.key(ctx);
    Params.of(ctx, Set.of()).check();
    JsonNode body = contract.readBody(ctx.body().buffer(), "ReportRequest");
    LocalDate from = LocalDate.parse(body.get("from").asText());
    LocalDate to = LocalDate.parse(body.get("to").asText());
    Optional<String> callback = Optional.ofNullable(body.get("callback_url")).map(JsonNode::asText);
    List<FieldError> errors = new ArrayList<>();
    if (to.isBefore(from)) {
      errors.add(new FieldError("/to", "must not be before from (" + from + ")"));
    } else if (ChronoUnit.DAYS.between(from, to) >= MAX_DAYS) {
      errors.add(new FieldError("/to", "a report covers at most " + MAX_DAYS + " days"));
    }
    if (callback.isPresent() && !WebhookDelivery.allowed(callback.get())) {
      errors.add(
          new FieldError(
              "/callback_url", "must be an http(s) URL on a loopback address (127.0.0.0/8, ::1)"));
    }
    if (!errors.isEmpty()) {
      throw ProblemException.validation(errors);
    }
    accepted.accept(
        ctx,
        key,
        accepted.queue().spec(ReportJob.KIND, "{}"),
        creator,
        INSERT,
        id -> Tuple.of(id, from, to, callback.orElse(null)));
  }
}
