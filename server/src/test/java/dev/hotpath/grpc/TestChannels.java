package dev.hotpath.grpc;

import io.grpc.Attributes;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;

/** Plaintext channels to a gRPC port on this machine. */
final class TestChannels {
  private TestChannels() {}

  /**
   * A channel to {@code port} on 127.0.0.1 whose connections leave from {@code address} (e.g.
   * 127.0.0.51): a caller address of its own, as the server's limits and access log see it.
   */
  static ManagedChannel from(String address, int port) throws UnknownHostException {
    InetAddress local = InetAddress.getByName(address);
    return NettyChannelBuilder.forAddress("127.0.0.1", port)
        .usePlaintext()
        .localSocketPicker(
            new NettyChannelBuilder.LocalSocketPicker() {
              @Override
              public SocketAddress createSocketAddress(SocketAddress remote, Attributes attrs) {
                return new InetSocketAddress(local, 0);
              }
            })
        .build();
  }
}
