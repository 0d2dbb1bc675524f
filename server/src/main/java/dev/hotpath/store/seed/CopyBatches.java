package dev.hotpath.store.seed;

import java.sql.SQLException;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

/**
 * Sends generated rows to PostgreSQL with {@code COPY ... FROM STDIN}, one statement per {@value
 * #BATCH_ROWS} rows, and reports progress after each batch.
 */
final class CopyBatches {
  /** Rows per COPY statement and per progress update. */
  static final int BATCH_ROWS = 50_000;

  private final CopyManager copy;
  private final Progress progress;

  CopyBatches(CopyManager copy, Progress progress) {
    this.copy = copy;
    this.progress = progress;
  }

  /** Whether a batch ends after row {@code done} (1-based) of {@code total}. */
  static boolean due(int done, int total) {
    return done % BATCH_ROWS == 0 || done == total;
  }

  /** Sends the rows in {@code sink} with the COPY statement {@code sql}, then empties it. */
  void send(String sql, Sink sink) throws SQLException {
    CopyIn in = copy.copyIn(sql);
    try {
      in.writeToCopy(sink.buf, 0, sink.len);
      in.endCopy();
    } finally {
      if (in.isActive()) {
        in.cancelCopy();
      }
    }
    sink.reset();
  }

  void report(String phase, int done, int total) {
    progress.update(phase, done, total);
  }
}
