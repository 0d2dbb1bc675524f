package dev.hotpath.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import graphql.schema.GraphQLFieldDefinition;
import graphql.schema.GraphQLInputObjectField;
import graphql.schema.GraphQLInputObjectType;
import graphql.schema.GraphQLList;
import graphql.schema.GraphQLNamedType;
import graphql.schema.GraphQLNonNull;
import graphql.schema.GraphQLObjectType;
import graphql.schema.GraphQLSchema;
import graphql.schema.GraphQLType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The GraphQL schema cannot drift from the contract: every object type is the REST representation
 * of the same name in api/openapi.yaml, every field a property of it with the same name and a
 * compatible type (Long: int64 integer; Int: a 32-bit integer; String: string; an object or list of
 * the matching schema), nullable wherever REST may send null; and every REST property is a field.
 * Input types are the request bodies they are sent as. Two fields are links REST spells otherwise,
 * named here with what they stand for.
 */
class GraphqlContractTest {
  private static final Path SPEC = Path.of("..", "api", "openapi.yaml");

  /** GraphQL fields that are links: the REST property or route they follow. */
  private static final Map<String, String> LINKS =
      Map.of("OrderItem.product", "product_id", "Customer.orders", "GET /v1/customers/{id}/orders");

  /** Input types and the REST schema (a JSON pointer under components/schemas) they are sent as. */
  private static final Map<String, String> INPUTS =
      Map.of(
          "OrderCreate", "/OrderCreate",
          "OrderLineCreate", "/OrderCreate/properties/items/items",
          "AddressInput", "/Address");

  private final JsonNode schemas;
  private final GraphQLSchema graphql = GraphqlEngine.loadSchema();

  GraphqlContractTest() throws Exception {
    schemas = new YAMLMapper().readTree(SPEC.toFile()).at("/components/schemas");
  }

  @Test
  void everyFieldOfEveryTypeIsAPropertyOfTheRestRepresentationOfTheSameName() {
    List<String> checked = new ArrayList<>();
    for (GraphQLNamedType type : graphql.getAllTypesAsList()) {
      if (!(type instanceof GraphQLObjectType object)
          || type.getName().startsWith("__")
          || Set.of("Query", "Mutation").contains(type.getName())) {
        continue;
      }
      JsonNode rest = schemas.path(type.getName());
      assertThat(rest.isMissingNode())
          .as("GraphQL type " + type.getName() + " has a schema of that name in openapi.yaml")
          .isFalse();
      Set<String> fields = new HashSet<>();
      for (GraphQLFieldDefinition field : object.getFieldDefinitions()) {
        String where = type.getName() + "." + field.getName();
        fields.add(field.getName());
        if (LINKS.containsKey(where)) {
          continue;
        }
        JsonNode property = rest.path("properties").path(field.getName());
        assertThat(property.isMissingNode())
            .as(where + " is a property of the REST " + type.getName())
            .isFalse();
        assertCompatible(where, field.getType(), property);
        checked.add(where);
      }
      rest.path("properties")
          .fieldNames()
          .forEachRemaining(
              name ->
                  assertThat(fields)
                      .as("REST " + type.getName() + "." + name + " is a field of the GraphQL type")
                      .contains(name));
    }
    assertThat(checked)
        .contains("Customer.address", "Order.items", "Order.payment", "Product.price_minor")
        .hasSizeGreaterThan(50);
    LINKS.keySet().forEach(link -> assertThat(fields(link)).isTrue());
    assertThat(schemas.at("/OrderItem/properties/product_id").isMissingNode()).isFalse();
  }

  @Test
  void everyInputFieldIsAPropertyOfTheRequestBodyItIsSentAs() {
    INPUTS.forEach(
        (name, pointer) -> {
          GraphQLInputObjectType input = (GraphQLInputObjectType) graphql.getType(name);
          assertThat(input).as(name).isNotNull();
          JsonNode rest = schemas.at(pointer);
          Set<String> fields = new HashSet<>();
          for (GraphQLInputObjectField field : input.getFieldDefinitions()) {
            String where = name + "." + field.getName();
            fields.add(field.getName());
            JsonNode property = rest.path("properties").path(field.getName());
            assertThat(property.isMissingNode()).as(where + " in " + pointer).isFalse();
            assertCompatible(where, field.getType(), property);
            boolean required = contains(rest.path("required"), field.getName());
            assertThat(field.getType() instanceof GraphQLNonNull)
                .as(where + " is non-null exactly when REST requires it")
                .isEqualTo(required);
          }
          rest.path("properties")
              .fieldNames()
              .forEachRemaining(p -> assertThat(fields).as(pointer + "." + p).contains(p));
        });
  }

