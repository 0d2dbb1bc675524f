package dev.hotpath.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.hotpath.http.Format;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.proto.v1.ListCustomerOrdersRequest;
import dev.hotpath.proto.v1.Order;
import dev.hotpath.proto.v1.OrderPage;
import dev.hotpath.proto.v1.ProductPage;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The protobuf form written straight from the JSON form is, byte for byte, what protobuf's own JSON
 * parser fills and its serializer writes: nested and repeated messages, nulls and absent
 * properties, sparse fieldsets, int64 sent as strings, unknown properties, and fields without
 * presence at their default.
 */
class ProtobufFormsTest {
  private static final String ORDER =
      """
      {"id":316659348800488,"customer_id":42,"status":"paid","currency":"EUR",
       "subtotal_minor":3000,"total_minor":3490,"item_count":2,
       "shipping_address":{"line1":"1 Rue de la Paix","city":"Paris","postal_code":"75002",
                           "country":"FR"},
       "items":[{"line_no":1,"product_id":7,"product_name":"Mug \\u00e9t\\u00e9","unit_price_minor":1500,
                 "quantity":2,"line_total_minor":3000}],
       "version":3,"created_at":"2026-12-06T08:00:00Z","updated_at":"2026-12-06T08:01:00Z",
       "payment":null}
      """;

  static java.util.stream.Stream<Arguments> forms() {
    return java.util.stream.Stream.of(
        Arguments.of("an order", ORDER, Order.getDefaultInstance()),
        Arguments.of(
            "a page of orders",
            "{\"data\":[" + ORDER + "," + ORDER + "],\"next_cursor\":\"abc\"}",
            OrderPage.getDefaultInstance()),
        Arguments.of(
            "a last page", "{\"data\":[],\"next_cursor\":null}", OrderPage.getDefaultInstance()),
        Arguments.of(
            "a sparse order, a payment, an empty address",
            "{\"id\":\"5\",\"total_minor\":0,\"shipping_address\":{},"
                + "\"payment\":{\"status\":\"authorized\",\"authorization_id\":\"\"}}",
            Order.getDefaultInstance()),
        Arguments.of(
            "unknown properties",
            "{\"id\":1,\"links\":{\"self\":\"/v1/orders/1\"},\"tags\":[1,2]}",
            Order.getDefaultInstance()),
        Arguments.of(
            "fields without presence at their default",
            "{\"id\":9,\"limit\":0,\"cursor\":\"\",\"fields\":\"id,status\"}",
            ListCustomerOrdersRequest.getDefaultInstance()),
        Arguments.of(
            "a page of products",
            "{\"data\":[{\"id\":1,\"name\":\"Mug\",\"price_minor\":1500,\"stock\":0}],"
                + "\"next_cursor\":null}",
            ProductPage.getDefaultInstance()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("forms")
  void writesWhatProtobufsJsonParserAndSerializerWrite(String what, String json, Message prototype)
      throws InvalidProtocolBufferException {
    Message.Builder reference = prototype.newBuilderForType();
    JsonFormat.parser().ignoringUnknownFields().merge(json, reference);
    byte[] written = ProtobufForms.bytes(Buffer.buffer(json), prototype).getBytes();
    assertThat(written).isEqualTo(reference.build().toByteArray());
    assertThat(prototype.getParserForType().parseFrom(written)).isEqualTo(reference.build());
  }

  /**
   * The generator that writes protobuf straight from a representation's JSON calls writes what the
   * transcoder makes of the JSON the same calls write: here the calls that copy each JSON form.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("forms")
  void theGeneratorWritesWhatTheJsonItsCallsWriteTranscodesTo(
      String what, String json, Message prototype) {
    JsonOutput.Writer copy =
        gen -> {
          try (JsonParser parser = JsonOutput.MAPPER.getFactory().createParser(json)) {
            parser.nextToken();
            gen.copyCurrentStructure(parser);
          }
        };
    assertThat(ProtobufForms.write(Format.PROTOBUF, 64, prototype, copy).getBytes())
        .isEqualTo(
            ProtobufForms.bytes(ProtobufForms.write(Format.JSON, 64, prototype, copy), prototype)
                .getBytes());
  }

  /**
   * An order as OrderRepresentation writes it: numbers, strings, the shipping address passed
   * through as the database's JSON text (keys in jsonb's order, not the message's), nested and
   * repeated messages, nulls, fields written out of field order; also values of the wrong shape.
   */
  @Test
  void rawJsonNullsAndFieldsOutOfOrderAreWrittenAsTheTranscoderWritesThem() {
    JsonOutput.Writer order =
        gen -> {
          gen.writeStartObject();
          gen.writeArrayFieldStart("data");
          gen.writeStartObject();
          gen.writeStringField("updated_at", "2026-12-06T08:01:00Z");
          gen.writeNumberField("id", 316659348800488L);
          gen.writeNumberField("item_count", 2);
          gen.writeFieldName("shipping_address");
          gen.writeRawValue(
              "{\"city\": \"Paris\", \"line1\": \"1 Rue\", \"line2\": null, \"country\": \"FR\"}");
          gen.writeArrayFieldStart("items");
          gen.writeStartObject();
          gen.writeNumberField("line_no", 1);
          gen.writeStringField("product_name", "Mug \u00e9t\u00e9");
          gen.writeNumberField("quantity", -2);
          gen.writeEndObject();
          gen.writeNull();
          gen.writeEndArray();
          gen.writeNumberField("status", 7); // a number where a string is
          gen.writeStringField("total_minor", "3490"); // a string where a number is
          gen.writeNullField("payment");
          gen.writeObjectFieldStart("links"); // no such field
          gen.writeStringField("self", "/v1/orders/1");
          gen.writeEndObject();
          gen.writeArrayFieldStart("currency"); // an array where a string is
          gen.writeString("EUR");
          gen.writeEndArray();
          gen.writeEndObject();
          gen.writeStartObject();
          gen.writeFieldName("shipping_address");
          gen.writeRawValue("null");
          gen.writeObjectFieldStart("payment");
          gen.writeStringField("status", "authorized");
          gen.writeNullField("authorization_id");
          gen.writeEndObject();
          gen.writeEndObject();
          gen.writeEndArray();
          gen.writeStringField("next_cursor", "abc");
          gen.writeEndObject();
        };
    Message page = OrderPage.getDefaultInstance();
    byte[] direct = ProtobufForms.write(Format.PROTOBUF, 64, page, order).getBytes();
    assertThat(direct)
        .isEqualTo(
            ProtobufForms.bytes(ProtobufForms.write(Format.JSON, 64, page, order), page)
                .getBytes());
    assertThat(direct).isNotEmpty();
  }
}
