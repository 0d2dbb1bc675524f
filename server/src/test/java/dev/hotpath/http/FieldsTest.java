package dev.hotpath.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.serve.OrderRepresentation;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FieldsTest {
  private final Fields fields = OrderRepresentation.FIELDS;

  @Test
  void everyFieldIsTheAllSelection() {
    var errors = new ArrayList<FieldError>();
    Fields.Selection all =
        fields.parse(
            "id,customer_id,status,currency,subtotal_minor,total_minor,item_count,shipping_address,items,version,created_at,updated_at,payment",
            errors);
    assertThat(errors).isEmpty();
    assertThat(all).isSameAs(fields.all());
  }

  @Test
  void itemSubfieldsSelectItemsAndHaveACanonicalKey() {
    var errors = new ArrayList<FieldError>();
    Fields.Selection a = fields.parse("items.quantity,id", errors);
    Fields.Selection b = fields.parse("id,items.quantity", errors);
    assertThat(errors).isEmpty();
    assertThat(a).isEqualTo(b);
    assertThat(a.key()).isEqualTo("id,items,items.quantity");
    assertThat(a.has(fields.index("items"))).isTrue();
    assertThat(a.hasItem(fields.itemIndex("quantity"))).isTrue();
    assertThat(a.hasItem(fields.itemIndex("product_id"))).isFalse();
  }

  @Test
  void itemsAloneSelectsEveryItemField() {
    Fields.Selection s = fields.parse("items", new ArrayList<>());
    for (String name :
        List.of(
            "line_no",
            "product_id",
            "product_name",
            "unit_price_minor",
            "quantity",
            "line_total_minor")) {
      assertThat(s.hasItem(fields.itemIndex(name))).as(name).isTrue();
    }
  }

  @Test
  void reportsEveryUnknownName() {
    var errors = new ArrayList<FieldError>();
    fields.parse("id,,nope,items.nada", errors);
    assertThat(errors)
        .extracting(FieldError::message)
        .containsExactly("unknown field ''", "unknown field 'nope'", "unknown field 'items.nada'");
  }
}
