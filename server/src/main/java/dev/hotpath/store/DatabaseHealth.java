package dev.hotpath.store;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.DatabaseException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this process can reach its database, as every request path sees it: one {@link
 * DatabaseBreaker} for the whole process, fed by the failures of request statements ({@link
 * #observe}) and by its own probes. While the breaker is open, request pools refuse to connect
 * (requests answer 503 {@code database-unavailable} at once, nothing is sent); a timer of its own
 * probes the database every {@link #PROBE_EVERY} with a fresh connection, so recovery does not wait
 * for a request, and the first probe that answers closes the breaker. Logs once per change between
 * available and unavailable; the gauge {@code hotpath_db_available} is 1 or 0. Thread-safe.
 */
public final class DatabaseHealth implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DatabaseHealth.class);

  /** Connection failures in a row that open the breaker. */
  public static final int THRESHOLD = 3;

  /** How often an open breaker lets a probe through; recovery takes at most about this long. */
  public static final Duration PROBE_EVERY = Duration.ofMillis(200);

  /** How long a probe may take to connect and answer {@code SELECT 1}. */
  static final Duration PROBE_TIMEOUT = Duration.ofMillis(500);

  private final Vertx vertx;
  private final PgConnectOptions probeOptions;
  private final PgConnectOptions cancellerOptions;

  /**
   * The connection cancels are sent on, opened on the first and kept: each cancel on a connection
   * of its own cost PostgreSQL a backend started for one statement, and cancels come in bursts
   * exactly when the database is already too slow (every request past its deadline sends one).
   */
  private Future<PgConnection> canceller;

  private final DatabaseBreaker breaker;
  private final Counter rejected;
  private final AtomicLong unavailableSince = new AtomicLong();
  private final long timer;

  public DatabaseHealth(Vertx vertx, DatabaseCoordinates database, MeterRegistry registry) {
    this.vertx = vertx;
    this.probeOptions =
        database
            .connectOptions(1)
            .setCachePreparedStatements(false)
            .addProperty("application_name", "hotpath database probe");
    this.cancellerOptions =
        database
            .connectOptions(CANCELS_IN_FLIGHT)
            .addProperty("application_name", "hotpath canceller");
    this.breaker = new DatabaseBreaker(THRESHOLD, PROBE_EVERY, System::nanoTime, this::changed);
    Gauge.builder("hotpath_db_available", breaker, b -> b.permits() ? 1 : 0)
        .description(
            "1 while the database is reachable, 0 while its circuit breaker is open and requests that need it answer 503")
        .register(registry);
    this.rejected =
        Counter.builder("hotpath_db_rejected")
            .description("Statements not sent because the database's circuit breaker was open")
            .register(registry);
    // ticks twice per probe interval; the breaker decides whether a probe is due
    this.timer = vertx.setPeriodic(PROBE_EVERY.toMillis() / 2, id -> probeIfDue());
  }

  /** The breaker's state now. */
  public DatabaseBreaker.State state() {
    return breaker.state();
  }

  /** Whether statements may be sent now. */
  public boolean available() {
    return breaker.permits();
  }

  /**
   * The failure to give a statement instead of sending it, or null when it may be sent. Counted as
   * a rejection.
   */
  DatabaseUnavailableException refusal() {
    if (breaker.permits()) {
      return null;
    }
    rejected.increment();
    return new DatabaseUnavailableException(
        "the database is unreachable; requests that need it fail fast until a probe reaches it");
  }

  /** A request statement succeeded. */
  void succeeded() {
    breaker.success();
  }

  /** Reports the outcome of request statements: {@link #succeeded} or {@link #observe}. */
  <T> Handler<AsyncResult<T>> reporter() {
    @SuppressWarnings("unchecked")
    Handler<AsyncResult<T>> r = (Handler<AsyncResult<T>>) (Handler<?>) reporter;
    return r;
  }

  private final Handler<AsyncResult<Object>> reporter =
      ar -> {
        if (ar.succeeded()) {
          succeeded();
        } else {
          observe(ar.cause());
        }
      };

  /**
   * Looks at a failure of a request's database work: if it means the database cannot be reached,
   * counts it toward opening the breaker. Other failures (constraint violations, timeouts) do not
   * count.
   */
  public void observe(Throwable failure) {
    if (failure != null
        && !(failure instanceof DatabaseUnavailableException)
        && unreachable(failure)) {
      breaker.failure(failure);
    }
  }

  /** Whether {@code failure} (or a cause of it) says the database could not be reached. */
  public static boolean unreachable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof DatabaseUnavailableException
          || t instanceof ConnectException
          || t instanceof NoRouteToHostException
          || t instanceof ClosedChannelException
          || t instanceof io.vertx.sqlclient.ClosedConnectionException) {
        return true;
      }
      if (t instanceof SocketException s && String.valueOf(s.getMessage()).contains("reset")) {
        return true;
      }
      if (t instanceof io.netty.channel.ConnectTimeoutException) {
        return true;
      }
      if (t instanceof DatabaseException d && d.getSqlState() != null) {
        String state = d.getSqlState();
        // 08: connection exceptions; 57P01-03: shutting down, crashed, starting up; 53300: full
        if (state.startsWith("08")
            || state.equals("57P01")
            || state.equals("57P02")
            || state.equals("57P03")
            || state.equals("53300")) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether {@code failure} is a statement that ran out of time (the deadline, or a cancel). */
  public static boolean timedOut(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof DatabaseTimeoutException) {
        return true;
      }
      // 57014 query_canceled: statement_timeout or a cancel request sent at the deadline
      if (t instanceof DatabaseException d && "57014".equals(d.getSqlState())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Cancels what the backend of {@code conn} is running, and completes once PostgreSQL has
   * signalled it: {@code pg_cancel_backend} returns after the signal is sent, on a connection of
   * its own (kept for the next cancel). The protocol's cancel request is never answered, so its
   * completion says nothing of when the signal lands, and one that landed after the statement it
   * was sent for had ended cancelled the next statement on the connection (see {@link
   * LentConnection}). If that connection cannot be had within {@link #CANCEL_TIMEOUT}, the
   * protocol's cancel request is sent instead and the returned future completes at once.
   */
  Future<Void> cancel(PgConnection conn) {
    int processId = conn.processId();
    Future<PgConnection> on = canceller();
    return on.compose(
            c ->
                c.preparedQuery("SELECT pg_cancel_backend($1)")
                    .execute(io.vertx.sqlclient.Tuple.of(processId)))
        .timeout(CANCEL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .<Void>mapEmpty()
        .recover(
            e -> {
              dropCanceller(on);
              conn.cancelRequest();
              return Future.succeededFuture();
            });
  }

  /**
   * How long a cancel may take to be signalled before the protocol's cancel request is sent
   * instead: long enough to outlast a short freeze of the database (a statement stuck behind a
   * stopped server), since a {@code pg_cancel_backend} still queued when this runs out is carried
   * out after the thaw anyway, and then strikes whatever the backend runs by then. Nothing waits on
   * it but the held connection's return to the pool.
   */
  static final Duration CANCEL_TIMEOUT = Duration.ofSeconds(5);

  /** Statements the canceller connection may have in flight at once (pipelined). */
  static final int CANCELS_IN_FLIGHT = 64;

  private synchronized Future<PgConnection> canceller() {
    Future<PgConnection> current = canceller;
    if (current == null) {
      Future<PgConnection> opening = PgConnection.connect(vertx, cancellerOptions);
      opening.onSuccess(c -> c.closeHandler(v -> dropCanceller(opening)));
      canceller = current = opening;
    }
    return current;
  }

  /** Forgets {@code which} (failed, timed out or closed), so the next cancel opens a new one. */
  private void dropCanceller(Future<PgConnection> which) {
    synchronized (this) {
      if (canceller != which) {
        return;
      }
      canceller = null;
    }
    which.onSuccess(PgConnection::close);
  }

  private void probeIfDue() {
    if (!breaker.tryProbe()) {
      return;
    }
    PgConnection.connect(vertx, probeOptions)
        .compose(conn -> conn.query("SELECT 1").execute().eventually(conn::close))
        .timeout(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                breaker.success();
              } else {
                breaker.failure(ar.cause());
              }
            });
  }

  private void changed(
      DatabaseBreaker.State from, DatabaseBreaker.State to, Throwable lastFailure) {
    if (to == DatabaseBreaker.State.OPEN && from == DatabaseBreaker.State.CLOSED) {
      unavailableSince.set(System.nanoTime());
      log.warn(
          "database unreachable after {} failures in a row ({}); requests that need it answer 503 at once, probing every {} ms",
          THRESHOLD,
          lastFailure == null ? "?" : lastFailure.toString(),
          PROBE_EVERY.toMillis());
    } else if (to == DatabaseBreaker.State.CLOSED) {
      log.info(
          "database reachable again after {} ms",
          (System.nanoTime() - unavailableSince.get()) / 1_000_000);
    } else {
      log.debug("database breaker {} -> {}", from, to);
    }
  }

  /** Stops probing. */
  @Override
  public void close() {
    vertx.cancelTimer(timer);
    Future<PgConnection> open;
    synchronized (this) {
      open = canceller;
      canceller = null;
    }
    if (open != null) {
      open.onSuccess(PgConnection::close);
    }
  }

  /** A completed future failing with {@link #refusal()}, or null when the statement may be sent. */
  <T> Future<T> refused() {
    DatabaseUnavailableException refusal = refusal();
    return refusal == null ? null : Future.failedFuture(refusal);
  }
}
