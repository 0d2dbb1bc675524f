package dev.hotpath.edge;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
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

  private static final ObjectMapper BODY_MAPPER =
      new ObjectMapper(
              JsonFactory.builder()
                  .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxNestingDepth(MAX_NESTING)
                          .maxNumberLength(100)
                          .maxStringLength(1 << 20)
                          .build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

  private final byte[] yaml;
  private final JsonNode document;
  private final JsonSchemaFactory factory;
  private final SchemaValidatorsConfig config;
  private final Map<String, JsonSchema> schemas = new ConcurrentHashMap<>();

  private Contract(byte[] yaml) throws IOException {
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
    try (InputStream in = Contract.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the class path");
      }
      Contract contract = new Contract(in.readAllBytes());
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

  private static JsonNode parse(byte[] bytes, int offset, int length) {
    if (length == 0) {
      throw new ProblemException(ProblemType.MALFORMED_JSON, "The request needs a JSON body");
    }
    try (JsonParser parser = BODY_MAPPER.createParser(bytes, offset, length)) {
      JsonNode node = BODY_MAPPER.readTree(parser);
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
