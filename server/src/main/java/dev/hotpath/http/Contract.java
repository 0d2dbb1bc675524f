package dev.hotpath.http;

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
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
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

  /** The operation object of a route ({@code :id} style path); a missing node when absent. */
  private JsonNode operation(String method, String routerPath) {
    return document
        .path("paths")
        .path(template(routerPath))
        .path(method.toLowerCase(java.util.Locale.ROOT));
  }

  private static String template(String routerPath) {
    return routerPath.replaceAll(":([A-Za-z]+)", "{$1}");
  }

  /**
   * What the contract declares for a route the router defines ({@code :id} style path): its SLO
   * class and query budget.
   *
   * @throws IllegalStateException when the contract lacks the operation or its declarations, so a
   *     route cannot exist outside the contract
   */
  public dev.hotpath.observe.RouteInfo routeInfo(String method, String routerPath) {
    String template = template(routerPath);
    JsonNode operation = operation(method, routerPath);
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
    String template = template(routerPath);
    JsonNode security = operation(method, routerPath).get("security");
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

  /**
   * Whom the resources of an operation belong to, from its {@code x-owner} extension: one key of
   * {@code param} (a path parameter holds the owning customer's id: the edge guard checks it before
   * any handler runs), {@code row} (the handler checks the owner column of the row it reads),
   * {@code body} (the handler checks the customer the body names), {@code creator} (the subject
   * that created it, or an admin), or the string {@code none} (public or store-wide).
   *
   * @throws IllegalStateException when an operation that needs a token declares no {@code x-owner},
   *     so that no customer-owned route exists without a declared guard
   */
  public Owner owner(String method, String routerPath) {
    String template = template(routerPath);
    JsonNode owner = operation(method, routerPath).get("x-owner");
    boolean authenticated = scopes(method, routerPath).isPresent();
    if (owner == null) {
      if (authenticated) {
        throw new IllegalStateException(
            method + " " + template + " needs a token but declares no x-owner in " + RESOURCE);
      }
      return Owner.NONE;
    }
    if (owner.isTextual() && "none".equals(owner.asText())) {
      return Owner.NONE;
    }
    if (owner.isObject() && owner.size() == 1) {
      String kind = owner.fieldNames().next();
      String value = owner.get(kind).asText();
      Owner.Kind k =
          switch (kind) {
            case "param" -> Owner.Kind.PARAM;
            case "row" -> Owner.Kind.ROW;
            case "body" -> Owner.Kind.BODY;
            case "creator" -> Owner.Kind.CREATOR;
            default -> null;
          };
      if (k != null) {
        if (k == Owner.Kind.PARAM && !template.contains("{" + value + "}")) {
          throw new IllegalStateException(
              method + " " + template + ": x-owner names no path parameter " + value);
        }
        return new Owner(k, value);
      }
    }
    throw new IllegalStateException(
        method + " " + template + ": x-owner must be none or one of param, row, body, creator");
  }

  /** See {@link #owner}. */
  public record Owner(Kind kind, String name) {
    public static final Owner NONE = new Owner(Kind.NONE, "");

    public enum Kind {
      NONE,
      PARAM,
      ROW,
      BODY,
      CREATOR
    }
  }

  /**
   * The media types an operation's request body may have ({@code requestBody.content}); empty when
   * the operation takes no body.
   */
  public List<String> requestMediaTypes(String method, String routerPath) {
    JsonNode content = operation(method, routerPath).path("requestBody").path("content");
    List<String> types = new ArrayList<>();
    content.fieldNames().forEachRemaining(types::add);
    return List.copyOf(types);
  }

  /**
   * The media types an operation answers with ({@code content} of its 2xx responses, references
   * followed) when it declares a 406: those whose {@code Accept} it negotiates. Empty for an
   * operation that declares no 406, which answers whatever {@code Accept} says.
   */
  public List<String> negotiatedMediaTypes(String method, String routerPath) {
    JsonNode responses = operation(method, routerPath).path("responses");
    if (!responses.has("406")) {
      return List.of();
    }
    java.util.Set<String> types = new java.util.LinkedHashSet<>();
    responses
        .fields()
        .forEachRemaining(
            entry -> {
              if (entry.getKey().startsWith("2")) {
                JsonNode response = entry.getValue();
                String ref = response.path("$ref").asText("");
                if (!ref.isEmpty()) {
                  response =
                      document
                          .path("components")
                          .path("responses")
                          .path(ref.substring(ref.lastIndexOf('/') + 1));
                }
                response.path("content").fieldNames().forEachRemaining(types::add);
              }
            });
    return List.copyOf(types);
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
    checkEncoding(bytes, offset, length);
    checkArrays(bytes, offset, length);
    try (JsonParser parser = bodyMapper.createParser(bytes, offset, length)) {
      JsonNode node = bodyMapper.readTree(parser);
      if (node == null || node.isMissingNode()) {
        throw new ProblemException(ProblemType.MALFORMED_JSON, "The request needs a JSON body");
      }
      return node;
    } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
      throw new ProblemException(
          ProblemType.MALFORMED_JSON,
          "The body exceeds a limit of this server: nesting deeper than "
              + MAX_NESTING
              + " levels, a number longer than 100 digits or a string longer than 1 MiB");
    } catch (JsonProcessingException e) {
      // the position only: parser messages name the parser's own classes and settings
      var loc = e.getLocation();
      String where =
          loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
      String twice = duplicateField(e);
      throw new ProblemException(
          ProblemType.MALFORMED_JSON,
          twice == null
              ? "The body is not valid JSON" + where
              : "The body names " + twice + " twice" + where);
    } catch (IOException e) {
      throw new ProblemException(ProblemType.MALFORMED_JSON, "The body could not be read");
    }
  }

  /**
   * The name a duplicate-key error is about, quoted, when the parser refused the body for naming a
   * field twice: {@code the field "x"} for a short printable name, {@code a field} for any other
   * (the name is the client's own bytes); null for any other error.
   */
  private static String duplicateField(JsonProcessingException e) {
    if (!(e instanceof com.fasterxml.jackson.core.exc.StreamReadException read)
        || read.getOriginalMessage() == null
        || !read.getOriginalMessage().startsWith("Duplicate field")) {
      return null;
    }
    String name = null;
    try {
      name = read.getProcessor() == null ? null : read.getProcessor().currentName();
    } catch (IOException | RuntimeException unreadable) {
      // no name to give
    }
    if (name == null
        || name.isEmpty()
        || name.length() > 64
        || !name.chars().allMatch(c -> c >= 0x20 && c < 0x7f && c != '"' && c != '\\')) {
      return "a field";
    }
    return "the field \"" + name + '"';
  }

  /**
   * JSON is UTF-8 (RFC 8259, section 8.1); the parser would otherwise detect UTF-16 and UTF-32 by
   * their zero bytes or byte order mark and read them. Refused as a 415 before any parsing.
   */
  private static void checkEncoding(byte[] bytes, int offset, int length) {
    int b0 = bytes[offset] & 0xff;
    int b1 = length > 1 ? bytes[offset + 1] & 0xff : -1;
    int b2 = length > 2 ? bytes[offset + 2] & 0xff : -1;
    boolean bom =
        (b0 == 0xfe && b1 == 0xff)
            || (b0 == 0xff && b1 == 0xfe)
            || (b0 == 0xef && b1 == 0xbb && b2 == 0xbf);
    if (bom || b0 == 0 || b1 == 0) {
      throw new ProblemException(
          ProblemType.UNSUPPORTED_MEDIA_TYPE,
          "The body must be JSON in UTF-8 without a byte order mark (RFC 8259); this one is"
              + " UTF-16, UTF-32 or starts with a byte order mark");
    }
    checkUtf8(bytes, offset, length);
  }

  /**
   * Refuses bytes that are not UTF-8 as RFC 3629 defines it, naming the first bad byte's offset:
   * the parser decodes an overlong form ({@code C0 AF} for "/"), a surrogate's three-byte form and
   * code points past U+10FFFF as if they were characters, so the stored text would not be the bytes
   * sent, and a filter that looked at the bytes would not see what is stored. A body in ASCII costs
   * one pass over its bytes; the JDK's decoder, which is strict, reads any other.
   */
  private static void checkUtf8(byte[] bytes, int offset, int length) {
    int end = offset + length;
    int i = offset;
    while (i < end && bytes[i] >= 0) {
      i++;
    }
    if (i == end) {
      return;
    }
    ByteBuffer in = ByteBuffer.wrap(bytes, i, end - i);
    CharBuffer out = CharBuffer.allocate(end - i);
    CoderResult result =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(in, out, true);
    if (result.isError()) {
      throw new ProblemException(
          ProblemType.MALFORMED_JSON,
          "The body is not valid UTF-8 at byte "
              + (in.position() - offset)
              + " (an overlong form, an encoded surrogate, a code point past U+10FFFF, or a"
              + " stray or missing continuation byte)");
    }
  }

  /**
   * Why a string cannot be stored as the client wrote it, or null when it can. Both cases are valid
   * JSON: NUL, which no PostgreSQL text can hold, and a UTF-16 surrogate escape without its other
   * half ({@code "\\ud800"}), which is no character at all and which encoding to UTF-8 would
   * silently turn into a question mark.
   */
  static String unstorable(String text) {
    for (int i = 0, n = text.length(); i < n; i++) {
      char c = text.charAt(i);
      if (c == '\u0000') {
        return "must not contain the NUL character";
      }
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c)
            && i + 1 < n
            && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
        } else {
          return "must be valid Unicode: \\u"
              + Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT)
              + " is half of a surrogate pair without its other half";
        }
      }
    }
    return null;
  }

  /**
   * A streaming pass that refuses an array longer than the limit, or an object with more members,
   * before any tree is built, so a body of a million small elements costs a scan, not a million
   * nodes (nor, for unknown members, a million errors); and any string that cannot be stored as
   * written ({@link #unstorable}). Syntax errors are left to the parse that follows, which reports
   * them with their position.
   */
  private void checkArrays(byte[] bytes, int offset, int length) {
    int[] counts = new int[64];
    boolean[] objects = new boolean[64];
    int depth = 0;
    // members and items in all: each may fail the schema on its own, and validating tens of
    // thousands (a thousand lines of sixty unknown members) held an event loop for 260 ms
    long values = 0;
    long maxValues = 10L * maxArray;
    try (JsonParser parser = bodyMapper.createParser(bytes, offset, length)) {
      JsonToken token;
      while ((token = parser.nextToken()) != null) {
        // an array's items and an object's members alike: no schema has more than a few dozen
        // properties, and 60,000 unknown members were 60,000 errors (a 3 MB problem for 0.77 MB)
        if (depth > 0
            && token != JsonToken.END_ARRAY
            && token != JsonToken.END_OBJECT
            && objects[depth - 1] == (token == JsonToken.FIELD_NAME)) {
          if (++values > maxValues) {
            throw ProblemException.invalid(
                "/", "holds more than " + maxValues + " members and items in all");
          }
          if (++counts[depth - 1] > maxArray) {
            var container = parser.getParsingContext();
            if (token == JsonToken.START_ARRAY || token == JsonToken.START_OBJECT) {
              container = container.getParent();
            }
            String where =
                container.getParent() == null
                    ? ""
                    : container.getParent().pathAsPointer().toString();
            throw ProblemException.invalid(
                where.isEmpty() ? "/" : where,
                "has more than " + maxArray + (objects[depth - 1] ? " members" : " items"));
          }
        }
        if (token == JsonToken.VALUE_NUMBER_FLOAT) {
          // every number the contract takes is an integer; 1.0, 1e2 and 1e400 are refused alike,
          // in every route, instead of being rounded, widened or overflowing somewhere later
          String where = parser.getParsingContext().pathAsPointer().toString();
          throw ProblemException.invalid(
              where.isEmpty() ? "/" : where,
              "must be an integer written without a fraction or an exponent");
        }
        if (token == JsonToken.VALUE_STRING || token == JsonToken.FIELD_NAME) {
          String unstorable = unstorable(parser.getText());
          if (unstorable != null) {
            String where = parser.getParsingContext().pathAsPointer().toString();
            throw ProblemException.invalid(where.isEmpty() ? "/" : where, unstorable);
          }
        }
        if (token == JsonToken.START_ARRAY || token == JsonToken.START_OBJECT) {
          if (depth == counts.length) {
            counts = java.util.Arrays.copyOf(counts, depth * 2);
            objects = java.util.Arrays.copyOf(objects, depth * 2);
          }
          objects[depth] = token == JsonToken.START_OBJECT;
          counts[depth++] = 0;
        } else if (token == JsonToken.END_ARRAY || token == JsonToken.END_OBJECT) {
          depth--;
        }
      }
    } catch (IOException e) {
      // malformed: the full parse reports it
    }
  }
}
