package dev.hotpath.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.hotpath.http.Format;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Representation;
import dev.hotpath.serve.cache.ResponseCache;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * The protobuf form of a representation (messages of api/proto), made from its JSON form: the
 * messages mirror the JSON representations field for field (same names, a test keeps them so), so
 * one walk of the JSON tree writes the message's bytes and a sparse fieldset or a null leaves its
 * fields absent. Cached representations are encoded once per entry; pages that are not cached are
 * encoded per request.
 */
public final class ProtobufForms {
  private ProtobufForms() {}

  /**
   * A loader of both formats: JSON keys load as {@code json} does; a protobuf key loads the JSON
   * form of the same key and encodes it as {@code prototype}'s message.
   */
  public static ResponseCache.Loader either(ResponseCache.Loader json, Message prototype) {
    return key ->
        key.format() == Format.JSON
            ? json.load(key)
            : json.load(key.json()).map(found -> found.map(rep -> encode(rep, prototype)));
  }

  /**
   * {@code rep} in {@code format}: itself for JSON, else encoded as {@code prototype}'s message.
   */
  public static Representation in(Format format, Representation rep, Message prototype) {
    return format == Format.JSON ? rep : encode(rep, prototype);
  }

  /** The protobuf form of a JSON representation, with its own entity tag. */
  public static Representation encode(Representation json, Message prototype) {
    return json.in(Format.PROTOBUF, bytes(json.body(), prototype));
  }

  /**
   * The JSON bytes {@code json} encoded as {@code prototype}'s message, straight from a tree of the
   * JSON (no message is built): the bytes protobuf's own JSON parser and serializer would make,
   * without their cost. A JSON null or an absent property leaves the field absent; a field without
   * presence (proto3 implicit) at its default is not written, as protobuf does; unknown properties
   * are skipped.
   */
  public static Buffer bytes(Buffer json, Message prototype) {
    JsonNode tree;
    try {
      tree = JsonOutput.MAPPER.readTree(json.getBytes());
    } catch (IOException e) {
      throw new IllegalStateException("The JSON form is not JSON", e);
    }
    return Buffer.buffer(encode(tree, prototype.getDescriptorForType()));
  }

  private static byte[] encode(JsonNode object, Descriptor type) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    CodedOutputStream out = CodedOutputStream.newInstance(bytes, 256);
    try {
      for (FieldDescriptor field : type.getFields()) {
        JsonNode value = object.get(field.getName());
        if (value == null || value.isNull()) {
          continue;
        }
        if (field.isRepeated()) {
          for (JsonNode element : value) {
            write(out, field, element);
          }
        } else if (field.hasPresence() || !isDefault(field, value)) {
          write(out, field, value);
        }
      }
      out.flush();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static boolean isDefault(FieldDescriptor field, JsonNode value) {
    return switch (field.getJavaType()) {
      case INT, LONG -> value.asLong() == 0;
      case STRING -> value.asText().isEmpty();
      default -> false;
    };
  }

  private static void write(CodedOutputStream out, FieldDescriptor field, JsonNode value)
      throws IOException {
    int number = field.getNumber();
    switch (field.getJavaType()) {
      case INT -> out.writeInt32(number, value.asInt());
      case LONG -> out.writeInt64(number, value.asLong());
      case STRING -> out.writeString(number, value.asText());
      case MESSAGE -> out.writeByteArray(number, encode(value, field.getMessageType()));
      default ->
          throw new IllegalStateException(
              field.getFullName() + " is a " + field.getJavaType() + ": not in the JSON forms");
    }
  }
}
