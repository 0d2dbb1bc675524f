package dev.hotpath.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.TestServer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Statements executed together on a pooled connection reach PostgreSQL in one socket flush, and a
 * statement executed in a callback of an answer is still sent (at the end of that read), with the
 * same answers and the same transaction as without the coalescing. Real PostgreSQL, the pg client's
 * own pool and socket; the flushes are counted by a handler between the socket and the coalescing.
 */
class CoalescedFlushesTest {
  private Vertx vertx;
  private Context context;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  void aTransactionExecutedInOneTurnIsOneFlush() throws Exception {
    Result together = inOneTurn(pool(true));
    assertThat(together.answers()).containsExactly("BEGIN", "2", "3", "COMMIT");
    assertThat(together.flushes()).isEqualTo(1);
    // the control: the same statements on a connection without it, one flush each
    Result apart = inOneTurn(pool(false));
    assertThat(apart.answers()).isEqualTo(together.answers());
    assertThat(apart.flushes()).isEqualTo(4);
  }

  @Test
  void aStatementExecutedOnAnAnswerIsSentWhenTheReadEnds() throws Exception {
    Result chained =
        onConnection(
            pool(true),
            conn ->
                conn.preparedQuery("SELECT $1::int * 2")
                    .execute(Tuple.of(21))
                    .compose(
                        first ->
                            conn.preparedQuery("SELECT $1::int + 1")
                                .execute(Tuple.of(first.iterator().next().getInteger(0))))
                    .map(
                        second -> List.of(String.valueOf(second.iterator().next().getInteger(0)))));
    assertThat(chained.answers()).containsExactly("43");
    assertThat(chained.flushes()).isEqualTo(2);
  }

  @Test
  void aFailedStatementAbortsItsTransactionAsBefore() throws Exception {
    Result failed =
        onConnection(
            pool(true),
            conn -> {
              Future<RowSet<Row>> begin = conn.query("BEGIN").execute();
              Future<RowSet<Row>> broken = conn.query("SELECT 1 / 0").execute();
              Future<RowSet<Row>> after = conn.query("SELECT 1").execute();
              Future<RowSet<Row>> commit = conn.query("COMMIT").execute();
              return Future.join(begin, broken, after, commit)
                  .transform(
                      done ->
                          Future.succeededFuture(
                              List.of(
                                  String.valueOf(begin.succeeded()),
                                  String.valueOf(broken.failed()),
                                  String.valueOf(after.failed()),
                                  // the COMMIT of an aborted transaction rolls it back
                                  String.valueOf(commit.succeeded()))));
            });
    assertThat(failed.answers()).containsExactly("true", "true", "true", "true");
    assertThat(failed.flushes()).isEqualTo(1);
  }

  private record Result(List<String> answers, int flushes) {}

  private Pool pool(boolean coalesced) {
    var builder =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(1))
            .connectingTo(
                // as the server's connections: prepared statements cached per connection
                PgConnectOptions.fromUri(TestServer.get().databaseUrl())
                    .setCachePreparedStatements(true));
    if (coalesced) {
      builder.withConnectHandler(
          conn -> {
            assertThat(CoalescedFlushes.install(conn)).isTrue();
            conn.close();
          });
    }
    return builder.using(vertx).build();
  }

  private Result inOneTurn(Pool pool) throws Exception {
    return onConnection(
        pool,
        conn -> {
          List<Future<RowSet<Row>>> all = new ArrayList<>();
          all.add(conn.query("BEGIN").execute());
          all.add(conn.preparedQuery("SELECT $1::int + 1").execute(Tuple.of(1)));
          all.add(conn.query("SELECT 3").execute());
          all.add(conn.query("COMMIT").execute());
          return Future.all(all)
              .map(
                  done -> {
                    List<String> answers = new ArrayList<>();
                    answers.add("BEGIN");
                    answers.add(
                        String.valueOf(all.get(1).result().iterator().next().getInteger(0)));
                    answers.add(
                        String.valueOf(all.get(2).result().iterator().next().getInteger(0)));
                    answers.add("COMMIT");
                    return answers;
                  });
        });
  }

  /**
   * Takes a connection on the test's event loop, puts a flush counter next to its socket, then runs
   * {@code work} in one later turn of that loop and counts the flushes that reach the socket.
   */
  private Result onConnection(Pool pool, Function<SqlConnection, Future<List<String>>> work)
      throws Exception {
    AtomicInteger flushes = new AtomicInteger();
    Promise<List<String>> answers = Promise.promise();
    context.runOnContext(
        v ->
            pool.getConnection()
                .onFailure(answers::fail)
                // once unmeasured: the connection prepares its statements (a prepared statement's
                // first execution waits for its Parse to be answered), as a pooled one has
                .onSuccess(
                    conn ->
                        work.apply(conn)
                            .onComplete(warm -> measure(conn, work, flushes, answers))));
    List<String> result = answers.future().await(30, TimeUnit.SECONDS);
    pool.close().await(30, TimeUnit.SECONDS);
    return new Result(result, flushes.get());
  }

  private void measure(
      SqlConnection conn,
      Function<SqlConnection, Future<List<String>>> work,
      AtomicInteger flushes,
      Promise<List<String>> answers) {
    ChannelPipeline pipeline = CoalescedFlushes.pipeline(conn);
    assertThat(pipeline).isNotNull();
    pipeline.addFirst(
        "count-flushes",
        new ChannelOutboundHandlerAdapter() {
          @Override
          public void flush(ChannelHandlerContext ctx) {
            flushes.incrementAndGet();
            ctx.flush();
          }
        });
    // in a turn of its own, as a request's statements are
    context.runOnContext(
        w ->
            work.apply(conn)
                .onComplete(
                    ar ->
                        pipeline
                            .channel()
                            .eventLoop()
                            .execute(
                                () -> {
                                  pipeline.remove("count-flushes");
                                  conn.close().onComplete(c -> answers.handle(ar));
                                })));
  }
}
