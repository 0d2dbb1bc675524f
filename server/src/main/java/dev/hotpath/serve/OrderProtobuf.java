package dev.hotpath.serve;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.hotpath.http.Fields;
import dev.hotpath.proto.v1.Order;
import dev.hotpath.proto.v1.OrderItem;
import dev.hotpath.proto.v1.OrderPage;
import dev.hotpath.proto.v1.Payment;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A page of orders ({@code hotpath.v1.OrderPage}) written straight from its rows with protobuf's
 * own writer ({@link CodedOutputStream}): each order's fields from its columns, in field order, as
 * {@link OrderRepresentation#write} writes them in JSON (#22). The bytes are those {@link
 * ProtobufForms#bytes} makes of the JSON page (ProtobufApiTest and OrderProtobufTest compare them):
 * a column that is null, or a field the fieldset leaves out, is absent; every field of an order has
 * presence, so a zero or an empty text is written. Only the shipping address, kept as JSON text, is
 * read as {@link ProtobufForms} reads JSON, once per distinct text ({@link Addresses}). Sizes are
 * computed before anything is written, so each message is written once into an array of its exact
 * size.
 */
final class OrderProtobuf {
  private OrderProtobuf() {}

  private static final FieldDescriptor SHIPPING_ADDRESS =
      Order.getDescriptor().findFieldByNumber(Order.SHIPPING_ADDRESS_FIELD_NUMBER);

  /** The page of {@code orders}, each with its {@code lines} (null: items not selected). */
  static Buffer page(
      List<Row> orders,
      @Nullable List<OrderRepresentation.Lines> lines,
      Optional<String> next,
      Fields.Selection sel) {
    int n = orders.size();
    byte[][] encoded = new byte[n][];
    int size = 0;
    for (int i = 0; i < n; i++) {
      encoded[i] = order(orders.get(i), lines == null ? null : lines.get(i), sel);
      size += CodedOutputStream.computeByteArraySize(OrderPage.DATA_FIELD_NUMBER, encoded[i]);
    }
    String cursor = next.orElse(null);
    if (cursor != null) {
      size += CodedOutputStream.computeStringSize(OrderPage.NEXT_CURSOR_FIELD_NUMBER, cursor);
    }
    byte[] bytes = new byte[size];
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      for (byte[] order : encoded) {
        out.writeByteArray(OrderPage.DATA_FIELD_NUMBER, order);
      }
      if (cursor != null) {
        out.writeString(OrderPage.NEXT_CURSOR_FIELD_NUMBER, cursor);
      }
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException("a page outgrew its computed size", e);
    }
    return Buffer.buffer(bytes);
  }

  /** One order's message, from its row (as {@link OrderRepresentation#COLUMNS}) and lines. */
  static byte[] order(Row order, OrderRepresentation.@Nullable Lines lines, Fields.Selection sel) {
    Long id = sel.has(0) ? order.getLong(0) : null;
    Long customerId = sel.has(1) ? order.getLong(1) : null;
    String status = sel.has(2) ? order.getString(2) : null;
    String currency = sel.has(3) ? order.getString(3) : null;
    Long subtotal = sel.has(4) ? order.getLong(4) : null;
    Long total = sel.has(5) ? order.getLong(5) : null;
    Integer itemCount = sel.has(6) ? order.getInteger(6) : null;
    byte[] address = sel.has(7) ? Addresses.of(order.getString(7)) : null;
    boolean items = sel.has(8) && lines != null;
    Integer version = sel.has(9) ? order.getInteger(8) : null;
    String createdAt = sel.has(10) ? time(order.getOffsetDateTime(9)) : null;
    String updatedAt = sel.has(11) ? time(order.getOffsetDateTime(10)) : null;
    String paymentStatus = sel.has(12) ? order.getString(11) : null;
    String authorization = paymentStatus != null ? order.getString(12) : null;

    int size = 0;
    if (id != null) size += CodedOutputStream.computeInt64Size(Order.ID_FIELD_NUMBER, id);
    if (customerId != null) {
      size += CodedOutputStream.computeInt64Size(Order.CUSTOMER_ID_FIELD_NUMBER, customerId);
    }
    if (status != null) {
      size += CodedOutputStream.computeStringSize(Order.STATUS_FIELD_NUMBER, status);
    }
    if (currency != null) {
      size += CodedOutputStream.computeStringSize(Order.CURRENCY_FIELD_NUMBER, currency);
    }
    if (subtotal != null) {
      size += CodedOutputStream.computeInt64Size(Order.SUBTOTAL_MINOR_FIELD_NUMBER, subtotal);
    }
    if (total != null) {
      size += CodedOutputStream.computeInt64Size(Order.TOTAL_MINOR_FIELD_NUMBER, total);
    }
    if (itemCount != null) {
      size += CodedOutputStream.computeInt32Size(Order.ITEM_COUNT_FIELD_NUMBER, itemCount);
    }
    if (address != null) {
      size += CodedOutputStream.computeByteArraySize(Order.SHIPPING_ADDRESS_FIELD_NUMBER, address);
    }
    int[] itemSizes = null;
    if (items) {
      int o = lines.offset();
      itemSizes = new int[lines.size()];
      for (int i = 0; i < itemSizes.length; i++) {
        itemSizes[i] = itemSize(lines.row(i), o, sel);
        size +=
            CodedOutputStream.computeTagSize(Order.ITEMS_FIELD_NUMBER)
                + CodedOutputStream.computeUInt32SizeNoTag(itemSizes[i])
                + itemSizes[i];
      }
    }
    if (version != null) {
      size += CodedOutputStream.computeInt32Size(Order.VERSION_FIELD_NUMBER, version);
    }
    if (createdAt != null) {
      size += CodedOutputStream.computeStringSize(Order.CREATED_AT_FIELD_NUMBER, createdAt);
    }
    if (updatedAt != null) {
      size += CodedOutputStream.computeStringSize(Order.UPDATED_AT_FIELD_NUMBER, updatedAt);
    }
    int paymentSize = 0;
    if (paymentStatus != null) {
      paymentSize = CodedOutputStream.computeStringSize(Payment.STATUS_FIELD_NUMBER, paymentStatus);
      if (authorization != null) {
        paymentSize +=
            CodedOutputStream.computeStringSize(
                Payment.AUTHORIZATION_ID_FIELD_NUMBER, authorization);
      }
      size +=
          CodedOutputStream.computeTagSize(Order.PAYMENT_FIELD_NUMBER)
              + CodedOutputStream.computeUInt32SizeNoTag(paymentSize)
              + paymentSize;
    }

    byte[] bytes = new byte[size];
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      if (id != null) out.writeInt64(Order.ID_FIELD_NUMBER, id);
      if (customerId != null) out.writeInt64(Order.CUSTOMER_ID_FIELD_NUMBER, customerId);
      if (status != null) out.writeString(Order.STATUS_FIELD_NUMBER, status);
      if (currency != null) out.writeString(Order.CURRENCY_FIELD_NUMBER, currency);
      if (subtotal != null) out.writeInt64(Order.SUBTOTAL_MINOR_FIELD_NUMBER, subtotal);
      if (total != null) out.writeInt64(Order.TOTAL_MINOR_FIELD_NUMBER, total);
      if (itemCount != null) out.writeInt32(Order.ITEM_COUNT_FIELD_NUMBER, itemCount);
      if (address != null) out.writeByteArray(Order.SHIPPING_ADDRESS_FIELD_NUMBER, address);
      if (itemSizes != null) {
        int o = lines.offset();
        for (int i = 0; i < itemSizes.length; i++) {
          out.writeTag(Order.ITEMS_FIELD_NUMBER, 2); // length-delimited
          out.writeUInt32NoTag(itemSizes[i]);
          writeItem(out, lines.row(i), o, sel);
        }
      }
      if (version != null) out.writeInt32(Order.VERSION_FIELD_NUMBER, version);
      if (createdAt != null) out.writeString(Order.CREATED_AT_FIELD_NUMBER, createdAt);
      if (updatedAt != null) out.writeString(Order.UPDATED_AT_FIELD_NUMBER, updatedAt);
      if (paymentStatus != null) {
        out.writeTag(Order.PAYMENT_FIELD_NUMBER, 2);
        out.writeUInt32NoTag(paymentSize);
        out.writeString(Payment.STATUS_FIELD_NUMBER, paymentStatus);
        if (authorization != null) {
          out.writeString(Payment.AUTHORIZATION_ID_FIELD_NUMBER, authorization);
        }
      }
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException("an order outgrew its computed size", e);
    }
    return bytes;
  }

  private static int itemSize(Row line, int o, Fields.Selection sel) {
    int size = 0;
    if (sel.hasItem(0)) {
      Integer v = line.getInteger(o);
      if (v != null) size += CodedOutputStream.computeInt32Size(OrderItem.LINE_NO_FIELD_NUMBER, v);
    }
    if (sel.hasItem(1)) {
      Long v = line.getLong(o + 1);
      if (v != null) {
        size += CodedOutputStream.computeInt64Size(OrderItem.PRODUCT_ID_FIELD_NUMBER, v);
      }
    }
    if (sel.hasItem(2)) {
      String v = line.getString(o + 2);
      if (v != null) {
        size += CodedOutputStream.computeStringSize(OrderItem.PRODUCT_NAME_FIELD_NUMBER, v);
      }
    }
    if (sel.hasItem(3)) {
      Long v = line.getLong(o + 3);
      if (v != null) {
        size += CodedOutputStream.computeInt64Size(OrderItem.UNIT_PRICE_MINOR_FIELD_NUMBER, v);
      }
    }
    if (sel.hasItem(4)) {
      Integer v = line.getInteger(o + 4);
      if (v != null) size += CodedOutputStream.computeInt32Size(OrderItem.QUANTITY_FIELD_NUMBER, v);
    }
    if (sel.hasItem(5)) {
      Long v = line.getLong(o + 5);
      if (v != null) {
        size += CodedOutputStream.computeInt64Size(OrderItem.LINE_TOTAL_MINOR_FIELD_NUMBER, v);
      }
    }
    return size;
  }

  private static void writeItem(CodedOutputStream out, Row line, int o, Fields.Selection sel)
      throws IOException {
    if (sel.hasItem(0)) {
      Integer v = line.getInteger(o);
      if (v != null) out.writeInt32(OrderItem.LINE_NO_FIELD_NUMBER, v);
    }
    if (sel.hasItem(1)) {
      Long v = line.getLong(o + 1);
      if (v != null) out.writeInt64(OrderItem.PRODUCT_ID_FIELD_NUMBER, v);
    }
    if (sel.hasItem(2)) {
      String v = line.getString(o + 2);
      if (v != null) out.writeString(OrderItem.PRODUCT_NAME_FIELD_NUMBER, v);
    }
    if (sel.hasItem(3)) {
      Long v = line.getLong(o + 3);
      if (v != null) out.writeInt64(OrderItem.UNIT_PRICE_MINOR_FIELD_NUMBER, v);
    }
    if (sel.hasItem(4)) {
      Integer v = line.getInteger(o + 4);
      if (v != null) out.writeInt32(OrderItem.QUANTITY_FIELD_NUMBER, v);
    }
    if (sel.hasItem(5)) {
      Long v = line.getLong(o + 5);
      if (v != null) out.writeInt64(OrderItem.LINE_TOTAL_MINOR_FIELD_NUMBER, v);
    }
  }

  /**
   * The addresses' messages, from their JSON texts as ProtobufForms reads them (null: absent),
   * remembered across pages: a customer's orders mostly ship to the same few addresses, and reading
   * an address's JSON was the largest part of writing a page (about 40% of OrderProtobuf's samples
   * in a profile of the protobuf page, #22). Keyed by the whole text, so an address that changes is
   * a new text and is read anew: nothing is ever stale. A fixed table of {@link #SLOTS} entries,
   * each slot holding the last text hashed to it; a slot is written without a lock (an entry is
   * immutable and its fields final, so a reader sees a whole entry or the one before), and texts
   * longer than {@link #LONGEST} chars are read every time, so the table holds at most a few
   * hundred KiB whatever the addresses.
   */
  static final class Addresses {
    static final int SLOTS = 1024;
    static final int LONGEST = 512;

    /** A text and its message: final fields, so a slot published without a lock is whole. */
    private record Entry(String text, byte @Nullable [] message) {}

    private static final Entry[] TABLE = new Entry[SLOTS];

    private Addresses() {}

    /** The slot of {@code text}: its hash, spread so that near texts land apart. */
    static int slot(String text) {
      int h = text.hashCode();
      return (h ^ (h >>> 16)) & (SLOTS - 1);
    }

    /** The message of {@code json} (null: absent); the array is shared, never to be written. */
    static byte @Nullable [] of(@Nullable String json) {
      if (json == null) {
        return null;
      }
      if (json.length() > LONGEST) {
        return ProtobufForms.messageField(json, SHIPPING_ADDRESS);
      }
      int slot = slot(json);
      Entry seen = TABLE[slot];
      if (seen != null && seen.text().equals(json)) {
        return seen.message();
      }
      byte[] message = ProtobufForms.messageField(json, SHIPPING_ADDRESS);
      TABLE[slot] = new Entry(json, message);
      return message;
    }
  }

  private static @Nullable String time(@Nullable OffsetDateTime t) {
    return t == null ? null : Timestamps.text(t);
  }
}
