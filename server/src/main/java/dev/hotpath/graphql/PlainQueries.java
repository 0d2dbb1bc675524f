package dev.hotpath.graphql;

import graphql.ExecutionResult;
import graphql.ExecutionResultImpl;
import graphql.GraphQLContext;
import graphql.execution.CoercedVariables;
import graphql.execution.MergedField;
import graphql.execution.RawVariables;
import graphql.execution.ValuesResolver;
import graphql.language.Definition;
import graphql.language.Document;
import graphql.language.OperationDefinition;
import graphql.language.Selection;
import graphql.language.SelectionSet;
import graphql.schema.DataFetcher;
import graphql.schema.DataFetchingEnvironmentImpl;
import graphql.schema.FieldCoordinates;
import graphql.schema.GraphQLFieldDefinition;
import graphql.schema.GraphQLList;
import graphql.schema.GraphQLNonNull;
import graphql.schema.GraphQLObjectType;
import graphql.schema.GraphQLOutputType;
import graphql.schema.GraphQLScalarType;
import graphql.schema.GraphQLSchema;
import graphql.schema.GraphQLType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.dataloader.DataLoaderRegistry;
import org.jspecify.annotations.Nullable;

/**
 * Runs a plain query without graphql-java's execution engine, which spends about a microsecond of
 * bookkeeping on every field of the answer: a query whose fields are all plain properties of the
 * values the {@link Loaders} batches read (the {@link QueryLimits#LOADED} fields), with no
 * fragment, directive or introspection, and no response key asked twice. Its fields are fetched
 * level by level through the same resolvers and the same batches, dispatched once a level, so it
 * sends the statements graphql-java would send, and it answers exactly what graphql-java would.
 *
 * <p>Only the answer in which every field resolved is made here: any error (a resolver refusing, a
 * row not found, a statement failing, a value that does not serialize) hands the request to
 * graphql-java, with the same batches, which hold what was read already (a failed load included),
 * so graphql-java sends no statement again and writes its own errors.
 */
final class PlainQueries {
  private PlainQueries() {}

  /** A field of the plan: where its value comes from and what it selects. */
  record Field(
      String key,
      String name,
      GraphQLFieldDefinition definition,
      graphql.language.Field node,
      @Nullable DataFetcher<?> fetcher,
      List<Field> selection,
      boolean link,
      MergedField merged) {}

  /** The plan of a document's one query operation. */
  record Plan(OperationDefinition operation, List<Field> selection) {}

  /** Why this executor stops and hands the request to graphql-java. */
  private static final class HandOver extends RuntimeException {
    static final HandOver INSTANCE = new HandOver();

    private HandOver() {
      super(null, null, false, false);
    }
  }

  /**
   * The plan of {@code document}, when it is one query operation of plain fields; empty otherwise.
   */
  static Optional<Plan> plan(GraphQLSchema schema, Document document) {
    List<Definition> definitions = document.getDefinitions();
    if (definitions.size() != 1
        || !(definitions.get(0) instanceof OperationDefinition operation)
        || operation.getOperation() != OperationDefinition.Operation.QUERY
        || !operation.getDirectives().isEmpty()
        || operation.getVariableDefinitions().stream()
            .anyMatch(v -> !v.getDirectives().isEmpty())) {
      return Optional.empty();
    }
    List<Field> selection = selection(schema, schema.getQueryType(), operation.getSelectionSet());
    return selection == null ? Optional.empty() : Optional.of(new Plan(operation, selection));
  }

