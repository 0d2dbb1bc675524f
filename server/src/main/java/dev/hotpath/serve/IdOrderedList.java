package dev.hotpath.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.Message;
import dev.hotpath.http.CachePolicy;
import dev.hotpath.http.CursorCodec;
import dev.hotpath.http.Fields;
import dev.hotpath.http.Format;
import dev.hotpath.http.Representation;
import dev.hotpath.http.Responses;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.util.Optional;

/**
 * A list ordered by id with an optional equality filter, paged by keyset on id: every page is one
 * index range scan, however deep. Used for customers by status and products by category. Pages are
 * not cached, but carry an entity tag built from their rows' ids and versions.
 */
final class IdOrderedList {
  /** Writes one row of the list. */
  @FunctionalInterface
  interface RowWriter {
    void write(JsonGenerator gen, Row row, Fields.Selection sel) throws IOException;
  }

  private final String name;
  private final String first;
  private final String next;
  private final String filteredFirst;
  private final String filteredNext;
  private final RowWriter writer;
  private final int versionColumn;
  private final CachePolicy policy;
  private final Message pagePrototype;

  IdOrderedList(
      String name,
      String table,
      String columns,
      String filterColumn,
      RowWriter writer,
      int versionColumn,
      CachePolicy policy,
      Message pagePrototype) {
    this.name = name;
    String select = "SELECT " + columns + " FROM " + table;
    this.first = select + " ORDER BY id LIMIT $1";
    this.next = select + " WHERE id > $1 ORDER BY id LIMIT $2";
    this.filteredFirst = select + " WHERE " + filterColumn + " = $1 ORDER BY id LIMIT $2";
    this.filteredNext =
        select + " WHERE " + filterColumn + " = $1 AND id > $2 ORDER BY id LIMIT $3";
    this.writer = writer;
    this.versionColumn = versionColumn;
    this.policy = policy;
    this.pagePrototype = pagePrototype;
  }

  void serve(
      RoutingContext ctx,
      ReadTools tools,
      Optional<String> filter,
      Optional<String> cursor,
      int limit,
      Fields.Selection sel) {
    CursorCodec cursors = tools.cursors();
    Format format = Format.negotiate(ctx);
    String scope = name + ":" + filter.map(f -> "=" + f).orElse("");
    Optional<Long> after = cursor.map(c -> cursors.decode(scope, c, 1)[0]);
    Tuple args = Tuple.tuple();
    filter.ifPresent(args::addString);
    after.ifPresent(args::addLong);
    args.addInteger(limit + 1);
    String sql =
        filter.isPresent()
            ? (after.isPresent() ? filteredNext : filteredFirst)
            : (after.isPresent() ? next : first);
    Replies.withRows(
        ctx,
        tools.db().run(sql, args),
        rows -> {
          Optional<String> nextCursor = Optional.empty();
          boolean more = rows.size() > limit;
          if (more) {
            rows.remove(rows.size() - 1);
            nextCursor = Optional.of(cursors.encode(scope, rows.get(rows.size() - 1).getLong(0)));
          }
          Optional<String> link = nextCursor;
          Buffer body = Pages.encode(rows, link, 300, writer, sel);
          Tags.PageTag tag =
              new Tags.PageTag()
                  .add(scope)
                  .add(limit)
                  .add(sel.top())
                  .add(sel.items())
                  .add(more ? 1 : 0);
          for (Row row : rows) {
            tag.add(row.getLong(0)).add(row.getInteger(versionColumn));
          }
          Representation rep =
              Representation.oneOff(
                  body, tag.tag(name), Representation.NO_DATE, link, Representation.NO_OWNER);
          Responses.represent(
              ctx, ProtobufForms.in(format, rep, pagePrototype), policy, tools.compression());
        });
  }
}
