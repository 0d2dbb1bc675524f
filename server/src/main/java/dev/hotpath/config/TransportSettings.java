package dev.hotpath.config;

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
 */
public record TransportSettings(
    Optional<Path> tlsCert, Optional<Path> tlsKey, boolean h2c, boolean metrics) {
  public boolean tls() {
    return tlsCert.isPresent();
  }
}
