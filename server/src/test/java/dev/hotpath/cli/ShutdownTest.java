package dev.hotpath.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.support.ChildServer;
import dev.hotpath.support.Contracts;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM to a real server process under keep-alive load, over real sockets. Regression test of
 * issue 24 item 9: requests sent within 0.15 s of the signal were reset with no answer, because
 * readiness turned 503 at the very moment the listener closed.
 */
class ShutdownTest {
  private static final long DELAY_MS = 2_000;
  private static final int CLIENTS = 4;

  private final TestServer shared = TestServer.get();

  @Test
  void sigtermUnderKeepAliveLoadAnswersEveryRequestAndExitsZero() throws Exception {
    Path log = Files.createTempFile("hotpath-shutdown-", ".log");
    Map<String, String> env = new HashMap<>();
    env.put("HOTPATH_DATABASE_URL", shared.databaseUrl());
    env.put("HOTPATH_SHUTDOWN_DELAY_MS", Long.toString(DELAY_MS));
    env.put("HOTPATH_SHUTDOWN_GRACE_MS", "10000");
    env.put("HOTPATH_H2C", "on");
    env.put("HOTPATH_ADMISSION_MIN_LIMIT", "2000");
    env.put("HOTPATH_ADMISSION_MAX_LIMIT", "10000");
    ChildServer server = ChildServer.start(ChildServer.freePort(), env, log);
    ExecutorService threads = Executors.newFixedThreadPool(CLIENTS + 1);
    Vertx vertx = Vertx.vertx();
    try {
      server.awaitReady(Duration.ofSeconds(90));
      int port = server.port();

      // keep-alive load: each client sends on one connection until the server says it closes
      Queue<String> unanswered = new ConcurrentLinkedQueue<>();
      Queue<Long> answeredAt = new ConcurrentLinkedQueue<>();
      AtomicInteger answers = new AtomicInteger();
      AtomicLong firstClose = new AtomicLong();
      CountDownLatch closing = new CountDownLatch(1);
      List<Future<Reply>> clients = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        int client = c;
        clients.add(
            threads.submit(
                () -> load(port, client, unanswered, answeredAt, answers, firstClose, closing)));
      }
      Monitor readiness = new Monitor(port);
      Future<?> monitor = threads.submit(readiness);
      await().atMost(Duration.ofSeconds(30)).until(() -> answers.get() >= 40 * CLIENTS);
      assertThat(unanswered).isEmpty();

      // a request in flight when the drain begins: its head now, its body once connections close
      byte[] batch = "{\"ids\":[1,2,3]}".getBytes(StandardCharsets.UTF_8);
      Conn slow = new Conn(port);
      slow.write(
          "POST /v1/customers/batch-get HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
              + Tokens.get().service()
              + "\r\nContent-Type: application/json\r\nContent-Length: "
              + batch.length
              + "\r\n\r\n");

      // an HTTP/2 connection, to be told GOAWAY
      CountDownLatch goAway = new CountDownLatch(1);
      HttpClientAgent h2 =
          vertx.createHttpClient(
              new HttpClientOptions()
                  .setProtocolVersion(HttpVersion.HTTP_2)
                  .setHttp2ClearTextUpgrade(false));
      int h2Status =
          h2.request(HttpMethod.GET, port, "localhost", "/health/live")
              .compose(
                  req -> {
                    req.connection().goAwayHandler(g -> goAway.countDown());
                    return req.send();
                  })
              .compose(response -> response.end().map(v -> response.statusCode()))
              .await(30, TimeUnit.SECONDS);
      assertThat(h2Status).isEqualTo(200);

      long signalled = System.nanoTime();
      server.process().destroy(); // SIGTERM

      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> closing.getCount() == 0 || !unanswered.isEmpty());
      assertThat(unanswered).as("requests sent and never answered").isEmpty();
      assertThat(firstClose.get() - signalled)
          .as("connections close only after the shutdown delay")
          .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(DELAY_MS));
      slow.out.write(batch);
      slow.out.flush();
      Reply inFlight = slow.read();
      assertThat(inFlight.status()).as(inFlight.body()).isEqualTo(200);
      assertThat(inFlight.closes()).isTrue();
      JsonNode found = Contracts.instance().mapper().readTree(inFlight.body());
      assertThat(Contracts.instance().validate("CustomerBatch", found)).isEmpty();
      assertThat(found.get("data")).hasSize(3);
      assertThat(slow.in.read()).as("closed after its answer").isEqualTo(-1);
      slow.close();

      for (Future<Reply> client : clients) {
        Reply last = client.get(60, TimeUnit.SECONDS);
        assertThat(last.closes()).isTrue();
      }
      assertThat(goAway.await(30, TimeUnit.SECONDS)).as("GOAWAY on HTTP/2").isTrue();
      assertThat(server.process().waitFor(60, TimeUnit.SECONDS)).as("exited").isTrue();
      assertThat(server.process().exitValue()).isZero();
      monitor.get(60, TimeUnit.SECONDS);

      assertThat(unanswered).as("requests sent and never answered").isEmpty();
      assertThat(readiness.first503).as("readiness answered 503").isPositive();
      assertThat(readiness.refused).as("the listener closed").isPositive();
      assertThat(readiness.first503).isLessThan(readiness.refused);
      assertThat(answeredAt.stream().filter(t -> t > readiness.first503).count())
          .as("requests served normally after readiness turned 503")
          .isPositive();
    } finally {
      threads.shutdownNow();
      vertx.close().await(10, TimeUnit.SECONDS);
      server.kill();
    }
  }

  /**
   * One keep-alive client: sends GETs one after another on one connection until an answer says
   * {@code Connection: close}, which it returns (a balancer would not open another: readiness has
   * been 503 for the delay). A request that gets no answer is recorded in {@code unanswered}.
   */
  private static Reply load(
      int port,
      int client,
      Queue<String> unanswered,
      Queue<Long> answeredAt,
      AtomicInteger answers,
      AtomicLong firstClose,
      CountDownLatch closing)
      throws IOException {
    try (Conn conn = new Conn(port)) {
      for (int n = 0; ; n++) {
        long id = 1 + (client * 7L + n) % 50;
        String path = n % 2 == 0 ? "/v1/products/" + id : "/v1/customers/" + id;
        Reply reply;
        try {
          conn.write(
              "GET "
                  + path
                  + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                  + Tokens.get().service()
                  + "\r\n\r\n");
          reply = conn.read();
        } catch (IOException e) {
          unanswered.add("client " + client + ", request " + n + " (" + path + "): " + e);
          throw e;
        }
        if (reply.status() != 200) {
          unanswered.add("client " + client + ": " + path + " -> " + reply.status());
        }
        answeredAt.add(System.nanoTime());
        answers.incrementAndGet();
        if (reply.closes()) {
          firstClose.compareAndSet(0, System.nanoTime());
          closing.countDown();
          assertThat(conn.in.read()).as("closed after the answer that said so").isEqualTo(-1);
          return reply;
        }
      }
    }
  }

  /**
   * Polls {@code /health/ready} on a new connection every 20 ms: when it first answers 503 and when
   * a connection is first refused (the listener has closed).
   */
  private static final class Monitor implements Runnable {
    private final int port;
    volatile long first503;
    volatile long refused;

    Monitor(int port) {
      this.port = port;
    }

    @Override
    public void run() {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (System.nanoTime() < end) {
        try (Conn conn = new Conn(port)) {
          conn.write("GET /health/ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
          Reply reply = conn.read();
          if (reply.status() == 503 && first503 == 0) {
            first503 = System.nanoTime();
          }
        } catch (ConnectException e) {
          refused = System.nanoTime();
          return;
        } catch (IOException e) {
          // accepted as the listener closed: not a request of the load, try again
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** An answer: status, header fields (names in lower case) and body. */
  private record Reply(int status, Map<String, String> headers, String body) {
    boolean closes() {
      return "close".equalsIgnoreCase(headers.getOrDefault("connection", ""));
    }
  }

  /** One HTTP/1.1 connection, written and read by hand: nothing retries or hides a reset. */
  private static final class Conn implements Closeable {
    final Socket socket;
    final InputStream in;
    final OutputStream out;

    Conn(int port) throws IOException {
      socket = new Socket("localhost", port);
      socket.setSoTimeout(30_000);
      in = new BufferedInputStream(socket.getInputStream());
      out = socket.getOutputStream();
    }

    void write(String text) throws IOException {
      out.write(text.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    Reply read() throws IOException {
      String status = line();
      int code = Integer.parseInt(status.split(" ")[1]);
      Map<String, String> headers = new HashMap<>();
      for (String h = line(); !h.isEmpty(); h = line()) {
        int colon = h.indexOf(':');
        headers.put(
            h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      if (headers.containsKey("content-length")) {
        body.write(bytes(Integer.parseInt(headers.get("content-length"))));
      } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        for (int size = Integer.parseInt(line().split(";")[0].trim(), 16);
            size > 0;
            size = Integer.parseInt(line().split(";")[0].trim(), 16)) {
          body.write(bytes(size));
          line();
        }
        line();
      }
      return new Reply(code, headers, body.toString(StandardCharsets.UTF_8));
    }

    private byte[] bytes(int n) throws IOException {
      byte[] b = in.readNBytes(n);
      if (b.length < n) {
        throw new EOFException("connection closed in the middle of a body");
      }
      return b;
    }

    private String line() throws IOException {
      StringBuilder s = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c == -1) {
          throw new EOFException("connection closed before a complete answer: " + s);
        }
        if (c != '\r') {
          s.append((char) c);
        }
      }
      return s.toString();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
