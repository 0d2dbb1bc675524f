package dev.hotpath.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.hotpath.proto.v1.CustomersServiceGrpc;
import dev.hotpath.proto.v1.OrdersServiceGrpc;
import dev.hotpath.proto.v1.ProductsServiceGrpc;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The {@code grpcurl} calls of the README's gRPC section run against the test server, as grpcurl
 * would make them (grpcurl is not packaged here, so this test parses each line: its {@code -H}
 * metadata, its {@code -d} JSON and its method), and each must succeed; the address they name must
 * be the port the section's server is started on.
 */
class ReadmeGrpcExampleTest {
  private static final Pattern HEADER = Pattern.compile("-H \"([^:\"]+): ([^\"]*)\"");
  private static final Pattern DATA = Pattern.compile("-d '([^']*)'");
  private static final Pattern TOKEN =
      Pattern.compile("\\$\\(\\./hotpath token --sub (\\S+) --scope (\\S+)\\)");
  private static final Pattern PORT = Pattern.compile("HOTPATH_GRPC_PORT=(\\d+)");
  private static final List<ServiceDescriptor> SERVICES =
      List.of(
          OrdersServiceGrpc.getServiceDescriptor(),
          CustomersServiceGrpc.getServiceDescriptor(),
          ProductsServiceGrpc.getServiceDescriptor());

  @Test
  void everyGrpcurlCallOfTheReadmeSucceeds() throws Exception {
    List<String> lines = section(Files.readAllLines(Path.of("..", "README.md")));
    String port =
        lines.stream()
            .map(PORT::matcher)
            .filter(Matcher::find)
            .map(m -> m.group(1))
            .findFirst()
            .orElseThrow(() -> new AssertionError("the section starts no gRPC server"));
    // the token the section mints, with its subject and scopes, signed by the test keys
    Matcher minted =
        lines.stream()
            .map(TOKEN::matcher)
            .filter(Matcher::find)
            .findFirst()
            .orElseThrow(() -> new AssertionError("the section mints no token"));
    String token =
        Tokens.get()
            .builder()
            .sub(minted.group(1))
            .scopes(Arrays.asList(minted.group(2).split(",")))
            .es256();
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", TestServer.get().app().grpcPort().orElseThrow())
            .usePlaintext()
            .build();
    int calls = 0;
    try {
      for (String line : lines) {
        if (!line.startsWith("grpcurl ")) {
          continue;
        }
        assertThat(line).as(line).contains(" localhost:" + port + " ").contains("-plaintext");
        if (line.endsWith(" list")) {
          continue; // reflection: GrpcApiTest lists the services
        }
        String[] words = line.split(" ");
        MethodDescriptor<Message, Message> method = method(words[words.length - 1]);
        Message.Builder request = prototype(method).newBuilderForType();
        Matcher data = DATA.matcher(line);
        if (data.find()) {
          JsonFormat.parser().merge(data.group(1), request);
        }
        Metadata metadata = new Metadata();
        Matcher header = HEADER.matcher(line);
        while (header.find()) {
          metadata.put(
              Metadata.Key.of(header.group(1), Metadata.ASCII_STRING_MARSHALLER),
              header.group(2).replace("$token", token));
        }
        Message answer =
            ClientCalls.blockingUnaryCall(
                ClientInterceptors.intercept(
                    channel, MetadataUtils.newAttachHeadersInterceptor(metadata)),
                method,
                CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                request.build());
        assertThat(answer.getAllFields()).as(line).isNotEmpty();
        calls++;
      }
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    assertThat(calls).as("grpcurl calls run").isGreaterThanOrEqualTo(3);
  }

  /** The lines of the README's "### gRPC" section, continuation lines joined. */
  private static List<String> section(List<String> readme) {
    List<String> out = new ArrayList<>();
    boolean in = false;
    for (String line : readme) {
      if (line.startsWith("#")) {
        in = line.equals("### gRPC");
        continue;
      }
      if (in) {
        out.add(line.strip());
      }
    }
    assertThat(out).as("the README has a ### gRPC section").isNotEmpty();
    return out;
  }

  @SuppressWarnings("unchecked")
  private static MethodDescriptor<Message, Message> method(String fullName) {
    for (ServiceDescriptor service : SERVICES) {
      for (MethodDescriptor<?, ?> m : service.getMethods()) {
        if (m.getFullMethodName().equals(fullName)) {
          return (MethodDescriptor<Message, Message>) m;
        }
      }
    }
    throw new AssertionError("no such method: " + fullName);
  }

  private static Message prototype(MethodDescriptor<Message, Message> method) {
    return (Message)
        ((MethodDescriptor.PrototypeMarshaller<?>) method.getRequestMarshaller())
            .getMessagePrototype();
  }
}
