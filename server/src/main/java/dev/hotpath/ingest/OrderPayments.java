package dev.hotpath.ingest;

import dev.hotpath.config.OutsideSettings;
import dev.hotpath.http.Deadline;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.outside.OutsideClient;
import dev.hotpath.outside.Payments;
import dev.hotpath.store.PaymentJobStatements;
import dev.hotpath.store.Statements;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The payment step of placing an order, when a payments provider is configured.
 *
 * <p><b>Design: authorize first, then one transaction.</b> Before the order's transaction, the
 * order is quoted by {@link OrderPricing} from the products' rows (one query for all lines, read
 * without locks; never from the encoded representations in the response cache) and that amount is
 * authorized under a provider idempotency key derived from the client, its {@code Idempotency-Key},
 * the amount and the currency, within the order's budget less {@code HOTPATH_PAYMENTS_RESERVE_MS}
 * kept for the transaction. The transaction then runs as before (three pipelined round trips, the
 * order, its outbox event and the idempotency record together) and, with the prices it locked,
 * decides: the amount authorized is the order's total, so the order is {@code paid}; the provider
 * declined it, so the order is refused (422 {@code payment-declined}, stored under the key like
 * every refusal, nothing written); or there is no answer (breaker open, timeout, 5xx), so the order
 * is {@code payment_pending} and its authorization job is enqueued by a statement pipelined with
 * the insert. Nothing holds a transaction or a connection while the provider is asked, and the
 * payment adds no round trip to the transaction: the alternative, inserting first and updating to
 * {@code paid} after the call, costs a second write transaction (a commit and its WAL flush) per
 * order and a crash window between the two. The cost here is the provider's latency plus one read.
 *
 * <p>Rare cases: a retry of a request whose order exists asks the provider again and gets the same
 * authorization back (its key is the same); when the locked prices differ from the quoted ones, or
 * the order is refused after it was authorized (stock taken meanwhile), the authorization is voided
 * by a job enqueued in the same transaction, and a changed total is authorized again under the key
 * of the new amount.
 */
public record OrderPayments(OutsideClient client, PaymentJobStatements jobs, Statements db) {
  private static final String PRICES =
      "SELECT " + OrderPricing.PRODUCT_COLUMNS + " FROM products WHERE id = ANY($1)";

  /** What was asked of the provider before the transaction, and its answer. */
  public record Attempt(String key, long amount, String currency, Payments.Outcome outcome) {}

  /**
   * Quotes the order and asks the provider to authorize it; empty when the order cannot be priced
   * (an unknown or inactive product, too little stock, mixed currencies: the transaction refuses
   * it, so nothing is authorized). Never fails.
   */
  Future<Optional<Attempt>> authorize(
      RoutingContext ctx, IdempotencyStore.Key key, OrderRequest request) {
    Deadline deadline = Deadline.of(ctx);
    OutsideSettings settings = client.services().settings();
    Deadline payBy =
        deadline.unbounded()
            ? deadline
            : Deadline.after(System.nanoTime(), deadline.remaining(settings.paymentsReserve()));
    return db.run(PRICES, Tuple.of((Object) request.productIds()))
        .map(rows -> OrderPricing.quote(request.lines(), OrderPricing.byId(rows, 0)))
        .otherwise(Optional.empty())
        .compose(
            quote -> {
              if (quote.isEmpty()) {
                return Future.succeededFuture(Optional.<Attempt>empty());
              }
              long amount = quote.get().total();
              String currency = quote.get().currency();
              String providerKey = providerKey(key, amount, currency);
              return Payments.authorize(
                      client,
                      providerKey,
                      amount,
                      currency,
                      providerKey,
                      payBy,
                      settings.maxAttempts())
                  .map(outcome -> Optional.of(new Attempt(providerKey, amount, currency, outcome)));
            });
  }

  /** What the transaction does about payment, decided with the prices it locked. */
  record Decision(
      String status,
      String paymentStatus,
      Optional<String> authorization,
      Optional<String> authorizeLaterWith,
      Optional<String> voidAuthorization) {}

