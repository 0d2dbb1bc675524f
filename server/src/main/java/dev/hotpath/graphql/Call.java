package dev.hotpath.graphql;

import dev.hotpath.edge.auth.Principal;
import dev.hotpath.edge.auth.Scope;
import dev.hotpath.http.CursorCodec;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.store.Statements;
import graphql.schema.DataFetchingEnvironment;
import io.vertx.ext.web.RoutingContext;

/**
 * What the resolvers of one GraphQL request need: who asks, the request itself (for the writes,
 * which go through the REST routes) and its event loop's database door.
 */
record Call(
    RoutingContext ctx,
    Principal principal,
    Statements db,
    CursorCodec cursors,
    RestWrites writes) {
  static final String KEY = "hotpath.call";

  static Call of(DataFetchingEnvironment env) {
    return env.getGraphQlContext().get(KEY);
  }

  /**
   * @throws ProblemException 403 when the caller lacks {@code scope}, which the REST route of the
   *     field needs
   */
  void require(Scope scope, String field) {
    if (!principal.has(scope.bit())) {
      throw new ProblemException(
          ProblemType.FORBIDDEN, field + " needs the scope " + scope.value() + " in the token");
    }
  }
}
