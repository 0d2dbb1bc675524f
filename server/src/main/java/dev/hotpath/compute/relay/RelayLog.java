package dev.hotpath.compute.relay;

import dev.hotpath.compute.Position;
import dev.hotpath.store.DatabaseCoordinates;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The relay's side of the database, on one JDBC connection of its own: the relay's lock (a session
 * advisory lock, so it is released the moment the holder's connection ends, and another instance
 * takes over), its position (moved only with the epoch the holder was given), the next batch of the
 * log in the consumers' order, and the lag. Used by one thread.
 */
final class RelayLog implements AutoCloseable {
  static final String NAME = "kafka";

  private static final String TRY_LOCK =
      "SELECT pg_try_advisory_lock(hashtext('outbox-relay:kafka'))";
  private static final String CLAIM =
      "UPDATE relay_offsets SET epoch = epoch + 1, owner = ?, updated_at = now()"
          + " WHERE relay = ? RETURNING epoch, last_txid::text, last_id";

  /**
   * The next batch after the position, below the oldest running transaction (OutboxConsumer). The
   * order names {@code o.txid}: a bare {@code txid} would mean the output column {@code
   * txid::text}, ordered as text (999 after 1000: a batch cut by the limit would skip events), and
   * sorted in full instead of read from the {@code outbox_position} index.
   */
  static final String NEXT =
      "SELECT o.id, o.txid::text, o.type, o.aggregate_id, o.payload::text, o.created_at,"
          + " o.trace_parent FROM outbox o"
          + " WHERE (o.txid, o.id) > (?::text::xid8, ?)"
          + " AND o.txid < pg_snapshot_xmin(pg_current_snapshot())"
          + " ORDER BY o.txid, o.id LIMIT ?";

  private static final String MOVE =
      "UPDATE relay_offsets SET last_txid = ?::text::xid8, last_id = ?, events = events + ?,"
          + " updated_at = now() WHERE relay = ? AND epoch = ?";

  /** Events after the relay's position, and the age of the oldest of them. */
  private static final String LAG =
      "SELECT count(*), extract(epoch FROM now() - min(o.created_at)) FROM outbox o, relay_offsets r"
          + " WHERE r.relay = ? AND (o.txid, o.id) > (r.last_txid, r.last_id)";

  private final Connection conn;

  private RelayLog(Connection conn) {
    this.conn = conn;
  }

  static RelayLog open(DatabaseCoordinates database) throws SQLException {
    Connection conn = database.openJdbc();
    conn.setAutoCommit(true);
    // the next batch's plan must not come from the log's statistics (see Compute#connectOptions)
    try (Statement st = conn.createStatement()) {
      st.execute("SET plan_cache_mode = force_generic_plan");
    }
    return new RelayLog(conn);
  }

  /** Whether this connection now holds the relay's lock (it keeps it until it closes). */
  boolean tryLock() throws SQLException {
    try (PreparedStatement st = conn.prepareStatement(TRY_LOCK);
        ResultSet rs = st.executeQuery()) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  /**
   * Bumps the epoch (fencing any earlier holder's position updates); the new epoch and position.
   */
  Claim claim(String owner) throws SQLException {
    try (PreparedStatement st = conn.prepareStatement(CLAIM)) {
      st.setString(1, owner);
      st.setString(2, NAME);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("no relay_offsets row for " + NAME);
        }
        return new Claim(rs.getLong(1), new Position(rs.getString(2), rs.getLong(3)));
      }
    }
  }

  record Claim(long epoch, Position position) {}

  List<OutboxEvent> next(Position after, int limit) throws SQLException {
    try (PreparedStatement st = conn.prepareStatement(NEXT)) {
      st.setString(1, after.txid());
      st.setLong(2, after.id());
      st.setInt(3, limit);
      List<OutboxEvent> events = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          events.add(
              new OutboxEvent(
                  new Position(rs.getString(2), rs.getLong(1)),
                  rs.getString(3),
                  rs.getLong(4),
                  rs.getString(5),
                  rs.getTimestamp(6).toInstant(),
                  rs.getString(7)));
        }
      }
      return events;
    }
  }

  /** Moves the position; false when another holder has claimed the relay since (fenced). */
  boolean move(Position to, int events, long epoch) throws SQLException {
    try (PreparedStatement st = conn.prepareStatement(MOVE)) {
      st.setString(1, to.txid());
      st.setLong(2, to.id());
      st.setLong(3, events);
      st.setString(4, NAME);
      st.setLong(5, epoch);
      return st.executeUpdate() == 1;
    }
  }

  record Lag(long events, Duration age) {}

  Lag lag() throws SQLException {
    try (PreparedStatement st = conn.prepareStatement(LAG)) {
      st.setString(1, NAME);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        double seconds = rs.getDouble(2);
        return new Lag(rs.getLong(1), Duration.ofMillis(Math.round(Math.max(0, seconds) * 1000)));
      }
    }
  }

  @Override
  public void close() {
    try {
      conn.close();
    } catch (SQLException e) {
      // closing a broken connection: the lock went with it
    }
  }
}
