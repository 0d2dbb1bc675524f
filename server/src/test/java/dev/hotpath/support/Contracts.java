package dev.hotpath.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.hotpath.http.Contract;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Validates real responses against api/openapi.yaml: the route and method must exist (else a
 * 404/405 problem), the status must be declared for the operation, the media type must be one it
 * declares, the body must match the declared schema, and — when the request did not ask for a
 * sparse fieldset — every resource must carry all of its fields.
 */
public final class Contracts {
  private static final String BASE_URI = "https://hotpath.dev/api/openapi.json";

  /** Statuses the HTTP layer may answer on any route, always as a problem. */
  private static final Set<Integer> ANY_ROUTE = Set.of(405, 414, 431);

  /** Resources whose full representation has every declared property. */
  private static final Set<String> FULL = Set.of("Customer", "Product", "Order", "OrderItem");

  private static Contracts instance;

  private final JsonNode doc;
  private final JsonSchemaFactory factory;
  private final SchemaValidatorsConfig config =
      SchemaValidatorsConfig.builder()
          .pathType(PathType.JSON_POINTER)
          .formatAssertionsEnabled(true)
          .build();
  private final Map<String, JsonSchema> schemas = new ConcurrentHashMap<>();
  private final List<Route> routes = new ArrayList<>();
  private final ObjectMapper mapper = new ObjectMapper();

  private record Route(String template, Pattern pattern, int literalChars) {}

