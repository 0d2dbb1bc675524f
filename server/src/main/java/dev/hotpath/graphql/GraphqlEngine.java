package dev.hotpath.graphql;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.hotpath.config.GraphqlSettings;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.store.DatabaseHealth;
import graphql.ExecutionInput;
import graphql.GraphQL;
import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import graphql.ParseAndValidate;
import graphql.ParseAndValidateResult;
import graphql.execution.DataFetcherExceptionHandler;
import graphql.execution.DataFetcherExceptionHandlerResult;
import graphql.execution.preparsed.PreparsedDocumentEntry;
import graphql.schema.GraphQLSchema;
import graphql.schema.idl.RuntimeWiring;
import graphql.schema.idl.SchemaGenerator;
import graphql.schema.idl.SchemaParser;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schema ({@code api/graphql/schema.graphqls}) wired to its resolvers, and what the event loops
 * of one server share: parsed and validated documents by their text, and the persisted queries by
 * their hash. Thread-safe; one per Vert.x instance ({@link #shared}).
 */
public final class GraphqlEngine implements Shareable {
  private static final Logger log = LoggerFactory.getLogger(GraphqlEngine.class);
  static final String SCHEMA = "api/graphql/schema.graphqls";

  /**
   * Characters of query text whose parsed documents are kept (their trees weigh a few times more).
   */
  private static final long DOCUMENT_CHARS = 4_000_000;

  /** The longest query text taken, as {@code GraphqlRequest.query} in the contract says. */
  static final int MAX_QUERY_CHARS = 20_000;

  private final GraphqlSettings settings;
  private final GraphQLSchema schema;
  private final GraphQL graphql;
  private final Cache<String, Prepared> documents =
      Caffeine.newBuilder()
          .maximumWeight(DOCUMENT_CHARS)
          .weigher((String query, Prepared prepared) -> query.length())
          .build();

  /**
   * The measures of the documents' operations, by text, operation name and the values of the
   * variables a measure depends on ({@link QueryLimits#measuredVariables}): a document and its
   * variables measure the same every time, and measuring walks the whole document twice.
   */
  private final Cache<MeasureKey, QueryLimits.Measure> measures =
      Caffeine.newBuilder()
          .maximumWeight(DOCUMENT_CHARS)
          .weigher((MeasureKey key, QueryLimits.Measure measure) -> key.query().length())
          .build();

  private final Cache<String, String> persisted;

  private GraphqlEngine(GraphqlSettings settings) {
    this.settings = settings;
    this.schema = loadSchema();
    this.persisted = Caffeine.newBuilder().maximumSize(settings.persistedQueries()).build();
    this.graphql =
        GraphQL.newGraphQL(schema)
            .defaultDataFetcherExceptionHandler(new Errors())
            // documents are parsed and validated before the limits are checked; not again
            .preparsedDocumentProvider(
                (input, parse) ->
                    CompletableFuture.completedFuture(
                        new PreparsedDocumentEntry(
                            documents
                                .get(input.getQuery(), q -> prepare(input))
                                .parsed()
                                .getDocument())))
            .build();
  }

  /** The engine of the server running on {@code vertx}, made by the first event loop to ask. */
  public static GraphqlEngine shared(Vertx vertx, GraphqlSettings settings) {
    LocalMap<String, GraphqlEngine> map = vertx.sharedData().getLocalMap("hotpath.graphql");
    synchronized (GraphqlEngine.class) {
      GraphqlEngine engine = map.get("engine");
      if (engine == null) {
        engine = new GraphqlEngine(settings);
        map.put("engine", engine);
      }
      return engine;
    }
  }

  GraphqlSettings settings() {
    return settings;
  }

  GraphQLSchema schema() {
    return schema;
  }

  GraphQL graphql() {
    return graphql;
  }

  /**
   * Threads that parse and validate documents not seen before: half the cores, at least one. Their
   * own pool, not Vert.x's shared workers: validation is CPU bound and grows faster than the text,
   * and 100 distinct documents of 20,000 characters at once on the shared pool (20 threads, 2
   * cores) held /metrics' scrape, which runs there, up to 14 s, and took the event loops' CPU:
   * /health/live up to 12 s, blocked-thread warnings.
   */
  static final int PREPARE_THREADS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

  /** Name of the worker pool of {@link #PREPARE_THREADS} (one in the process). */
  static final String PREPARE_POOL = "hotpath-graphql-prepare";

  /**
   * Most documents being prepared or waiting for a thread to be, in the whole process: beyond, a
   * new document is refused at once (503 {@code overloaded}, Retry-After) rather than queued behind
   * work that would take longer than its request may wait.
   */
  static final int MAX_PREPARING = 8 * PREPARE_THREADS;

  private final java.util.concurrent.atomic.AtomicInteger preparing =
      new java.util.concurrent.atomic.AtomicInteger();

  /** Takes a place among the {@link #MAX_PREPARING}; false, with none taken, when all are taken. */
  boolean startPreparing() {
    if (preparing.incrementAndGet() > MAX_PREPARING) {
      preparing.decrementAndGet();
      return false;
    }
    return true;
  }

  /** Gives back a place {@link #startPreparing} took. */
  void donePreparing() {
    preparing.decrementAndGet();
  }

  /** The document of {@code query} when it has been parsed and validated already, else null. */
  @Nullable Prepared known(String query) {
    return documents.getIfPresent(query);
  }

  /**
   * The document of {@code query}, parsed and validated once per text, with the measure of the
   * operation and variables asked for computed too (when the operation can be run): the work whose
   * cost grows with the text, done here on a worker thread, so that the event loop that runs the
   * query finds both in their caches.
   *
   * @throws IllegalStateException on an event loop
   */
  Prepared prepareOffLoop(
      String query, @Nullable String operationName, Map<String, Object> variables) {
    if (io.vertx.core.Context.isOnEventLoopThread()) {
      throw new IllegalStateException(
          "a GraphQL document is parsed and validated on a worker thread, not an event loop");
    }
    Prepared prepared =
        documents.get(query, q -> prepare(ExecutionInput.newExecutionInput().query(q).build()));
    if (!prepared.parsed().isFailure()) {
      try {
        measure(query, prepared, operationName, variables);
      } catch (RuntimeException e) {
        // an operation that cannot be run: the event loop reports it when it measures
      }
    }
    return prepared;
  }

  private Prepared prepare(ExecutionInput input) {
    ParseAndValidateResult parsed = ParseAndValidate.parseAndValidate(schema, input);
    if (parsed.isFailure()) {
      return new Prepared(parsed, Set.of(), Optional.empty());
    }
    return new Prepared(
        parsed,
        QueryLimits.measuredVariables(parsed.getDocument()),
        PlainQueries.plan(schema, parsed.getDocument()));
  }

  /**
   * The measure of the operation {@code operationName} of {@code prepared} (the text {@code query})
   * with {@code variables}, computed once per document, operation and values of the variables it
   * depends on.
   *
   * @throws RuntimeException when the operation cannot be run (no such operation, say)
   */
  QueryLimits.Measure measure(
      String query,
      Prepared prepared,
      @Nullable String operationName,
      Map<String, Object> variables) {
    Map<String, Object> measured = HashMap.newHashMap(prepared.measuredVariables().size());
    for (String name : prepared.measuredVariables()) {
      if (variables.containsKey(name)) {
        Object value = variables.get(name);
        if (!(value == null || value instanceof Number || value instanceof Boolean)) {
          // not a value a valid request sends there (coercion will refuse it): not kept
          return QueryLimits.measure(
              schema, prepared.parsed().getDocument(), operationName, variables);
        }
        measured.put(name, value);
      }
    }
    return measures.get(
        new MeasureKey(query, operationName, measured),
        k ->
            QueryLimits.measure(schema, prepared.parsed().getDocument(), operationName, variables));
  }

  /**
   * A document parsed and validated, the variables its measures depend on, and its plan when it is
   * a plain query ({@link PlainQueries}).
   */
  record Prepared(
      ParseAndValidateResult parsed,
      Set<String> measuredVariables,
      Optional<PlainQueries.Plan> plain) {}

  private record MeasureKey(
      String query, @Nullable String operationName, Map<String, Object> variables) {}

  /** The text of the persisted query {@code hash}, when this server holds it. */
  Optional<String> persisted(String hash) {
    return Optional.ofNullable(persisted.getIfPresent(hash));
  }

  void persist(String hash, String query) {
    if (settings.persistedQueries() > 0) {
      persisted.put(hash, query);
    }
  }

  /** Loads the schema from the class path and binds each field that is not a plain property. */
  static GraphQLSchema loadSchema() {
    String text;
    try (InputStream in = GraphqlEngine.class.getClassLoader().getResourceAsStream(SCHEMA)) {
      if (in == null) {
        throw new IllegalStateException(SCHEMA + " is not on the class path");
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    RuntimeWiring wiring =
        RuntimeWiring.newRuntimeWiring()
            .scalar(LongScalar.TYPE)
            .type(
                "Query",
                t ->
                    t.dataFetcher("customer", Resolvers.CUSTOMER)
                        .dataFetcher("order", Resolvers.ORDER)
                        .dataFetcher("products", Resolvers.PRODUCTS))
            .type(
                "Mutation",
                t ->
                    t.dataFetcher("createOrder", Mutations.CREATE_ORDER)
                        .dataFetcher("cancelOrder", Mutations.CANCEL_ORDER))
            .type("Customer", t -> t.dataFetcher("orders", Resolvers.CUSTOMER_ORDERS))
            .type("OrderPage", t -> t.dataFetcher("data", Resolvers.PAGE_DATA))
            .type("Order", t -> t.dataFetcher("items", Resolvers.ORDER_ITEMS))
            .type("OrderItem", t -> t.dataFetcher("product", Resolvers.ITEM_PRODUCT))
            .build();
    return new SchemaGenerator().makeExecutableSchema(new SchemaParser().parse(text), wiring);
  }

  /**
   * A field that failed becomes an error naming the problem (its {@code type} and {@code status} in
   * {@code extensions}), as the REST route would have answered it; anything unexpected is logged
   * and named an internal error.
   */
  private static final class Errors implements DataFetcherExceptionHandler {
    @Override
    public CompletableFuture<DataFetcherExceptionHandlerResult> handleException(
        graphql.execution.DataFetcherExceptionHandlerParameters params) {
      Throwable failure = params.getException();
      while (failure instanceof CompletionException && failure.getCause() != null) {
        failure = failure.getCause();
      }
      ProblemException problem = problem(failure);
      if (problem.type() == ProblemType.INTERNAL) {
        log.error("GraphQL field {} failed", params.getPath(), failure);
      }
      Map<String, Object> extensions = new LinkedHashMap<>();
      extensions.put("type", problem.type().uri());
      extensions.put("status", problem.type().status());
      if (!problem.errors().isEmpty()) {
        extensions.put(
            "errors",
            problem.errors().stream()
                .map(e -> Map.of("field", e.field(), "message", e.message()))
                .toList());
      }
      GraphQLError error =
          GraphqlErrorBuilder.newError()
              .message(problem.detail())
              .path(params.getPath())
              .location(params.getSourceLocation())
              .extensions(extensions)
              .build();
      return CompletableFuture.completedFuture(
          DataFetcherExceptionHandlerResult.newResult().error(error).build());
    }

    private static ProblemException problem(Throwable failure) {
      if (failure instanceof ProblemException p) {
        return p;
      }
      if (DatabaseHealth.unreachable(failure)) {
        return new ProblemException(
            ProblemType.DATABASE_UNAVAILABLE, "The database cannot be reached; retry later");
      }
      if (DatabaseHealth.timedOut(failure)) {
        return new ProblemException(
            ProblemType.DATABASE_TIMEOUT,
            "The database did not answer within the request's budget");
      }
      return new ProblemException(
          ProblemType.INTERNAL, "The server could not resolve this field; it has been logged");
    }
  }
}
