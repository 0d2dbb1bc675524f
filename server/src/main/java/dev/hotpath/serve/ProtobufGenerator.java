package dev.hotpath.serve;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.base.GeneratorBase;
import com.fasterxml.jackson.core.io.NumberInput;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.hotpath.http.JsonOutput;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A JSON generator whose output is protobuf: the code that writes a representation's JSON, driven
 * with this generator, writes the same representation as a message of the api/proto schema, with no
 * JSON written or read in between (#22). It writes what {@link ProtobufForms#bytes} makes of that
 * JSON, byte for byte: each property sets the message's field of the same name (unknown properties
 * are skipped), a null leaves it absent, and each message's fields are written in field order when
 * the message ends. A raw value (a JSON text the writer passes through, as an order's shipping
 * address) is read as {@link ProtobufForms#bytes} reads it. Not thread-safe: one per encoding.
 */
final class ProtobufGenerator extends GeneratorBase {
  /** What a closed structure leaves in its parent when it leaves nothing. */
  private static final Object NOTHING = new Object();

  private final ArrayDeque<Frame> frames = new ArrayDeque<>();
  private final Descriptor root;
  private byte @Nullable [] written;

  ProtobufGenerator(Descriptor root) {
    super(0, null);
    this.root = root;
  }

  /** The message written, once its object has ended (empty if none was written). */
  byte[] message() {
    return written == null ? new byte[0] : written;
  }

  /**
   * An open object or array: a message being filled, the elements of a repeated field, or a
   * structure whose contents are skipped (leaving {@code skipped} in its parent when it ends).
   */
  private static final class Frame {
    final @Nullable Descriptor type;
    final @Nullable Map<String, FieldDescriptor> byName;
    final Object @Nullable [] values;
    final @Nullable List<Object> elements;
    final @Nullable Object skipped;

    /** The field of this frame's parent that its value fills (a message's frame only). */
    final @Nullable FieldDescriptor slot;

    /** The field the last property name named (a message's frame only). */
    @Nullable FieldDescriptor pending;

    private Frame(
        @Nullable Descriptor type,
        @Nullable List<Object> elements,
        @Nullable Object skipped,
        @Nullable FieldDescriptor slot) {
      this.type = type;
      this.byName = type == null ? null : ProtobufForms.fieldsOf(type);
      this.values = type == null ? null : new Object[type.getFields().size()];
      this.elements = elements;
      this.skipped = skipped;
      this.slot = slot;
    }

    static Frame message(Descriptor type, @Nullable FieldDescriptor slot) {
      return new Frame(type, null, null, slot);
    }

    static Frame repeated(FieldDescriptor field) {
      return new Frame(null, new ArrayList<>(), null, field);
    }

    static Frame skipping(Object leaves) {
      return new Frame(null, null, leaves, null);
    }
  }

  @Override
  public void writeStartObject() {
    open(true);
  }

  @Override
  public void writeStartArray() {
    open(false);
  }

  private void open(boolean object) {
    Frame top = frames.peek();
    if (top == null) {
      frames.push(object ? Frame.message(root, null) : Frame.skipping(NOTHING));
      return;
    }
    FieldDescriptor field = top.type != null ? top.pending : top.slot;
    if (top.skipped != null || field == null) {
      frames.push(Frame.skipping(NOTHING));
    } else if (top.type != null && field.isRepeated()) {
      // an array's elements; an object's property values, as ProtobufForms reads them
      frames.push(Frame.repeated(field));
    } else if (object && field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      frames.push(Frame.message(field.getMessageType(), field));
    } else {
      // an object or array where a scalar (or an array where a message) is: its default
      frames.push(Frame.skipping(ProtobufForms.defaultOf(field)));
    }
  }

  @Override
  public void writeEndObject() {
    end();
  }

  @Override
  public void writeEndArray() {
    end();
  }

  private void end() {
    Frame done = frames.pop();
    Object value;
    if (done.type != null) {
      value = ProtobufForms.encode(done.type.getFields(), done.values);
    } else if (done.elements != null) {
      value = done.elements;
    } else {
      value = done.skipped;
    }
    if (frames.isEmpty()) {
      if (done.type != null) {
        written = (byte[]) value;
      }
      return;
    }
    if (value != NOTHING) {
      put(value, true);
    }
  }

  /** Sets the field at hand to {@code value} (converted unless {@code ready}); null: absent. */
  private void put(@Nullable Object value, boolean ready) {
    Frame top = frames.peek();
    if (top == null || top.skipped != null) {
      return;
    }
    if (top.elements != null) {
      top.elements.add(ready ? value : ProtobufForms.convert(value, top.slot));
      return;
    }
    FieldDescriptor field = top.pending;
    if (field == null) {
      return; // a property the message does not have
    }
    if (value == null) {
      top.values[field.getIndex()] = null;
    } else if (!ready && field.isRepeated()) {
      top.values[field.getIndex()] = new ArrayList<>(); // a scalar where elements are: none
    } else {
      top.values[field.getIndex()] = ready ? value : ProtobufForms.convert(value, field);
    }
  }

  @Override
  public void writeFieldName(String name) {
    Frame top = frames.peek();
    if (top != null && top.byName != null) {
      top.pending = top.byName.get(name);
    }
  }

  @Override
  public void writeFieldName(SerializableString name) {
    writeFieldName(name.getValue());
  }

  @Override
  public void writeString(String text) {
    put(text, false);
  }

  @Override
  public void writeString(char[] text, int offset, int len) {
    put(new String(text, offset, len), false);
  }

  @Override
  public void writeString(SerializableString text) {
    put(text.getValue(), false);
  }

  @Override
  public void writeRawUTF8String(byte[] text, int offset, int length) {
    writeUTF8String(text, offset, length);
  }

  @Override
  public void writeUTF8String(byte[] text, int offset, int length) {
    put(new String(text, offset, length, StandardCharsets.UTF_8), false);
  }

  @Override
  public void writeNumber(int v) {
    put((long) v, false);
  }

  @Override
  public void writeNumber(long v) {
    put(v, false);
  }

  @Override
  public void writeNumber(BigInteger v) {
    put(v.longValue(), false);
  }

  @Override
  public void writeNumber(double v) {
    put(v, false);
  }

  @Override
  public void writeNumber(float v) {
    put((double) v, false);
  }

  @Override
  public void writeNumber(BigDecimal v) {
    put(v.doubleValue(), false);
  }

  @Override
  public void writeNumber(String encoded) {
    put(NumberInput.parseAsDouble(encoded, 0, false), false);
  }

  @Override
  public void writeBoolean(boolean state) {
    put(state, false);
  }

  @Override
  public void writeNull() {
    Frame top = frames.peek();
    if (top != null && top.elements != null) {
      put(null, false); // an element: as ProtobufForms reads a null element
    } else {
      put(null, true);
    }
  }

  /** A JSON text passed through (an order's shipping address): read as ProtobufForms reads it. */
  @Override
  public void writeRawValue(String json) throws IOException {
    Frame top = frames.peek();
    FieldDescriptor field =
        top == null || top.skipped != null ? null : top.type != null ? top.pending : top.slot;
    if (field == null) {
      return;
    }
    try (JsonParser parser = JsonOutput.MAPPER.getFactory().createParser(json)) {
      JsonToken token = parser.nextToken();
      if (token == null) {
        return;
      }
      if (token == JsonToken.VALUE_NULL && top.elements == null) {
        put(null, true);
      } else if (top.elements == null && field.isRepeated()) {
        put(ProtobufForms.elements(parser, token, field), true);
      } else {
        put(ProtobufForms.value(parser, token, field), true);
      }
    }
  }

  @Override
  public void writeRawValue(String text, int offset, int len) throws IOException {
    writeRawValue(text.substring(offset, offset + len));
  }

  @Override
  public void writeRawValue(char[] text, int offset, int len) throws IOException {
    writeRawValue(new String(text, offset, len));
  }

  @Override
  public void writeRaw(String text) {
    throw unsupported();
  }

  @Override
  public void writeRaw(String text, int offset, int len) {
    throw unsupported();
  }

  @Override
  public void writeRaw(char[] text, int offset, int len) {
    throw unsupported();
  }

  @Override
  public void writeRaw(char c) {
    throw unsupported();
  }

  @Override
  public void writeBinary(Base64Variant variant, byte[] data, int offset, int len) {
    throw unsupported();
  }

  private static UnsupportedOperationException unsupported() {
    return new UnsupportedOperationException("no raw text or binary in a protobuf form");
  }

  @Override
  public void flush() {}

  @Override
  protected void _releaseBuffers() {}

  @Override
  protected void _verifyValueWrite(String typeMsg) {}
}
