package dev.hotpath.bench.baseline;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.serve.OrderMonths;
import dev.hotpath.serve.OrderReads;
import dev.hotpath.serve.OrderRepresentation;
import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.store.MonthPartitions;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The baseline hotpath is measured against (issue: lean hot path): a bare Vert.x 5 + reactive
 * PostgreSQL client service that answers the same two uncached reads from the same database with
 * the same JSON, and nothing else: no router, authentication, limits, admission, metrics, tracing,
 * logging or cache. {@code GET /v1/orders/{id}} is one statement (the order joined with its lines);
 * {@code GET /v1/customers/{id}/orders} two (the positions of a page of 20 in the customer's key,
 * then those orders joined with their lines), the statements ({@link OrderReads#keysStatement},
 * {@link OrderReads#ordersStatement}) and the encoder hotpath itself uses, so the shapes are equal
 * byte for byte and the difference between the two is what hotpath adds around them. Sized as
 * hotpath is (event loops, connections, pipelining from the same HOTPATH_* settings), on the
 * database of {@code ./data}.
 *
 * <p>{@code GET /static} answers fixed bytes: the JSON of the order the baseline script samples
 * (order 5000 of the demo seed, read once at start), with its {@code Content-Type}. It is the
 * framework's floor for a cached read: what Vert.x alone spends to answer ready bytes, to set
 * beside nginx serving the same bytes from a file and beside hotpath's cached {@code GET
 * /v1/orders/{id}}.
 *
 * <pre>java -cp bench/target/benchmarks.jar dev.hotpath.bench.baseline.BareService PORT</pre>
 */
public final class BareService extends VerticleBase {
  /**
   * hotpath's own statements for the page (OrderReads): its positions in the customer's key, then
   * its orders joined with their lines; the same SQL, the same plans.
   */
  private static final String PAGE = OrderReads.keysStatement(false);

  private static final String JSON = "application/json";
  private static final int LIMIT = 20;
  private static final Buffer NOT_FOUND = Buffer.buffer("{\"status\":404}");
  private static final Buffer EMPTY_PAGE = Buffer.buffer("{\"data\":[],\"next_cursor\":null}");

  /** The order {@code /static} serves: order 5000 of the demo seed (its id carries its month). */
  static final long STATIC_ORDER = (288L << 40) | 5000;

  private final DatabaseCoordinates database;
  private final Settings settings;
  private final int port;
  private SqlClient client;

  /**
   * hotpath's choice of the order's and the page's orders statements (serve/OrderMonths): by the
   * month's partitions when the order, or the page's orders, lie in one month known from the
   * catalog, else through the partitioned tables; the same catalog read at start and every minute.
   */
  private final OrderMonths months = new OrderMonths();

  private Buffer staticBody = NOT_FOUND;

  private BareService(DatabaseCoordinates database, Settings settings, int port) {
    this.database = database;
    this.settings = settings;
    this.port = port;
  }

  public static void main(String[] args) {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8088;
    // the hotpath settings it shares (data folder, event loops, connections, pipelining); nothing
    // of authentication is used, so it needs no keys
    Map<String, String> env = new HashMap<>(System.getenv());
    env.putIfAbsent("HOTPATH_AUTH", "off");
    Settings settings = Settings.fromEnvironment(env);
    App.Database db = App.openDatabase(settings);
    Vertx vertx =
        Vertx.vertx(
            new VertxOptions()
                .setEventLoopPoolSize(settings.server().eventLoops())
                .setPreferNativeTransport(true));
    vertx
        .deployVerticle(
            () -> new BareService(db.coordinates(), settings, port),
            new DeploymentOptions().setInstances(settings.server().eventLoops()))
        .onSuccess(
            id ->
                System.out.println(
                    "bare service on port "
                        + port
                        + " with "
                        + settings.server().eventLoops()
                        + " event loops and "
                        + settings.database().poolSize()
                        + " database connections"))
        .onFailure(
            e -> {
              e.printStackTrace();
              System.exit(1);
            });
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  vertx.close().await();
                  db.embedded().ifPresent(e -> e.close());
                }));
  }

  @Override
  public Future<?> start() {
    client =
        PgBuilder.client()
            .with(
                new PoolOptions()
                    .setMaxSize(
                        Math.max(
                            1, settings.database().poolSize() / settings.server().eventLoops())))
            // the database setting hotpath's request connections use (HttpVerticle#connect): a
            // tuning of the database, not a feature, so the baseline has it too
            .connectingTo(
                database
                    .connectOptions(settings.database().pipeliningLimit())
                    .addProperty("plan_cache_mode", "force_generic_plan"))
            .using(vertx)
            .build();
    return months
        .refresh(() -> MonthPartitions.read(client))
        .compose(
            known -> {
              vertx.setPeriodic(
                  OrderMonths.REFRESH.toMillis(),
                  t -> months.refresh(() -> MonthPartitions.read(client)));
              return client
                  .preparedQuery(OrderReads.ORDER_WITH_LINES)
                  .execute(Tuple.of(STATIC_ORDER));
            })
        .map(
            rows -> {
              if (rows.size() > 0) {
                staticBody = OrderReads.encodeJoined(rows, OrderRepresentation.FIELDS.all());
              }
              return rows;
            })
        .compose(
            read ->
                vertx
                    .createHttpServer(new HttpServerOptions().setPort(port).setTcpNoDelay(true))
                    .requestHandler(this::handle)
                    .listen());
  }

  private void handle(HttpServerRequest request) {
    String path = request.path();
    if (path.equals("/static")) {
      send(request, staticBody);
    } else if (path.startsWith("/v1/orders/")) {
      long id = id(path, "/v1/orders/".length(), path.length());
      client
          .preparedQuery(months.orderStatement(id))
          .execute(Tuple.of(id))
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  request.response().setStatusCode(500).end();
                } else if (ar.result().size() == 0) {
                  request
                      .response()
                      .setStatusCode(404)
                      .putHeader("Content-Type", JSON)
                      .end(NOT_FOUND);
                } else {
                  send(
                      request,
                      OrderReads.encodeJoined(ar.result(), OrderRepresentation.FIELDS.all()));
                }
              });
    } else if (path.startsWith("/v1/customers/") && path.endsWith("/orders")) {
      long id = id(path, "/v1/customers/".length(), path.length() - "/orders".length());
      client
          .preparedQuery(PAGE)
          .execute(Tuple.of(id, LIMIT + 1))
          .compose(
              keys -> {
                if (keys.size() == 0) {
                  return Future.succeededFuture(EMPTY_PAGE);
                }
                Long[] ids = new Long[Math.min(keys.size(), LIMIT)];
                int i = 0;
                for (Row r : keys) {
                  if (i < ids.length) {
                    ids[i++] = r.getLong(1);
                  }
                }
                boolean more = keys.size() > LIMIT;
                return client
                    .preparedQuery(months.ordersStatement(true, ids))
                    .execute(OrderReads.byIds(id, ids))
                    .map(rows -> encodePage(rows, more));
              })
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  request.response().setStatusCode(500).end();
                } else {
                  send(request, ar.result());
                }
              });
    } else {
      request.response().setStatusCode(404).end();
    }
  }

  private static long id(String path, int from, int to) {
    long id = 0;
    for (int i = from; i < to; i++) {
      char c = path.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      id = id * 10 + (c - '0');
    }
    return id;
  }

  private static void send(HttpServerRequest request, Buffer body) {
    request.response().putHeader("Content-Type", JSON).end(body);
  }

  private static Buffer encodePage(RowSet<Row> rows, boolean more) {
    List<Row> orders = new ArrayList<>(LIMIT);
    List<OrderRepresentation.Lines> lines = new ArrayList<>(LIMIT);
    OrderReads.split(rows, orders, lines);
    return JsonOutput.write(
        256 + 600 * orders.size(),
        gen -> {
          gen.writeStartObject();
          gen.writeArrayFieldStart("data");
          for (int i = 0; i < orders.size(); i++) {
            OrderRepresentation.write(
                gen, orders.get(i), lines.get(i), OrderRepresentation.FIELDS.all());
          }
          gen.writeEndArray();
          if (more) {
            // the same bytes as hotpath's cursor, unsigned: (created_at, id) of the last order
            Row last = orders.get(orders.size() - 1);
            gen.writeStringField(
                "next_cursor",
                java.util.Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(
                        (last.getOffsetDateTime(9).toString() + "," + last.getLong(0))
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
          } else {
            gen.writeNullField("next_cursor");
          }
          gen.writeEndObject();
        });
  }
}
