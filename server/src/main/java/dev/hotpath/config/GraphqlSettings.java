package dev.hotpath.config;

/**
 * Bounds of the GraphQL endpoint ({@code /graphql}), checked on every document before it runs.
 *
 * @param maxDepth deepest nesting of fields a query may select ({@code customer { orders { data {
 *     items { product { name } } } } } } is 6)
 * @param maxCost highest cost a query may have: every field costs 1, and what a list selects is
 *     counted once per element it may hold ({@code first} of a page, {@value #ITEMS_PER_ORDER}
 *     lines of an order)
 * @param persistedQueries how many persisted queries (by SHA-256 of their text) an instance keeps;
 *     the least recently used are forgotten beyond it (0: persisted queries off)
 */
public record GraphqlSettings(int maxDepth, int maxCost, int persistedQueries) {
  /** The number of lines an order is counted with in a query's cost. */
  public static final int ITEMS_PER_ORDER = 10;

  public GraphqlSettings {
    new Rules()
        .atLeast("GRAPHQL_MAX_DEPTH", maxDepth, 2)
        .atLeast("GRAPHQL_MAX_COST", maxCost, 1)
        .atLeast("GRAPHQL_PERSISTED_QUERIES", persistedQueries, 0)
        .enforce();
  }

  /**
   * HOTPATH_GRAPHQL_MAX_DEPTH (default 8), HOTPATH_GRAPHQL_MAX_COST (default 10,000) and
   * HOTPATH_GRAPHQL_PERSISTED_QUERIES (default 10,000).
   */
  static GraphqlSettings from(EnvReader r) {
    return new GraphqlSettings(
        r.integer("GRAPHQL_MAX_DEPTH", 8, 2, 64),
        r.integer("GRAPHQL_MAX_COST", 10_000, 1, 10_000_000),
        r.integer("GRAPHQL_PERSISTED_QUERIES", 10_000, 0, 1_000_000));
  }
}
