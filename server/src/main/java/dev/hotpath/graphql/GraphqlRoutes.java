package dev.hotpath.graphql;

import static java.util.concurrent.CompletableFuture.completedFuture;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.config.GraphqlSettings;
import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.CachePolicy;
import dev.hotpath.http.Compression;
import dev.hotpath.http.Contract;
import dev.hotpath.http.CursorCodec;
import dev.hotpath.http.FieldError;
import dev.hotpath.http.InProcess;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Representation;
import dev.hotpath.http.Responses;
import dev.hotpath.observe.Observability;
import dev.hotpath.observe.RouteInfo;
import dev.hotpath.serve.OrderMonths;
import dev.hotpath.store.Statements;
import graphql.ExecutionInput;
import graphql.ExecutionResult;
import graphql.GraphQLError;
import graphql.ParseAndValidateResult;
import graphql.language.OperationDefinition;
import graphql.validation.GoodFaithIntrospectionExceeded;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.dataloader.DataLoaderRegistry;
import org.jspecify.annotations.Nullable;

/**
 * {@code POST /graphql} and {@code GET /graphql}: reads the GraphQL request, resolves a persisted
 * query, refuses a document that does not validate or passes the depth or cost limit before
 * anything runs (problem+json naming the limit), sets the request's query budget from the document
 * ({@link QueryLimits}), runs it with a fresh batch of {@link Loaders}, and answers. A GET answer
 * carries a strong entity tag, the digest of its body (an answer composes any number of resources,
 * so no version names it), and {@code If-None-Match} is answered 304. One instance per event loop.
 */
public final class GraphqlRoutes {
  private static final String PATH = "/graphql";
  private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");
  private static final Set<String> GET_PARAMS = Set.of("extensions", "variables", "operationName");
  private static final JavaType MAP =
      JsonOutput.MAPPER.constructType(new TypeReference<LinkedHashMap<String, Object>>() {});

  private final GraphqlEngine engine;
  private final GraphqlSettings settings;
  private final Statements db;
  private final CursorCodec cursors;
  private final Compression compression;
  private final RestWrites writes;
  private final int budgetCeiling;
  private final Contract contract;
  private final OrderMonths months;

  /**
   * @param contract where the route's query budget is declared: the most statements any document
   *     may need ({@code x-query-budget} of {@code POST /graphql})
   * @param months which months a page's orders may be read from by their partitions' names, as
   *     REST's page reads them
   */
  public GraphqlRoutes(
      Vertx vertx,
      GraphqlSettings settings,
      InProcess writeRoutes,
      Contract contract,
      Statements db,
      CursorCodec cursors,
      Compression compression,
      OrderMonths months) {
    this.months = months;
    this.engine = GraphqlEngine.shared(vertx, settings);
    this.settings = settings;
    this.db = db;
    this.cursors = cursors;
    this.compression = compression;
    this.writes = new RestWrites(writeRoutes);
    this.budgetCeiling = contract.routeInfo("POST", PATH).queryBudget();
    this.contract = contract;
    this.preparer =
        vertx.createSharedWorkerExecutor(GraphqlEngine.PREPARE_POOL, GraphqlEngine.PREPARE_THREADS);
  }

  /** The pool new documents are prepared on ({@link GraphqlEngine#PREPARE_THREADS}). */
  private final WorkerExecutor preparer;

  private static final ProblemException TOO_MANY_NEW_DOCUMENTS =
      new ProblemException(
          ProblemType.OVERLOADED,
          "Too many GraphQL documents not seen before are being validated; retry after"
              + " Retry-After seconds (a document already run, or persisted, is not validated again)");

  /** {@code POST /graphql}: a query or mutation, or a persisted query to register or run. */
  public void post(RoutingContext ctx) {
    // as every body: strict JSON (no duplicate keys, nothing after it), checked against the
    // contract
    JsonNode body = contract.readBody(ctx.body().buffer(), "GraphqlRequest");
    Optional<String> query = text(body, "query");
    Map<String, Object> variables = object(body.get("variables"), "variables");
    String operationName = text(body, "operationName").orElse(null);
    Optional<String> hash = persistedHash(body.path("extensions"));
    String document;
    if (hash.isPresent()) {
      document = persisted(hash.get(), query);
    } else {
      document =
          query.orElseThrow(
              () -> ProblemException.invalid("query", "is required (or a persisted query's hash)"));
    }
    run(ctx, document, variables, operationName, false);
  }

