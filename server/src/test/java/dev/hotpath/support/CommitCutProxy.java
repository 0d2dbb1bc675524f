package dev.hotpath.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A TCP forwarder between a server and PostgreSQL that can lose a COMMIT's answer: armed with a
 * marker, the first connection whose client bytes carried the marker and then a simple-query {@code
 * COMMIT} has that COMMIT forwarded to PostgreSQL, and its client side closed at once, so the
 * client never hears whether it committed; the database side stays open until PostgreSQL's {@code
 * COMMIT} command tag has come back (the transaction has committed), then closes. Otherwise it
 * passes bytes through. It matches two byte strings in the stream, it does not decode the protocol
 * (no TLS: the embedded database's URL has none).
 */
public final class CommitCutProxy implements AutoCloseable {
  /** A simple query {@code COMMIT}: 'Q', length 11, the text and its NUL. */
  private static final byte[] COMMIT_QUERY = bytes("Q\0\0\0\u000bCOMMIT\0");

  /** PostgreSQL's CommandComplete for it: 'C', length 11, the tag and its NUL. */
  private static final byte[] COMMIT_DONE = bytes("C\0\0\0\u000bCOMMIT\0");

  private final ServerSocket listener;
  private final String targetHost;
  private final int targetPort;
  private final AtomicReference<byte[]> armed = new AtomicReference<>();
  private final CountDownLatch committed = new CountDownLatch(1);
  private volatile boolean closed;

  private CommitCutProxy(String targetHost, int targetPort) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::accept, "commit-cut-proxy");
    accept.setDaemon(true);
    accept.start();
  }

  /** Forwards a port of its own to {@code host:port}. */
  public static CommitCutProxy to(String host, int port) {
    try {
      return new CommitCutProxy(host, port);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return listener.getLocalPort();
  }

  /** Cuts the next COMMIT sent on a connection whose client bytes carried {@code marker}. */
  public void cutCommitAfter(String marker) {
    armed.set(bytes(marker));
  }

  /** Waits until the COMMIT it cut has committed at PostgreSQL; false if none did in time. */
  public boolean awaitCutCommitted(long seconds) throws InterruptedException {
    return committed.await(seconds, TimeUnit.SECONDS);
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket database = new Socket(targetHost, targetPort);
        client.setTcpNoDelay(true);
        database.setTcpNoDelay(true);
        Link link = new Link(client, database);
        start(link::up, "commit-cut-proxy-up");
        start(link::down, "commit-cut-proxy-down");
      } catch (IOException e) {
        if (!closed) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }

  private static void start(Runnable pump, String name) {
    Thread t = new Thread(pump, name);
    t.setDaemon(true);
    t.start();
  }

  /** One client connection and its connection to the database. */
  private final class Link {
    final Socket client;
    final Socket database;
    volatile boolean cut;

    Link(Socket client, Socket database) {
      this.client = client;
      this.database = database;
    }

    /** Client to database: finds the marker, then the COMMIT to cut. */
    void up() {
      Matcher marker = null;
      Matcher commit = new Matcher(COMMIT_QUERY);
      boolean marked = false;
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = client.getInputStream()) {
        OutputStream out = database.getOutputStream();
        int n;
        while ((n = in.read(buffer)) > 0) {
          byte[] wanted = armed.get();
          if (wanted != null && (marker == null || marker.pattern != wanted)) {
            marker = new Matcher(wanted);
          }
          int forward = n;
          for (int i = 0; i < n && wanted != null; i++) {
            marked |= marker.next(buffer[i]);
            if (marked && commit.next(buffer[i]) && armed.compareAndSet(wanted, null)) {
              forward = i + 1;
              cut = true;
              break;
            }
          }
          out.write(buffer, 0, forward);
          out.flush();
          if (cut) {
            client.close();
            return;
          }
        }
      } catch (IOException e) {
        // either side went away
      }
      quietly(database);
    }

    /** Database to client: after a cut, waits for the COMMIT's tag and drops everything. */
    void down() {
      Matcher done = new Matcher(COMMIT_DONE);
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = database.getInputStream()) {
        OutputStream out = client.getOutputStream();
        int n;
        while ((n = in.read(buffer)) > 0) {
          if (cut) {
            for (int i = 0; i < n; i++) {
              if (done.next(buffer[i])) {
                committed.countDown();
                quietly(database);
                return;
              }
            }
            continue;
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // either side went away
      }
      if (!cut) {
        quietly(client);
      }
    }
  }

  /** Finds a byte string in a stream fed one byte at a time (the pattern has no self-overlap). */
  private static final class Matcher {
    final byte[] pattern;
    int matched;

    Matcher(byte[] pattern) {
      this.pattern = pattern;
    }

    boolean next(byte b) {
      if (b == pattern[matched]) {
        matched++;
      } else {
        matched = b == pattern[0] ? 1 : 0;
      }
      if (matched == pattern.length) {
        matched = 0;
        return true;
      }
      return false;
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static void quietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException ignored) {
      // closing
    }
  }
}
