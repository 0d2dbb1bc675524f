package dev.hotpath;

import dev.hotpath.compute.JobQueue;
import dev.hotpath.compute.PaymentJobs;
import dev.hotpath.config.Settings;
import dev.hotpath.edge.EdgeGuard;
import dev.hotpath.edge.LeanDispatch;
import dev.hotpath.edge.PreparedReads;
import dev.hotpath.edge.ReadYourWrites;
import dev.hotpath.edge.Routes;
import dev.hotpath.edge.admission.Gatekeeper;
import dev.hotpath.edge.admission.RoutePolicy;
import dev.hotpath.edge.auth.Authenticator;
import dev.hotpath.graphql.GraphqlRoutes;
import dev.hotpath.http.Compression;
import dev.hotpath.http.Contract;
import dev.hotpath.http.CursorCodec;
import dev.hotpath.http.InProcess;
import dev.hotpath.http.Problems;
import dev.hotpath.http.Readiness;
import dev.hotpath.http.Representation;
import dev.hotpath.ingest.CustomerWrites;
import dev.hotpath.ingest.IdempotencyStore;
import dev.hotpath.ingest.ImportRequests;
import dev.hotpath.ingest.OrderCancellation;
import dev.hotpath.ingest.OrderPayments;
import dev.hotpath.ingest.OrderWrites;
import dev.hotpath.ingest.ReportRequests;
import dev.hotpath.ingest.WriteTransaction;
import dev.hotpath.observe.Observability;
import dev.hotpath.outside.OutsideClient;
import dev.hotpath.outside.OutsideServices;
import dev.hotpath.serve.CustomerReads;
import dev.hotpath.serve.CustomerSummaryReads;
import dev.hotpath.serve.ImportReports;
import dev.hotpath.serve.JobReads;
import dev.hotpath.serve.OrderMonths;
import dev.hotpath.serve.OrderReads;
import dev.hotpath.serve.PopularProducts;
import dev.hotpath.serve.ProductPages;
import dev.hotpath.serve.ProductReads;
import dev.hotpath.serve.ReadTools;
import dev.hotpath.serve.ReportDownloads;
import dev.hotpath.serve.cache.ResponseCache;
import dev.hotpath.store.MonthPartitions;
import dev.hotpath.store.PaymentJobStatements;
import dev.hotpath.store.Statements;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.PlatformHandler;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The route table: every route of the API bound to the handler of its flow, the only class that
 * knows every flow (reads in serve, writes in ingest, jobs in compute, outside services). Each
 * route is declared through {@link Routes}, which looks it up in the contract and installs, in this
 * order, its deadline, admission, authentication, ownership guard, rate limit and media-type check
 * before the handler. Built once per event loop, from what the process shares and what the loop
 * owns.
 */
final class ApiRoutes {
  private static final String JSON = "application/json";
  private static final String PROTOBUF = "application/x-protobuf";

  private ApiRoutes() {}

  /** What every event loop shares. */
  record Shared(
      Settings settings,
      Contract contract,
      CursorCodec cursors,
      Readiness readiness,
      Observability observability,
      ResponseCache cache,
      Optional<Authenticator> auth,
      JobQueue jobs,
      dev.hotpath.compute.ImportBudget imports,
      OutsideServices outside,
      Optional<PaymentJobs> paymentJobs,
      InProcess inProcess) {}

  /** What one event loop owns: its database clients, edge guard, gates and outside client. */
  record Loop(
      Vertx vertx,
      Pool pool,
      Statements db,
      EdgeGuard guard,
      Gatekeeper.Gates gates,
      OutsideClient outsideClient) {}

  /**
   * The request handler of one event loop: the hottest reads through a {@link LeanDispatch}, every
   * other request through the full router.
   */
  static Handler<HttpServerRequest> dispatch(Shared shared, Loop loop) {
    LeanDispatch[] lean = new LeanDispatch[1];
    Router router = router(shared, loop, lean);
    return lean[0].otherwise(router);
  }

  /**
   * The route {@code GET path} answered below Vert.x, as the contract describes it, with its cached
   * representation ({@code hits}) and its load ({@code loads}); empty when the route requires no
   * scope (nothing to authenticate below Vert.x).
   */
  private static Optional<PreparedReads.Route> prepared(
      Contract contract,
      Loop loop,
      String path,
      LongFunction<@Nullable Representation> hits,
      LongFunction<? extends CompletionStage<@Nullable Representation>> loads) {
    Optional<List<String>> scopes = contract.scopes("GET", path);
    if (scopes.isEmpty()) {
      return Optional.empty();
    }
    RoutePolicy policy = RoutePolicy.of(contract, "GET", path);
    return Optional.of(
        new PreparedReads.Route(
            path,
            contract.owner("GET", path).kind() == Contract.Owner.Kind.PARAM,
            hits,
            loads,
            scopes.get(),
            policy,
            loop.gates().limiter(policy).orElse(null),
            contract.routeInfo("GET", path)));
  }