  /** {@code GET /graphql}: a persisted query, by its hash. */
  public void get(RoutingContext ctx) {
    if (ctx.request().getParam("query") != null) {
      throw ProblemException.invalid(
          "query", "GET runs persisted queries only: register the text by POST, then GET its hash");
    }
    Params params = Params.of(ctx, GET_PARAMS);
    Optional<String> extensions = params.string("extensions");
    Optional<String> variables = params.string("variables");
    Optional<String> operationName = params.string("operationName");
    params.check();
    Optional<String> hash =
        persistedHash(
            readJson(
                extensions.orElseThrow(() -> ProblemException.invalid("extensions", "is required")),
                "GraphqlExtensions",
                "extensions"));
    String document =
        persisted(
            hash.orElseThrow(
                () ->
                    ProblemException.invalid("extensions", "must name persistedQuery.sha256Hash")),
            Optional.empty());
    Map<String, Object> vars =
        variables.isEmpty()
            ? Map.of()
            : object(readJson(variables.get(), "GraphqlVariables", "variables"), "variables");
    run(ctx, document, vars, operationName.orElse(null), true);
  }

  private void run(
      RoutingContext ctx,
      String query,
      Map<String, Object> variables,
      @Nullable String operationName,
      boolean get) {
    if (query.length() > GraphqlEngine.MAX_QUERY_CHARS) {
      throw ProblemException.invalid(
          "query", "must be at most " + GraphqlEngine.MAX_QUERY_CHARS + " characters");
    }
    GraphqlEngine.Prepared known = engine.known(query);
    if (known != null) {
      proceed(ctx, query, known, variables, operationName, get);
      return;
    }
    // a text not seen before is parsed, validated and measured on a worker thread: validation's
    // cost grows faster than the text (it compares a selection's fields pairwise; 500 aliases of
    // one field held an event loop for 3.5 s on a loaded machine), and the event loop serves every
    // other connection meanwhile
    // on a pool of their own, a few at a time (GraphqlEngine.PREPARE_THREADS, MAX_PREPARING)
    if (!engine.startPreparing()) {
      ctx.response().putHeader("Retry-After", "1");
      throw TOO_MANY_NEW_DOCUMENTS;
    }
    preparer
        .executeBlocking(
            () -> {
              try {
                // answered meanwhile (the request's deadline): nobody waits for this one
                return ctx.response().ended()
                    ? null
                    : engine.prepareOffLoop(query, operationName, variables);
              } finally {
                engine.donePreparing();
              }
            },
            false)
        .onComplete(
            ar -> {
              if (ctx.response().ended()) {
                return; // answered meanwhile (the request's deadline)
              }
              try {
                if (ar.failed()) {
                  throw ar.cause() instanceof RuntimeException e
                      ? e
                      : new IllegalStateException(ar.cause());
                }
                proceed(ctx, query, ar.result(), variables, operationName, get);
              } catch (GoodFaithIntrospectionExceeded e) {
                // graphql-java's validator throws (instead of reporting) an introspection that
                // asks for the same type's fields again and again, which would answer megabytes
                // from a few hundred bytes
                ctx.fail(
                    new ProblemException(
                        ProblemType.QUERY_TOO_COSTLY,
                        "The introspection query goes beyond what a client needs: "
                            + e.toBadFaithError().getMessage()));
              } catch (RuntimeException e) {
                ctx.fail(e);
              }
            });
  }

