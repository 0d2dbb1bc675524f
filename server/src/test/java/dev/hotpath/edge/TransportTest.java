package dev.hotpath.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpath.App;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import java.io.FileInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS from PEM files: TLS 1.3 only, HTTP/2 by ALPN, Strict-Transport-Security. The certificate is
 * self-signed, made at test time with the JDK's keytool.
 */
class TransportTest {
  private static final char[] PASS = "changeit".toCharArray();
  private static App tls;
  private static SSLContext trusting;

  @BeforeAll
  static void startAnInstanceWithTls() throws Exception {
    Path dir = Files.createTempDirectory("hotpath-tls-");
    Path store = dir.resolve("server.p12");
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process p =
        new ProcessBuilder(
                keytool.toString(),
                "-genkeypair",
                "-alias",
                "hotpath",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=dns:localhost,ip:127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                store.toString(),
                "-storepass",
                new String(PASS))
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (var in = new FileInputStream(store.toFile())) {
      ks.load(in, PASS);
    }
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Files.writeString(cert, pem("CERTIFICATE", ks.getCertificate("hotpath").getEncoded()));
    Files.writeString(
        key, pem("PRIVATE KEY", ((PrivateKey) ks.getKey("hotpath", PASS)).getEncoded()));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    trusting = SSLContext.getInstance("TLS");
    trusting.init(null, tmf.getTrustManagers(), null);
    tls =
        App.start(
            TestServer.get()
                .secondInstance(
                    Map.of(
                        "HOTPATH_TLS_CERT", cert.toString(),
                        "HOTPATH_TLS_KEY", key.toString(),
                        // room for the requests here, and a limit a test can fill (with no queue)
                        "HOTPATH_ADMISSION_LIMIT", "4",
                        "HOTPATH_ADMISSION_QUEUE", "0",
                        "HOTPATH_REQUEST_TIMEOUT_MS", "60000")));
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  @AfterAll
  static void stop() {
    tls.close();
  }

  @Test
  void servesHttp2OverTls13NegotiatedByAlpnWithHsts() throws Exception {
    HttpClient client =
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(trusting).build();
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(
                    URI.create("https://localhost:" + tls.port() + "/v1/customers?limit=1"))
                .header("Authorization", "Bearer " + Tokens.get().service())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(r.sslSession())
        .hasValueSatisfying(s -> assertThat(s.getProtocol()).isEqualTo("TLSv1.3"));
    assertThat(r.headers().firstValue("Strict-Transport-Security"))
        .hasValueSatisfying(h -> assertThat(h).startsWith("max-age="));
    assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
  }

  @Test
  void refusesTls12() throws Exception {
    try (SSLSocket socket =
        (SSLSocket) trusting.getSocketFactory().createSocket("localhost", tls.port())) {
      socket.setEnabledProtocols(new String[] {"TLSv1.2"});
      socket.setSoTimeout(5_000);
      assertThatThrownBy(socket::startHandshake).isInstanceOf(SSLHandshakeException.class);
    }
  }

  /** A TLS connection over which {@code text} is sent at once. */
  private static SSLSocket send(String text) throws Exception {
    SSLSocket socket =
        (SSLSocket) trusting.getSocketFactory().createSocket("localhost", tls.port());
    socket.setSoTimeout(60_000);
    socket.getOutputStream().write(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    return socket;
  }

  /** Reads one response (head and a Content-Length body) and returns its head. */
  private static String readHead(java.io.InputStream in) throws Exception {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      assertThat(c).as("a whole response head: " + head).isNotNegative();
      head.append((char) c);
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    in.readNBytes(length);
    return head.toString();
  }

  @Test
  void aRefusalOverTlsCarriesHstsAndLeavesAfterTheResponsePipelinedBeforeIt() throws Exception {
    java.util.List<SSLSocket> holders = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) { // every slot, held by an order whose body never comes
        holders.add(
            send(
                "POST /v1/orders HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                    + Tokens.get().service()
                    + "\r\nContent-Type: application/json\r\nIdempotency-Key: "
                    + java.util.UUID.randomUUID()
                    + "\r\nContent-Length: 100\r\n\r\n"));
      }
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(30))
          .until(() -> tls.gatekeeper().admission().inFlight() == 4);
      // a probe and an API request in one write: the probe's answer, written above the TLS
      // pipeline's chunked writer, still comes before the refusal, written below the encoder
      try (SSLSocket client =
          send(
              "GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n"
                  + "GET /v1/orders/1 HTTP/1.1\r\nHost: localhost\r\n\r\n")) {
        assertThat(readHead(client.getInputStream())).startsWith("HTTP/1.1 200");
        String refusal = readHead(client.getInputStream());
        assertThat(refusal).startsWith("HTTP/1.1 503");
        assertThat(refusal.toLowerCase(java.util.Locale.ROOT))
            .contains("strict-transport-security: max-age=")
            .contains("retry-after: 1")
            .contains("content-type: application/problem+json");
      }
    } finally {
      for (SSLSocket s : holders) {
        s.close();
      }
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(30))
          .until(() -> tls.gatekeeper().admission().inFlight() == 0);
    }
  }

  @Test
  void resumesTlsSessions() throws Exception {
    long[] created = new long[2];
    for (int i = 0; i < 2; i++) {
      try (SSLSocket socket =
          (SSLSocket) trusting.getSocketFactory().createSocket("localhost", tls.port())) {
        socket.setSoTimeout(5_000);
        socket.startHandshake();
        // TLS 1.3 sends its tickets after the handshake: a request and its answer bring them
        socket.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
        socket.getInputStream().read(new byte[1024]);
        created[i] = socket.getSession().getCreationTime();
      }
    }
    assertThat(created[1])
        .as("the second connection resumed the first session")
        .isEqualTo(created[0]);
  }
}
