package dev.hotpath.support;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.hotpath.ingest.ProtobufBodies;

/** Protobuf messages of api/proto read as the JSON of the REST API, and back, for comparisons. */
public final class ProtoJson {
  private ProtoJson() {}

  /** The message's fields that are present, by their (snake_case) names, numbers as numbers. */
  public static ObjectNode tree(Message message) {
    return ProtobufBodies.tree(message);
  }

  /** A JSON body of the REST API read into {@code prototype}'s message (nulls read as absent). */
  @SuppressWarnings("unchecked")
  public static <T extends Message> T parse(String json, T prototype) {
    Message.Builder builder = prototype.newBuilderForType();
    try {
      JsonFormat.parser().merge(json, builder);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("JSON does not fit " + prototype.getDescriptorForType(), e);
    }
    return (T) builder.build();
  }
}