  /** Runs {@code query}, whose document is parsed and validated ({@code prepared}). */
  private void proceed(
      RoutingContext ctx,
      String query,
      GraphqlEngine.Prepared prepared,
      Map<String, Object> variables,
      @Nullable String operationName,
      boolean get) {
    ParseAndValidateResult parsed = prepared.parsed();
    if (parsed.isFailure()) {
      throw invalid(parsed.getErrors());
    }
    if (get && isMutation(parsed, operationName)) {
      throw new ProblemException(
          ProblemType.BAD_REQUEST, "GET runs queries only; send mutations by POST");
    }
    QueryLimits.Measure measure;
    try {
      measure = engine.measure(query, prepared, operationName, variables);
    } catch (RuntimeException e) {
      throw new ProblemException(
          ProblemType.INVALID_QUERY,
          "The operation cannot be run: " + e.getMessage(),
          List.of(new FieldError("/operationName", String.valueOf(e.getMessage()))));
    }
    if (measure.depth() > settings.maxDepth()) {
      throw new ProblemException(
          ProblemType.QUERY_TOO_DEEP,
          "The query is "
              + measure.depth()
              + " fields deep; the limit HOTPATH_GRAPHQL_MAX_DEPTH is "
              + settings.maxDepth());
    }
    if (measure.cost() > settings.maxCost()) {
      throw new ProblemException(
          ProblemType.QUERY_TOO_COSTLY,
          "The query costs "
              + measure.cost()
              + "; the limit HOTPATH_GRAPHQL_MAX_COST is "
              + settings.maxCost()
              + " (a field costs 1, a page's rows count first times, an order's items "
              + GraphqlSettings.ITEMS_PER_ORDER
              + " times)");
    }
    if (measure.statements() > budgetCeiling) {
      throw new ProblemException(
          ProblemType.QUERY_TOO_COSTLY,
          "The query may need "
              + measure.statements()
              + " database statements (one per database-backed field and level); the route's"
              + " query budget is "
              + budgetCeiling);
    }
    // the route's budget, for this document: one statement per database-backed field and level
    Observability.tag(
        new RouteInfo(ctx.request().method().name(), PATH, "lists", measure.statements()));
    Call call = new Call(ctx, Principal.of(ctx), db, cursors, writes);
    DataLoaderRegistry loaders = Loaders.registry(db, cursors, months);
    ExecutionInput input =
        ExecutionInput.newExecutionInput()
            .query(query)
            .operationName(operationName)
            .variables(variables)
            .dataLoaderRegistry(loaders)
            .graphQLContext(Map.of(Call.KEY, call))
            .build();
    Optional<PlainQueries.Plan> plain =
        prepared
            .plain()
            .filter(p -> operationName == null || operationName.equals(p.operation().getName()));
    CompletionStage<ExecutionResult> execution;
    if (plain.isPresent()) {
      // graphql-java answers what the plain run hands over, from the batches it filled
      execution =
          PlainQueries.run(
                  engine.schema(),
                  plain.get(),
                  variables,
                  input.getGraphQLContext(),
                  loaders,
                  input.getLocale())
              .thenCompose(
                  result ->
                      result != null
                          ? completedFuture(result)
                          : engine.graphql().executeAsync(input));
    } else {
      execution = engine.graphql().executeAsync(input);
    }
    Context context = Vertx.currentContext();
    execution.whenComplete(
        (result, failure) -> {
          if (Vertx.currentContext() == context) {
            answer(ctx, result, failure, get);
          } else {
            context.runOnContext(v -> answer(ctx, result, failure, get));
          }
        });
  }

  private void answer(
      RoutingContext ctx,
      @Nullable ExecutionResult result,
      @Nullable Throwable failure,
      boolean get) {
    if (failure != null || result == null) {
      ctx.fail(failure == null ? new IllegalStateException("no GraphQL result") : failure);
      return;
    }
    if (!result.isDataPresent()) {
      // a request error (variables that do not coerce, say): nothing ran
      ctx.fail(invalid(result.getErrors()));
      return;
    }
    Buffer body;
    try {
      body = JsonOutput.write(1024, gen -> write(gen, result.toSpecification()));
    } catch (UncheckedIOException e) {
      ctx.fail(e.getCause());
      return;
    }
    if (!get) {
      ctx.response().putHeader("Cache-Control", "no-store");
      Responses.json(ctx, 200, body);
      return;
    }
    Representation rep =
        Representation.oneOff(
            body,
            "g" + digest(body),
            Representation.NO_DATE,
            Optional.empty(),
            Representation.NO_OWNER);
    Responses.represent(ctx, rep, CachePolicy.PRIVATE, compression);
  }

