package dev.hotpath.compute;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.hotpath.http.Contract;
import dev.hotpath.http.FieldError;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.store.Outbox;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The {@value #KIND} job: a deterministic bulk import of orders.
 *
 * <p>The file is in the database in parts of whole lines ({@code order_import_parts}, cut as it
 * arrived by {@link ImportParts}), each one chunk: at most {@code HOTPATH_IMPORT_CHUNK_LINES} lines
 * and about 1 MiB. Up to {@code workers} chunks of an import are read and parsed ahead ({@link
 * ImportParser}, on the parser threads every import shares), each holding a permit of the
 * process-wide {@link ImportBudget} from the moment it is read until its transaction ended, so the
 * memory of all imports together is bounded by settings, not by the files. One coordinator — this
 * class, on the compute event loop — owns everything that depends on order: it takes the parsed
 * chunks strictly in input order and, one transaction per chunk, checks customers, products,
 * currency and stock line by line, allocates order ids in input order, and writes the orders, their
 * lines, the stock taken, their {@code order.created} events and the report lines. So the result
 * (ids relative to the first, rows, report) is the same whatever the number of workers and whatever
 * their timing. Once it succeeded, the parts are deleted.
 *
 * <p>Nothing is half-written: a line is either rejected (with its errors) or imported with all its
 * rows, and a chunk commits whole. The import's row records how many lines are committed; a rerun
 * of the job (after a crash or a timeout) resumes after them, and a chunk is applied only if that
 * count is still what the coordinator read (so two attempts can never both apply it).
 */
public final class ImportJob implements JobHandler {
  public static final String KIND = "orders.import";

  private static final String LOAD =
      "SELECT format, upload, workers, lines_done, imported, rejected, lines,"
          + " CASE WHEN upload IS NULL THEN body END FROM order_imports WHERE id = $1";
  private static final String PARTS =
      "SELECT part, first_line, lines FROM order_import_parts"
          + " WHERE upload = $1 AND first_line + lines - 1 > $2 ORDER BY part";
  private static final String PART =
      "SELECT data FROM order_import_parts WHERE upload = $1 AND part = $2";

  /** Parts of a file the import no longer needs, once it succeeded. */
  private static final String DROP_PARTS = "DELETE FROM order_import_parts WHERE upload = $1";

  /** One part of the file, kept in the database as it arrived ({@link ImportParts}). */
  public static final String INSERT_PART =
      "INSERT INTO order_import_parts (upload, part, first_line, lines, data)"
          + " VALUES ($1, $2, $3, $4, $5)";

  private static final String SET_UPLOAD =
      "UPDATE order_imports SET upload = $2, body = NULL WHERE id = $1";
  private static final String LOCK_IMPORT =
      "SELECT lines_done FROM order_imports WHERE id = $1 FOR UPDATE";
  private static final String CUSTOMERS =
      "SELECT id, status, address::text FROM customers WHERE id = ANY($1)";
  private static final String LOCK_PRODUCTS =
      "SELECT id, name, price_minor, currency, stock, status FROM products WHERE id = ANY($1)"
          + " ORDER BY id FOR UPDATE";
  private static final String IDS =
      "SELECT month_id(now(), nextval('orders_seq')) FROM generate_series(1, $1)";

  /** The orders, and their keys in orders_by_customer (the customer-orders page reads them). */
  private static final String INSERT_ORDERS =
      "WITH o AS (INSERT INTO orders (id, customer_id, status, currency, subtotal_minor, total_minor,"
          + " item_count, shipping_address) SELECT id, cid, 'placed', cur, sub, sub, n, addr::jsonb"
          + " FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::int[],"
          + " $6::text[]) AS t(id, cid, cur, sub, n, addr) ORDER BY id"
          + " RETURNING id, customer_id, created_at)"
          + " INSERT INTO orders_by_customer (customer_id, created_at, order_id)"
          + " SELECT customer_id, created_at, id FROM o";

  private static final String INSERT_ITEMS =
      "INSERT INTO order_items (customer_id, order_id, line_no, product_id, product_name,"
          + " unit_price_minor, quantity, line_total_minor)"
          + " SELECT cid, oid, ln, pid, name, price, qty, price * qty"
          + " FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::bigint[], $5::text[],"
          + " $6::bigint[], $7::int[]) AS t(cid, oid, ln, pid, name, price, qty)";
  private static final String TAKE_STOCK =
      "UPDATE products p SET stock = p.stock - r.qty, version = p.version + 1, updated_at = now()"
          + " FROM unnest($1::bigint[], $2::int[]) AS r(id, qty) WHERE p.id = r.id";
  private static final String EVENTS =
      "INSERT INTO outbox (type, aggregate_id, payload) SELECT '"
          + Outbox.ORDER_CREATED
          + "', o.id, "
          + Outbox.orderPayload("o", "import", "i.items")
          + " FROM orders o JOIN (SELECT order_id, jsonb_agg(jsonb_build_object('product_id',"
          + " product_id, 'quantity', quantity, 'line_total_minor', line_total_minor)"
          + " ORDER BY line_no) AS items FROM order_items WHERE order_id = ANY($1)"
          + " GROUP BY order_id) i ON i.order_id = o.id ORDER BY o.id";
  private static final String REPORT =
      "INSERT INTO order_import_lines (import_id, line_no, outcome, order_id, errors)"
          + " SELECT $1, ln, outcome, oid, errs::jsonb"
          + " FROM unnest($2::int[], $3::text[], $4::bigint[], $5::text[]) AS t(ln, outcome, oid, errs)";
  private static final String ADVANCE =
      "UPDATE order_imports SET lines_done = $2, imported = imported + $3, rejected = rejected + $4"
          + " WHERE id = $1";

  private final Contract contract;
  private final int chunkLines;
  private final ImportBudget budget;

  public ImportJob(Contract contract, int chunkLines, ImportBudget budget) {
    this.contract = contract;
    this.chunkLines = chunkLines;
    this.budget = budget;
  }

  @Override
  public Future<String> handle(Job job) {
    return job.pool()
        .preparedQuery(LOAD)
        .execute(Tuple.of(job.id()))
        .compose(
            rows -> {
              if (rows.size() == 0) {
                return Future.failedFuture(
                    new IllegalStateException("import " + job.id() + " does not exist"));
              }
              Row row = rows.iterator().next();
              String format = row.getString(0);
              UUID upload = row.getUUID(1);
              int workers = row.getInteger(2);
              int done = row.getInteger(3);
              Counts counts = new Counts(row.getInteger(4), row.getInteger(5));
              Future<UUID> parts =
                  upload != null
                      ? Future.succeededFuture(upload)
                      : store(job, row.getBuffer(7), format);
              return parts.compose(
                  u ->
                      job.pool()
                          .preparedQuery(PARTS)
                          .execute(Tuple.of(u, done))
                          .compose(
                              refs -> {
                                List<Ref> pending = new ArrayList<>(refs.size());
                                refs.forEach(
                                    r ->
                                        pending.add(
                                            new Ref(
                                                r.getInteger(0),
                                                r.getInteger(1),
                                                r.getInteger(2))));
                                int lines =
                                    row.getInteger(6) == null
                                        ? done + pending.stream().mapToInt(Ref::lines).sum()
                                        : row.getInteger(6) + ImportParser.headerLines(format);
                                return run(
                                        job,
                                        new ImportParser(contract, format),
                                        u,
                                        pending,
                                        workers,
                                        lines,
                                        counts)
                                    .compose(
                                        result ->
                                            job.pool()
                                                .preparedQuery(DROP_PARTS)
                                                .execute(Tuple.of(u))
                                                .map(result));
                              }));
            });
  }

  /**
   * An import accepted before files were kept in parts (its whole body in {@code
   * order_imports.body}): cut into parts once, in one transaction, then run as any other.
   */
  private Future<UUID> store(Job job, Buffer body, String format) {
    UUID upload = UUID.randomUUID();
    return job.vertx()
        .executeBlocking(
            () -> {
              List<ImportParts.Part> parts = new ArrayList<>();
              ImportParts cutter = new ImportParts(chunkLines, ImportParts.PART_BYTES);
              byte[] data = body.getBytes();
              cutter.feed(data, 0, data.length, parts::add);
              cutter.finish(parts::add);
              return parts;
            },
            false)
        .compose(
            parts ->
                job.pool()
                    .withTransaction(
                        conn -> {
                          List<Tuple> rows = new ArrayList<>(parts.size());
                          for (ImportParts.Part p : parts) {
                            rows.add(
                                Tuple.of(
                                    upload,
                                    p.index(),
                                    p.firstLine(),
                                    p.lines(),
                                    Buffer.buffer(p.data())));
                          }
                          Future<?> inserted =
                              rows.isEmpty()
                                  ? Future.succeededFuture()
                                  : conn.preparedQuery(INSERT_PART).executeBatch(rows);
                          return inserted.compose(
                              x ->
                                  conn.preparedQuery(SET_UPLOAD)
                                      .execute(Tuple.of(job.id(), upload)));
                        }))
        .map(upload);
  }

  /** A part still to apply: its number and lines. */
  private record Ref(int part, int firstLine, int lines) {}

  /** A chunk in flight: its permit of the budget, then its parsed lines. */
  private final class Slot {
    final Ref ref;
    final Future<Void> permit;
    final Future<List<ImportParser.Line>> lines;
    private boolean released;

    Slot(Ref ref, Future<Void> permit, Future<List<ImportParser.Line>> lines) {
      this.ref = ref;
      this.permit = permit;
      this.lines = lines;
    }

    /** Gives the permit back once the chunk is done with (once). */
    void release() {
      if (!released) {
        released = true;
        permit.onSuccess(v -> budget.release());
      }
    }
  }

  private static final class Counts {
    int imported;
    int rejected;

    Counts(int imported, int rejected) {
      this.imported = imported;
      this.rejected = rejected;
    }
  }

  private Future<String> run(
      Job job,
      ImportParser parser,
      UUID upload,
      List<Ref> pending,
      int workers,
      int total,
      Counts counts) {
    Context context = job.vertx().getOrCreateContext();
    Deque<Slot> ahead = new ArrayDeque<>();
    int[] next = {0};
    // at most `workers` chunks of this import ahead, each holding a permit of the process-wide
    // budget from the moment its part is read until its transaction ended
    Runnable refill =
        () -> {
          while (ahead.size() < workers && next[0] < pending.size()) {
            Ref ref = pending.get(next[0]++);
            Future<Void> permit = budget.acquire(context);
            Future<List<ImportParser.Line>> lines =
                permit
                    .compose(
                        v -> job.pool().preparedQuery(PART).execute(Tuple.of(upload, ref.part())))
                    .compose(
                        rows -> {
                          byte[] data = rows.iterator().next().getBuffer(0).getBytes();
                          ImportParser.Chunk chunk =
                              new ImportParser.Chunk(
                                  ref.part(), 0, data.length, ref.firstLine(), ref.lines());
                          return Future.fromCompletionStage(
                              CompletableFuture.supplyAsync(
                                  () -> parser.parse(data, chunk), budget.parsers()),
                              context);
                        });
            ahead.add(new Slot(ref, permit, lines));
          }
        };
    refill.run();
    return next(job, ahead, refill, total, counts)
        .onFailure(
            e -> {
              // what is still in flight gives its permit back once it has settled
              for (Slot slot : ahead) {
                slot.lines.onComplete(x -> slot.release());
              }
              ahead.clear();
            })
        .map(
            x ->
                "{\"lines\":"
                    + Math.max(0, total - ImportParser.headerLines(parser.format()))
                    + ",\"imported\":"
                    + counts.imported
                    + ",\"rejected\":"
                    + counts.rejected
                    + ",\"result_url\":\"/v1/orders/imports/"
                    + job.id()
                    + "\"}");
  }

  /** The coordinator: applies the next chunk (in input order), then the one after. */
  private Future<Void> next(Job job, Deque<Slot> ahead, Runnable refill, int total, Counts counts) {
    Slot slot = ahead.poll();
    if (slot == null) {
      return Future.succeededFuture();
    }
    int before = slot.ref.firstLine() - 1;
    int after = slot.ref.firstLine() + slot.ref.lines() - 1;
    return slot.lines
        .compose(
            parsedLines ->
                job.pool()
                    .withTransaction(conn -> apply(conn, job.id(), parsedLines, before, after)))
        .onComplete(
            x -> {
              slot.release();
              refill.run();
            })
        .compose(
            applied -> {
              counts.imported += applied[0];
              counts.rejected += applied[1];
              return job.progress((int) (100L * after / Math.max(1, total)));
            })
        .compose(x -> next(job, ahead, refill, total, counts));
  }

  /** One chunk in one transaction; returns {imported, rejected}. */
  private static Future<int[]> apply(
      SqlConnection conn, long importId, List<ImportParser.Line> lines, int before, int after) {
    Set<Long> customerIds = new HashSet<>();
    Set<Long> productIds = new HashSet<>();
    for (ImportParser.Line line : lines) {
      if (line.valid()) {
        customerIds.add(line.customerId());
        for (long p : line.productIds()) {
          productIds.add(p);
        }
      }
    }
    Future<RowSet<Row>> lock = conn.preparedQuery(LOCK_IMPORT).execute(Tuple.of(importId));
    Future<RowSet<Row>> customers =
        conn.preparedQuery(CUSTOMERS).execute(Tuple.of(customerIds.toArray(new Long[0])));
    Future<RowSet<Row>> products =
        conn.preparedQuery(LOCK_PRODUCTS).execute(Tuple.of(productIds.toArray(new Long[0])));
    return Future.all(lock, customers, products)
        .compose(
            x -> {
              int committed = lock.result().iterator().next().getInteger(0);
              if (committed != before) {
                return Future.failedFuture(
                    new IllegalStateException(
                        "import "
                            + importId
                            + " is at line "
                            + committed
                            + ", not "
                            + before
                            + ": another attempt is applying it"));
              }
              Plan plan = decide(lines, customers.result(), products.result());
              return conn.preparedQuery(IDS)
                  .execute(Tuple.of(plan.orders.size()))
                  .compose(ids -> write(conn, importId, plan, ids, after));
            });
  }

  /** What to write for one order, before its id is known. */
  private record PlannedOrder(
      ImportParser.Line line,
      long customerId,
      String currency,
      long subtotal,
      String address,
      String[] names,
      long[] prices) {}

  private static final class Plan {
    final List<PlannedOrder> orders = new ArrayList<>();
    final Map<Integer, List<FieldError>> rejected = new TreeMap<>();
    final Map<Long, Integer> stockTaken = new TreeMap<>();
    final List<ImportParser.Line> lines;

    Plan(List<ImportParser.Line> lines) {
      this.lines = lines;
    }
  }

  /** The business rules of placing an order, line by line in input order, on locked stock. */
  private static Plan decide(
      List<ImportParser.Line> lines, RowSet<Row> customerRows, RowSet<Row> productRows) {
    Map<Long, Row> customers = new HashMap<>();
    customerRows.forEach(r -> customers.put(r.getLong(0), r));
    Map<Long, Row> products = new HashMap<>();
    Map<Long, Integer> stock = new HashMap<>();
    productRows.forEach(
        r -> {
          products.put(r.getLong(0), r);
          stock.put(r.getLong(0), r.getInteger(4));
        });
    Plan plan = new Plan(lines);
    for (ImportParser.Line line : lines) {
      if (!line.valid()) {
        plan.rejected.put(line.lineNo(), line.errors());
        continue;
      }
      List<FieldError> errors = new ArrayList<>();
      Row customer = customers.get(line.customerId());
      String address = line.shippingAddress();
      if (customer == null || !"active".equals(customer.getString(1))) {
        errors.add(new FieldError("/customer_id", "no active customer " + line.customerId()));
      } else if (address == null) {
        address = customer.getString(2);
        if (address == null) {
          errors.add(
              new FieldError("/shipping_address", "is required when the customer has no address"));
        }
      }
      int n = line.productIds().length;
      String currency = null;
      long subtotal = 0;
      String[] names = new String[n];
      long[] prices = new long[n];
      for (int i = 0; i < n; i++) {
        long id = line.productIds()[i];
        Row p = products.get(id);
        if (p == null || !"active".equals(p.getString(5))) {
          errors.add(new FieldError("/items/" + i + "/product_id", "no active product " + id));
          continue;
        }
        int left = stock.get(id);
        if (left < line.quantities()[i]) {
          errors.add(
              new FieldError(
                  "/items/" + i + "/quantity",
                  "product "
                      + id
                      + " has "
                      + left
                      + " in stock, "
                      + line.quantities()[i]
                      + " requested"));
        }
        if (currency == null) {
          currency = p.getString(3);
        } else if (!currency.equals(p.getString(3))) {
          errors.add(
              new FieldError("/items/" + i + "/product_id", "is priced in another currency"));
        }
        names[i] = p.getString(1);
        prices[i] = p.getLong(2);
        subtotal =
            Math.addExact(subtotal, Math.multiplyExact(prices[i], (long) line.quantities()[i]));
      }
      if (!errors.isEmpty()) {
        plan.rejected.put(line.lineNo(), errors);
        continue;
      }
      for (int i = 0; i < n; i++) {
        long id = line.productIds()[i];
        stock.merge(id, -line.quantities()[i], Integer::sum);
        plan.stockTaken.merge(id, line.quantities()[i], Integer::sum);
      }
      plan.orders.add(
          new PlannedOrder(line, line.customerId(), currency, subtotal, address, names, prices));
    }
    return plan;
  }

  private static Future<int[]> write(
      SqlConnection conn, long importId, Plan plan, RowSet<Row> idRows, int after) {
    long[] ids = new long[plan.orders.size()];
    int k = 0;
    for (Row r : idRows) {
      ids[k++] = r.getLong(0);
    }
    // ids are handed out in input order: the first line imported gets the smallest
    Arrays.sort(ids);
    int orders = ids.length;
    Long[] orderIds = new Long[orders];
    Long[] customerIds = new Long[orders];
    String[] currencies = new String[orders];
    Long[] subtotals = new Long[orders];
    Integer[] counts = new Integer[orders];
    String[] addresses = new String[orders];
    List<Long> itemCustomer = new ArrayList<>();
    List<Long> itemOrder = new ArrayList<>();
    List<Integer> itemLine = new ArrayList<>();
    List<Long> itemProduct = new ArrayList<>();
    List<String> itemName = new ArrayList<>();
    List<Long> itemPrice = new ArrayList<>();
    List<Integer> itemQuantity = new ArrayList<>();
    Map<Integer, Long> orderOfLine = new HashMap<>();
    for (int i = 0; i < orders; i++) {
      PlannedOrder o = plan.orders.get(i);
      orderIds[i] = ids[i];
      customerIds[i] = o.customerId();
      currencies[i] = o.currency();
      subtotals[i] = o.subtotal();
      counts[i] = o.line().productIds().length;
      addresses[i] = o.address();
      orderOfLine.put(o.line().lineNo(), ids[i]);
      for (int j = 0; j < o.line().productIds().length; j++) {
        itemCustomer.add(o.customerId());
        itemOrder.add(ids[i]);
        itemLine.add(j + 1);
        itemProduct.add(o.line().productIds()[j]);
        itemName.add(o.names()[j]);
        itemPrice.add(o.prices()[j]);
        itemQuantity.add(o.line().quantities()[j]);
      }
    }
    int reported = plan.lines.size();
    Integer[] lineNos = new Integer[reported];
    String[] outcomes = new String[reported];
    Long[] lineOrders = new Long[reported];
    String[] lineErrors = new String[reported];
    for (int i = 0; i < reported; i++) {
      int lineNo = plan.lines.get(i).lineNo();
      lineNos[i] = lineNo;
      Long order = orderOfLine.get(lineNo);
      outcomes[i] = order != null ? "imported" : "rejected";
      lineOrders[i] = order;
      lineErrors[i] = order != null ? null : errorsJson(plan.rejected.get(lineNo));
    }
    // all statements go out at once on the pipelined connection; the transaction orders them
    List<Future<?>> writes = new ArrayList<>();
    writes.add(
        conn.preparedQuery(INSERT_ORDERS)
            .execute(
                Tuple.tuple()
                    .addArrayOfLong(orderIds)
                    .addArrayOfLong(customerIds)
                    .addArrayOfString(currencies)
                    .addArrayOfLong(subtotals)
                    .addArrayOfInteger(counts)
                    .addArrayOfString(addresses)));
    writes.add(
        conn.preparedQuery(INSERT_ITEMS)
            .execute(
                Tuple.tuple()
                    .addArrayOfLong(itemCustomer.toArray(new Long[0]))
                    .addArrayOfLong(itemOrder.toArray(new Long[0]))
                    .addArrayOfInteger(itemLine.toArray(new Integer[0]))
                    .addArrayOfLong(itemProduct.toArray(new Long[0]))
                    .addArrayOfString(itemName.toArray(new String[0]))
                    .addArrayOfLong(itemPrice.toArray(new Long[0]))
                    .addArrayOfInteger(itemQuantity.toArray(new Integer[0]))));
    writes.add(
        conn.preparedQuery(TAKE_STOCK)
            .execute(
                Tuple.tuple()
                    .addArrayOfLong(plan.stockTaken.keySet().toArray(new Long[0]))
                    .addArrayOfInteger(plan.stockTaken.values().toArray(new Integer[0]))));
    writes.add(conn.preparedQuery(EVENTS).execute(Tuple.tuple().addArrayOfLong(orderIds)));
    writes.add(
        conn.preparedQuery(REPORT)
            .execute(
                Tuple.tuple()
                    .addLong(importId)
                    .addArrayOfInteger(lineNos)
                    .addArrayOfString(outcomes)
                    .addArrayOfLong(lineOrders)
                    .addArrayOfString(lineErrors)));
    int rejected = reported - orders;
    writes.add(conn.preparedQuery(ADVANCE).execute(Tuple.of(importId, after, orders, rejected)));
    return Future.all(writes).map(x -> new int[] {orders, rejected});
  }

  private static String errorsJson(List<FieldError> errors) {
    return JsonOutput.write(
            64 + 96 * errors.size(),
            (JsonGenerator gen) -> {
              gen.writeStartArray();
              for (FieldError e : errors) {
                gen.writeStartObject();
                gen.writeStringField("field", e.field());
                gen.writeStringField("message", e.message());
                gen.writeEndObject();
              }
              gen.writeEndArray();
            })
        .toString();
  }
}
