package dev.hotpath.store;

import io.vertx.pgclient.PgConnectOptions;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Where the database is and how to log in; the one description both JDBC and the reactive client
 * use.
 */
public record DatabaseCoordinates(
    String host, int port, String database, String user, String password) {

  /** Parses {@code postgresql://user:password@host:port/database}. */
  public static DatabaseCoordinates fromUri(URI uri) {
    String user = "postgres";
    String password = "";
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = decode(parts[0]);
      password = parts.length > 1 ? decode(parts[1]) : "";
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    String database = path.length() > 1 ? path.substring(1) : "postgres";
    return new DatabaseCoordinates(
        uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 5432, database, user, password);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  public Connection openJdbc() throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    return DriverManager.getConnection(jdbcUrl(), props);
  }

  public PgConnectOptions connectOptions(int pipeliningLimit) {
    return new PgConnectOptions()
        .setHost(host)
        .setPort(port)
        .setDatabase(database)
        .setUser(user)
        .setPassword(password)
        .setCachePreparedStatements(true)
        .setPreparedStatementCacheMaxSize(256)
        .setPipeliningLimit(pipeliningLimit);
  }

  @Override
  public String toString() {
    return "postgresql://" + user + "@" + host + ":" + port + "/" + database;
  }
}
