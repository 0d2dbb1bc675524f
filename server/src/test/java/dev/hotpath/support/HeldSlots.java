package dev.hotpath.support;

import dev.hotpath.App;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.awaitility.Awaitility;

/**
 * Admission slots taken over real sockets by orders whose bodies never arrive: each holds its slot
 * until its socket is closed.
 */
public final class HeldSlots {
  private HeldSlots() {}

  /**
   * Opens {@code n} such requests to {@code instance} and waits until it has {@code n} requests in
   * flight; the caller closes the sockets to give the slots back.
   */
  public static List<Socket> take(App instance, int n) throws IOException {
    return take(instance, n, n);
  }

  /**
   * Opens {@code n} such requests to {@code instance} and waits until it has {@code inFlight}
   * requests in flight (those and others it already had).
   */
  public static List<Socket> take(App instance, int n, int inFlight) throws IOException {
    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Socket socket = new Socket("localhost", instance.port());
      sockets.add(socket);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v1/orders HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                  + Tokens.get().service()
                  + "\r\nContent-Type: application/json\r\nIdempotency-Key: "
                  + UUID.randomUUID()
                  + "\r\nContent-Length: 100\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> instance.gatekeeper().admission().inFlight() == inFlight);
    return sockets;
  }
}
