package dev.hotpath.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.edge.auth.Authenticator;
import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.Conditional;
import dev.hotpath.http.Contract;
import dev.hotpath.http.DisplayText;
import dev.hotpath.http.FieldError;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Responses;
import dev.hotpath.observe.Tracing;
import dev.hotpath.serve.CustomerRepresentation;
import dev.hotpath.serve.cache.CacheInvalidation;
import dev.hotpath.serve.cache.ResponseCache;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import dev.hotpath.serve.cache.ResponseCache.Owner;
import dev.hotpath.store.Outbox;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Creates customers and applies merge patches to them. Each write is one statement that also sends
 * the cache invalidation message ({@code pg_notify} runs in the statement's transaction, so other
 * instances hear of the write only once it has committed); this instance evicts before it answers.
 * A patch must name the version it changes ({@code If-Match}), so that it cannot overwrite a change
 * its sender has not seen. Each change also appends its event to the outbox in the same statement;
 * creation is idempotent ({@link WriteTransaction}).
 */
public record CustomerWrites(
    Pool pool, Contract contract, ResponseCache cache, WriteTransaction transaction) {
  /**
   * Appended to a statement returning customer rows as {@code c}: notifies per row. The message
   * starts with the parameter numbered by the placeholder {@code $o}: this cache's origin.
   */
  private static final String NOTIFY_CREATED =
      " SELECT c.*, pg_notify('"
          + CacheInvalidation.CHANNEL
          + "', $o || '|"
          + Kind.CUSTOMER.code()
          + ":' || c.id || ',"
          + Kind.CUSTOMER_ORDERS.code()
          + ":' || c.id)::text AS notified FROM c";

  private static final String NOTIFY_CHANGED =
      " SELECT c.*, pg_notify('"
          + CacheInvalidation.CHANNEL
          + "', $o || '|"
          + Kind.CUSTOMER.code()
          + ":' || c.id)::text AS notified FROM c";

  /** A taken e-mail returns no row rather than aborting, so the 409 can be stored for the key. */
  private static final String INSERT =
      "WITH c AS (INSERT INTO customers (email, name, address) VALUES ($1, $2, $3::text::jsonb)"
          + " ON CONFLICT (email) DO NOTHING RETURNING "
          + CustomerRepresentation.COLUMNS
          + "), e AS ("
          + Outbox.append(
              Outbox.CUSTOMER_CREATED,
              "c",
              "c.id",
              "jsonb_build_object('customer_id', c.id, 'email', c.email, 'name', c.name,"
                  + " 'status', c.status, 'created_at', c.created_at)",
              "$5::text")
          + ")"
          + NOTIFY_CREATED.replace("$o", "$4::text");

  private static final String VERSION = "SELECT version FROM customers WHERE id = $1";
  private static final String UNIQUE_VIOLATION = "23505";

  public void create(RoutingContext ctx) {
    IdempotencyStore.Key key = IdempotencyStore.key(ctx);
    Params.of(ctx, Set.of()).check();
    JsonNode body = contract.readBody(ctx.body().buffer(), "CustomerCreate");
    List<FieldError> errors = new ArrayList<>(0);
    String email = DisplayText.email(body.get("email").asText(), errors);
    String name = DisplayText.name(body.get("name").asText(), errors);
    JsonNode given = body.get("address");
    String address = given == null ? null : DisplayText.address(given, "/address", errors);
    if (!errors.isEmpty()) {
      throw ProblemException.validation(errors);
    }
    Tuple args = Tuple.of(email, name, address, cache.origin(), Tracing.currentTraceparent());
    List<Owner> changed = new ArrayList<>(2);
    transaction.execute(
        ctx,
        key,
        (conn, claimed) ->
            claimed
                .compose(ours -> conn.preparedQuery(INSERT).execute(args))
                .map(
                    rows -> {
                      if (rows.size() == 0) {
                        throw emailTaken(email);
                      }
                      Row row = rows.iterator().next();
                      long id = row.getLong(0);
                      // a "no such customer" may be cached for this id (negative caching)
                      changed.add(new Owner(Kind.CUSTOMER, id));
                      changed.add(new Owner(Kind.CUSTOMER_ORDERS, id));
                      var all = CustomerRepresentation.FIELDS.all();
                      return IdempotencyStore.Stored.created(
                          "/v1/customers/" + id,
                          CustomerRepresentation.encode(row, all),
                          CustomerRepresentation.tag(row, all));
                    }),
        () -> cache.invalidate(changed));
  }

  private static ProblemException emailTaken(String email) {
    return new ProblemException(
        ProblemType.CONFLICT, "A customer with e-mail " + email + " already exists");
  }

  /** The names of the fields a patch sets, as a JSON array literal for the event. */
  private static String changedFields(JsonNode body) {
    StringBuilder names = new StringBuilder("'[");
    for (String field : new String[] {"email", "name", "status", "address"}) {
      if (body.has(field)) {
        names.append(names.length() > 2 ? ",\"" : "\"").append(field).append('"');
      }
    }
    return names.append("]'::jsonb").toString();
  }

  /**
   * JSON merge patch (RFC 7396) over the fields the contract allows; only the fields present are
   * written, and the version is bumped once. {@code If-Match} is required (428 without it); it
   * holds when it is {@code *} or names the current version, else nothing changes and the answer is
   * 412.
   */
  public void patch(RoutingContext ctx) {
    // the owner of the path's customer id was checked by the route's guard
    long id = Params.onlyPathId(ctx);
    Conditional.IfMatch condition =
        Conditional.ifMatch(ctx.request(), CustomerRepresentation.TAG_PREFIX, id)
            .orElseThrow(
                () ->
                    new ProblemException(
                        ProblemType.PRECONDITION_REQUIRED,
                        "Send If-Match with the ETag of the customer as you last read it (or *)"));
    JsonNode body = contract.readBody(ctx.body().buffer(), "CustomerPatch");
    if (body.has("status") && !Principal.of(ctx).service()) {
      // suspension is the service's: a suspended customer would otherwise reactivate itself
      Authenticator.challengeForScope(ctx, "service");
      throw new ProblemException(
          ProblemType.FORBIDDEN,
          "A customer's status is set by the service; a customer's own token may change its"
              + " e-mail, name and address",
          List.of(new FieldError("/status", "needs a token with the service scope")));
    }
    List<FieldError> errors = new ArrayList<>(0);
    String email = body.has("email") ? DisplayText.email(body.get("email").asText(), errors) : null;
    String name = body.has("name") ? DisplayText.name(body.get("name").asText(), errors) : null;
    JsonNode given = body.get("address");
    String address =
        given == null || given.isNull() ? null : DisplayText.address(given, "/address", errors);
    if (!errors.isEmpty()) {
      throw ProblemException.validation(errors);
    }
    StringBuilder sql = new StringBuilder("WITH c AS (UPDATE customers SET ");
    Tuple args = Tuple.tuple();
    if (email != null) {
      args.addString(email);
      sql.append("email = $").append(args.size()).append(", ");
    }
    if (name != null) {
      args.addString(name);
      sql.append("name = $").append(args.size()).append(", ");
    }
    if (body.has("status")) {
      args.addString(body.get("status").asText());
      sql.append("status = $").append(args.size()).append(", ");
    }
    if (body.has("address")) {
      args.addString(address);
      sql.append("address = $").append(args.size()).append("::text::jsonb, ");
    }
    args.addLong(id);
    sql.append("version = version + 1, updated_at = now() WHERE id = $").append(args.size());
    if (!condition.any()) {
      args.addArrayOfLong(condition.versions().toArray(new Long[0]));
      sql.append(" AND version = ANY($").append(args.size()).append("::bigint[])");
    }
    args.addString(Tracing.currentTraceparent());
    String traceParent = "$" + args.size() + "::text";
    sql.append(" RETURNING ")
        .append(CustomerRepresentation.COLUMNS)
        .append("), e AS (")
        .append(
            Outbox.append(
                Outbox.CUSTOMER_UPDATED,
                "c",
                "c.id",
                "jsonb_build_object('customer_id', c.id, 'version', c.version, 'fields', "
                    + changedFields(body)
                    + ", 'updated_at', c.updated_at)",
                traceParent))
        .append(")");
    args.addString(cache.origin());
    sql.append(NOTIFY_CHANGED.replace("$o", "$" + args.size() + "::text"));
    String conflictingEmail = email;
    pool.preparedQuery(sql.toString())
        .execute(args)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ctx.fail(translate(ar.cause(), conflictingEmail));
              } else if (ar.result().size() == 0) {
                explainNoMatch(ctx, id);
              } else {
                Row row = ar.result().iterator().next();
                // answered once the caches (the shared one too) no longer hold the old customer
                cache
                    .invalidate(new Owner(Kind.CUSTOMER, id))
                    .onComplete(
                        evicted -> {
                          var all = CustomerRepresentation.FIELDS.all();
                          Responses.validators(
                              ctx,
                              CustomerRepresentation.tag(row, all),
                              CustomerRepresentation.lastModified(row));
                          Responses.json(ctx, 200, CustomerRepresentation.encode(row, all));
                        });
              }
            });
  }

  /** No row was updated: the customer is missing (404) or at another version (412). */
  private void explainNoMatch(RoutingContext ctx, long id) {
    pool.preparedQuery(VERSION)
        .execute(Tuple.of(id))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ctx.fail(ar.cause());
              } else if (ar.result().size() == 0) {
                ctx.fail(ProblemException.notFound("Customer " + id));
              } else {
                int current = ar.result().iterator().next().getInteger(0);
                ctx.fail(
                    new ProblemException(
                        ProblemType.PRECONDITION_FAILED,
                        "Customer "
                            + id
                            + " is at version "
                            + current
                            + ", which If-Match does not name; read it again and reapply"));
              }
            });
  }

  private static Throwable translate(Throwable failure, @Nullable String email) {
    if (failure instanceof PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState())) {
      return new ProblemException(
          ProblemType.CONFLICT, "A customer with e-mail " + email + " already exists");
    }
    return failure;
  }
}
