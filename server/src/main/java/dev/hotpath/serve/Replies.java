package dev.hotpath.serve;

import com.google.protobuf.Message;
import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.CachePolicy;
import dev.hotpath.http.Compression;
import dev.hotpath.http.Fields;
import dev.hotpath.http.Format;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.Representation;
import dev.hotpath.http.Responses;
import dev.hotpath.serve.cache.CacheKey;
import dev.hotpath.serve.cache.ResponseCache;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import dev.hotpath.store.Statements;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/** Answers a GET with a representation from the cache or from a load. */
final class Replies {
  private static final Set<String> ONE_PARAMS = Set.of("fields");

  private Replies() {}

  /**
   * A resource served by id through the cache: its cache kind, fields, cache policy and its name in
   * a 404 (e.g. "Order").
   */
  record Resource(Kind kind, Fields fields, CachePolicy policy, String what) {}

  /**
   * The shape of every handler that answers from one query: runs {@code then} with the rows of
   * {@code query} as a list; a failed query, or a failure {@code then} throws (a 404, say), fails
   * the request and is answered as a problem.
   */
  static void withRows(RoutingContext ctx, Future<RowSet<Row>> query, Consumer<List<Row>> then) {
    query.onComplete(
        ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
            return;
          }
          List<Row> rows = new ArrayList<>(ar.result().size());
          ar.result().forEach(rows::add);
          try {
            then.accept(rows);
          } catch (RuntimeException e) {
            ctx.fail(e);
          }
        });
  }

  /**
   * Cuts a page fetched with one row more than {@code limit}: removes the extra row and returns
   * whether there was one (whether a next page follows).
   */
  static boolean cut(List<Row> rows, int limit) {
    if (rows.size() <= limit) {
      return false;
    }
    rows.remove(rows.size() - 1);
    return true;
  }

  /**
   * The handler of a GET of one {@code resource} by the path's {@code id}, through the cache: reads
   * the id and the {@code fields=} selection (no other parameter), then sends the entry as {@link
   * #cached} does.
   */
  static void one(
      RoutingContext ctx,
      ResponseCache.Lookup lookup,
      Resource resource,
      Compression compression,
      Principal principal) {
    Params params = Params.of(ctx, ONE_PARAMS);
    long id = params.pathId("id");
    Fields.Selection sel = params.fields(resource.fields());
    params.check();
    Format format = Format.negotiate(ctx);
    cached(
        ctx,
        lookup.get(CacheKey.of(resource.kind(), id, sel, 0, format)),
        resource.policy(),
        compression,
        resource.what(),
        id,
        principal);
  }

  /**
   * The load of one cached resource: runs {@code sql} with the id of {@code key} and represents its
   * row with the key's selection of {@code fields}; empty when there is none (the cache keeps that
   * "not found" too).
   */
  static Future<Optional<Representation>> loadOne(
      Statements db,
      String sql,
      CacheKey key,
      Fields fields,
      BiFunction<Row, Fields.Selection, Representation> represent) {
    Fields.Selection sel = fields.selection(key.fields(), key.itemFields());
    return db.first(sql, Tuple.of(key.id()))
        .map(found -> found.map(row -> represent.apply(row, sel)));
  }

  /**
   * Sends a cache entry: at once on a hit; on a miss when its load completes, back on the request's
   * event loop (a shared load may complete on another one).
   *
   * @param what the resource's name in a 404, e.g. "Order"
   * @param principal who asks: an entry owned by a customer it may not see is a 404, the same 404
   *     as for a resource that does not exist
   */
  static void cached(
      RoutingContext ctx,
      CompletableFuture<ResponseCache.Entry> future,
      CachePolicy policy,
      Compression compression,
      String what,
      long id,
      Principal principal) {
    if (future.isDone() && !future.isCompletedExceptionally()) {
      send(ctx, future.join(), policy, compression, what, id, principal);
      return;
    }
    Context context = Vertx.currentContext();
    future.whenComplete(
        (entry, failure) -> {
          if (Vertx.currentContext() == context) {
            complete(ctx, entry, failure, policy, compression, what, id, principal);
          } else {
            context.runOnContext(
                v -> complete(ctx, entry, failure, policy, compression, what, id, principal));
          }
        });
  }

  private static void complete(
      RoutingContext ctx,
      ResponseCache.Entry entry,
      Throwable failure,
      CachePolicy policy,
      Compression compression,
      String what,
      long id,
      Principal principal) {
    if (failure != null) {
      ctx.fail(
          failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause()
              : failure);
    } else {
      send(ctx, entry, policy, compression, what, id, principal);
    }
  }

  private static void send(
      RoutingContext ctx,
      ResponseCache.Entry entry,
      CachePolicy policy,
      Compression compression,
      String what,
      long id,
      Principal principal) {
    // checked before any precondition, so that an entity tag cannot reveal another's resource
    if (entry.found() && principal.mayAccess(entry.representation().owner())) {
      Responses.represent(ctx, entry.representation(), policy, compression);
    } else {
      ctx.fail(ProblemException.notFound(what + " " + id));
    }
  }

  /**
   * Sends a representation loaded for this request alone (not cached), in {@code format} (a
   * protobuf answer is encoded as {@code prototype}'s message).
   */
  static void loaded(
      RoutingContext ctx,
      Future<Optional<Representation>> loading,
      Format format,
      Message prototype,
      CachePolicy policy,
      Compression compression,
      String what,
      long id,
      Principal principal) {
    loading.onComplete(
        ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
          } else if (ar.result().isEmpty() || !principal.mayAccess(ar.result().get().owner())) {
            ctx.fail(ProblemException.notFound(what + " " + id));
          } else {
            Responses.represent(
                ctx, ProtobufForms.in(format, ar.result().get(), prototype), policy, compression);
          }
        });
  }
}
