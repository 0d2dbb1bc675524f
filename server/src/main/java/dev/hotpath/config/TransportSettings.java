package dev.hotpath.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How clients connect.
 *
 * @param tlsCert PEM certificate chain ({@code HOTPATH_TLS_CERT}); with {@code tlsKey}, the server
 *     speaks TLS 1.3 only, with ALPN offering HTTP/2 and HTTP/1.1
 * @param tlsKey PEM private key (PKCS#8) of the certificate
 * @param h2c HTTP/2 over cleartext (prior knowledge or upgrade); off by default
 * @param metrics whether /metrics is served (on by default; off when scraping goes elsewhere)
 * @param nativeTransport Linux's epoll for every socket when Netty's native library loads (off by
 *     default: it measured the same as Java's NIO here, see README "Memory")
 */
public record TransportSettings(
    Optional<Path> tlsCert,
    Optional<Path> tlsKey,
    boolean h2c,
    boolean metrics,
    boolean nativeTransport) {
  public TransportSettings {
    new Rules()
        .require(
            tlsCert.isPresent() == tlsKey.isPresent(),
            EnvReader.var("TLS_CERT")
                + " and "
                + EnvReader.var("TLS_KEY")
                + " must be set together")
        .require(
            readable(tlsCert),
            EnvReader.var("TLS_CERT") + "=" + tlsCert.orElse(null) + " is not a readable file")
        .require(
            readable(tlsKey),
            EnvReader.var("TLS_KEY") + "=" + tlsKey.orElse(null) + " is not a readable file")
        .enforce();
  }

  /**
   * HOTPATH_TLS_CERT and HOTPATH_TLS_KEY (both or neither), HOTPATH_H2C, HOTPATH_METRICS,
   * HOTPATH_NATIVE_TRANSPORT.
   */
  static TransportSettings from(EnvReader r) {
    return new TransportSettings(
        r.optionalString("TLS_CERT").map(Path::of),
        r.optionalString("TLS_KEY").map(Path::of),
        r.bool("H2C", false),
        r.bool("METRICS", true),
        r.bool("NATIVE_TRANSPORT", false));
  }

  private static boolean readable(Optional<Path> file) {
    return file.isEmpty() || Files.isReadable(file.get());
  }

  public boolean tls() {
    return tlsCert.isPresent();
  }
}
