package dev.hotpath.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.hotpath.edge.CursorCodec;
import dev.hotpath.edge.Fields;
import dev.hotpath.edge.JsonOutput;
import dev.hotpath.edge.Responses;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A list ordered by id with an optional equality filter, paged by keyset on id: every page is one
 * index range scan, however deep. Used for customers by status and products by category.
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

  IdOrderedList(String name, String table, String columns, String filterColumn, RowWriter writer) {
    this.name = name;
    String select = "SELECT " + columns + " FROM " + table;
    this.first = select + " ORDER BY id LIMIT $1";
    this.next = select + " WHERE id > $1 ORDER BY id LIMIT $2";
    this.filteredFirst = select + " WHERE " + filterColumn + " = $1 ORDER BY id LIMIT $2";
    this.filteredNext =
        select + " WHERE " + filterColumn + " = $1 AND id > $2 ORDER BY id LIMIT $3";
    this.writer = writer;
  }

  void serve(
      RoutingContext ctx,
      Pool pool,
      CursorCodec cursors,
      Optional<String> filter,
      Optional<String> cursor,
      int limit,
      Fields.Selection sel) {
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
    pool.preparedQuery(sql)
        .execute(args)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
              }
              List<Row> rows = new ArrayList<>(ar.result().size());
              ar.result().forEach(rows::add);
              Optional<String> nextCursor = Optional.empty();
              if (rows.size() > limit) {
                rows.remove(rows.size() - 1);
                nextCursor =
                    Optional.of(cursors.encode(scope, rows.get(rows.size() - 1).getLong(0)));
              }
              Optional<String> link = nextCursor;
              Buffer body =
                  JsonOutput.write(
                      128 + 300 * rows.size(),
                      gen -> {
                        gen.writeStartObject();
                        gen.writeArrayFieldStart("data");
                        for (Row row : rows) {
                          writer.write(gen, row, sel);
                        }
                        gen.writeEndArray();
                        gen.writeFieldName("next_cursor");
                        if (link.isPresent()) {
                          gen.writeString(link.get());
                        } else {
                          gen.writeNull();
                        }
                        gen.writeEndObject();
                      });
              Responses.page(ctx, body, link);
            });
  }
}