  /**
   * The order's payment given what the provider said and the total the transaction computed.
   *
   * @throws ProblemException 422 payment-declined when the provider declined this very amount
   */
  Decision decide(
      Optional<Attempt> attempt, IdempotencyStore.Key key, long total, String currency) {
    if (attempt.isPresent()
        && attempt.get().amount() == total
        && attempt.get().currency().equals(currency)) {
      switch (attempt.get().outcome()) {
        case Payments.Authorized a -> {
          return new Decision(
              "paid", "authorized", Optional.of(a.id()), Optional.empty(), Optional.empty());
        }
        case Payments.Declined d ->
            throw new ProblemException(
                ProblemType.PAYMENT_DECLINED,
                "The payment of " + total + " " + currency + " was declined: " + d.reason());
        case Payments.Unavailable u -> {
          return pending(attempt.get().key(), Optional.empty());
        }
      }
    }
    // priced differently than the transaction found (or not priced): authorize the real total
    return pending(providerKey(key, total, currency), authorized(attempt));
  }

  private static Decision pending(String key, Optional<String> voidIt) {
    return new Decision("payment_pending", "pending", Optional.empty(), Optional.of(key), voidIt);
  }

  /** The authorization the provider gave, if it gave one. */
  static Optional<String> authorized(Optional<Attempt> attempt) {
    return attempt
        .map(Attempt::outcome)
        .filter(o -> o instanceof Payments.Authorized)
        .map(o -> ((Payments.Authorized) o).id());
  }

  /**
   * Sends the decision's jobs on the transaction's connection, right after the order's insert
   * (pipelined with it).
   */
  Future<Void> enqueue(SqlConnection conn, Decision decision) {
    return enqueue(conn, decision, key -> jobs.enqueueAuthorization(conn, key));
  }

  /**
   * As {@link #enqueue}, for the order {@code orderId} written with others in one statement (a
   * group, {@link OrderGroup}): its authorization job names it by id.
   */
  Future<Void> enqueue(SqlConnection conn, Decision decision, long orderId) {
    return enqueue(conn, decision, key -> jobs.enqueueAuthorization(conn, orderId, key));
  }

  /**
   * The decision's jobs: its authorization by {@code authorize} (of the provider key), its void.
   */
  private Future<Void> enqueue(
      SqlConnection conn,
      Decision decision,
      java.util.function.Function<String, Future<RowSet<Row>>> authorize) {
    Future<RowSet<Row>> authorized =
        decision.authorizeLaterWith().isPresent()
            ? authorize.apply(decision.authorizeLaterWith().get())
            : Future.succeededFuture();
    Future<RowSet<Row>> voiding =
        decision.voidAuthorization().isPresent()
            ? jobs.enqueueVoid(conn, decision.voidAuthorization().get())
            : Future.succeededFuture();
    return Future.all(authorized, voiding).mapEmpty();
  }

  /** For a refused order: voids the authorization made for it, in the refusal's transaction. */
  Future<Void> voidUnused(SqlConnection conn, Optional<Attempt> attempt) {
    Optional<String> id = authorized(attempt);
    return id.isEmpty() ? Future.succeededFuture() : jobs.enqueueVoid(conn, id.get()).mapEmpty();
  }

  /**
   * The provider idempotency key of an order: the same client, key, amount and currency always give
   * the same key, so every retry (inline or from the job queue) finds the same authorization.
   */
  static String providerKey(IdempotencyStore.Key key, long amount, String currency) {
    MessageDigest digest = IdempotencyStore.sha256();
    digest.update(key.client().getBytes(StandardCharsets.UTF_8));
    digest.update((byte) 0);
    digest.update(key.key().getBytes(StandardCharsets.UTF_8));
    digest.update((byte) 0);
    digest.update(Long.toString(amount).getBytes(StandardCharsets.US_ASCII));
    digest.update((byte) 0);
    digest.update(currency.getBytes(StandardCharsets.US_ASCII));
    return "hp_" + HexFormat.of().formatHex(digest.digest(), 0, 16);
  }
}