  private boolean fields(String link) {
    String[] parts = link.split("\\.");
    return ((GraphQLObjectType) graphql.getType(parts[0])).getFieldDefinition(parts[1]) != null;
  }

  /** Checks a GraphQL type against an OpenAPI property schema; refs are followed. */
  private void assertCompatible(String where, GraphQLType type, JsonNode property) {
    JsonNode schema = resolve(property);
    boolean restNullable = nullable(schema);
    boolean nonNull = type instanceof GraphQLNonNull;
    if (restNullable) {
      assertThat(nonNull).as(where + " is nullable, as REST may send null").isFalse();
    }
    GraphQLType inner = nonNull ? ((GraphQLNonNull) type).getWrappedType() : type;
    JsonNode value = withoutNull(schema);
    if (inner instanceof GraphQLList list) {
      assertThat(value.path("type").asText()).as(where + " is an array in REST").isEqualTo("array");
      assertCompatible(where + "[]", list.getWrappedType(), value.path("items"));
      return;
    }
    String name = ((GraphQLNamedType) inner).getName();
    switch (name) {
      case "Long" -> {
        assertThat(typeOf(value)).as(where).isEqualTo("integer");
        assertThat(value.path("format").asText())
            .as(where + " is int64 in REST")
            .isEqualTo("int64");
      }
      case "Int" -> {
        assertThat(typeOf(value)).as(where).isEqualTo("integer");
        assertThat(value.path("format").asText())
            .as(where + " is not int64 in REST")
            .isNotEqualTo("int64");
      }
      case "String" ->
          assertThat(typeOf(value)).as(where + " is a string in REST").isEqualTo("string");
      default -> {
        if (INPUTS.containsKey(name)) {
          assertThat(value)
              .as(where + " is sent as " + INPUTS.get(name))
              .isEqualTo(schemas.at(INPUTS.get(name)));
        } else {
          assertThat(refName(property)).as(where + " is the REST schema " + name).isEqualTo(name);
        }
      }
    }
  }

  private JsonNode resolve(JsonNode node) {
    if (node.has("$ref")) {
      return resolve(schemas.path(node.get("$ref").asText().replace("#/components/schemas/", "")));
    }
    return node;
  }

  /** The name of the schema a property refers to (directly, or in a oneOf with null). */
  private static String refName(JsonNode property) {
    if (property.has("$ref")) {
      return property.get("$ref").asText().replace("#/components/schemas/", "");
    }
    for (JsonNode option : property.path("oneOf")) {
      if (option.has("$ref")) {
        return refName(option);
      }
    }
    return "";
  }

  private static boolean nullable(JsonNode schema) {
    if (contains(schema.path("type"), "null")) {
      return true;
    }
    for (JsonNode option : schema.path("oneOf")) {
      if ("null".equals(option.path("type").asText())) {
        return true;
      }
    }
    return false;
  }

  private JsonNode withoutNull(JsonNode schema) {
    for (JsonNode option : schema.path("oneOf")) {
      if (!"null".equals(option.path("type").asText())) {
        return resolve(option);
      }
    }
    return schema;
  }

  private static String typeOf(JsonNode schema) {
    JsonNode type = schema.path("type");
    if (type.isArray()) {
      for (Iterator<JsonNode> it = type.elements(); it.hasNext(); ) {
        String t = it.next().asText();
        if (!"null".equals(t)) {
          return t;
        }
      }
    }
    return type.asText();
  }

  private static boolean contains(JsonNode array, String value) {
    if (array.isTextual()) {
      return array.asText().equals(value);
    }
    for (JsonNode element : array) {
      if (element.asText().equals(value)) {
        return true;
      }
    }
    return false;
  }
}
