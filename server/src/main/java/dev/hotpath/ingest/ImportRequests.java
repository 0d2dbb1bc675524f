package dev.hotpath.ingest;

import dev.hotpath.compute.ImportBudget;
import dev.hotpath.compute.ImportJob;
import dev.hotpath.compute.ImportParser;
import dev.hotpath.compute.ImportParts;
import dev.hotpath.compute.JobQueue;
import dev.hotpath.config.ComputeSettings;
import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.Deadline;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * {@code POST /v1/orders/imports}: receives the NDJSON or CSV file as it arrives, never whole: it
 * is cut into parts of whole lines ({@link ImportParts}) written to {@code order_import_parts} one
 * after the other (the request paused meanwhile), its lines counted and its idempotency fingerprint
 * hashed on the way. Once it is in, the import's row and its job are written in one transaction
 * under the request's Idempotency-Key, and the answer is {@code 202 Accepted} with {@code Location:
 * /v1/jobs/{id}}. So an upload holds one part in memory, whatever its size, and at most {@code
 * HOTPATH_IMPORT_UPLOADS} are received at once (then 503 with Retry-After). Parts of an upload
 * refused or abandoned are deleted (or purged by the maintenance job a day later).
 */
public final class ImportRequests {
  public static final int MAX_LINES = 1_000_000;
  public static final int MAX_WORKERS = 64;
  static final Duration TIMEOUT = Duration.ofHours(1);

  private static final String INSERT =
      "INSERT INTO order_imports (id, format, upload, workers, lines) VALUES ($1, $2, $3, $4, $5)";
  private static final String DROP_PARTS = "DELETE FROM order_import_parts WHERE upload = $1";
  private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

  private final AcceptedJobs accepted;
  private final ImportBudget budget;
  private final int defaultWorkers;
  private final int chunkLines;
  private final long bodyLimit;

  public ImportRequests(
      WriteTransaction transaction, JobQueue jobs, ImportBudget budget, ComputeSettings settings) {
    this.accepted = new AcceptedJobs(transaction, jobs);
    this.budget = budget;
    this.defaultWorkers = settings.importWorkers();
    this.chunkLines = settings.importChunkLines();
    this.bodyLimit = settings.importBodyLimit();
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
    String length = ctx.request().getHeader("Content-Length");
    if (length != null && tooLong(length)) {
      throw tooLarge();
    }
    String expect = ctx.request().getHeader("Expect");
    if (expect != null && !expect.trim().equalsIgnoreCase("100-continue")) {
      throw new ProblemException(
          ProblemType.EXPECTATION_FAILED,
          "The only expectation understood is Expect: 100-continue; send the request without the"
              + " others");
    }
    if (!budget.uploadStarts()) {
      ctx.response().putHeader("Retry-After", "5");
      throw new ProblemException(
          ProblemType.OVERLOADED,
          "As many imports as this server receives at once are being uploaded; retry after"
              + " Retry-After seconds");
    }
    new Upload(ctx, key, creator, format, workers).start();
  }

