package dev.hotpath.edge;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
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
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * api/openapi.yaml, loaded once from the class path: its raw bytes (served at /openapi.yaml) and
 * validators for the request bodies it declares. Request bodies are checked against the same
 * schemas clients read, so the contract and the server cannot drift apart. Thread-safe.
 */
public final class Contract {
  public static final String RESOURCE = "api/openapi.yaml";
  private static final String BASE_URI = "https://hotpath.dev/api/openapi.json";

  /** Bodies nest a few levels; anything deeper is hostile. */
  public static final int MAX_NESTING = 32;

  /** The longest array a body may hold by default: batch-get takes 1000 ids. */
  public static final int MAX_ARRAY = 1000;

  private final ObjectMapper bodyMapper;
  private final int maxArray;
  private final byte[] yaml;
  private final JsonNode document;
  private final JsonSchemaFactory factory;
  private final SchemaValidatorsConfig config;
  private final Map<String, JsonSchema> schemas = new ConcurrentHashMap<>();

  private Contract(byte[] yaml, int maxDepth, int maxArray) throws IOException {
    this.maxArray = maxArray;
    this.bodyMapper =
        new ObjectMapper(
                JsonFactory.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .streamReadConstraints(
                        StreamReadConstraints.builder()
                            .maxNestingDepth(maxDepth)
                            .maxNumberLength(100)
                            .maxStringLength(1 << 20)
                            .build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);
    this.yaml = yaml;
    this.document = new YAMLMapper().readTree(yaml);
    String json = new ObjectMapper().writeValueAsString(document);
    this.factory =
        JsonSchemaFactory.getInstance(
            SpecVersion.VersionFlag.V202012,
            builder -> builder.schemaLoaders(loaders -> loaders.schemas(Map.of(BASE_URI, json))));
    this.config =
        SchemaValidatorsConfig.builder()
            .pathType(PathType.JSON_POINTER)
            .formatAssertionsEnabled(true)
            .build();
  }

  public static Contract load() {
    return load(MAX_NESTING, MAX_ARRAY);
  }

  /**
   * The contract, with bodies limited to {@code maxDepth} levels of nesting and {@code maxArray}
   * elements in any one array.
   */
  public static Contract load(int maxDepth, int maxArray) {
    try (InputStream in = Contract.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the class path");
      }
      Contract contract = new Contract(in.readAllBytes(), maxDepth, maxArray);
      return contract;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public byte[] yaml() {
    return yaml.clone();
  }

  public JsonNode document() {
    return document;
  }

  /**
   * What the contract declares for a route the router defines ({@code :id} style path): its SLO
   * class and query budget.
   *
   * @throws IllegalStateException when the contract lacks the operation or its declarations, so a
   *     route cannot exist outside the contract
   */
  public dev.hotpath.observe.RouteInfo routeInfo(String method, String routerPath) {
    String template = routerPath.replaceAll(":([A-Za-z]+)", "{$1}");
    JsonNode operation =
        document.path("paths").path(template).path(method.toLowerCase(java.util.Locale.ROOT));
    if (operation.isMissingNode()) {
      throw new IllegalStateException(
          "route " + method + " " + routerPath + " is not in " + RESOURCE);
    }
    JsonNode routeClass = operation.get("x-route-class");
    JsonNode budget = operation.get("x-query-budget");
    if (routeClass == null || budget == null) {
      throw new IllegalStateException(
          method + " " + template + " lacks x-route-class or x-query-budget in " + RESOURCE);
    }
    return new dev.hotpath.observe.RouteInfo(
        method, routerPath, routeClass.asText(), budget.asInt());
  }

  /**
   * The scopes an operation's {@code security} requirement lists; empty when the operation is
   * public ({@code security: []}).
   *
   * @throws IllegalStateException when the operation declares no {@code security}, so that no route
   *     is public by omission
   */
  public Optional<List<String>> scopes(String method, String routerPath) {
    String template = routerPath.replaceAll(":([A-Za-z]+)", "{$1}");
    JsonNode security =
        document
            .path("paths")
            .path(template)
            .path(method.toLowerCase(java.util.Locale.ROOT))
            .get("security");
    if (security == null || !security.isArray()) {
      throw new IllegalStateException(
          method + " " + template + " declares no security (use [] for a public route)");
    }
    if (security.isEmpty()) {
      return Optional.empty();
    }
    List<String> scopes = new ArrayList<>();
    security.get(0).path("bearerAuth").forEach(s -> scopes.add(s.asText()));
    return Optional.of(List.copyOf(scopes));
  }

  /** The schema at {@code #/components/schemas/NAME}, compiled on first use. */
  public JsonSchema schema(String name) {
    return schemas.computeIfAbsent(
        name,
        n -> {
          if (document.at("/components/schemas/" + n).isMissingNode()) {
            throw new IllegalArgumentException("the contract has no schema " + n);
          }
          JsonSchema schema =
              factory.getSchema(SchemaLocation.of(BASE_URI + "#/components/schemas/" + n), config);
          schema.initializeValidators();
          return schema;
        });
  }

  /**
   * Parses a JSON request body and validates it against the named schema.
   *
   * @throws ProblemException 400 malformed-json when it is not JSON, 400 validation-error listing
   *     every failing field when it does not match
   */
  public JsonNode readBody(Buffer body, String schemaName) {
    if (body == null || body.length() == 0) {
      throw new ProblemException(ProblemType.MALFORMED_JSON, "The request needs a JSON body");
    }
    byte[] bytes = body.getBytes();
    return readJson(bytes, 0, bytes.length, schemaName);
  }

  /**
   * Like {@link #readBody} for a slice of a larger input (one line of an NDJSON file).
   *
   * @throws ProblemException as {@link #readBody} does
   */
  public JsonNode readJson(byte[] bytes, int offset, int length, String schemaName) {
    JsonNode node = parse(bytes, offset, length);
    List<FieldError> errors = validate(node, schemaName);
    if (!errors.isEmpty()) {
      throw ProblemException.validation(errors);
    }
    return node;
  }

  /** Every way {@code node} fails the named schema; empty when it conforms. */
  public List<FieldError> validate(JsonNode node, String schemaName) {
    Set<ValidationMessage> messages = schema(schemaName).validate(node);
    if (messages.isEmpty()) {
      return List.of();
    }
    var errors = new ArrayList<FieldError>(messages.size());
    for (ValidationMessage m : messages) {
      String location = m.getInstanceLocation().toString();
      String property = m.getProperty();
      String field =
          property != null
                  && ("required".equals(m.getType()) || "additionalProperties".equals(m.getType()))
              ? (location.isEmpty() ? "" : location) + "/" + property
              : location;
      if (field.isEmpty()) {
        field = "/";
      }
      errors.add(new FieldError(field, message(m)));
    }
    errors.sort(Comparator.comparing(FieldError::field).thenComparing(FieldError::message));
    return List.copyOf(errors);
  }

  private static String message(ValidationMessage m) {
    return switch (m.getType()) {
      case "required" -> "is required";
      case "additionalProperties" -> "is not a known field";
      default -> {
        String error = m.getError();
        yield error == null ? m.getMessage() : error;
      }
    };
  }

  private JsonNode parse(byte[] bytes, int offset, int length) {
    if (length == 0) {
      throw new ProblemException(ProblemType.MALFORMED_JSON, "The request needs a JSON body");
    }
    checkArrays(bytes, offset, length);
    try (JsonParser parser = bodyMapper.createParser(bytes, offset, length)) {
      JsonNode node = bodyMapper.readTree(parser);
      if (node == null || node.isMissingNode()) {
        throw new ProblemException(ProblemType.MALFORMED_JSON, "The request needs a JSON body");
      }
      return node;
    } catch (JsonProcessingException e) {
      var loc = e.getLocation();
      String where =
          loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
      throw new ProblemException(
          ProblemType.MALFORMED_JSON, "The body is not valid JSON" + where + ": " + reason(e));
    } catch (IOException e) {
      throw new ProblemException(ProblemType.MALFORMED_JSON, "The body could not be read");
    }
  }

  /**
   * A streaming pass that refuses an array longer than the limit before any tree is built, so a
   * body of a million small elements costs a scan, not a million nodes; and any string holding NUL,
   * which is valid JSON but which no PostgreSQL text column accepts. Syntax errors are left to the
   * parse that follows, which reports them with their position.
   */
  private void checkArrays(byte[] bytes, int offset, int length) {
    int[] counts = new int[64];
    int depth = 0;
    try (JsonParser parser = bodyMapper.createParser(bytes, offset, length)) {
      JsonToken token;
      while ((token = parser.nextToken()) != null) {
        if (depth > 0
            && counts[depth - 1] >= 0
            && token != JsonToken.END_ARRAY
            && token != JsonToken.END_OBJECT
            && token != JsonToken.FIELD_NAME) {
          if (++counts[depth - 1] > maxArray) {
            var array = parser.getParsingContext();
            if (token == JsonToken.START_ARRAY || token == JsonToken.START_OBJECT) {
              array = array.getParent();
            }
            String where =
                array.getParent() == null ? "" : array.getParent().pathAsPointer().toString();
            throw ProblemException.invalid(
                where.isEmpty() ? "/" : where, "has more than " + maxArray + " items");
          }
        }
        if ((token == JsonToken.VALUE_STRING || token == JsonToken.FIELD_NAME)
            && parser.getText().indexOf('\u0000') >= 0) {
          // valid JSON, but no PostgreSQL text can hold it
          String where = parser.getParsingContext().pathAsPointer().toString();
          throw ProblemException.invalid(
              where.isEmpty() ? "/" : where, "must not contain the NUL character");
        }
        if (token == JsonToken.START_ARRAY || token == JsonToken.START_OBJECT) {
          if (depth == counts.length) {
            counts = java.util.Arrays.copyOf(counts, depth * 2);
          }
          counts[depth++] = token == JsonToken.START_ARRAY ? 0 : -1;
        } else if (token == JsonToken.END_ARRAY || token == JsonToken.END_OBJECT) {
          depth--;
        }
      }
    } catch (IOException e) {
      // malformed: the full parse reports it
    }
  }

  private static String reason(JsonProcessingException e) {
    String msg = e.getOriginalMessage();
    if (msg == null) {
      return "syntax error";
    }
    // Jackson names its own classes in some messages; keep the first sentence, which does not
    int cut = msg.indexOf('\n');
    msg = cut > 0 ? msg.substring(0, cut) : msg;
    return msg.length() > 200 ? msg.substring(0, 200) : msg;
  }
}
