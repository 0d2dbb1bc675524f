package dev.hotpath.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.edge.Contract;
import dev.hotpath.edge.Params;
import dev.hotpath.edge.ProblemException;
import dev.hotpath.edge.ProblemType;
import dev.hotpath.edge.Responses;
import dev.hotpath.serve.CustomerReads;
import dev.hotpath.serve.CustomerRepresentation;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.Locale;
import java.util.Set;

/**
 * Creates customers and applies merge patches to them; each change is one statement that also
 * appends its event to the outbox. Creation is idempotent ({@link IdempotencyKeys}).
 */
public final class CustomerWrites {
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
                  + " 'status', c.status, 'created_at', c.created_at)")
          + ") SELECT * FROM c";

  private static final String UNIQUE_VIOLATION = "23505";

  private final Pool pool;
  private final Contract contract;
  private final IdempotencyKeys idempotency;

  public CustomerWrites(Pool pool, Contract contract, IdempotencyKeys idempotency) {
    this.pool = pool;
    this.contract = contract;
    this.idempotency = idempotency;
  }

  public void create(RoutingContext ctx) {
    IdempotencyKeys.Key key = IdempotencyKeys.key(ctx);
    Params.of(ctx, Set.of()).check();
    JsonNode body = contract.readBody(ctx.body().buffer(), "CustomerCreate");
    String email = body.get("email").asText().toLowerCase(Locale.ROOT);
    JsonNode address = body.get("address");
    Tuple args =
        Tuple.of(email, body.get("name").asText(), address == null ? null : address.toString());
    idempotency.execute(
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
                      return IdempotencyKeys.Stored.created(
                          "/v1/customers/" + row.getLong(0),
                          CustomerReads.encode(row, CustomerRepresentation.FIELDS.all()));
                    }));
  }

  /**
   * JSON merge patch (RFC 7396) over the fields the contract allows; only the fields present are
   * written, and the version is bumped once.
   */
  public void patch(RoutingContext ctx) {
    Params params = Params.of(ctx, Set.of());
    long id = params.pathId("id");
    params.check();
    JsonNode body = contract.readBody(ctx.body().buffer(), "CustomerPatch");
    StringBuilder sql = new StringBuilder("WITH c AS (UPDATE customers SET ");
    Tuple args = Tuple.tuple();
    String email = null;
    if (body.has("email")) {
      email = body.get("email").asText().toLowerCase(Locale.ROOT);
      args.addString(email);
      sql.append("email = $").append(args.size()).append(", ");
    }
    if (body.has("name")) {
      args.addString(body.get("name").asText());
      sql.append("name = $").append(args.size()).append(", ");
    }
    if (body.has("status")) {
      args.addString(body.get("status").asText());
      sql.append("status = $").append(args.size()).append(", ");
    }
    if (body.has("address")) {
      JsonNode address = body.get("address");
      args.addString(address.isNull() ? null : address.toString());
      sql.append("address = $").append(args.size()).append("::text::jsonb, ");
    }
    args.addLong(id);
    sql.append("version = version + 1, updated_at = now() WHERE id = $")
        .append(args.size())
        .append(" RETURNING ")
        .append(CustomerRepresentation.COLUMNS)
        .append("), e AS (")
        .append(
            Outbox.append(
                Outbox.CUSTOMER_UPDATED,
                "c",
                "c.id",
                "jsonb_build_object('customer_id', c.id, 'version', c.version, 'fields', "
                    + changedFields(body)
                    + ", 'updated_at', c.updated_at)"))
        .append(") SELECT * FROM c");
    String conflictingEmail = email;
    pool.preparedQuery(sql.toString())
        .execute(args)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ctx.fail(translate(ar.cause(), conflictingEmail));
              } else if (ar.result().size() == 0) {
                ctx.fail(ProblemException.notFound("Customer " + id));
              } else {
                Row row = ar.result().iterator().next();
                Responses.json(
                    ctx, 200, CustomerReads.encode(row, CustomerRepresentation.FIELDS.all()));
              }
            });
  }

  /** The names of the patched fields as a JSON array literal (names come from the schema). */
  private static String changedFields(JsonNode body) {
    StringBuilder names = new StringBuilder("'[");
    for (String field : new String[] {"email", "name", "status", "address"}) {
      if (body.has(field)) {
        names.append(names.length() > 2 ? ",\"" : "\"").append(field).append('"');
      }
    }
    return names.append("]'::jsonb").toString();
  }

  private static ProblemException emailTaken(String email) {
    return new ProblemException(
        ProblemType.CONFLICT, "A customer with e-mail " + email + " already exists");
  }

  private static Throwable translate(Throwable failure, String email) {
    if (failure instanceof PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState())) {
      return emailTaken(email);
    }
    return failure;
  }
}
