package dev.hotpath.edge;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The bound on connections open in the process ({@code HOTPATH_MAX_CONNECTIONS}), kept where
 * connections are accepted: a Vert.x transport whose listening channels (the HTTP server's and the
 * gRPC server's, which uses the same Vert.x) count each accepted connection and close one past the
 * bound at once, on the acceptor thread, before it is handed to an event loop.
 *
 * <p>Kept by the event loops instead (until 2026-12-07), the bound held only while they ran: a
 * closed-loop or open-model client that met a slow server opened more connections, each accepted
 * connection waited for a stalled event loop to close it, and a mixed load of 1,500 requests a
 * second on a busy machine took the demo server to 19,944 open descriptors against a bound of
 * 10,000, its heap full of them and every collection a full one of 1-14 s, until the process
 * answered nothing. Here a connection beyond the bound never reaches an event loop, whatever they
 * are doing.
 *
 * <p>A listener of its own ({@code HOTPATH_OPS_PORT}: health, metrics, admin) is not counted in
 * that bound, so that a probe is answered while clients hold every API connection; it has a small
 * bound of its own instead. Which listener a channel is is decided once, when it is bound (its
 * local port), by swapping the gate of that one listening channel: an accepted connection pays
 * nothing for it, and without a listener of its own nothing is swapped.
 */
public final class ConnectionBound {
  private ConnectionBound() {}

  /**
   * {@code transport} with the bound: at most {@code max} connections counted in {@code open},
   * except that the connections of the listener on {@code ownPort} (0: none) are counted in {@code
   * ownOpen} and bounded by {@code ownMax} instead.
   */
  public static io.vertx.core.transport.Transport of(
      io.vertx.core.transport.Transport transport,
      AtomicInteger open,
      int max,
      int ownPort,
      AtomicInteger ownOpen,
      int ownMax) {
    io.vertx.core.spi.transport.Transport bounded =
        new Bounded(
            transport.implementation(),
            new Gate(open, max, ownPort, ownPort > 0 ? new Gate(ownOpen, ownMax, 0, null) : null));
    return new io.vertx.core.transport.Transport() {
      @Override
      public String name() {
        return transport.name();
      }

      @Override
      public boolean available() {
        return transport.available();
      }

      @Override
      public Throwable unavailabilityCause() {
        return transport.unavailabilityCause();
      }

      @Override
      public io.vertx.core.spi.transport.Transport implementation() {
        return bounded;
      }
    };
  }

  /**
   * Counts each accepted connection; one past the bound is closed before it is registered. A
   * listening channel bound to {@code ownPort} gets the {@code own} gate in its place when it
   * becomes active (bound), before it accepts anything.
   */
  @ChannelHandler.Sharable
  private static final class Gate extends ChannelInboundHandlerAdapter {
    private final AtomicInteger open;
    private final int max;
    private final int ownPort;
    private final @Nullable Gate own;

    Gate(AtomicInteger open, int max, int ownPort, @Nullable Gate own) {
      this.open = open;
      this.max = max;
      this.ownPort = ownPort;
      this.own = own;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      if (own != null
          && ctx.channel().localAddress() instanceof java.net.InetSocketAddress local
          && local.getPort() == ownPort) {
        ctx.pipeline().replace(this, null, own);
      }
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Channel child = (Channel) msg;
      if (open.incrementAndGet() > max) {
        open.decrementAndGet();
        child.unsafe().closeForcibly();
        return;
      }
      child.closeFuture().addListener(closed -> open.decrementAndGet());
      ctx.fireChannelRead(child);
    }
  }

  /** The transport's SPI with bounded listening channels; everything else is the transport's. */
  private static final class Bounded implements io.vertx.core.spi.transport.Transport {
    private final io.vertx.core.spi.transport.Transport plain;
    private final Gate gate;

    Bounded(io.vertx.core.spi.transport.Transport plain, Gate gate) {
      this.plain = plain;
      this.gate = gate;
    }

    @Override
    public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
      ChannelFactory<? extends ServerChannel> factory = plain.serverChannelFactory(domainSocket);
      if (domainSocket) {
        return factory;
      }
      return () -> {
        ServerChannel channel = factory.newChannel();
        // first: ahead of the handler the bootstrap adds to set each accepted connection up
        channel.pipeline().addFirst(gate);
        return channel;
      };
    }

    @Override
    public boolean supportsDomainSockets() {
      return plain.supportsDomainSockets();
    }

    @Override
    public boolean supportFileRegion() {
      return plain.supportFileRegion();
    }

    @Override
    public boolean isAvailable() {
      return plain.isAvailable();
    }

    @Override
    public Throwable unavailabilityCause() {
      return plain.unavailabilityCause();
    }

    @Override
    public java.net.SocketAddress convert(io.vertx.core.net.SocketAddress address) {
      return plain.convert(address);
    }

    @Override
    public io.vertx.core.net.SocketAddress convert(java.net.SocketAddress address) {
      return plain.convert(address);
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
      return plain.ioHandlerFactory();
    }

    @Override
    public EventLoopGroup eventLoopGroup(
        int type, int threads, ThreadFactory threadFactory, int ioRatio) {
      return plain.eventLoopGroup(type, threads, threadFactory, ioRatio);
    }

    @Override
    public DatagramChannel datagramChannel() {
      return plain.datagramChannel();
    }

    @Override
    public DatagramChannel datagramChannel(InternetProtocolFamily family) {
      return plain.datagramChannel(family);
    }

    @Override
    public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
      return plain.channelFactory(domainSocket);
    }

    @Override
    public void configure(
        DatagramChannel channel, io.vertx.core.datagram.DatagramSocketOptions options) {
      plain.configure(channel, options);
    }

    @Override
    public void configure(
        io.vertx.core.net.ClientOptionsBase options,
        int connectTimeout,
        boolean domainSocket,
        io.netty.bootstrap.Bootstrap bootstrap) {
      plain.configure(options, connectTimeout, domainSocket, bootstrap);
    }

    @Override
    public void configure(
        io.vertx.core.net.NetServerOptions options,
        boolean domainSocket,
        io.netty.bootstrap.ServerBootstrap bootstrap) {
      plain.configure(options, domainSocket, bootstrap);
    }
  }
}
