package dev.hotpath.store;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.impl.SocketConnectionBase;
import io.vertx.sqlclient.internal.Connection;
import io.vertx.sqlclient.internal.SqlConnectionInternal;
import org.jspecify.annotations.Nullable;

/**
 * Sends the statements a connection's holder queues in one turn of its event loop to PostgreSQL in
 * one socket write, instead of one write per statement.
 *
 * <p>The pg client pipelines: a statement is written as soon as it is executed, without waiting for
 * the answers before it. But it also flushes each one at once, so a transaction whose statements
 * are executed together (an order's BEGIN, key claim and locking read; its saved response and
 * COMMIT) cost one {@code write()} per statement in this process, and as many wake-ups and {@code
 * recvfrom()}s in the backend. Netty's {@link FlushConsolidationHandler}, first in the connection's
 * pipeline, holds the flushes back: those made while the connection's own answers are being read go
 * out when the read ends (a statement executed in a callback of the previous one's answer), and the
 * others once the event loop has finished its current task. The statements, their order, their
 * protocol messages (each its own Sync) and what tracing and the query counts see are unchanged;
 * only the packets are fewer.
 */
public final class CoalescedFlushes {
  static final String HANDLER = "hotpath-coalesced-flushes";

  private CoalescedFlushes() {}

  /**
   * Installs the coalescing on the socket of {@code conn}, a connection the pool has just opened
   * (the pool's connect handler); does nothing when that socket cannot be reached or already has
   * it.
   *
   * @return whether the socket now coalesces its flushes
   */
  public static boolean install(SqlConnection conn) {
    ChannelPipeline pipeline = pipeline(conn);
    if (pipeline == null) {
      return false;
    }
    if (pipeline.get(HANDLER) == null) {
      // first: every write and flush the codec makes passes through it, and every read reaches it
      // before the client's handler (so it knows when a read is in progress)
      pipeline.addFirst(
          HANDLER,
          new FlushConsolidationHandler(
              FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
    }
    return true;
  }

  /** The Netty pipeline of the socket under {@code conn}, or null when it cannot be reached. */
  static @Nullable ChannelPipeline pipeline(SqlConnection conn) {
    if (!(conn instanceof SqlConnectionInternal internal)) {
      return null;
    }
    Connection c = internal.unwrap();
    while (!(c instanceof SocketConnectionBase)) {
      Connection inner = c.unwrap();
      if (inner == c || inner == null) {
        return null;
      }
      c = inner;
    }
    return ((SocketConnectionBase) c).socket().channelHandlerContext().pipeline();
  }
}
