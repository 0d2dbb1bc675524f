package dev.hotpath.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.CachePolicy;
import dev.hotpath.http.Contract;
import dev.hotpath.http.Fields;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Params;
import dev.hotpath.http.Representation;
import dev.hotpath.http.Responses;
import dev.hotpath.proto.v1.Customer;
import dev.hotpath.proto.v1.CustomerPage;
import dev.hotpath.serve.cache.CacheKey;
import dev.hotpath.serve.cache.ResponseCache;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Read routes of customers: one (from the {@link ResponseCache}), a page, and a batch of up to 1000
 * in one query.
 */
public final class CustomerReads {
  static final String BY_ID =
      "SELECT " + CustomerRepresentation.COLUMNS + " FROM customers WHERE id = $1";
  private static final String BY_IDS =
      "SELECT " + CustomerRepresentation.COLUMNS + " FROM customers WHERE id = ANY($1)";
  private static final Set<String> BATCH_PARAMS = Set.of("fields");
  private static final Set<String> LIST_PARAMS = Set.of("fields", "limit", "cursor", "status");
  public static final Set<String> STATUSES = Set.of("active", "suspended", "closed");

  private static final Replies.Resource CUSTOMER =
      new Replies.Resource(
          Kind.CUSTOMER, CustomerRepresentation.FIELDS, CachePolicy.PRIVATE, "Customer");

  private final ReadTools tools;
  private final Contract contract;
  private final ResponseCache.Lookup customers;
  private final IdOrderedList list =
      new IdOrderedList(
          "customers",
          "customers",
          CustomerRepresentation.COLUMNS,
          "status",
          CustomerRepresentation::write,
          CustomerRepresentation.VERSION_COLUMN,
          CachePolicy.PRIVATE,
          CustomerPage.getDefaultInstance());

  public CustomerReads(ReadTools tools, Contract contract) {
    this.tools = tools;
    this.contract = contract;
    this.customers =
        tools.cache().lookup(ProtobufForms.either(this::load, Customer.getDefaultInstance()));
  }

  public void get(RoutingContext ctx) {
    // the owner of the path's customer id was checked by the route's guard (x-owner)
    Replies.one(ctx, customers, CUSTOMER, tools.compression(), Principal.of(ctx));
  }

  private Future<Optional<Representation>> load(CacheKey key) {
    return Replies.loadOne(
        tools.db(), BY_ID, key, CustomerRepresentation.FIELDS, CustomerRepresentation::cached);
  }

  public void list(RoutingContext ctx) {
    Params params = Params.of(ctx, LIST_PARAMS);
    Optional<String> status = params.oneOf("status", STATUSES);
    int limit = params.limit();
    Fields.Selection sel = params.fields(CustomerRepresentation.FIELDS);
    Optional<String> cursor = params.string("cursor");
    params.check();
    list.serve(ctx, tools, status, cursor, limit, sel);
  }

  /**
   * {@code {"ids":[...]}}: the customers found in request order, and the ids not found. Ids the
   * principal may not see are reported as not found, and not queried.
   */
  public void batchGet(RoutingContext ctx) {
    Params params = Params.of(ctx, BATCH_PARAMS);
    Fields.Selection sel = params.fields(CustomerRepresentation.FIELDS);
    params.check();
    JsonNode body = contract.readBody(ctx.body().buffer(), "BatchGetRequest");
    Principal principal = Principal.of(ctx);
    var ids = new LinkedHashSet<Long>();
    var visible = new ArrayList<Long>();
    for (JsonNode id : body.get("ids")) {
      long value = id.asLong();
      if (ids.add(value) && principal.mayAccess(value)) {
        visible.add(value);
      }
    }
    Long[] array = ids.toArray(new Long[0]);
    Future<RowSet<Row>> rows =
        visible.isEmpty()
            ? Future.succeededFuture(null)
            : tools.db().run(BY_IDS, Tuple.of(visible.toArray(new Long[0])));
    rows.onComplete(
        ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
            return;
          }
          Map<Long, Row> found = new HashMap<>();
          if (ar.result() != null) {
            for (Row row : ar.result()) {
              found.put(row.getLong(0), row);
            }
          }
          Buffer out =
              JsonOutput.write(
                  128 + 300 * found.size(),
                  gen -> {
                    gen.writeStartObject();
                    gen.writeArrayFieldStart("data");
                    for (Long id : array) {
                      Row row = found.get(id);
                      if (row != null) {
                        CustomerRepresentation.write(gen, row, sel);
                      }
                    }
                    gen.writeEndArray();
                    gen.writeArrayFieldStart("not_found");
                    for (Long id : array) {
                      if (!found.containsKey(id)) {
                        gen.writeNumber(id);
                      }
                    }
                    gen.writeEndArray();
                    gen.writeEndObject();
                  });
          Responses.json(ctx, 200, out);
        });
  }
}
