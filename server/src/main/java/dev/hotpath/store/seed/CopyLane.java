package dev.hotpath.store.seed;

import dev.hotpath.store.DatabaseCoordinates;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

/**
 * One connection that runs {@code COPY ... FROM STDIN} statements on a thread of its own, fed with
 * filled buffers through a bounded queue: the generator formats the next batch while the database
 * loads the previous one. Buffers are reused: a sent buffer goes back to the {@value #BUFFERS} of
 * its {@link Stream} that the generator takes empty ones from, so memory stays bounded by the batch
 * size.
 *
 * <p>Statements run in the order they were handed over, in the connection's current transaction.
 * Only one thread (the generator) may hand buffers over; it may also use {@link #connection()}
 * directly, but only after {@link #drain()} and before the next {@link Stream#send}. The first
 * failure stops the lane's work: the statements still queued are skipped, and it is rethrown to the
 * generator by the next {@link Stream#send} or {@link #drain()}.
 */
final class CopyLane implements AutoCloseable {
  /** Buffers per stream: one being filled, one being sent, one queued. */
  static final int BUFFERS = 3;

  private static final int INITIAL_CAPACITY = 1 << 20;

  private final Connection conn;
  private final CopyManager copy;
  private final BlockingQueue<Task> work = new ArrayBlockingQueue<>(4 * BUFFERS);
  private final Thread thread;
  private volatile Exception failure;

  /**
   * A COPY of {@code rows} with {@code sql}, whose buffer then goes back to {@code pool}; a plain
   * statement {@code sql} when {@code rows} is null; or, when {@code sql} is null too, a marker
   * that runs {@code after}.
   */
  private record Task(String sql, Sink rows, BlockingQueue<Sink> pool, Runnable after) {}

  private static final Task STOP = new Task(null, null, null, () -> {});

  private CopyLane(String name, Connection conn) throws SQLException {
    this.conn = conn;
    this.copy = conn.unwrap(PGConnection.class).getCopyAPI();
    this.thread = Thread.ofPlatform().name("seed-" + name).daemon().start(this::run);
  }

  /** Opens a connection (not in auto-commit) and its lane. */
  static CopyLane open(String name, DatabaseCoordinates db) throws SQLException {
    Connection conn = db.openJdbc();
    try {
      conn.setAutoCommit(false);
      return new CopyLane(name, conn);
    } catch (SQLException | RuntimeException e) {
      conn.close();
      throw e;
    }
  }

  Connection connection() {
    return conn;
  }

  /** A new stream of rows for the COPY statement {@code sql}, with buffers of its own. */
  Stream stream(String sql) {
    return new Stream(sql);
  }

  /**
   * The rows of one table, sent in batches on this lane; several streams of one lane are sent in
   * the order their batches were handed over.
   */
  final class Stream {
    private final String sql;
    private final BlockingQueue<Sink> free = new ArrayBlockingQueue<>(BUFFERS);
    private Sink current = new Sink(INITIAL_CAPACITY);

    private Stream(String sql) {
      this.sql = sql;
      for (int i = 1; i < BUFFERS; i++) {
        free.add(new Sink(INITIAL_CAPACITY));
      }
    }

    /** The buffer to write rows into, until the next {@link #send}. */
    Sink rows() {
      return current;
    }

    /**
     * Hands the rows written so far over to be sent, after which {@code after} runs on the lane's
     * thread; returns the next (empty) buffer to write into, waiting while every other buffer of
     * this stream is queued or being sent.
     */
    Sink send(Runnable after) throws SQLException {
      return send(sql, after);
    }

    /** {@link #send(Runnable)} with another COPY statement (into one partition, say). */
    Sink send(String copySql, Runnable after) throws SQLException {
      check();
      put(new Task(copySql, current, free, after));
      current = take(free);
      check();
      return current;
    }
  }

  /** Runs {@code sql} on the lane's thread, after what was handed over before. */
  void execute(String sql) throws SQLException {
    check();
    put(new Task(sql, null, null, () -> {}));
  }

  /** Waits until everything handed over has been sent; throws the first failure. */
  void drain() throws SQLException {
    CountDownLatch done = new CountDownLatch(1);
    put(new Task(null, null, null, done::countDown));
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while waiting for the COPY of the seed", e);
    }
    check();
  }

  private void run() {
    while (true) {
      Task task;
      try {
        task = work.take();
      } catch (InterruptedException e) {
        return;
      }
      if (task == STOP) {
        return;
      }
      try {
        if (task.sql() == null) {
          task.after().run();
        } else if (failure == null) {
          if (task.rows() == null) {
            try (Statement st = conn.createStatement()) {
              st.execute(task.sql());
            }
          } else {
            copy(task.sql(), task.rows());
          }
          task.after().run();
        }
      } catch (SQLException | RuntimeException e) {
        failure = e;
      } finally {
        if (task.rows() != null) {
          task.rows().reset();
          task.pool().add(task.rows());
        }
      }
    }
  }

  private void copy(String sql, Sink rows) throws SQLException {
    CopyIn in = copy.copyIn(sql);
    try {
      in.writeToCopy(rows.buf, 0, rows.len);
      in.endCopy();
    } finally {
      if (in.isActive()) {
        in.cancelCopy();
      }
    }
  }

  private void check() throws SQLException {
    Exception e = failure;
    if (e instanceof SQLException sql) {
      throw new SQLException(sql.getMessage(), sql.getSQLState(), sql);
    }
    if (e != null) {
      throw new SQLException("the COPY of the seed failed: " + e, e);
    }
  }

  private void put(Task task) throws SQLException {
    try {
      work.put(task);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while handing a batch of the seed over", e);
    }
  }

  private static Sink take(BlockingQueue<Sink> queue) throws SQLException {
    try {
      return queue.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while waiting for a buffer of the seed", e);
    }
  }

  /**
   * Stops the lane's thread and closes the connection (rolling back what was not committed). Work
   * still queued is dropped, and a statement still running is cancelled.
   */
  @Override
  public void close() throws SQLException {
    boolean interrupted = false;
    try {
      while (!work.offer(STOP)) {
        work.poll();
      }
      thread.join(1_000);
      while (thread.isAlive()) {
        conn.unwrap(PGConnection.class).cancelQuery();
        thread.join(1_000);
      }
    } catch (InterruptedException e) {
      interrupted = true;
    } finally {
      conn.close();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
