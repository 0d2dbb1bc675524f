package dev.hotpath.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import dev.hotpath.proto.v1.CommonProto;
import dev.hotpath.proto.v1.CustomersProto;
import dev.hotpath.proto.v1.OrdersProto;
import dev.hotpath.proto.v1.ProductsProto;
import dev.hotpath.support.Contracts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * api/openapi.yaml is the single source: every field of every protobuf message of api/proto maps to
 * a property of the REST representation of the same name (same snake_case name, a compatible type),
 * and the request messages of the gRPC services to the parameters of the REST operation they stand
 * for, so that the formats cannot drift apart.
 */
class ProtoContractTest {
  private static final List<FileDescriptor> FILES =
      List.of(
          CommonProto.getDescriptor(),
          OrdersProto.getDescriptor(),
          CustomersProto.getDescriptor(),
          ProductsProto.getDescriptor());

  /** Request messages and the operation whose parameters they carry. */
  private static final Map<String, String> REQUESTS =
      Map.of(
          "GetOrderRequest", "getOrder",
          "ListCustomerOrdersRequest", "listCustomerOrders",
          "GetCustomerRequest", "getCustomer",
          "ListCustomersRequest", "listCustomers",
          "GetProductRequest", "getProduct",
          "ListProductsRequest", "listProducts");

  private final JsonNode doc = Contracts.instance().document();

  @Test
  void everyFieldOfEveryMessageIsAPropertyOfItsSchemaWithACompatibleType() {
    List<String> problems = new ArrayList<>();
    int checked = 0;
    for (FileDescriptor file : FILES) {
      for (Descriptor message : file.getMessageTypes()) {
        if (REQUESTS.containsKey(message.getName())) {
          continue;
        }
        JsonNode schema = schema(message.getName());
        assertThat(schema.isMissingNode())
            .as("openapi.yaml has no schema %s for message %s", message.getName(), message)
            .isFalse();
        checked += compare(message, schema, message.getName(), problems);
      }
    }
    assertThat(problems).isEmpty();
    assertThat(checked).as("fields compared").isGreaterThan(40);
  }

  @Test
  void everyPropertyOfTheRepresentationsHasAField() {
    List<String> missing = new ArrayList<>();
    for (FileDescriptor file : FILES) {
      for (Descriptor message : file.getMessageTypes()) {
        if (REQUESTS.containsKey(message.getName())) {
          continue;
        }
        JsonNode props = resolve(schema(message.getName())).path("properties");
        props
            .fieldNames()
            .forEachRemaining(
                name -> {
                  if (message.findFieldByName(name) == null) {
                    missing.add(message.getName() + "." + name);
                  }
                });
      }
    }
    assertThat(missing).as("properties without a protobuf field").isEmpty();
  }

  @Test
  void everyRequestFieldIsAParameterOfItsOperation() {
    List<String> problems = new ArrayList<>();
    REQUESTS.forEach(
        (name, operationId) -> {
          Descriptor message = OrdersProto.getDescriptor().findMessageTypeByName(name);
          if (message == null) message = CustomersProto.getDescriptor().findMessageTypeByName(name);
          if (message == null) message = ProductsProto.getDescriptor().findMessageTypeByName(name);
          assertThat(message).as(name).isNotNull();
          Set<String> params = parameters(operationId);
          for (FieldDescriptor field : message.getFields()) {
            if (!params.contains(field.getName())) {
              problems.add(name + "." + field.getName() + " is no parameter of " + operationId);
            }
          }
        });
    assertThat(problems).isEmpty();
  }

  private int compare(Descriptor message, JsonNode schema, String where, List<String> problems) {
    JsonNode props = resolve(schema).path("properties");
    int checked = 0;
    for (FieldDescriptor field : message.getFields()) {
      JsonNode prop = props.path(field.getName());
      String at = where + "." + field.getName();
      if (prop.isMissingNode()) {
        problems.add(at + ": no such property in the schema");
        continue;
      }
      checked++;
      JsonNode type = prop;
      if (field.isRepeated()) {
        type = resolve(prop);
        if (!types(type).contains("array")) {
          problems.add(at + ": repeated, but the property is not an array");
          continue;
        }
        type = type.path("items");
      }
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        JsonNode object = objectOf(type);
        if (object == null) {
          problems.add(at + ": a message, but the property is no object");
        } else {
          checked += compare(field.getMessageType(), object, at, problems);
        }
        continue;
      }
      Set<String> allowed = types(resolveAll(type));
      String expected =
          switch (field.getJavaType()) {
            case LONG, INT -> "integer";
            case STRING -> "string";
            case BOOLEAN -> "boolean";
            case DOUBLE, FLOAT -> "number";
            default -> field.getJavaType().name();
          };
      if (!allowed.contains(expected)) {
        problems.add(at + ": " + expected + " in protobuf, " + allowed + " in the contract");
      }
      if (field.getJavaType() == FieldDescriptor.JavaType.INT
          && "int64".equals(resolveAll(type).path("format").asText())) {
        problems.add(at + ": int32 in protobuf, int64 in the contract");
      }
    }
    return checked;
  }

  /** The object schema of a property: itself, its $ref, or the object branch of a oneOf. */
  private JsonNode objectOf(JsonNode prop) {
    JsonNode node = resolve(prop);
    if (node.has("properties")) {
      return node;
    }
    for (JsonNode branch : node.path("oneOf")) {
      JsonNode b = resolve(branch);
      if (b.has("properties")) {
        return b;
      }
    }
    return null;
  }

  /** A property's schema with $refs and the non-null branch of a oneOf followed. */
  private JsonNode resolveAll(JsonNode prop) {
    JsonNode node = resolve(prop);
    for (JsonNode branch : node.path("oneOf")) {
      JsonNode b = resolve(branch);
      if (!types(b).equals(Set.of("null"))) {
        return b;
      }
    }
    return node;
  }

  private static Set<String> types(JsonNode node) {
    Set<String> types = new TreeSet<>();
    JsonNode type = node.path("type");
    if (type.isArray()) {
      type.forEach(t -> types.add(t.asText()));
    } else if (!type.isMissingNode()) {
      types.add(type.asText());
    }
    return types;
  }

  private JsonNode resolve(JsonNode node) {
    while (node.has("$ref")) {
      node = doc.at(node.get("$ref").asText().substring(1));
    }
    return node;
  }

  private JsonNode schema(String name) {
    return doc.at("/components/schemas/" + name);
  }

  private Set<String> parameters(String operationId) {
    Set<String> names = new TreeSet<>();
    for (Contracts.Operation op : Contracts.instance().operations()) {
      if (operationId.equals(op.node().path("operationId").asText())) {
        JsonNode path = doc.get("paths").get(op.template());
        path.path("parameters").forEach(p -> names.add(resolve(p).path("name").asText()));
        op.node().path("parameters").forEach(p -> names.add(resolve(p).path("name").asText()));
      }
    }
    assertThat(names).as("parameters of " + operationId).isNotEmpty();
    return names;
  }
}
