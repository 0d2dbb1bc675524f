package dev.hotpath.support;

import dev.hotpath.store.DatabaseCoordinates;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Plain JDBC for tests that look at a database of their own: statements and single values. */
public final class Sql {
  private Sql() {}

  /** A new, empty database (no migrations) on the shared test cluster. */
  public static DatabaseCoordinates newDatabase(String prefix) {
    TestServer server = TestServer.get();
    String name = prefix + "_" + Long.toHexString(System.nanoTime());
    server.execute("CREATE DATABASE " + name);
    DatabaseCoordinates shared = server.database();
    return new DatabaseCoordinates(
        shared.host(), shared.port(), name, shared.user(), shared.password());
  }

  /** Runs the statements in order, on one connection. */
  public static void execute(DatabaseCoordinates db, String... sql) throws SQLException {
    try (Connection conn = db.openJdbc();
        Statement st = conn.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    }
  }

  /** The first column of the first row, as text. */
  public static String text(DatabaseCoordinates db, String sql) throws SQLException {
    try (Connection conn = db.openJdbc();
        Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** The first column of the first row, as a number. */
  public static long number(DatabaseCoordinates db, String sql) throws SQLException {
    try (Connection conn = db.openJdbc();
        Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
