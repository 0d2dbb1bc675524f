package dev.hotpath.ingest;

import dev.hotpath.compute.ImportJob;
import dev.hotpath.compute.ImportParser;
import dev.hotpath.compute.JobQueue;
import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * {@code POST /v1/orders/imports}: stores the NDJSON or CSV file and enqueues its import job in one
 * transaction (under the request's Idempotency-Key), then answers {@code 202 Accepted} with {@code
 * Location: /v1/jobs/{id}}. Counting lines and checking the CSV header run on a worker thread; the
 * lines themselves are parsed by {@link ImportJob}.
 */
public final class ImportRequests {
  public static final int MAX_LINES = 1_000_000;
  public static final int MAX_WORKERS = 64;
  static final Duration TIMEOUT = Duration.ofHours(1);

  private static final String INSERT =
      "INSERT INTO order_imports (id, format, body, workers, lines) VALUES ($1, $2, $3, $4, $5)";
  private final AcceptedJobs accepted;
  private final int defaultWorkers;

  public ImportRequests(WriteTransaction transaction, JobQueue jobs, int defaultWorkers) {
    this.accepted = new AcceptedJobs(transaction, jobs);
    this.defaultWorkers = defaultWorkers;
  }

  public void create(RoutingContext ctx) {
    Optional<String> creator = Optional.of(Principal.of(ctx).subject());
    IdempotencyStore.Key key = IdempotencyStore.key(ctx);
    Params params = Params.of(ctx, Set.of("workers"));
    int workers = params.intInRange("workers", defaultWorkers, 1, MAX_WORKERS);
    params.check();
    String contentType = String.valueOf(ctx.request().getHeader("Content-Type"));
    String format =
        contentType.toLowerCase(java.util.Locale.ROOT).startsWith("text/csv") ? "csv" : "ndjson";
    Buffer body = withoutByteOrderMark(ctx.body().buffer());
    if (body == null || body.length() == 0) {
      throw ProblemException.invalid("/", "the file is empty");
    }
    int parsers = workers;
    ctx.vertx()
        .executeBlocking(() -> check(body.getBytes(), format), false)
        .onComplete(
            checked -> {
              if (checked.failed()) {
                ctx.fail(checked.cause());
                return;
              }
              int lines = checked.result();
              accepted.accept(
                  ctx,
                  key,
                  accepted.queue().spec(ImportJob.KIND, "{}").withTimeout(TIMEOUT),
                  creator,
                  INSERT,
                  id -> Tuple.of(id, format, body, parsers, lines));
            });
  }

  /** {@code body} past a leading UTF-8 byte order mark, as spreadsheets export one. */
  private static Buffer withoutByteOrderMark(Buffer body) {
    if (body != null
        && body.length() >= 3
        && body.getByte(0) == (byte) 0xEF
        && body.getByte(1) == (byte) 0xBB
        && body.getByte(2) == (byte) 0xBF) {
      return body.slice(3, body.length());
    }
    return body;
  }

  /** The number of lines; refuses files with too many, and CSV without the header. */
  private static int check(byte[] data, String format) {
    int lines = ImportParser.orderLines(data, format);
    if (lines > MAX_LINES) {
      throw new ProblemException(
          ProblemType.PAYLOAD_TOO_LARGE,
          "The file has " + lines + " lines; an import takes at most " + MAX_LINES);
    }
    if (format.equals("csv") && !ImportParser.csvHeader(ImportParser.firstLine(data))) {
      throw ProblemException.invalid(
          "/", "a CSV import starts with the header line " + ImportParser.CSV_HEADER);
    }
    return lines;
  }
}
