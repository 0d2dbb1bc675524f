package dev.hotpath.ingest;

import dev.hotpath.http.Deadline;
import dev.hotpath.http.ProblemException;
import dev.hotpath.ingest.IdempotencyStore.Key;
import dev.hotpath.ingest.IdempotencyStore.Stored;
import dev.hotpath.ingest.WriteTransaction.Kind;
import dev.hotpath.ingest.WriteTransaction.Outcome;
import dev.hotpath.observe.RequestTrace;
import dev.hotpath.observe.Tracing;
import dev.hotpath.serve.OrderReads;
import dev.hotpath.serve.OrderRepresentation;
import dev.hotpath.serve.cache.ResponseCache;
import dev.hotpath.serve.cache.ResponseCache.Owner;
import dev.hotpath.store.DatabaseTimeoutException;
import dev.hotpath.store.GuardedPool;
import dev.hotpath.store.Outbox;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Group commit of one event loop's orders ({@code HOTPATH_ORDER_GROUP_MAX} above 1). An order that
 * arrives while fewer than the loop's transaction connections hold an order transaction goes at
 * once, alone, by {@link OrderWrites}' own transaction, as without groups; one that arrives when
 * all of them do waits, and when a transaction ends the orders that waited meanwhile (at most
 * {@code max}) go together in one transaction of three set-based statements: (BEGIN + {@link
 * #READ}: every key's claim, every customer, every product locked in id order), ({@link #WRITE}:
 * the stock, orders, their keys for the customer-orders page, lines and events of all), ({@link
 * #SAVE}: every key's saved response + COMMIT). No order waits for a timer, and BEGIN, COMMIT, its
 * WAL flush and the statements' own costs are paid once per group (bench/pgbench, issue #17).
 *
 * <p>Each order of a group keeps what it has alone: its key's claim, replay, 409 and 422 (a key
 * twice in one group is the concurrent retry of today: 409); its refusals, decided one after the
 * other against the stock the group's earlier orders took, stored under its key; its payment
 * decision, jobs and voids in the group's transaction. A group whose transaction fails (a
 * statement, a key taken meanwhile, the COMMIT) is rolled back and each of its orders then goes
 * alone, so one bad order never fails the others and nothing is answered 201 that did not commit.
 * An order is answered 503 at its deadline (plus the database grace) while it waits or before its
 * group's COMMIT is sent; a group holding an order so answered does not commit (its other orders go
 * alone). With read replicas, each order's answer carries the primary's position after the group
 * (its read-your-writes cookie), as an order placed alone does ({@link
 * GuardedPool#writesOnBehalf}): the group's connection belongs to no request.
 *
 * <p>Not thread-safe: one instance per event loop, used on that loop only.
 */
final class OrderGroup {
  /**
   * The group's claims ($1 lock keys, $2 clients, $3 keys: {@link IdempotencyStore#claimCte} per
   * order), customers ($4) and products ($5), locked in id order, so that two groups never
   * deadlock. Rows with an order number ({@code ord}, 1-based) carry that order's claim and
   * customer; rows without carry a product ({@link OrderPricing#PRODUCT_COLUMNS} from column 5).
   */
  static final String READ =
      "WITH k AS MATERIALIZED (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])"
          + " WITH ORDINALITY AS k(lock_key, client_id, key, customer_id, ord)),"
          + " claim AS MATERIALIZED (SELECT k.*, pg_try_advisory_xact_lock(k.lock_key) AS got FROM k),"
          + " p AS MATERIALIZED (SELECT "
          + OrderPricing.PRODUCT_COLUMNS
          + " FROM products WHERE id = ANY($5::bigint[]) ORDER BY id FOR UPDATE)"
          // the live row under each key, looked up by the key (a lateral LIMIT 1: an EXISTS over
          // the CTE's keys could be planned as one hashed scan of every key, OrderWritePlanTest)
          + " SELECT claim.ord::int, claim.got, claim.got AND live.one IS NULL,"
          + " c.status, c.address::text, NULL::bigint, NULL::text, NULL::bigint, NULL::char(3), NULL::int,"
          + " NULL::text FROM claim LEFT JOIN LATERAL (SELECT 1 AS one FROM idempotency_keys i"
          + " WHERE i.client_id = claim.client_id AND i.key = claim.key AND i.expires_at > now()"
          + " LIMIT 1) live ON true LEFT JOIN customers c ON c.id = claim.customer_id"
          + " UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, p.* FROM p";

  private static final int PRODUCT_COLUMN = 5;

  /**
   * The group's orders ($1-$10, one element per order; $11 this instance's cache origin) and lines
   * ($12-$17, each naming its order's number): {@link OrderWrites#WRITE} for many. The stock is
   * taken once per product with the group's quantities summed; each order's id is drawn as the
   * table's default draws it, so that its lines and event can name it. Returns each order's rows in
   * the shape of {@link OrderReads#ORDER_WITH_LINES}, the order's number last, by number and line.
   */
  static final String WRITE =
      "WITH x AS MATERIALIZED (SELECT month_id(now(), nextval('orders_seq')) AS id, x.* FROM unnest("
          + "$1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::text[], $7::text[],"
          + " $8::text[], $9::text[], $10::text[]) WITH ORDINALITY AS x(customer_id, status, currency,"
          + " total, item_count, address, payment_status, payment_authorization, items, trace_parent, ord)),"
          + " l AS MATERIALIZED (SELECT * FROM unnest($12::int[], $13::int[], $14::bigint[], $15::text[],"
          + " $16::bigint[], $17::int[]) AS l(ord, line_no, product_id, product_name, unit_price_minor, quantity)),"
          + " s AS (UPDATE products p SET stock = p.stock - r.qty, version = p.version + 1,"
          + " updated_at = now() FROM (SELECT product_id AS id, sum(quantity)::int AS qty FROM l"
          + " GROUP BY product_id) AS r WHERE p.id = r.id AND p.id = ANY($14::bigint[])),"
          + " o AS (INSERT INTO orders (customer_id, id, status, currency, subtotal_minor, total_minor,"
          + " item_count, shipping_address, payment_status, payment_authorization)"
          + " SELECT customer_id, id, status, currency, total, total, item_count, address::jsonb,"
          + " payment_status, payment_authorization FROM x RETURNING "
          + OrderRepresentation.COLUMNS
          + "),"
          + " k AS (INSERT INTO orders_by_customer (customer_id, created_at, order_id)"
          + " SELECT customer_id, created_at, id FROM o),"
          + " i AS (INSERT INTO order_items (customer_id, order_id, line_no, product_id, product_name,"
          + " unit_price_minor, quantity, line_total_minor) SELECT x.customer_id, x.id, l.line_no,"
          + " l.product_id, l.product_name, l.unit_price_minor, l.quantity,"
          + " l.unit_price_minor * l.quantity FROM l JOIN x USING (ord) RETURNING customer_id, order_id, "
          + OrderRepresentation.ITEM_COLUMNS
          + "),"
          + " e AS ("
          + Outbox.append(
              Outbox.ORDER_CREATED,
              "o JOIN x ON x.id = o.id",
              "o.id",
              Outbox.orderPayload("o", "api", "x.items::jsonb"),
              "x.trace_parent",
              "$11::text")
          + ")"
          + " SELECT o.*, i.line_no, i.product_id, i.product_name, i.unit_price_minor, i.quantity,"
          + " i.line_total_minor, x.ord::int FROM o JOIN x ON x.id = o.id"
          // the lines join their order on the shard key too (ShardKeysTest)
          + " JOIN i ON i.order_id = o.id AND i.customer_id = o.customer_id"
          + " ORDER BY x.ord, i.line_no";

  /** Where {@link #WRITE}'s rows hold the order's number. */
  private static final int ORD_COLUMN = OrderRepresentation.ORDER_COLUMN_COUNT + 6;

  /**
   * Every key's row with its response ({@link IdempotencyStore}'s save for many): fails with
   * division by zero ({@link IdempotencyStore#TAKEN}) unless all $10 rows were written, so that the
   * COMMIT pipelined behind it rolls the group back.
   */
  static final String SAVE =
      "WITH s AS (INSERT INTO idempotency_keys"
          + " (client_id, key, fingerprint, status, location, content_type, body, etag, expires_at)"
          + " SELECT r.client_id, r.key, r.fingerprint, r.status, r.location, r.content_type, r.body,"
          + " r.etag, now() + make_interval(secs => $9) FROM unnest($1::text[], $2::text[],"
          + " $3::bytea[], $4::int2[], $5::text[], $6::text[], $7::bytea[], $8::text[])"
          + " AS r(client_id, key, fingerprint, status, location, content_type, body, etag)"
          + " ON CONFLICT (client_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint,"
          + " status = EXCLUDED.status, location = EXCLUDED.location,"
          + " content_type = EXCLUDED.content_type, body = EXCLUDED.body, etag = EXCLUDED.etag,"
          + " created_at = now(), expires_at = EXCLUDED.expires_at"
          + " WHERE idempotency_keys.expires_at <= now() RETURNING 1)"
          + " SELECT 1 / ((SELECT count(*)::int FROM s) = $10)::int";

  /** A group that did not commit because one of its orders was answered at its deadline. */
  private static final DatabaseTimeoutException DEADLINE_PASSED =
      new DatabaseTimeoutException("an order's deadline passed before its group's COMMIT");

  /** One order waiting for, or riding in, a group. */
  static final class Member {
    final RoutingContext ctx;
    final Context context;
    final Key key;
    final OrderRequest request;
    final Optional<OrderPayments.Attempt> attempt;
    final byte[] fingerprint;
    final String path;
    final @Nullable String traceparent;
    final List<Owner> changed;

    /** Its request's trace: a group's queries count in its {@code Server-Timing}. */
    final @Nullable RequestTrace trace;

    /** Its own statements in its group's transaction (its payment jobs, its replay's lookup). */
    int own;

    /** Its own transaction, as without groups; completes when that has ended. */
    final java.util.function.Supplier<Future<Void>> alone;

    long timer = -1;
    boolean committing;

    /** Records the group's write as this request's (read-your-writes with replicas). */
    java.util.function.Supplier<Future<Void>> written = Future::succeededFuture;

    // what the group's transaction decided for it
    @Nullable Kind kind;
    @Nullable Stored stored;
    @Nullable Throwable failure;
    OrderWrites.@Nullable Placed placed;
    long orderId;

    Member(
        RoutingContext ctx,
        Key key,
        OrderRequest request,
        Optional<OrderPayments.Attempt> attempt,
        byte[] fingerprint,
        @Nullable String traceparent,
        List<Owner> changed,
        java.util.function.Supplier<Future<Void>> alone) {
      this.ctx = ctx;
      this.context = Vertx.currentContext();
      this.key = key;
      this.request = request;
      this.attempt = attempt;
      this.fingerprint = fingerprint;
      this.path = ctx.request().path();
      this.traceparent = traceparent;
      this.changed = changed;
      this.alone = alone;
      this.trace = Tracing.currentOrNull();
    }

    boolean answered() {
      return ctx.response().headWritten() || ctx.response().ended();
    }
  }

  private final Vertx vertx;
  private final Pool pool;
  private final WriteTransaction transaction;
  private final IdempotencyStore keys;
  private final ResponseCache cache;
  private final Optional<OrderPayments> payments;
  private final int max;
  private final int connections;
  private final long graceNanos;
  private final ArrayDeque<Member> waiting = new ArrayDeque<>();

  /**
   * Orders per order transaction: 1 for an order placed alone (a connection was free, or it waited
   * alone), the group's size otherwise. One record per transaction, none per order.
   */
  private final DistributionSummary sizes;

  private int inFlight;

  /**
   * @param max the most orders in one group (at least 2)
   * @param connections the order transactions the loop keeps in flight ({@link
   *     OrderWrites#orderTransactions}): orders go alone while fewer are
   * @param grace how long past an order's deadline it may wait and ride in a group
   * @param registry where {@code hotpath_order_group_size} is kept (shared by the loops' groups)
   */
  OrderGroup(
      Vertx vertx,
      WriteTransaction transaction,
      ResponseCache cache,
      Optional<OrderPayments> payments,
      int max,
      int connections,
      Duration grace,
      MeterRegistry registry) {
    this.vertx = vertx;
    this.pool = transaction.pool();
    this.transaction = transaction;
    this.keys = transaction.keys();
    this.cache = cache;
    this.payments = payments;
    this.max = max;
    this.connections = connections;
    this.graceNanos = grace.toNanos();
    this.sizes = sizes(registry);
  }

  /**
   * The group sizes' summary in {@code registry}, its buckets the powers of two up to the bound.
   */
  static DistributionSummary sizes(MeterRegistry registry) {
    return DistributionSummary.builder("hotpath_order_group_size")
        .description("Orders per order transaction with group commit (1: an order placed alone)")
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64)
        .register(registry);
  }

  /** Places {@code m}'s order: at once and alone when a connection is free, else in a group. */
  void submit(Member m) {
    if (inFlight < connections && waiting.isEmpty()) {
      goAlone(m);
      return;
    }
    if (pool instanceof GuardedPool guarded) {
      // on the request's context: the group's connection is of no request
      m.written = guarded.writesOnBehalf();
    }
    Deadline deadline = Deadline.of(m.ctx);
    if (!deadline.unbounded()) {
      long ms = Math.max(1, (deadline.remainingNanos() + graceNanos + 999_999) / 1_000_000);
      m.timer = vertx.setTimer(ms, id -> expire(m));
    }
    waiting.add(m);
    WAITING.incrementAndGet();
  }

  /** Orders of this process waiting for a group now, all event loops together. */
  private static final java.util.concurrent.atomic.AtomicInteger WAITING =
      new java.util.concurrent.atomic.AtomicInteger();

  /** How many orders of this process wait for a group now (tests wait on it). */
  static int waitingInProcess() {
    return WAITING.get();
  }

  private void expire(Member m) {
    m.timer = -1;
    if (!m.committing && !m.answered()) {
      m.ctx.fail(
          new DatabaseTimeoutException(
              "the request's deadline passed while its order waited for its group's COMMIT"));
    }
  }

  private void disarm(Member m) {
    if (m.timer >= 0) {
      vertx.cancelTimer(m.timer);
      m.timer = -1;
    }
  }

  /** {@code m}'s own transaction, counted in flight until it has ended. */
  private void goAlone(Member m) {
    disarm(m);
    inFlight++;
    sizes.record(1);
    Future<Void> done;
    try {
      done = m.alone.get();
    } catch (RuntimeException e) {
      done = Future.failedFuture(e);
    }
    done.onComplete(ended -> ended());
  }

  private void ended() {
    inFlight--;
    drain();
  }

  /** Starts the groups the free connections allow, from the orders that waited. */
  private void drain() {
    while (inFlight < connections && !waiting.isEmpty()) {
      List<Member> group = new ArrayList<>();
      Set<Key> seen = new HashSet<>();
      while (group.size() < max && !waiting.isEmpty()) {
        Member m = waiting.poll();
        WAITING.decrementAndGet();
        if (m.answered()) {
          disarm(m);
          continue;
        }
        if (!seen.add(m.key)) {
          // the same key twice in one group: the later one is a concurrent retry, as without groups
          disarm(m);
          WriteTransaction.respond(m.ctx, new Outcome(Kind.IN_USE, null), Future::succeededFuture);
          continue;
        }
        group.add(m);
      }
      if (group.size() == 1) {
        goAlone(group.get(0));
      } else if (!group.isEmpty()) {
        inFlight++;
        sizes.record(group.size());
        run(group);
      }
    }
  }

  /** Runs {@code group}'s transaction on a connection of no request, then answers each order. */
  private void run(List<Member> group) {
    // on a context of its own, so that the group's queries are counted apart, then in each order's
    Context apart = Tracing.apart(group.get(0).context);
    apart.runOnContext(
        v ->
            pool.getConnection()
                .compose(conn -> transact(conn, group).eventually(conn::close))
                .onComplete(
                    ar -> {
                      countQueries(apart, group, ar.succeeded());
                      if (ar.succeeded()) {
                        for (Member m : group) {
                          disarm(m);
                          answer(m);
                        }
                      } else if (ar.cause() == DEADLINE_PASSED) {
                        // nothing of the group committed because an order of it was answered at
                        // its deadline: the others wait again, first in line, deadlines still on
                        for (int i = group.size() - 1; i >= 0; i--) {
                          Member m = group.get(i);
                          m.kind = null;
                          m.stored = null;
                          m.failure = null;
                          m.placed = null;
                          m.orderId = 0;
                          m.committing = false;
                          if (m.answered()) {
                            disarm(m);
                          } else {
                            waiting.addFirst(m);
                            WAITING.incrementAndGet();
                          }
                        }
                      } else {
                        // nothing of the group committed: each order goes again, alone
                        for (Member m : group) {
                          disarm(m);
                          if (!m.answered()) {
                            m.context.runOnContext(x -> m.alone.get());
                          }
                        }
                      }
                      ended();
                    }));
  }

  /**
   * Adds the queries of the group that answers its orders ({@code answers}: it committed) to each
   * order's trace: those of all, and its own (not the other orders' payment jobs and replay
   * lookups). A group that did not commit is not counted: its orders go again, alone or in another
   * group, and that one is.
   */
  private static void countQueries(Context apart, List<Member> group, boolean answers) {
    RequestTrace shared = answers ? Tracing.traceOf(apart) : null;
    int own = 0;
    for (Member m : group) {
      own += m.own;
    }
    for (Member m : group) {
      if (shared != null && m.trace != null) {
        m.trace.addQueriesOf(shared, own - m.own);
      }
      m.own = 0;
    }
  }

  private void answer(Member m) {
    if (m.failure != null) {
      m.ctx.fail(m.failure);
      return;
    }
    Kind kind = java.util.Objects.requireNonNull(m.kind);
    if (m.orderId != 0) {
      m.changed.add(new Owner(ResponseCache.Kind.ORDER, m.orderId));
    }
    Outcome outcome = new Outcome(kind, m.stored);
    if (kind == Kind.FRESH || kind == Kind.REPLAY) {
      // its position first (the cookie goes with the head), as an order placed alone has it
      m.written
          .get()
          .onComplete(
              w -> WriteTransaction.respond(m.ctx, outcome, () -> cache.invalidate(m.changed)));
    } else {
      WriteTransaction.respond(m.ctx, outcome, () -> cache.invalidate(m.changed));
    }
  }

  private Future<Void> transact(SqlConnection conn, List<Member> group) {
    int n = group.size();
    Long[] lockKeys = new Long[n];
    String[] clients = new String[n];
    String[] keyNames = new String[n];
    Long[] customers = new Long[n];
    Set<Long> products = new TreeSet<>();
    for (int i = 0; i < n; i++) {
      Member m = group.get(i);
      lockKeys[i] = IdempotencyStore.lockKey(m.key);
      clients[i] = m.key.client();
      keyNames[i] = m.key.key();
      customers[i] = m.request.customerId();
      products.addAll(java.util.Arrays.asList(m.request.productIds()));
    }
    Future<RowSet<Row>> begin = conn.query("BEGIN").execute();
    Future<RowSet<Row>> read =
        conn.preparedQuery(READ)
            .execute(
                Tuple.tuple()
                    .addArrayOfLong(lockKeys)
                    .addArrayOfString(clients)
                    .addArrayOfString(keyNames)
                    .addArrayOfLong(customers)
                    .addArrayOfLong(products.toArray(Long[]::new)));
    return Future.all(begin, read)
        .compose(r -> write(conn, group, read.result()))
        .compose(written -> commit(conn, group))
        .recover(e -> WriteTransaction.rollback(conn).transform(r -> Future.failedFuture(e)));
  }

  /** Decides each order with the rows read, in the group's order, then writes the placed ones. */
  private Future<Void> write(SqlConnection conn, List<Member> group, RowSet<Row> rows) {
    Map<Long, OrderPricing.Product> stock = OrderPricing.byId(rows, PRODUCT_COLUMN);
    Row[] claims = new Row[group.size()];
    for (Row row : rows) {
      Integer ord = row.getInteger(0);
      if (ord != null) {
        claims[ord - 1] = row;
      }
    }
    List<Member> placed = new ArrayList<>();
    List<Future<?>> jobs = new ArrayList<>();
    for (int i = 0; i < group.size(); i++) {
      Member m = group.get(i);
      Row claim = claims[i];
      if (!claim.getBoolean(2)) {
        // not this order's key: a replay (looked up after the group ends) or in use
        m.kind = claim.getBoolean(1) ? Kind.REPLAY : Kind.IN_USE;
        continue;
      }
      try {
        String address = OrderWrites.address(m.request, claim, 3);
        OrderPricing.Priced priced = OrderPricing.price(m.request.lines(), stock);
        Optional<OrderPayments.Decision> payment =
            payments.map(p -> p.decide(m.attempt, m.key, priced.total(), priced.currency()));
        m.placed = new OrderWrites.Placed(address, priced, payment);
        m.kind = Kind.FRESH;
        placed.add(m);
        // the next orders of the group find the stock this one took
        for (int l = 0; l < m.request.lines().size(); l++) {
          OrderPricing.Product p = priced.products().get(l);
          OrderPricing.Product now = stock.get(p.id());
          stock.put(
              p.id(),
              new OrderPricing.Product(
                  now.id(),
                  now.name(),
                  now.priceMinor(),
                  now.currency(),
                  now.stock() - m.request.lines().get(l).quantity(),
                  now.active()));
        }
      } catch (ProblemException e) {
        if (e.type().status() >= 500) {
          m.failure = e;
          continue;
        }
        m.kind = Kind.FRESH;
        m.stored = Stored.problem(e, m.path);
        if (payments.isPresent() && OrderPayments.authorized(m.attempt).isPresent()) {
          jobs.add(payments.get().voidUnused(conn, m.attempt));
          m.own++;
        }
      } catch (RuntimeException e) {
        m.failure = e;
      }
    }
    if (placed.isEmpty()) {
      return Future.all(jobs).mapEmpty();
    }
    Future<RowSet<Row>> written = conn.preparedQuery(WRITE).execute(orders(placed));
    jobs.add(written);
    return Future.all(jobs)
        .map(
            all -> {
              List<Row> list = new ArrayList<>();
              written.result().forEach(list::add);
              int from = 0;
              while (from < list.size()) {
                int ord = list.get(from).getInteger(ORD_COLUMN);
                int to = from + 1;
                while (to < list.size() && list.get(to).getInteger(ORD_COLUMN) == ord) {
                  to++;
                }
                Member m = placed.get(ord - 1);
                Row order = list.get(from);
                long orderId = order.getLong(0);
                m.orderId = orderId;
                m.stored =
                    Stored.created(
                        "/v1/orders/" + orderId,
                        OrderReads.encodeJoined(list, from, to, OrderRepresentation.FIELDS.all()),
                        OrderReads.tag(orderId, order.getInteger(OrderRepresentation.VERSION)));
                from = to;
              }
              for (Member m : placed) {
                if (m.stored == null) {
                  throw new IllegalStateException("the group's write returned no order " + m.key);
                }
              }
              return null;
            });
  }

  private Tuple orders(List<Member> placed) {
    int n = placed.size();
    Long[] customers = new Long[n];
    String[] statuses = new String[n];
    String[] currencies = new String[n];
    Long[] totals = new Long[n];
    Integer[] counts = new Integer[n];
    String[] addresses = new String[n];
    String[] paymentStatuses = new String[n];
    String[] authorizations = new String[n];
    String[] items = new String[n];
    String[] traces = new String[n];
    List<OrderWrites.LineRow> lines = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Member m = placed.get(i);
      OrderWrites.Placed p = java.util.Objects.requireNonNull(m.placed);
      customers[i] = m.request.customerId();
      statuses[i] = p.payment().map(OrderPayments.Decision::status).orElse("placed");
      currencies[i] = p.priced().currency();
      totals[i] = p.priced().total();
      counts[i] = m.request.lines().size();
      addresses[i] = p.address();
      paymentStatuses[i] = p.payment().map(OrderPayments.Decision::paymentStatus).orElse(null);
      authorizations[i] = p.payment().flatMap(OrderPayments.Decision::authorization).orElse(null);
      items[i] = OrderWrites.lines(m.request, p.priced(), i + 1, lines);
      traces[i] = m.traceparent;
    }
    int l = lines.size();
    Integer[] ords = new Integer[l];
    Integer[] lineNos = new Integer[l];
    Long[] productIds = new Long[l];
    String[] names = new String[l];
    Long[] prices = new Long[l];
    Integer[] quantities = new Integer[l];
    for (int i = 0; i < l; i++) {
      OrderWrites.LineRow line = lines.get(i);
      ords[i] = line.ord();
      lineNos[i] = line.lineNo();
      productIds[i] = line.productId();
      names[i] = line.name();
      prices[i] = line.price();
      quantities[i] = line.quantity();
    }
    return Tuple.tuple()
        .addArrayOfLong(customers)
        .addArrayOfString(statuses)
        .addArrayOfString(currencies)
        .addArrayOfLong(totals)
        .addArrayOfInteger(counts)
        .addArrayOfString(addresses)
        .addArrayOfString(paymentStatuses)
        .addArrayOfString(authorizations)
        .addArrayOfString(items)
        .addArrayOfString(traces)
        .addString(cache.origin())
        .addArrayOfInteger(ords)
        .addArrayOfInteger(lineNos)
        .addArrayOfLong(productIds)
        .addArrayOfString(names)
        .addArrayOfLong(prices)
        .addArrayOfInteger(quantities);
  }

  /**
   * Saves every decided order's response with the COMMIT, unless an order that would commit has
   * been answered (its deadline): then nothing commits. Then looks up the replays.
   */
  private Future<Void> commit(SqlConnection conn, List<Member> group) {
    List<Member> saved = new ArrayList<>();
    for (Member m : group) {
      if (m.failure == null && m.kind == Kind.FRESH) {
        if (m.answered()) {
          return Future.failedFuture(DEADLINE_PASSED);
        }
        saved.add(m);
      }
    }
    // the placed orders' payment jobs (their ids known now), pipelined with the save and COMMIT
    List<Future<?>> jobs = new ArrayList<>();
    for (Member m : saved) {
      OrderWrites.Placed p = m.placed;
      if (p != null && p.payment().isPresent()) {
        OrderPayments.Decision d = p.payment().get();
        jobs.add(payments.orElseThrow().enqueue(conn, d, m.orderId));
        m.own +=
            (d.authorizeLaterWith().isPresent() ? 1 : 0)
                + (d.voidAuthorization().isPresent() ? 1 : 0);
      }
    }
    Future<Void> committed;
    if (saved.isEmpty()) {
      committed = WriteTransaction.rollback(conn);
    } else {
      saved.forEach(m -> m.committing = true);
      int n = saved.size();
      String[] clients = new String[n];
      String[] keyNames = new String[n];
      Buffer[] fingerprints = new Buffer[n];
      Short[] statuses = new Short[n];
      String[] locations = new String[n];
      String[] contentTypes = new String[n];
      Buffer[] bodies = new Buffer[n];
      String[] etags = new String[n];
      for (int i = 0; i < n; i++) {
        Member m = saved.get(i);
        Stored s = java.util.Objects.requireNonNull(m.stored);
        clients[i] = m.key.client();
        keyNames[i] = m.key.key();
        fingerprints[i] = Buffer.buffer(m.fingerprint);
        statuses[i] = (short) s.status();
        locations[i] = s.location().orElse(null);
        contentTypes[i] = s.contentType();
        bodies[i] = s.body().copy();
        etags[i] = s.etag().orElse(null);
      }
      Future<RowSet<Row>> save =
          conn.preparedQuery(SAVE)
              .execute(
                  Tuple.tuple()
                      .addArrayOfString(clients)
                      .addArrayOfString(keyNames)
                      .addArrayOfBuffer(fingerprints)
                      .addArrayOfShort(statuses)
                      .addArrayOfString(locations)
                      .addArrayOfString(contentTypes)
                      .addArrayOfBuffer(bodies)
                      .addArrayOfString(etags)
                      .addDouble(keys.ttlSeconds())
                      .addInteger(n));
      Future<RowSet<Row>> commit = conn.query("COMMIT").execute();
      jobs.add(save);
      jobs.add(commit);
      committed = Future.all(jobs).mapEmpty();
    }
    return committed.compose(
        c -> {
          // committed (or nothing to commit): a lookup that fails fails its own order only
          List<Future<?>> lookups = new ArrayList<>();
          for (Member m : group) {
            if (m.failure == null && m.kind == Kind.REPLAY) {
              m.own++;
              lookups.add(
                  transaction
                      .replay(conn, m.key, m.fingerprint)
                      .andThen(
                          o -> {
                            if (o.succeeded()) {
                              m.kind = o.result().kind();
                              m.stored = o.result().stored();
                            } else {
                              m.failure = o.cause();
                            }
                          }));
            }
          }
          return Future.join(lookups).<Void>mapEmpty().otherwiseEmpty();
        });
  }
}
