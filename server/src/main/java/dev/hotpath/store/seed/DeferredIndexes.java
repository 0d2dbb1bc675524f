package dev.hotpath.store.seed;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The secondary indexes of a table that a load into it does not need: those that back no constraint
 * (primary keys, unique constraints and the keys foreign keys point at stay). Loading into an empty
 * table, the seed drops them first and creates them again after the rows are in, in the same
 * transaction: one sorted build instead of one random insertion per row, and if anything fails the
 * rollback brings them back. They are created again from the definitions the catalog gave ({@code
 * pg_get_indexdef}), so the schema afterwards is the one the migrations made: on a partitioned
 * table the index is created on the parent, which creates it on every partition with the names
 * PostgreSQL chooses for them.
 */
final class DeferredIndexes {
  private static final String LIST =
      """
      SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE i.indrelid = '%s'::regclass
         AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
       ORDER BY c.relname""";

  private final List<String> definitions;

  private DeferredIndexes(List<String> definitions) {
    this.definitions = definitions;
  }

  /** Nothing deferred. */
  static final DeferredIndexes NONE = new DeferredIndexes(List.of());

  /**
   * When {@code table} has no rows, drops its secondary indexes (in the connection's transaction,
   * which must hold a lock on the table that keeps writers out) and returns them; else {@link
   * #NONE}.
   */
  static DeferredIndexes dropIfEmpty(Connection conn, String table) throws SQLException {
    List<String> names = new ArrayList<>();
    List<String> definitions = new ArrayList<>();
    try (Statement st = conn.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM " + table + ")")) {
        rs.next();
        if (rs.getBoolean(1)) {
          return NONE;
        }
      }
      try (ResultSet rs = st.executeQuery(LIST.formatted(table))) {
        while (rs.next()) {
          names.add(rs.getString(1));
          definitions.add(rs.getString(2).replaceFirst(" ON ONLY ", " ON "));
        }
      }
      for (String name : names) {
        st.execute("DROP INDEX " + name);
      }
    }
    return new DeferredIndexes(List.copyOf(definitions));
  }

  /** Creates the dropped indexes again, in the connection's transaction. */
  void create(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      for (String definition : definitions) {
        st.execute(definition);
      }
    }
  }

  boolean isEmpty() {
    return definitions.isEmpty();
  }
}