  private boolean tooLong(String length) {
    try {
      return Long.parseLong(length.trim()) > bodyLimit;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private ProblemException tooLarge() {
    return new ProblemException(
        ProblemType.PAYLOAD_TOO_LARGE, "The body is larger than " + bodyLimit + " bytes");
  }

  /** One file arriving. Runs on the request's event loop. */
  private final class Upload {
    private final RoutingContext ctx;
    private final HttpServerRequest request;
    private final io.vertx.core.Context context;
    private final IdempotencyStore.Key key;
    private final Optional<String> creator;
    private final String format;
    private final int workers;
    private final Deadline deadline;
    private final MessageDigest digest;
    private final ImportParts cutter = new ImportParts(chunkLines, ImportParts.PART_BYTES);
    private final UUID upload = UUID.randomUUID();
    private final byte[] head = new byte[3];
    private int headLength;
    private boolean headDone;
    private long received;
    private List<ImportParts.Part> ready = new ArrayList<>();
    private Future<Void> writing = Future.succeededFuture();
    private boolean stored;
    private boolean over;
    private boolean ended;

    Upload(
        RoutingContext ctx,
        IdempotencyStore.Key key,
        Optional<String> creator,
        String format,
        int workers) {
      this.ctx = ctx;
      this.request = ctx.request();
      this.context = ctx.vertx().getOrCreateContext();
      this.key = key;
      this.creator = creator;
      this.format = format;
      this.workers = workers;
      this.deadline = Deadline.of(ctx);
      this.digest = WriteTransaction.fingerprintDigest(request.method().name(), request.path());
    }

    void start() {
      // the route's budget covers answering once the file is in; how long it takes to arrive is
      // the client's, and its parts are written without the request's deadline
      Deadline.set(ctx, Deadline.NONE);
      ctx.addEndHandler(v -> end());
      if (request.getHeader("Expect") != null) {
        // the client waits for this before it sends the file (the body handler said it for us)
        ctx.response().writeContinue();
      }
      request.handler(this::data);
      request.exceptionHandler(e -> abandon());
      request.endHandler(v -> complete());
      request.resume();
    }

    private void end() {
      if (!ended) {
        ended = true;
        budget.uploadEnded();
      }
    }

    private void data(Buffer buffer) {
      if (over) {
        return;
      }
      received += buffer.length();
      if (received > bodyLimit) {
        refuse(tooLarge());
        return;
      }
      byte[] bytes = buffer.getBytes();
      digest.update(bytes);
      int from = 0;
      if (!headDone) {
        // a leading UTF-8 byte order mark, as spreadsheets export one, is not part of the file
        while (headLength < 3 && from < bytes.length) {
          head[headLength++] = bytes[from++];
        }
        if (headLength < 3) {
          return;
        }
        headDone = true;
        if (!java.util.Arrays.equals(head, BOM)) {
          cutter.feed(head, 0, 3, this::cut);
        }
      }
      cutter.feed(bytes, from, bytes.length - from, this::cut);
      write();
    }

    private void cut(ImportParts.Part part) {
      // past the limit of lines the file is refused: its lines are still counted (to say how
      // many), its parts no longer kept
      if (cutter.lines() - ImportParser.headerLines(format) <= MAX_LINES) {
        ready.add(part);
      }
    }

    /** Writes the parts cut so far, the request paused until they are in. */
    private void write() {
      if (ready.isEmpty()) {
        return;
      }
      List<Tuple> rows = new ArrayList<>(ready.size());
      for (ImportParts.Part p : ready) {
        rows.add(Tuple.of(upload, p.index(), p.firstLine(), p.lines(), Buffer.buffer(p.data())));
      }
      ready = new ArrayList<>();
      stored = true;
      request.pause();
      writing =
          writing
              .compose(
                  v ->
                      budget.background(
                          pool -> pool.preparedQuery(ImportJob.INSERT_PART).executeBatch(rows),
                          context))
              .<Void>mapEmpty()
              .onComplete(
                  ar -> {
                    if (ar.failed()) {
                      if (!over) {
                        over = true;
                        drop();
                        ctx.fail(ar.cause());
                      }
                    } else if (!over) {
                      request.resume();
                    }
                  });
    }

    private void complete() {
      if (over) {
        return;
      }
      if (!headDone && headLength > 0 && !(headLength == 3 && java.util.Arrays.equals(head, BOM))) {
        cutter.feed(head, 0, headLength, this::cut);
      }
      cutter.finish(this::cut);
      long lines = Math.max(0, cutter.lines() - ImportParser.headerLines(format));
      if (cutter.bytes() == 0) {
        refuse(ProblemException.invalid("/", "the file is empty"));
        return;
      }
      if (lines > MAX_LINES) {
        refuse(
            new ProblemException(
                ProblemType.PAYLOAD_TOO_LARGE,
                "The file has " + lines + " lines; an import takes at most " + MAX_LINES));
        return;
      }
      byte[] first = cutter.firstLine();
      if (format.equals("csv")
          && !ImportParser.csvHeader(
              first == null ? "" : new String(first, StandardCharsets.UTF_8))) {
        refuse(
            ProblemException.invalid(
                "/", "a CSV import starts with the header line " + ImportParser.CSV_HEADER));
        return;
      }
      write();
      byte[] fingerprint = digest.digest();
      int count = (int) lines;
      writing.onSuccess(
          v -> {
            if (over) {
              return;
            }
            if (!deadline.unbounded()) {
              // the route's budget again, from now: for the transaction that accepts the import
              Deadline.set(
                  ctx,
                  Deadline.after(
                      deadline.clock(),
                      deadline.clock().getAsLong(),
                      Duration.ofNanos(deadline.endNanos() - deadline.startNanos())));
            }
            accepted.accept(
                ctx,
                key,
                fingerprint,
                accepted.queue().spec(ImportJob.KIND, "{}").withTimeout(TIMEOUT),
                creator,
                INSERT,
                id -> Tuple.of(id, format, upload, workers, count));
          });
    }

    /** Refuses the file (before anything but its parts was written): the parts go. */
    private void refuse(ProblemException problem) {
      over = true;
      writing.onComplete(
          ar -> {
            drop();
            ctx.fail(problem);
          });
    }

    /** The client went away before the file was in. */
    private void abandon() {
      if (!over) {
        over = true;
        writing.onComplete(ar -> drop());
      }
      end();
    }

    private void drop() {
      if (stored) {
        budget.background(
            pool -> pool.preparedQuery(DROP_PARTS).execute(Tuple.of(upload)), context);
      }
    }
  }
}