  private static @Nullable List<Field> selection(
      GraphQLSchema schema, GraphQLObjectType parent, SelectionSet set) {
    List<Field> fields = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    for (Selection<?> selection : set.getSelections()) {
      if (!(selection instanceof graphql.language.Field node)
          || !node.getDirectives().isEmpty()
          || node.getName().startsWith("__")
          || !keys.add(node.getResultKey())) {
        return null;
      }
      GraphQLFieldDefinition definition = parent.getFieldDefinition(node.getName());
      if (definition == null) {
        return null;
      }
      FieldCoordinates coordinates = FieldCoordinates.coordinates(parent, definition);
      DataFetcher<?> fetcher = null;
      if (schema.getCodeRegistry().hasDataFetcher(coordinates)) {
        // the batched fields only: what they read stays in the request's batches
        if (!QueryLimits.LOADED.contains(parent.getName() + "." + node.getName())) {
          return null;
        }
        fetcher = schema.getCodeRegistry().getDataFetcher(coordinates, definition);
      } else if (parent == schema.getQueryType()) {
        return null;
      }
      List<Field> children = List.of();
      GraphQLType type = unwrapAll(definition.getType());
      if (type instanceof GraphQLObjectType object) {
        if (node.getSelectionSet() == null) {
          return null;
        }
        children = selection(schema, object, node.getSelectionSet());
        if (children == null) {
          return null;
        }
      } else if (!(type instanceof GraphQLScalarType)) {
        return null;
      }
      boolean link = isLink(parent, definition, children);
      fields.add(
          new Field(
              node.getResultKey(),
              node.getName(),
              definition,
              node,
              link ? Resolvers.CUSTOMER_LINK : fetcher,
              children,
              link,
              MergedField.newMergedField(node).build()));
    }
    return fields;
  }

  /**
   * A root {@code customer} that selects its orders and at most its id: a link to the pages, whose
   * row is not read when a page holds an order (REST's page reads no customer either).
   */
  private static boolean isLink(
      GraphQLObjectType parent, GraphQLFieldDefinition definition, List<Field> selection) {
    return parent.getName().equals("Query")
        && definition.getName().equals("customer")
        && selection.stream().anyMatch(f -> f.name().equals("orders"))
        && selection.stream().allMatch(f -> f.name().equals("orders") || f.name().equals("id"));
  }

  private static GraphQLType unwrapAll(GraphQLType type) {
    GraphQLType t = type;
    while (t instanceof GraphQLNonNull || t instanceof GraphQLList) {
      t = t instanceof GraphQLNonNull n ? n.getWrappedType() : ((GraphQLList) t).getWrappedType();
    }
    return t;
  }

  /**
   * Runs {@code plan}; the answer, or null when graphql-java has to answer (see the class comment).
   */
  static CompletionStage<@Nullable ExecutionResult> run(
      GraphQLSchema schema,
      Plan plan,
      Map<String, Object> variables,
      GraphQLContext context,
      DataLoaderRegistry loaders,
      Locale locale) {
    Run run;
    try {
      CoercedVariables coerced =
          ValuesResolver.coerceVariableValues(
              schema,
              plan.operation().getVariableDefinitions(),
              RawVariables.of(variables),
              context,
              locale);
      run = new Run(schema, coerced, context, loaders, locale);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(null);
    }
    Map<String, Object> data = run.object(plan.selection(), null, 0);
    return run.level(1)
        .thenApply(
            done ->
                done && run.linksHoldOrders()
                    ? ExecutionResultImpl.newExecutionResult().data(data).build()
                    : null);
  }

  /** A field waiting for its level: where its value goes once fetched. */
  private record Pending(Field field, @Nullable Object source, Map<String, Object> into) {}

  /** One execution: the fields of each level still to fetch. */
  private static final class Run {
    private final GraphQLSchema schema;
    private final CoercedVariables variables;
    private final Map<String, Object> variableMap;
    private final GraphQLContext context;
    private final DataLoaderRegistry loaders;
    private final Locale locale;
    private final List<List<Pending>> levels = new ArrayList<>();

    /** Each link customer's value, and whether a page of its orders held one. */
    private final Map<Object, Boolean> links = new IdentityHashMap<>();

    Run(
        GraphQLSchema schema,
        CoercedVariables variables,
        GraphQLContext context,
        DataLoaderRegistry loaders,
        Locale locale) {
      this.schema = schema;
      this.variables = variables;
      this.variableMap = variables.toMap();
      this.context = context;
      this.loaders = loaders;
      this.locale = locale;
    }

    /** Whether every link customer is known to exist: a page of its orders held one. */
    boolean linksHoldOrders() {
      return !links.containsValue(false);
    }

