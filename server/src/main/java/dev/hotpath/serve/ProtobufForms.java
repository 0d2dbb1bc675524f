package dev.hotpath.serve;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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
import java.util.ArrayList;
import java.util.List;

/**
 * The protobuf form of a representation (messages of api/proto), made from its JSON form: the
 * messages mirror the JSON representations field for field (same names, a test keeps them so), so
 * one streaming pass over the JSON writes the message's bytes and a sparse fieldset or a null
 * leaves its fields absent. Cached representations are encoded once per entry; pages that are not
 * cached are encoded per request.
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
   * The JSON bytes {@code json} encoded as {@code prototype}'s message, in one streaming pass over
   * the JSON (no tree, no message is built): the bytes protobuf's own JSON parser and serializer
   * would make, without their cost. Fields are written in the message's field order, whatever the
   * order of the properties. A JSON null or an absent property leaves the field absent; a field
   * without presence (proto3 implicit) at its default is not written, as protobuf does; unknown
   * properties are skipped; a repeated property keeps the last value, as a JSON tree would.
   */
  public static Buffer bytes(Buffer json, Message prototype) {
    try (JsonParser parser = JsonOutput.MAPPER.getFactory().createParser(json.getBytes())) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return Buffer.buffer(new byte[0]); // not an object: no property names a field
      }
      return Buffer.buffer(message(parser, prototype.getDescriptorForType()));
    } catch (IOException e) {
      throw new IllegalStateException("The JSON form is not JSON", e);
    }
  }

  /**
   * The message of {@code type} whose JSON object the parser is at the start of; on return the
   * parser is at its end.
   */
  private static byte[] message(JsonParser parser, Descriptor type) throws IOException {
    List<FieldDescriptor> fields = type.getFields();
    // by field index: a Long, a String, a byte[] (message) or a List of them (repeated)
    Object[] values = new Object[fields.size()];
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      FieldDescriptor field = type.findFieldByName(parser.currentName());
      JsonToken token = parser.nextToken();
      if (field == null) {
        parser.skipChildren();
      } else if (token == JsonToken.VALUE_NULL) {
        values[field.getIndex()] = null;
      } else if (field.isRepeated()) {
        values[field.getIndex()] = elements(parser, token, field);
      } else {
        values[field.getIndex()] = value(parser, token, field);
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    CodedOutputStream out = CodedOutputStream.newInstance(bytes, 256);
    for (FieldDescriptor field : fields) {
      Object value = values[field.getIndex()];
      if (value == null) {
        continue;
      }
      if (field.isRepeated()) {
        for (Object element : (List<?>) value) {
          write(out, field, element);
        }
      } else if (field.hasPresence() || !isDefault(value)) {
        write(out, field, value);
      }
    }
    out.flush();
    return bytes.toByteArray();
  }

  /** The elements of a repeated field: an array's, or an object's property values. */
  private static List<Object> elements(JsonParser parser, JsonToken token, FieldDescriptor field)
      throws IOException {
    List<Object> elements = new ArrayList<>();
    if (token == JsonToken.START_ARRAY) {
      for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
        elements.add(value(parser, t, field));
      }
    } else if (token == JsonToken.START_OBJECT) {
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        elements.add(value(parser, parser.nextToken(), field));
      }
    }
    return elements;
  }

  /**
   * The value at {@code token} as {@code field}'s type reads it (as Jackson's tree reads a node: a
   * number from a string, the text of a number), the parser left at its last token.
   */
  private static Object value(JsonParser parser, JsonToken token, FieldDescriptor field)
      throws IOException {
    return switch (field.getJavaType()) {
      case INT -> skipping(parser, token, (long) parser.getValueAsInt());
      case LONG -> skipping(parser, token, parser.getValueAsLong());
      case STRING ->
          token == JsonToken.VALUE_NULL
              ? "null"
              : token.isScalarValue() ? parser.getText() : skipping(parser, token, "");
      case MESSAGE ->
          token == JsonToken.START_OBJECT
              ? message(parser, field.getMessageType())
              : skipping(parser, token, new byte[0]);
      default ->
          throw new IllegalStateException(
              field.getFullName() + " is a " + field.getJavaType() + ": not in the JSON forms");
    };
  }

  /** {@code value}, once the parser has passed the object or array {@code token} starts. */
  private static Object skipping(JsonParser parser, JsonToken token, Object value)
      throws IOException {
    if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
      parser.skipChildren();
    }
    return value;
  }

  private static boolean isDefault(Object value) {
    return value instanceof Long n ? n == 0 : value instanceof String text && text.isEmpty();
  }

  private static void write(CodedOutputStream out, FieldDescriptor field, Object value)
      throws IOException {
    int number = field.getNumber();
    switch (field.getJavaType()) {
      case INT -> out.writeInt32(number, (int) (long) (Long) value);
      case LONG -> out.writeInt64(number, (Long) value);
      case STRING -> out.writeString(number, (String) value);
      default -> out.writeByteArray(number, (byte[]) value);
    }
  }
}
