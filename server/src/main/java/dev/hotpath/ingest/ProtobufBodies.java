package dev.hotpath.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.hotpath.http.Format;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.proto.v1.OrderCreate;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/**
 * Bodies sent as protobuf ({@code Content-Type: application/x-protobuf}): decoded into their
 * message and read as the JSON the route validates (present fields by their snake_case names,
 * 64-bit integers as numbers), so that both formats pass one validation, the contract's schema, and
 * one write path.
 */
public final class ProtobufBodies {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ProtobufBodies() {}

  /** The body of an order placement as JSON, whichever format it came in. */
  static Buffer asJson(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    String type = ctx.request().getHeader("Content-Type");
    if (body == null || type == null || !type.equalsIgnoreCase(Format.PROTOBUF.mediaType())) {
      return body;
    }
    try {
      OrderCreate order = OrderCreate.parseFrom(body.getBytes());
      return Buffer.buffer(MAPPER.writeValueAsBytes(tree(order)));
    } catch (InvalidProtocolBufferException e) {
      throw new ProblemException(
          ProblemType.BAD_REQUEST, "The body is not a hotpath.v1.OrderCreate protobuf message");
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a message tree always writes", e);
    }
  }

  /**
   * The present fields of {@code message} as a JSON object, by their snake_case names, 64-bit
   * integers as numbers (where protobuf's own JSON mapping writes strings).
   */
  public static ObjectNode tree(Message message) {
    ObjectNode node = NODES.objectNode();
    for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
      FieldDescriptor fd = field.getKey();
      if (fd.isRepeated()) {
        ArrayNode array = node.putArray(fd.getName());
        for (Object item : (Iterable<?>) field.getValue()) {
          array.add(value(item));
        }
      } else {
        node.set(fd.getName(), value(field.getValue()));
      }
    }
    return node;
  }

  private static JsonNode value(Object value) {
    return switch (value) {
      case Message m -> tree(m);
      case Long l -> NODES.numberNode(l);
      case Integer i -> NODES.numberNode(i);
      default -> NODES.textNode(value.toString());
    };
  }
}