  private static Router router(Shared shared, Loop loop, LeanDispatch[] lean) {
    Settings settings = shared.settings();
    Contract contract = shared.contract();
    CursorCodec cursors = shared.cursors();
    ResponseCache cache = shared.cache();
    JobQueue jobs = shared.jobs();
    Pool pool = loop.pool();
    Statements db = loop.db();
    OutsideClient outsideClient = loop.outsideClient();
    Router router = Router.router(loop.vertx());
    ReadYourWrites readYourWrites =
        settings.replicas().enabled() ? new ReadYourWrites(settings.replicas().cookieAge()) : null;
    // what every request runs before its route, on the full router and on the lean dispatch's: the
    // handlers of one route that matches every request (platform handlers, so that the lean
    // dispatch can put its route's own steps after them on the same route)
    Consumer<Route> front =
        r -> {
          r.handler((PlatformHandler) loop.guard()::front);
          if (readYourWrites != null) {
            // read-your-writes over replicas: the client's last write position in, this request's
            // out
            r.handler((PlatformHandler) readYourWrites::handle);
          }
        };
    front.accept(router.route());
    Routes routes =
        new Routes(
            router, contract, settings.observability().enabled(), shared.auth(), loop.gates());
    lean[0] = new LeanDispatch(routes, loop.vertx(), front, ApiRoutes::failures);

    BodyHandler body =
        BodyHandler.create(false)
            .setBodyLimit(settings.server().bodyLimit())
            .setHandleFileUploads(false);

    var compression = new Compression(settings.server().gzipMinBytes());
    var reads = new ReadTools(db, cursors, cache, compression);
    var customers = new CustomerReads(reads, contract);
    var products = new ProductReads(reads);
    var months = new OrderMonths().start(loop.vertx(), () -> MonthPartitions.read(pool));
    var orders = new OrderReads(reads, months);
    var summaries = new CustomerSummaryReads(db);
    var popular = new PopularProducts(db, cursors);
    var transaction =
        new WriteTransaction(pool, new IdempotencyStore(settings.compute().idempotencyTtl()));
    var customerWrites = new CustomerWrites(pool, contract, cache, transaction);
    var orderWrites =
        OrderWrites.grouped(
            loop.vertx(),
            contract,
            transaction,
            cache,
            shared
                .paymentJobs()
                .map(
                    p ->
                        new OrderPayments(
                            outsideClient,
                            new PaymentJobStatements(shared.outside().settings()),
                            db.primary())),
            settings.database().orderGroupMax(),
            OrderWrites.orderTransactions(
                settings.database().poolSize() / settings.server().eventLoops()),
            settings.limits().databaseGrace(),
            shared.observability().registry());
    var cancellation = new OrderCancellation(pool, cache, shared.outside().settings());
    var reportRequests = new ReportRequests(contract, transaction, jobs);
    var jobReads = new JobReads(db, settings.compute().jobPoll());
    var reports = new ReportDownloads(db);
    var importRequests =
        new ImportRequests(transaction, jobs, shared.imports(), settings.compute());
    var importReports = new ImportReports(db, cursors);

    // the hottest reads first: the router tries routes in order and matches the path of each
    // route with a path parameter by a regular expression (a Matcher allocated per try) before it
    // looks at the method, so every such route declared above a read is paid for by each request
    // of it. Moved up only past routes whose paths they never share (/v1/orders/imports, which
    // /v1/orders/:id also matches, still comes after it), so no answer changes.
    routes.get("/v1/orders/:id").produces(JSON).produces(PROTOBUF).handler(orders::get);
    routes
        .get("/v1/customers/:id/orders")
        .produces(JSON)
        .produces(PROTOBUF)
        .handler(orders::listForCustomer);
    // the same two reads ahead of the router, for the requests whose answer cannot differ
    lean[0].get("/v1/orders/:id", orders::get);
    lean[0].get("/v1/customers/:id/orders", orders::listForCustomer);
    // and an order and a customer's first page below Vert.x's HTTP server, cached or loaded by the
    // route's own load, on HTTP/1.1 in cleartext, where their steps have a request-level form:
    // authenticated, observed, no replicas (read-your-writes)
    if (shared.auth().isPresent()
        && settings.observability().enabled()
        && readYourWrites == null
        && !settings.transport().tls()) {
      List<PreparedReads.Route> prepared = new ArrayList<>(2);
      prepared(contract, loop, "/v1/orders/:id", orders::cachedHit, orders::loaded)
          .ifPresent(prepared::add);
      prepared(
              contract,
              loop,
              "/v1/customers/:id/orders",
              orders::cachedFirstPage,
              orders::loadedFirstPage)
          .ifPresent(prepared::add);
      if (!prepared.isEmpty()) {
        loop.guard()
            .prepare(
                new PreparedReads(
                    prepared,
                    shared.auth().get(),
                    loop.gates().gate(),
                    loop.gates().clock(),
                    shared.observability(),
                    settings.limits().maxHeaderCount(),
                    settings.limits().maxUrlBytes(),
                    HttpVerticle.serverOptions(settings)));
      }
    }
    routes.get("/v1/customers").produces(JSON).produces(PROTOBUF).handler(customers::list);
    routes.post("/v1/customers").produces(JSON).handler(body).handler(customerWrites::create);
    routes
        .post("/v1/customers/batch-get")
        .produces(JSON)
        .handler(body)
        .handler(customers::batchGet);
    routes.get("/v1/customers/:id").produces(JSON).produces(PROTOBUF).handler(customers::get);
    routes.patch("/v1/customers/:id").produces(JSON).handler(body).handler(customerWrites::patch);
    routes.get("/v1/customers/:id/summary").produces(JSON).handler(summaries::get);
    routes.get("/v1/products").produces(JSON).produces(PROTOBUF).handler(popular::listOrNext);
    routes.get("/v1/products").produces(JSON).produces(PROTOBUF).handler(products::list);
    routes.get("/v1/products/:id").produces(JSON).produces(PROTOBUF).handler(products::get);
    routes
        .get("/v1/products/:id/page")
        .produces(JSON)
        .handler(new ProductPages(products, outsideClient)::get);
    routes.post("/v1/orders").produces(JSON).handler(body).handler(orderWrites::place);
    routes.post("/v1/orders/:id/cancel").produces(JSON).handler(cancellation::cancel);
    routes.post("/v1/reports").produces(JSON).handler(body).handler(reportRequests::create);
    routes.get("/v1/reports/:id").produces("text/csv").handler(reports::download);
    routes.post("/v1/orders/imports").produces(JSON).handler(importRequests::create);
    routes.get("/v1/orders/imports/:id").produces(JSON).handler(importReports::summary);
    routes.get("/v1/orders/imports/:id/lines").produces(JSON).handler(importReports::lines);
    routes.get("/v1/jobs/:id").produces(JSON).handler(jobReads::get);
    routes.get("/v1/jobs/:id/events").produces("text/event-stream").handler(jobReads::events);
    // operator routes need the admin scope: without authentication there is no one to grant it,
    // so they are absent (as /admin/log-level and /admin/jfr are, OpsRoutes)
    if (routes.authenticated()) {
      new AdminRoutes(pool, jobs).mount(routes);
    }

    // GraphQL (#22): the same read models, and the write routes in process, at /graphql
    var graphql =
        new GraphqlRoutes(
            loop.vertx(),
            settings.graphql(),
            shared.inProcess(),
            contract,
            db,
            cursors,
            compression,
            months);
    routes.post("/graphql").produces(JSON).handler(body).handler(graphql::post);
    routes.get("/graphql").produces(JSON).handler(graphql::get);

    new OpsRoutes(
            pool,
            shared.readiness(),
            contract,
            shared.observability(),
            settings.transport().metrics())
        .mount(routes, body);

    answersProblems(router);
    return router;
  }

