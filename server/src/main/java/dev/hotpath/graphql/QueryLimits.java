package dev.hotpath.graphql;

import dev.hotpath.config.GraphqlSettings;
import graphql.analysis.FieldComplexityEnvironment;
import graphql.analysis.QueryComplexityCalculator;
import graphql.analysis.QueryTraverser;
import graphql.analysis.QueryVisitorFieldEnvironment;
import graphql.analysis.QueryVisitorStub;
import graphql.execution.CoercedVariables;
import graphql.language.Argument;
import graphql.language.Directive;
import graphql.language.Document;
import graphql.language.Node;
import graphql.language.VariableReference;
import graphql.schema.GraphQLSchema;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What a document will cost, measured before it runs: its depth, its cost and the most statements
 * it can send. Introspection ({@code __schema}, {@code __type}) reads no data and counts for
 * nothing.
 *
 * <p>Cost: every field costs 1 plus what it selects; the {@code data} of a page counts what it
 * selects once per row the page may hold (its {@code first}, default 20), an order's {@code items}
 * {@value GraphqlSettings#ITEMS_PER_ORDER} times. Statements: the fields that read the database
 * ({@link #LOADED}) are batched per level of the query, so each distinct (field, depth) is at most
 * one statement; {@code products} runs its own statement per occurrence.
 */
final class QueryLimits {
  /** Fields answered through a {@link Loaders} batch: one statement per depth they occur at. */
  static final Set<String> LOADED =
      Set.of(
          "Query.customer",
          "Query.order",
          "Customer.orders",
          "OrderPage.data",
          "Order.items",
          "OrderItem.product");

  private static final String PRODUCTS = "Query.products";
  private static final int DEFAULT_PAGE = 20;

  private QueryLimits() {}

  /** The measures of one operation of a document. */
  record Measure(int depth, int cost, int statements) {}

  /**
   * The variables a measure of {@code document} may depend on besides the document itself: those
   * given as a {@code first} (the rows a page counts for) and those in directives ({@code @skip}
   * and {@code @include} decide which fields count). Any other variable (an id, a cursor) changes
   * what a query reads, never what it may cost.
   */
  static Set<String> measuredVariables(Document document) {
    Set<String> names = new HashSet<>();
    collect(document, false, names);
    return Set.copyOf(names);
  }

  private static void collect(Node<?> node, boolean measured, Set<String> names) {
    if (node instanceof VariableReference v) {
      if (measured) {
        names.add(v.getName());
      }
      return;
    }
    boolean inside =
        measured
            || node instanceof Directive
            || (node instanceof Argument a && "first".equals(a.getName()));
    for (Node<?> child : node.getChildren()) {
      collect(child, inside, names);
    }
  }

  static Measure measure(
      GraphQLSchema schema,
      Document document,
      @Nullable String operationName,
      Map<String, Object> variables) {
    CoercedVariables coerced = CoercedVariables.of(variables);
    int[] depth = {0};
    int[] products = {0};
    Set<String> levels = new HashSet<>();
    QueryTraverser.newQueryTraverser()
        .schema(schema)
        .document(document)
        .operationName(operationName)
        .coercedVariables(coerced)
        .build()
        .visitPreOrder(
            new QueryVisitorStub() {
              @Override
              public void visitField(QueryVisitorFieldEnvironment env) {
                int d = depthOf(env);
                if (d < 0) {
                  return;
                }
                depth[0] = Math.max(depth[0], d);
                if (env.isTypeNameIntrospectionField()) {
                  return; // __typename reads nothing, and has no fields container to name
                }
                String field =
                    env.getFieldsContainer().getName() + "." + env.getFieldDefinition().getName();
                if (LOADED.contains(field)) {
                  levels.add(field + "@" + d);
                } else if (PRODUCTS.equals(field)) {
                  products[0]++;
                }
              }
            });
    int cost =
        QueryComplexityCalculator.newCalculator()
            .schema(schema)
            .document(document)
            .operationName(operationName)
            .variables(coerced)
            .fieldComplexityCalculator(QueryLimits::cost)
            .build()
            .calculate();
    return new Measure(depth[0], cost, levels.size() + products[0]);
  }

  /** The field's depth from the root (1 for a root field); -1 inside introspection. */
  private static int depthOf(QueryVisitorFieldEnvironment env) {
    int d = 0;
    for (QueryVisitorFieldEnvironment e = env; e != null; e = e.getParentEnvironment()) {
      if (e.getFieldDefinition().getName().startsWith("__") && !e.isTypeNameIntrospectionField()) {
        return -1;
      }
      d++;
    }
    return d;
  }

  private static int cost(FieldComplexityEnvironment env, int children) {
    String name = env.getField().getName();
    if (name.startsWith("__")) {
      return 0;
    }
    long cost = 1L + children;
    FieldComplexityEnvironment parent = env.getParentEnvironment();
    if ("data".equals(name) && parent != null) {
      Object first = parent.getArguments().get("first");
      long rows = first instanceof Number n ? Math.max(0, n.longValue()) : DEFAULT_PAGE;
      cost = 1L + rows * children;
    } else if ("items".equals(name)) {
      cost = 1L + (long) GraphqlSettings.ITEMS_PER_ORDER * children;
    }
    return (int) Math.min(Integer.MAX_VALUE, cost);
  }
}
