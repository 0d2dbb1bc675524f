package dev.hotpath.grpc;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.hotpath.proto.v1.CustomersServiceGrpc;
import dev.hotpath.proto.v1.Order;
import dev.hotpath.proto.v1.OrdersServiceGrpc;
import dev.hotpath.proto.v1.ProductsServiceGrpc;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The gRPC services (api/proto) as the REST routes they stand for, one line per method: a read is
 * the GET of its route, with the request's {@code id} in the path and its other set fields as the
 * query parameters of the same names; {@code CreateOrder} is {@code POST /v1/orders}. The answers
 * are sent as the bytes the route answered ({@link Bridge}), so the methods are bound with a
 * pass-through answer marshaller; the services keep the generated descriptors' schema, which server
 * reflection serves.
 */
final class Services {
  private Services() {}

  /** Every service, bound to {@code bridge}. */
  static List<ServerServiceDefinition> bind(Bridge bridge) {
    return List.of(
        service(
            OrdersServiceGrpc.getServiceDescriptor(),
            bridge,
            get(OrdersServiceGrpc.getGetOrderMethod(), "/v1/orders/{id}"),
            get(OrdersServiceGrpc.getListCustomerOrdersMethod(), "/v1/customers/{id}/orders"),
            post(
                OrdersServiceGrpc.getCreateOrderMethod(),
                "/v1/orders",
                Order.getDefaultInstance())),
        service(
            CustomersServiceGrpc.getServiceDescriptor(),
            bridge,
            get(CustomersServiceGrpc.getGetCustomerMethod(), "/v1/customers/{id}"),
            get(CustomersServiceGrpc.getListCustomersMethod(), "/v1/customers")),
        service(
            ProductsServiceGrpc.getServiceDescriptor(),
            bridge,
            get(ProductsServiceGrpc.getGetProductMethod(), "/v1/products/{id}"),
            get(ProductsServiceGrpc.getListProductsMethod(), "/v1/products")));
  }

  /**
   * A method and the route it stands for; {@code answer} set for a write (its JSON answer's type).
   */
  private record Route(
      MethodDescriptor<Message, ?> method, String template, @Nullable Message answer) {
    void call(Bridge bridge, Message request, io.grpc.stub.StreamObserver<byte[]> out) {
      if (answer != null) {
        bridge.post(template, request, answer, out);
      } else {
        bridge.get(uri(request), out);
      }
    }

    /** The template with the request's id, then its other set fields as query parameters. */
    String uri(Message request) {
      StringBuilder uri = new StringBuilder(64);
      int id = template.indexOf("{id}");
      FieldDescriptor idField = request.getDescriptorForType().findFieldByName("id");
      if (id >= 0) {
        uri.append(template, 0, id)
            .append(request.getField(idField))
            .append(template, id + 4, template.length());
      } else {
        uri.append(template);
      }
      char separator = '?';
      for (FieldDescriptor field : request.getDescriptorForType().getFields()) {
        // a field without presence "has" a value when it is not the default (0, "")
        if (field != idField && request.hasField(field)) {
          uri.append(separator)
              .append(field.getName())
              .append('=')
              .append(
                  URLEncoder.encode(
                      String.valueOf(request.getField(field)), StandardCharsets.UTF_8));
          separator = '&';
        }
      }
      return uri.toString();
    }
  }

  @SuppressWarnings("unchecked")
  private static Route get(MethodDescriptor<? extends Message, ?> method, String template) {
    return new Route((MethodDescriptor<Message, ?>) method, template, null);
  }

  @SuppressWarnings("unchecked")
  private static Route post(
      MethodDescriptor<? extends Message, ?> method, String template, Message answer) {
    return new Route((MethodDescriptor<Message, ?>) method, template, answer);
  }

  private static ServerServiceDefinition service(
      ServiceDescriptor generated, Bridge bridge, Route... routes) {
    if (routes.length != generated.getMethods().size()) {
      throw new IllegalStateException(
          generated.getName()
              + " has "
              + generated.getMethods().size()
              + " methods, bound "
              + routes.length);
    }
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(generated.getName())
            .setSchemaDescriptor(generated.getSchemaDescriptor());
    List<MethodDescriptor<Object, byte[]>> methods = new ArrayList<>();
    for (Route route : routes) {
      MethodDescriptor<Object, byte[]> method =
          route.method().toBuilder(lenient(route.method()), BYTES).build();
      methods.add(method);
      descriptor.addMethod(method);
    }
    ServerServiceDefinition.Builder service = ServerServiceDefinition.builder(descriptor.build());
    for (int i = 0; i < routes.length; i++) {
      Route route = routes[i];
      service.addMethod(
          methods.get(i),
          ServerCalls.asyncUnaryCall(
              (Object request, io.grpc.stub.StreamObserver<byte[]> out) -> {
                if (request instanceof Malformed malformed) {
                  out.onError(
                      Status.INVALID_ARGUMENT.withDescription(malformed.reason()).asException());
                } else {
                  route.call(bridge, (Message) request, out);
                }
              }));
    }
    return service.build();
  }

  /** A request message that did not parse, and why: answered {@code INVALID_ARGUMENT}. */
  private record Malformed(String reason) {}

  /**
   * The generated request marshaller, except that bytes which are not the method's message (a
   * truncated field, a wrong wire type, a string that is not UTF-8) parse to {@link Malformed}
   * rather than throw: thrown from a marshaller, grpc-java answers {@code UNKNOWN} "Application
   * error processing RPC" and logs a stack trace, where the caller needs to hear what is wrong.
   */
  private static MethodDescriptor.Marshaller<Object> lenient(MethodDescriptor<Message, ?> method) {
    MethodDescriptor.Marshaller<Message> generated = method.getRequestMarshaller();
    String type =
        method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> prototype
                && prototype.getMessagePrototype() instanceof Message message
            ? message.getDescriptorForType().getFullName()
            : method.getFullMethodName() + "'s request";
    return new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(Object value) {
        return generated.stream((Message) value);
      }

      @Override
      public Object parse(InputStream stream) {
        try {
          return generated.parse(stream);
        } catch (StatusRuntimeException e) {
          Throwable cause = e.getCause() != null ? e.getCause() : e;
          return new Malformed(
              "The request is not a valid " + type + " message: " + cause.getMessage());
        }
      }
    };
  }

  /** An answer already encoded: written to the call as it is. */
  static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new Encoded(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  /** Bytes of known length that gRPC copies straight into its frame. */
  private static final class Encoded extends ByteArrayInputStream
      implements KnownLength, Drainable {
    Encoded(byte[] bytes) {
      super(bytes);
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int n = count - pos;
      target.write(buf, pos, n);
      pos = count;
      return n;
    }
  }
}