  /**
   * Failures and the router's own errors answered as problems, a 405 with the {@code Allow} header
   * of the routes declared so far (call after the last).
   */
  static void answersProblems(Router router) {
    failures(router);
    Map<Pattern, String> allowed = allowedMethods(router);
    router.errorHandler(
        405,
        ctx -> {
          String path = ctx.request().path();
          allowed.forEach(
              (pattern, methods) -> {
                if (pattern.matcher(path).matches()) {
                  ctx.response().putHeader("Allow", methods);
                }
              });
          Problems.handleFailure(ctx);
        });
  }

  /** Failures and the router's own errors (but a 405) answered as problems. */
  private static void failures(Router router) {
    router.route().failureHandler(Problems::handleFailure);
    for (int status : new int[] {400, 404, 406, 413, 415, 500}) {
      router.errorHandler(status, Problems::handleFailure);
    }
  }

  /** Path pattern to the methods its routes accept, for the {@code Allow} header of a 405. */
  private static Map<Pattern, String> allowedMethods(Router router) {
    Map<String, Set<String>> byPath = new LinkedHashMap<>();
    for (Route route : router.getRoutes()) {
      if (route.getPath() == null || route.methods() == null) {
        continue;
      }
      Set<String> methods = byPath.computeIfAbsent(route.getPath(), p -> new TreeSet<>());
      route.methods().forEach(m -> methods.add(m.name()));
    }
    Map<Pattern, String> allowed = new LinkedHashMap<>();
    byPath.forEach(
        (path, methods) ->
            allowed.put(
                Pattern.compile(Pattern.quote(path).replaceAll(":[a-z]+", "\\\\E[^/]+\\\\Q")),
                String.join(", ", methods)));
    return allowed;
  }
}