    /** Fetches level {@code from} and the levels below it; false when it handed over. */
    CompletionStage<Boolean> level(int from) {
      int depth = from;
      // a level of plain fields only sends nothing (graphql-java's dispatch of it neither)
      while (depth < levels.size() && levels.get(depth).isEmpty()) {
        depth++;
      }
      if (depth >= levels.size()) {
        return CompletableFuture.completedFuture(true);
      }
      int level = depth;
      List<Pending> pending = levels.get(level);
      List<CompletableFuture<?>> values = new ArrayList<>(pending.size());
      try {
        for (Pending p : pending) {
          values.add(fetch(p));
        }
      } catch (RuntimeException e) {
        return CompletableFuture.completedFuture(false);
      }
      loaders.dispatchAll();
      return CompletableFuture.allOf(values.toArray(CompletableFuture[]::new))
          .handle((ok, failure) -> failure == null && completeLevel(pending, values, level))
          .thenCompose(ok -> ok ? level(level + 1) : CompletableFuture.completedFuture(false));
    }

    /** Puts each fetched value of a level in its place; false when one hands over. */
    private boolean completeLevel(
        List<Pending> pending, List<CompletableFuture<?>> values, int depth) {
      try {
        for (int i = 0; i < pending.size(); i++) {
          Pending p = pending.get(i);
          Field field = p.field();
          Object value = values.get(i).join();
          if (field.link()) {
            links.put(value, false);
          } else if (p.source() != null
              && links.containsKey(p.source())
              && Loaders.holdsOrders(value)) {
            links.put(p.source(), true);
          }
          p.into().put(field.key(), complete(field.definition().getType(), value, field, depth));
        }
        return true;
      } catch (RuntimeException e) {
        return false;
      }
    }

    private CompletableFuture<?> fetch(Pending p) {
      Field field = p.field();
      Map<String, Object> arguments =
          ValuesResolver.getArgumentValues(
              schema.getCodeRegistry(),
              field.definition().getArguments(),
              field.node().getArguments(),
              variables,
              context,
              locale);
      var env =
          DataFetchingEnvironmentImpl.newDataFetchingEnvironment()
              .source(p.source())
              .arguments(arguments)
              .graphQLContext(context)
              .dataLoaderRegistry(loaders)
              .fieldDefinition(field.definition())
              .mergedField(field.merged())
              .fieldType(field.definition().getType())
              .variables(variableMap)
              .locale(locale)
              .build();
      Object value;
      try {
        value = field.fetcher().get(env);
      } catch (Exception e) {
        throw HandOver.INSTANCE;
      }
      return value instanceof CompletionStage<?> stage
          ? stage.toCompletableFuture()
          : CompletableFuture.completedFuture(value);
    }

    /**
     * The object of {@code selection} on {@code source} at {@code depth}: plain fields now, fetched
     * ones when their level runs.
     */
    Map<String, Object> object(List<Field> selection, @Nullable Object source, int depth) {
      Map<String, Object> result = new LinkedHashMap<>(selection.size() * 2);
      for (Field field : selection) {
        if (field.fetcher() != null) {
          result.put(field.key(), null);
          while (levels.size() <= depth + 1) {
            levels.add(new ArrayList<>());
          }
          levels.get(depth + 1).add(new Pending(field, source, result));
        } else if (source instanceof Map<?, ?> map) {
          result.put(
              field.key(),
              complete(field.definition().getType(), map.get(field.name()), field, depth + 1));
        } else {
          throw HandOver.INSTANCE;
        }
      }
      return result;
    }

    /** The value of {@code field} (at {@code depth}) as graphql-java completes it. */
    private @Nullable Object complete(
        GraphQLOutputType type, @Nullable Object value, Field field, int depth) {
      if (type instanceof GraphQLNonNull nonNull) {
        Object completed =
            complete((GraphQLOutputType) nonNull.getWrappedType(), value, field, depth);
        if (completed == null) {
          throw HandOver.INSTANCE;
        }
        return completed;
      }
      if (value == null) {
        return null;
      }
      if (type instanceof GraphQLList list) {
        if (!(value instanceof Iterable<?> items)) {
          throw HandOver.INSTANCE;
        }
        List<Object> completed = new ArrayList<>();
        for (Object item : items) {
          completed.add(complete((GraphQLOutputType) list.getWrappedType(), item, field, depth));
        }
        return completed;
      }
      if (type instanceof GraphQLScalarType scalar) {
        try {
          Object serialized = scalar.getCoercing().serialize(value, context, locale);
          if (serialized == null || (serialized instanceof Double d && d.isNaN())) {
            throw HandOver.INSTANCE;
          }
          return serialized;
        } catch (RuntimeException e) {
          throw HandOver.INSTANCE;
        }
      }
      return object(field.selection(), value, depth);
    }
  }
}