  /**
   * Writes an answer's maps, lists, strings, integers and booleans directly (the values resolvers
   * and graphql-java put there), anything else as Jackson would: the same bytes as Jackson's
   * serialization of the whole answer, without looking a serializer up for each value.
   */
  private static void write(JsonGenerator gen, @Nullable Object value) throws IOException {
    switch (value) {
      case null -> gen.writeNull();
      case String s -> gen.writeString(s);
      case Integer i -> gen.writeNumber(i.intValue());
      case Long l -> gen.writeNumber(l.longValue());
      case Boolean b -> gen.writeBoolean(b);
      case Map<?, ?> map -> {
        gen.writeStartObject();
        for (Map.Entry<?, ?> e : map.entrySet()) {
          gen.writeFieldName(String.valueOf(e.getKey()));
          write(gen, e.getValue());
        }
        gen.writeEndObject();
      }
      case List<?> list -> {
        gen.writeStartArray();
        for (int i = 0, n = list.size(); i < n; i++) {
          write(gen, list.get(i));
        }
        gen.writeEndArray();
      }
      default -> JsonOutput.MAPPER.writeValue(gen, value);
    }
  }

  private String persisted(String hash, Optional<String> query) {
    if (query.isPresent()) {
      if (!sha256Hex(query.get()).equals(hash)) {
        throw new ProblemException(
            ProblemType.INVALID_QUERY,
            "persistedQuery.sha256Hash is not the SHA-256 of the query",
            List.of(new FieldError("/extensions/persistedQuery/sha256Hash", "does not match")));
      }
      engine.persist(hash, query.get());
      return query.get();
    }
    return engine
        .persisted(hash)
        .orElseThrow(
            () ->
                new ProblemException(
                    ProblemType.PERSISTED_QUERY_NOT_FOUND,
                    "This server holds no query with SHA-256 "
                        + hash
                        + "; POST it once with its text and this hash"));
  }

  private static Optional<String> persistedHash(JsonNode extensions) {
    JsonNode hash = extensions.path("persistedQuery").path("sha256Hash");
    if (hash.isMissingNode() || hash.isNull()) {
      return Optional.empty();
    }
    if (!hash.isTextual() || !HASH.matcher(hash.asText()).matches()) {
      throw ProblemException.invalid(
          "extensions.persistedQuery.sha256Hash", "must be 64 lowercase hex digits");
    }
    return Optional.of(hash.asText());
  }

  private static boolean isMutation(ParseAndValidateResult parsed, @Nullable String name) {
    for (OperationDefinition op :
        parsed.getDocument().getDefinitionsOfType(OperationDefinition.class)) {
      if ((name == null || name.equals(op.getName()))
          && op.getOperation() == OperationDefinition.Operation.MUTATION) {
        return true;
      }
    }
    return false;
  }

  private static ProblemException invalid(List<GraphQLError> errors) {
    List<FieldError> fields = new ArrayList<>(errors.size());
    for (GraphQLError error : errors) {
      String where =
          error.getLocations() == null || error.getLocations().isEmpty()
              ? "/query"
              : "/query@"
                  + error.getLocations().get(0).getLine()
                  + ":"
                  + error.getLocations().get(0).getColumn();
      fields.add(new FieldError(where, error.getMessage()));
    }
    return new ProblemException(
        ProblemType.INVALID_QUERY,
        errors.isEmpty() ? "The query is not valid" : errors.get(0).getMessage(),
        fields);
  }

  /** A query parameter's JSON, as strict as a body, against the contract's {@code schema}. */
  private JsonNode readJson(String json, String schema, String param) {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    try {
      return contract.readJson(bytes, 0, bytes.length, schema);
    } catch (ProblemException e) {
      // a parameter's fault is the request's (400), whatever a body's would be (415 for NUL)
      throw ProblemException.invalid(param, "must be a JSON object: " + e.detail());
    }
  }

  private static Optional<String> text(JsonNode body, String name) {
    JsonNode value = body.get(name);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw ProblemException.invalid(name, "must be a string");
    }
    return Optional.of(value.asText());
  }

  private static Map<String, Object> object(@Nullable JsonNode value, String name) {
    if (value == null || value.isNull() || value.isMissingNode()) {
      return Map.of();
    }
    if (!value.isObject()) {
      throw ProblemException.invalid(name, "must be a JSON object");
    }
    return JsonOutput.MAPPER.convertValue(value, MAP);
  }

  static String sha256Hex(String text) {
    return HexFormat.of().formatHex(sha256(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static String digest(Buffer body) {
    byte[] hash = sha256(body.getBytes());
    return Base64.getUrlEncoder().withoutPadding().encodeToString(hash).substring(0, 22);
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing", e);
    }
  }
}