  private Contracts() {
    try (InputStream in = Contracts.class.getClassLoader().getResourceAsStream(Contract.RESOURCE)) {
      doc = new YAMLMapper().readTree(in);
      String json = new ObjectMapper().writeValueAsString(doc);
      factory =
          JsonSchemaFactory.getInstance(
              SpecVersion.VersionFlag.V202012,
              b -> b.schemaLoaders(l -> l.schemas(Map.of(BASE_URI, json))));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Iterator<String> names = doc.get("paths").fieldNames();
    while (names.hasNext()) {
      String template = names.next();
      String regex = template.replaceAll("\\{[^}]+}", "[^/]+");
      routes.add(
          new Route(
              template, Pattern.compile(regex), template.replaceAll("\\{[^}]+}", "").length()));
    }
    routes.sort((a, b) -> Integer.compare(b.literalChars, a.literalChars));
  }

  public static synchronized Contracts instance() {
    if (instance == null) {
      instance = new Contracts();
    }
    return instance;
  }

  public JsonNode document() {
    return doc;
  }

  /** One operation of the contract: its method (upper case), path template and object. */
  public record Operation(String method, String template, JsonNode node) {}

  /** Every operation of the contract, in document order. */
  public List<Operation> operations() {
    List<Operation> ops = new ArrayList<>();
    doc.get("paths")
        .fields()
        .forEachRemaining(
            path ->
                path.getValue()
                    .fields()
                    .forEachRemaining(
                        m -> {
                          if (!m.getKey().equals("parameters")) {
                            ops.add(
                                new Operation(
                                    m.getKey().toUpperCase(java.util.Locale.ROOT),
                                    path.getKey(),
                                    m.getValue()));
                          }
                        }));
    return ops;
  }

  public void assertConforms(HttpRequest request, Api.Response response) {
    String raw = request.uri().getRawPath();
    String path = normalized(raw);
    // HEAD is the GET of the same path without the body (RFC 9110, section 9.3.2; the contract's
    // description says every GET answers it): the GET's statuses and headers, an empty body
    boolean head = request.method().equals("HEAD");
    String method = head ? "get" : request.method().toLowerCase();
    int status = response.status();
    String where = request.method() + " " + request.uri() + " -> " + status;
    if (!path.equals(raw) || !canonicalEscapes(raw)) {
      // paths are canonical: any other spelling names no operation (400 when it cannot be decoded)
      assertThat(status)
          .as(where + ": a path that is not canonical must be a 400, 404, 414 or 431")
          .isIn(400, 404, 414, 431);
      assertProblem(where, response);
      return;
    }
    JsonNode operation = null;
    for (Route route : routes) {
      if (route.pattern.matcher(path).matches()) {
        JsonNode op = doc.get("paths").get(route.template).get(method);
        if (op != null) {
          operation = op;
          break;
        }
      }
    }
    if (operation == null
        || (ANY_ROUTE.contains(status)
            && !operation.get("responses").has(String.valueOf(status)))) {
      assertThat(status)
          .as(where + ": undeclared route must be a 404, 405, 414 or 431")
          .isIn(404, 405, 414, 431);
      assertProblem(where, response);
      return;
    }
    JsonNode budget = operation.get("x-query-budget");
    assertThat(budget).as(where + ": operation declares no x-query-budget").isNotNull();
    if (!ANY_ROUTE.contains(status)) {
      // the HTTP layer's own refusals (414, 431, 405) come before any route, and any query
      QueryBudgets.assertWithin(
          where, response.header("Server-Timing").orElse(null), budget.asInt());
    }
    JsonNode declared = operation.get("responses").get(String.valueOf(status));
    assertThat(declared)
        .as(where + ": status not declared for " + operation.get("operationId").asText())
        .isNotNull();
    declared = resolve(declared);
    if (head) {
      assertThat(response.body()).as(where + ": a HEAD answer has no body").isEmpty();
    }
    if (status == 304 || status == 204 || head) {
      return;
    }
    JsonNode content = declared.get("content");
    assertThat(content).as(where + ": contract declares no body").isNotNull();
    String mediaType = response.contentType().split(";")[0].trim();
    JsonNode media = content.get(mediaType);
    assertThat(media)
        .as(where + ": media type " + mediaType + " not declared; declared " + content)
        .isNotNull();
    JsonNode headers = declared.get("headers");
    if (headers != null) {
      headers
          .fields()
          .forEachRemaining(
              h -> {
                if (resolve(h.getValue()).path("required").asBoolean(false)) {
                  assertThat(response.header(h.getKey()))
                      .as(where + ": required header " + h.getKey())
                      .isPresent();
                }
              });
    }
    JsonNode schemaRef = media.path("schema").path("$ref");
    if (schemaRef.isMissingNode()) {
      return;
    }
    String name = schemaRef.asText().substring("#/components/schemas/".length());
    if (mediaType.equals("application/x-protobuf")) {
      assertProtobuf(where, name, response);
      return;
    }
    JsonNode body = response.json();
    List<String> errors = validate(name, body);
    assertThat(errors)
        .as(where + ": body does not match " + name + ": " + response.body())
        .isEmpty();
    String query = request.uri().getRawQuery();
    if (query == null || !query.contains("fields=")) {
      List<String> missing = new ArrayList<>();
      checkFull(name, body, "", missing);
      assertThat(missing).as(where + ": full representation lacks fields").isEmpty();
    }
  }

  /**
   * Response fields the contract does not describe one by one: the message framing and connection
   * management of HTTP/1.1 (RFC 9112: {@code Content-Length}, {@code Transfer-Encoding}, and the
   * hop-by-hop {@code Connection} and {@code Keep-Alive}, which a proxy strips), {@code Date} (RFC
   * 9110, 6.6.1: any origin server may send it), and {@code Content-Type}, which a response's
   * {@code content} declares (OpenAPI 3.1, 4.8.17.1: a header named so SHALL be ignored). Lower
   * case. {@code Vary} is not among them: it tells caches what the representation depends on, and
   * the contract declares it where it is sent.
   */
  public static final Set<String> FRAMING =
      Set.of(
          "content-length",
          "transfer-encoding",
          "connection",
          "keep-alive",
          "date",
          "content-type");

  /**
   * The names of the header fields of {@code response} (an answer to {@code request}, over
   * HTTP/1.1) that the response the contract declares for its operation and status does not list in
   * its {@code headers} ({@link #FRAMING} aside; names compared without regard to case), each once,
   * sorted. The request's operation and status must be declared ({@link #assertConforms}).
   */
  public List<String> headersOutsideContract(HttpRequest request, Api.Response response) {
    String path = normalized(request.uri().getRawPath());
    String method =
        request.method().equals("HEAD")
            ? "get"
            : request.method().toLowerCase(java.util.Locale.ROOT);
    JsonNode operation = null;
    boolean pathDeclared = false;
    for (Route route : routes) {
      JsonNode op = doc.get("paths").get(route.template).get(method);
      boolean matches = route.pattern.matcher(path).matches();
      pathDeclared |= matches;
      if (op != null && matches) {
        operation = op;
        break;
      }
    }
    String where = request.method() + " " + request.uri() + " -> " + response.status();
    JsonNode declared;
    if (operation == null && pathDeclared && response.status() == 405) {
      // a method the path has no operation for: the one answer the document's root names
      declared = doc.get("x-method-not-allowed");
    } else {
      assertThat(operation).as(where + ": no operation").isNotNull();
      declared = operation.get("responses").get(String.valueOf(response.status()));
    }
    assertThat(declared).as(where + ": status not declared").isNotNull();
    Map<String, JsonNode> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    resolve(declared)
        .path("headers")
        .properties()
        .forEach(h -> headers.put(h.getKey(), h.getValue()));
    List<String> wrong = new ArrayList<>();
    response
        .raw()
        .headers()
        .map()
        .forEach(
            (name, values) -> {
              String n = name.toLowerCase(java.util.Locale.ROOT);
              JsonNode header = headers.get(n);
              if (FRAMING.contains(n)) {
                return;
              }
              if (header == null) {
                wrong.add(n);
                return;
              }
              JsonNode schema = resolve(header).path("schema");
              if (schema.isMissingNode()) {
                return;
              }
              JsonSchema check = factory.getSchema(schema, config);
              for (String value : values) {
                JsonNode instance =
                    schema.path("type").asText().equals("integer") && value.matches("-?\\d{1,18}")
                        ? mapper.getNodeFactory().numberNode(Long.parseLong(value))
                        : mapper.getNodeFactory().textNode(value);
                if (!check.validate(instance).isEmpty()) {
                  wrong.add(n + ": " + value);
                }
              }
            });
    return wrong.stream().distinct().sorted().toList();
  }

  /**
   * A protobuf body must decode as the message of api/proto named like its schema, and that
   * message, read as JSON, must fit the schema (absent fields aside: protobuf sends no nulls and a
   * sparse fieldset leaves fields out).
   */
  private void assertProtobuf(String where, String name, Api.Response response) {
    JsonNode body;
    try {
      Class<?> type = Class.forName("dev.hotpath.proto.v1." + name);
      var message =
          (com.google.protobuf.Message)
              type.getMethod("parseFrom", byte[].class).invoke(null, (Object) response.bytes());
      body = ProtoJson.tree(message);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(where + ": body is not a hotpath.v1." + name + " message", e);
    }
    List<String> errors = new ArrayList<>(validate(name, body));
    errors.removeIf(e -> e.contains("required"));
    assertThat(errors).as(where + ": protobuf body does not match " + name).isEmpty();
  }

  /**
   * The path as the router sees it: percent-encoded dots decoded, dot segments removed, repeated
   * slashes collapsed, a trailing slash dropped (Vert.x Web matches {@code /a/} as {@code /a}).
   */
  /**
   * Whether every percent-escape of {@code rawPath} is well formed and encodes a character that
   * needs encoding (RFC 3986 section 6.2.2.2: unreserved characters are never escaped canonically).
   */
  static boolean canonicalEscapes(String rawPath) {
    for (int i = rawPath.indexOf('%'); i >= 0; i = rawPath.indexOf('%', i + 1)) {
      if (i + 2 >= rawPath.length()) {
        return false;
      }
      int c;
      try {
        c = Integer.parseInt(rawPath.substring(i + 1, i + 3), 16);
      } catch (NumberFormatException e) {
        return false;
      }
      if (Character.isLetterOrDigit(c) && c < 128 || "-._~/".indexOf(c) >= 0) {
        return false;
      }
    }
    return true;
  }

  static String normalized(String rawPath) {
    String p = rawPath.replace("%2e", ".").replace("%2E", ".");
    p = java.net.URI.create("http://h" + p.replaceAll("/{2,}", "/")).normalize().getRawPath();
    while (p.startsWith("/..")) {
      p = p.substring(3);
    }
    if (p.isEmpty()) {
      p = "/";
    }
    return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }

  private void assertProblem(String where, Api.Response response) {
    assertThat(response.contentType()).as(where).startsWith("application/problem+json");
    if (where.startsWith("HEAD ")) {
      assertThat(response.body()).as(where + ": a HEAD answer has no body").isEmpty();
      return;
    }
    assertThat(validate("Problem", response.json())).as(where + ": " + response.body()).isEmpty();
  }

  /** Every way {@code instance} fails the named component schema. */
  public List<String> validate(String schemaName, JsonNode instance) {
    JsonSchema schema =
        schemas.computeIfAbsent(
            schemaName,
            n ->
                factory.getSchema(
                    SchemaLocation.of(BASE_URI + "#/components/schemas/" + n), config));
    Set<ValidationMessage> messages = schema.validate(instance);
    return messages.stream().map(ValidationMessage::toString).sorted().toList();
  }

  private JsonNode resolve(JsonNode node) {
    JsonNode ref = node.get("$ref");
    if (ref == null) {
      return node;
    }
    return resolve(doc.at(ref.asText().substring(1)));
  }

  private void checkFull(String schemaName, JsonNode instance, String at, List<String> missing) {
    JsonNode schema = doc.at("/components/schemas/" + schemaName);
    JsonNode properties = schema.get("properties");
    if (properties == null || !instance.isObject()) {
      return;
    }
    properties
        .fields()
        .forEachRemaining(
            p -> {
              String name = p.getKey();
              JsonNode value = instance.get(name);
              if (value == null) {
                if (FULL.contains(schemaName)) {
                  missing.add(at + "/" + name);
                }
                return;
              }
              JsonNode propSchema = p.getValue();
              JsonNode ref = propSchema.get("$ref");
              if (ref == null && propSchema.has("items")) {
                ref = propSchema.get("items").get("$ref");
                if (ref != null && value.isArray()) {
                  String item = ref.asText().substring("#/components/schemas/".length());
                  for (int i = 0; i < value.size(); i++) {
                    checkFull(item, value.get(i), at + "/" + name + "/" + i, missing);
                  }
                }
                return;
              }
              if (ref != null) {
                checkFull(
                    ref.asText().substring("#/components/schemas/".length()),
                    value,
                    at + "/" + name,
                    missing);
              }
            });
  }

  public ObjectMapper mapper() {
    return mapper;
  }
}
