package dev.hotpath.http;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Swagger UI's files for {@code /docs}, served under {@code /docs/assets/{version}/{name}}: the URL
 * names the webjar's version, so a file can be cached as {@code immutable} (a new version is a new
 * URL). Each file is read and gzip-compressed once, on a worker thread at its first request, and
 * kept in memory for every event loop (the bundle shrinks from ~1.5 MB to ~0.4 MB). Requests that
 * come while a file is being loaded wait for that one load (each answered on its own event loop):
 * before, each ran a load of its own, and 200 concurrent first requests for the bundle compressed
 * it up to 200 times on the worker pool (about 9 s of CPU, 102 of them past the request timeout). A
 * request already answered (its timeout's 503, a reset stream) is not written to again. The
 * webjar's file names are listed once at start: a name outside it is a 404 at once, with no load
 * and no wait for the worker pool, and the memory kept is bounded by the webjar's files.
 *
 * @param root the class-path folder of the webjar's files, without a trailing slash
 * @param version the webjar's version, the path segment that versions the URLs
 */
public record DocsAssets(String root, String version) {
  /**
   * Lists the webjar's files once (at start, where the docs routes are mounted), so that a name it
   * does not hold is a 404 at once: before, finding that out was a load on the worker pool, and a
   * request for a missing file waited behind whatever filled that pool (DocsTest saw its 404 turn
   * into the request timeout's 503 at machine load 7-9).
   */
  public DocsAssets {
    FILES.computeIfAbsent(root, DocsAssets::list);
  }

  /** The names of the files directly under each root (the webjar's version folder). */
  private static final Map<String, java.util.Set<String>> FILES = new ConcurrentHashMap<>();

  static final String IMMUTABLE = "public, max-age=31536000, immutable";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  private static final int MIN_GZIP_BYTES = 1024;

  /** One file: its type and bytes, and the gzip form when compressing it pays. */
  record Asset(String contentType, Buffer plain, Optional<Buffer> gzip) {}

  private static final Map<String, Asset> LOADED = new ConcurrentHashMap<>();

  /** Files being loaded: one load each, which the requests that come meanwhile wait for. */
  private static final Map<String, CompletableFuture<Optional<Asset>>> LOADING =
      new ConcurrentHashMap<>();

  /** Files read (and compressed) since start, found or not (tests read it). */
  private static final java.util.concurrent.atomic.LongAdder LOADS =
      new java.util.concurrent.atomic.LongAdder();

  /** Files read since start. */
  public static long loads() {
    return LOADS.sum();
  }

  /** The URL of {@code name} under the current version. */
  public String url(String name) {
    return "/docs/assets/" + version + "/" + name;
  }

  public void handle(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (!version.equals(ctx.pathParam("version")) || !NAME.matcher(name).matches()) {
      ctx.fail(ProblemException.notFound("Documentation asset " + ctx.request().path()));
      return;
    }
    if (!FILES.get(root).contains(name)) {
      ctx.fail(ProblemException.notFound("Documentation asset " + ctx.request().path()));
      return;
    }
    String resource = root + "/" + name;
    Asset cached = LOADED.get(resource);
    if (cached != null) {
      send(ctx, cached);
      return;
    }
    Context context = ctx.vertx().getOrCreateContext();
    LOADING
        .computeIfAbsent(resource, r -> loadOnce(ctx.vertx(), r))
        .whenComplete(
            (asset, failure) ->
                context.runOnContext(
                    v -> {
                      if (failure != null) {
                        ctx.fail(failure);
                      } else if (asset.isEmpty()) {
                        ctx.fail(
                            ProblemException.notFound(
                                "Documentation asset " + ctx.request().path()));
                      } else {
                        send(ctx, asset.get());
                      }
                    }));
  }

  /**
   * The one load of a file not loaded yet: kept until it ends, so that requests coming meanwhile
   * wait for it. Called under {@link #LOADING}'s lock for the file; a load that ended between a
   * request's look-up and this is seen here (the file is in {@link #LOADED} before its load leaves
   * {@link #LOADING}).
   */
  private static CompletableFuture<Optional<Asset>> loadOnce(Vertx vertx, String resource) {
    Asset loaded = LOADED.get(resource);
    if (loaded != null) {
      return CompletableFuture.completedFuture(Optional.of(loaded));
    }
    CompletableFuture<Optional<Asset>> done = new CompletableFuture<>();
    vertx
        .executeBlocking(() -> load(resource), false)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                ar.result().ifPresent(asset -> LOADED.put(resource, asset));
              }
              LOADING.remove(resource);
              if (ar.succeeded()) {
                done.complete(ar.result());
              } else {
                done.completeExceptionally(ar.cause());
              }
            });
    return done;
  }

  private static void send(RoutingContext ctx, Asset asset) {
    var response = ctx.response();
    if (response.ended() || response.headWritten() || response.closed()) {
      return; // answered meanwhile (the request's timeout) or gone (a reset stream, a closed
      // socket)
    }
    response
        .putHeader(Responses.CONTENT_TYPE, asset.contentType())
        .putHeader(Headers.CACHE_CONTROL, IMMUTABLE)
        .putHeader(Headers.VARY, Headers.ACCEPT_ENCODING);
    String accept = ctx.request().getHeader(Headers.ACCEPT_ENCODING);
    if (asset.gzip().isPresent() && accept != null && AcceptEncoding.parse(accept).prefersGzip()) {
      response.putHeader(Headers.CONTENT_ENCODING, Headers.GZIP).end(asset.gzip().get());
    } else {
      response.end(asset.plain());
    }
  }

  /** The names of the files directly under {@code root} on the class path (a jar or a folder). */
  static java.util.Set<String> list(String root) {
    java.net.URL url = DocsAssets.class.getClassLoader().getResource(root);
    if (url == null) {
      return java.util.Set.of();
    }
    java.util.Set<String> names = new java.util.HashSet<>();
    try {
      if (url.openConnection() instanceof java.net.JarURLConnection jar) {
        String prefix = root + "/";
        try (java.util.jar.JarFile file =
            new java.util.jar.JarFile(new java.io.File(jar.getJarFileURL().toURI()))) {
          file.stream()
              .map(java.util.zip.ZipEntry::getName)
              .filter(n -> n.startsWith(prefix) && n.indexOf('/', prefix.length()) < 0)
              .map(n -> n.substring(prefix.length()))
              .filter(n -> !n.isEmpty())
              .forEach(names::add);
        }
      } else {
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of(url.toURI()))) {
          files
              .filter(java.nio.file.Files::isRegularFile)
              .forEach(f -> names.add(f.getFileName().toString()));
        }
      }
    } catch (IOException | java.net.URISyntaxException e) {
      throw new IllegalStateException("cannot list the documentation files under " + root, e);
    }
    return java.util.Set.copyOf(names);
  }

  /** Reads and compresses one file; blocking. Empty when the webjar has no such file. */
  static Optional<Asset> load(String resource) {
    LOADS.increment();
    try (InputStream in = DocsAssets.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        return Optional.empty();
      }
      byte[] bytes = in.readAllBytes();
      String type = contentType(resource);
      Optional<Buffer> gzip =
          compressible(type) && bytes.length >= MIN_GZIP_BYTES
              ? Optional.of(Buffer.buffer(gzip(bytes)))
              : Optional.empty();
      return Optional.of(new Asset(type, Buffer.buffer(bytes), gzip));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 3);
    try (GZIPOutputStream gz =
        new GZIPOutputStream(out, 64 * 1024) {
          {
            def.setLevel(Deflater.BEST_COMPRESSION); // once per process: take the smallest
          }
        }) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }

  private static boolean compressible(String type) {
    return type.startsWith("text/") || type.startsWith("application/json");
  }

  static String contentType(String name) {
    if (name.endsWith(".js")) {
      return "text/javascript; charset=utf-8";
    } else if (name.endsWith(".css")) {
      return "text/css; charset=utf-8";
    } else if (name.endsWith(".html")) {
      return "text/html; charset=utf-8";
    } else if (name.endsWith(".map") || name.endsWith(".json")) {
      return "application/json";
    } else if (name.endsWith(".png")) {
      return "image/png";
    }
    return "application/octet-stream";
  }
}
