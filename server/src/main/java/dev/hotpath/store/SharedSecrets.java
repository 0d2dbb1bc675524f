package dev.hotpath.store;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;

/**
 * Secrets every instance on one database must agree on, created once at random and kept in {@code
 * app_settings}. Blocking (JDBC): call at start-up only.
 */
public final class SharedSecrets {
  private SharedSecrets() {}

  /** The key that seals pagination cursors (32 random bytes, made by the first instance). */
  public static byte[] cursorKey(DatabaseCoordinates db) {
    return key(db, "cursor_key");
  }

  /** The key that signs webhooks (HMAC-SHA256), shared by every instance on the database. */
  public static byte[] webhookKey(DatabaseCoordinates db) {
    return key(db, "webhook_key");
  }

  private static byte[] key(DatabaseCoordinates db, String name) {
    byte[] fresh = new byte[32];
    new SecureRandom().nextBytes(fresh);
    try (Connection conn = db.openJdbc()) {
      try (PreparedStatement insert =
          conn.prepareStatement(
              "INSERT INTO app_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")) {
        insert.setString(1, name);
        insert.setString(2, HexFormat.of().formatHex(fresh));
        insert.executeUpdate();
      }
      try (PreparedStatement select =
          conn.prepareStatement("SELECT value FROM app_settings WHERE key = ?")) {
        select.setString(1, name);
        try (ResultSet rs = select.executeQuery()) {
          rs.next();
          return HexFormat.of().parseHex(rs.getString(1));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "could not read the " + name + " from " + db + ": " + e.getMessage(), e);
    }
  }
}
