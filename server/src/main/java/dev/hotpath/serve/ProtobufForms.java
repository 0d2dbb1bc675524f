package dev.hotpath.serve;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.NumberInput;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.hotpath.http.Format;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Representation;
import dev.hotpath.serve.cache.ResponseCache;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The protobuf form of a representation (messages of api/proto), made from its JSON form: the
 * messages mirror the JSON representations field for field (same names, a test keeps them so), so
 * one streaming pass over the JSON writes the message's bytes and a sparse fieldset or a null
 * leaves its fields absent. Cached representations are encoded once per entry; pages that are not
 * cached are encoded per request. Orders and pages of orders are not made here: {@link
 * OrderProtobuf} writes them from their rows, to the same bytes.
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
   * {@code rep} in {@code format}: itself when it is in that format already, else (a JSON one)
   * encoded as {@code prototype}'s message.
   */
  public static Representation in(Format format, Representation rep, Message prototype) {
    return rep.format() == format ? rep : encode(rep, prototype);
  }

  /** The protobuf form of a JSON representation, with its own entity tag. */
  public static Representation encode(Representation json, Message prototype) {
    return json.in(Format.PROTOBUF, bytes(json.body(), prototype));
  }

  /**
   * What {@code writer} writes, in {@code format}: its JSON (as {@link JsonOutput#write}), or its
   * protobuf form as {@code prototype}'s message, written straight from the writer's calls with no
   * JSON in between ({@link ProtobufGenerator}); the same bytes as {@link #bytes} of its JSON.
   */
  public static Buffer write(
      Format format, int sizeHint, Message prototype, JsonOutput.Writer writer) {
    if (format == Format.JSON) {
      return JsonOutput.write(sizeHint, writer);
    }
    ProtobufGenerator gen = new ProtobufGenerator(prototype.getDescriptorForType());
    try {
      writer.write(gen);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Buffer.buffer(gen.message());
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
   * The value of the message field {@code field} (not repeated) whose JSON text is {@code json}, as
   * {@link #bytes} reads it in place: null (absent) for a JSON null or no value, an empty message
   * for a value that is not an object.
   */
  static byte @Nullable [] messageField(String json, FieldDescriptor field) {
    try (JsonParser parser = JsonOutput.MAPPER.getFactory().createParser(json)) {
      JsonToken token = parser.nextToken();
      return token == null || token == JsonToken.VALUE_NULL
          ? null
          : (byte[]) value(parser, token, field);
    } catch (IOException e) {
      throw new IllegalStateException("The JSON form is not JSON", e);
    }
  }

  /**
   * The message of {@code type} whose JSON object the parser is at the start of; on return the
   * parser is at its end.
   */
  private static byte[] message(JsonParser parser, Descriptor type) throws IOException {
    Map<String, FieldDescriptor> byName = fieldsOf(type);
    // by field index: a Long, a String, a byte[] (message) or a List of them (repeated)
    Object[] values = new Object[type.getFields().size()];
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      FieldDescriptor field = byName.get(parser.currentName());
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
    return encode(type.getFields(), values);
  }

  /**
   * The bytes of a message whose field values (by field index: a Long, a String, a byte[] for a
   * message, a List of them for a repeated field, null when absent) are {@code values}, in field
   * order.
   */
  static byte[] encode(List<FieldDescriptor> fields, @Nullable Object[] values) {
    for (FieldDescriptor field : fields) {
      Object value = values[field.getIndex()];
      if (value != null && !field.isRepeated() && !field.hasPresence() && isDefault(value)) {
        values[field.getIndex()] = null; // a default without presence: not written
      }
    }
    // sized first, then written into an array of that size: no stream, no copy
    try {
      int[] size = {0};
      each(fields, values, (field, value) -> size[0] += size(field, value));
      byte[] bytes = new byte[size[0]];
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      each(fields, values, (field, value) -> write(out, field, value));
      out.checkNoSpaceLeft();
      return bytes;
    } catch (IOException e) {
      throw new IllegalStateException("a message outgrew its computed size", e);
    }
  }

  /** Something done with each value to write, an element of a repeated field each time. */
  @FunctionalInterface
  private interface Visit {
    void visit(FieldDescriptor field, Object value) throws IOException;
  }

  /** Visits the values set in {@code values}, in field order. */
  private static void each(List<FieldDescriptor> fields, @Nullable Object[] values, Visit visit)
      throws IOException {
    for (FieldDescriptor field : fields) {
      Object value = values[field.getIndex()];
      if (value == null) {
        continue;
      }
      if (field.isRepeated()) {
        for (Object element : (List<?>) value) {
          visit.visit(field, element);
        }
      } else {
        visit.visit(field, value);
      }
    }
  }

  private static int size(FieldDescriptor field, Object value) {
    int number = field.getNumber();
    return switch (field.getJavaType()) {
      case INT -> CodedOutputStream.computeInt32Size(number, (int) (long) (Long) value);
      case LONG -> CodedOutputStream.computeInt64Size(number, (Long) value);
      case STRING -> CodedOutputStream.computeStringSize(number, (String) value);
      default -> CodedOutputStream.computeByteArraySize(number, (byte[]) value);
    };
  }

  /** The fields of {@code type} by name (protobuf's own look-up builds a full name per call). */
  static Map<String, FieldDescriptor> fieldsOf(Descriptor type) {
    Map<String, FieldDescriptor> known = FIELDS.get(type);
    if (known != null) {
      return known;
    }
    Map<String, FieldDescriptor> byName = new HashMap<>();
    for (FieldDescriptor field : type.getFields()) {
      byName.put(field.getName(), field);
    }
    FIELDS.putIfAbsent(type, Map.copyOf(byName));
    return FIELDS.get(type);
  }

  private static final Map<Descriptor, Map<String, FieldDescriptor>> FIELDS =
      new ConcurrentHashMap<>();

  /** The elements of a repeated field: an array's, or an object's property values. */
  static List<Object> elements(JsonParser parser, JsonToken token, FieldDescriptor field)
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
  static Object value(JsonParser parser, JsonToken token, FieldDescriptor field)
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

  /**
   * A scalar written to a generator ({@link ProtobufGenerator}: a Long, Double, String, Boolean or
   * null) as {@code field}'s type reads it, as {@link #value} reads the same JSON token.
   */
  static Object convert(@Nullable Object raw, FieldDescriptor field) {
    return switch (field.getJavaType()) {
      case INT -> (long) (int) asLong(raw);
      case LONG -> asLong(raw);
      case STRING -> raw == null ? "null" : raw.toString();
      case MESSAGE -> new byte[0];
      default ->
          throw new IllegalStateException(
              field.getFullName() + " is a " + field.getJavaType() + ": not in the JSON forms");
    };
  }

  private static long asLong(@Nullable Object raw) {
    return switch (raw) {
      case Long n -> n;
      case Double d -> d.longValue();
      case Boolean b -> b ? 1 : 0;
      case String text -> NumberInput.parseAsLong(text, 0);
      case null, default -> 0;
    };
  }

  /** What {@link #value} makes of an object or array where {@code field}'s scalar is. */
  static Object defaultOf(FieldDescriptor field) {
    return switch (field.getJavaType()) {
      case INT, LONG -> 0L;
      case STRING -> "";
      default -> new byte[0];
    };
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
