package dev.hotpath.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.hotpath.proto.v1.Address;
import dev.hotpath.proto.v1.Order;
import org.junit.jupiter.api.Test;

/**
 * The addresses remembered across pages ({@link OrderProtobuf.Addresses}): an address's message is
 * always the one its own text reads to, whatever else shares its slot, and a text too long to keep
 * is read every time.
 */
class OrderProtobufAddressesTest {
  private static final FieldDescriptor SHIPPING_ADDRESS =
      Order.getDescriptor().findFieldByNumber(Order.SHIPPING_ADDRESS_FIELD_NUMBER);

  private static String address(String line1, String city) {
    return "{\"line1\":\"" + line1 + "\",\"city\":\"" + city + "\",\"country\":\"FR\"}";
  }

  @Test
  void anAddressIsItsTextReadAndIsReadOnce() throws Exception {
    String text = address("1 Rue \u00e9t\u00e9 " + System.nanoTime(), "Paris");
    byte[] first = OrderProtobuf.Addresses.of(text);
    assertThat(first).isEqualTo(ProtobufForms.messageField(text, SHIPPING_ADDRESS));
    assertThat(Address.parseFrom(first).getCity()).isEqualTo("Paris");
    // an equal text (another String, as a new row gives) is the message already read
    assertThat(OrderProtobuf.Addresses.of(new String(text.toCharArray()))).isSameAs(first);
  }

  @Test
  void textsThatShareASlotEachGetTheirOwnMessage() throws Exception {
    String a = address("2 Main St", "Springfield");
    String b = null;
    for (int i = 0; b == null; i++) {
      String candidate = address(i + " Other St", "Shelbyville");
      if (OrderProtobuf.Addresses.slot(candidate) == OrderProtobuf.Addresses.slot(a)) {
        b = candidate;
      }
    }
    for (int round = 0; round < 3; round++) {
      assertThat(Address.parseFrom(OrderProtobuf.Addresses.of(a)).getCity())
          .isEqualTo("Springfield");
      assertThat(Address.parseFrom(OrderProtobuf.Addresses.of(b)).getCity())
          .isEqualTo("Shelbyville");
    }
    assertThat(OrderProtobuf.Addresses.of(b))
        .isEqualTo(ProtobufForms.messageField(b, SHIPPING_ADDRESS));
  }

  @Test
  void aTextTooLongToKeepIsReadEveryTime() throws Exception {
    String text = address("x".repeat(OrderProtobuf.Addresses.LONGEST), "Lyon");
    byte[] first = OrderProtobuf.Addresses.of(text);
    assertThat(Address.parseFrom(first).getCity()).isEqualTo("Lyon");
    assertThat(OrderProtobuf.Addresses.of(text)).isEqualTo(first).isNotSameAs(first);
  }

  @Test
  void noTextOrAJsonNullIsNoAddress() {
    assertThat(OrderProtobuf.Addresses.of(null)).isNull();
    assertThat(OrderProtobuf.Addresses.of("null")).isNull();
    assertThat(OrderProtobuf.Addresses.of("null")).as("remembered").isNull();
  }
}
