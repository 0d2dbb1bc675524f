package dev.hotpath.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.tracing.TracingPolicy;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.PlatformHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An in-process request through a real Vert.x router, as the routes see it: its body read by the
 * BodyHandler after a pause (as admission queues a request), its query parameters, the caller's
 * address as its peer, its deadline header, a shared buffer never appended to, and a caller that
 * goes away seen as a client that has gone.
 */
class InProcessTest {
  private Vertx vertx;
  private InProcess inProcess;
  private final AtomicBoolean closedSeen = new AtomicBoolean();
  private static final Buffer SHARED = Buffer.buffer("cached");

  @BeforeEach
  void aRouterOnAnEventLoop() throws Exception {
    vertx = Vertx.vertx();
    inProcess = new InProcess();
    Router router = Router.router(vertx);
    router
        .post("/echo")
        .handler(
            (PlatformHandler)
                ctx -> {
                  // held like a request that waits in the admission queue, then let go
                  ctx.request().pause();
                  vertx.setTimer(20, id -> ctx.next());
                })
        .handler(BodyHandler.create(false))
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "text/plain")
                    .end(
                        ctx.body().asString()
                            + " from "
                            + ctx.request().remoteAddress().hostAddress()
                            + " q="
                            + ctx.request().getParam("q")
                            + " timeout="
                            + ctx.request().getHeader(Deadline.TIMEOUT_HEADER)));
    router
        .get("/twice")
        .handler(
            ctx -> {
              ctx.response().setChunked(true);
              ctx.response().write(SHARED);
              ctx.response().end(Buffer.buffer("+more"));
            });
    router.get("/never").handler(ctx -> ctx.response().closeHandler(v -> closedSeen.set(true)));
    Context context = vertx.getOrCreateContext();
    context.runOnContext(
        v -> inProcess.enter(context, router::handle, TracingPolicy.IGNORE, "0.0.0.0", 8080));
    await().atMost(Duration.ofSeconds(30)).until(() -> sendable());
  }

  private boolean sendable() {
    try {
      inProcess.send(request(HttpMethod.GET, "/twice", null));
      return true;
    } catch (IllegalStateException notYet) {
      return false;
    }
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private static InProcess.Request request(HttpMethod method, String uri, Buffer body) {
    return new InProcess.Request(
        method, uri, MultiMap.caseInsensitiveMultiMap(), body, "127.0.0.9", 150);
  }

  @Test
  void aPausedRequestsBodyIsReadWhenItResumes() throws Exception {
    InProcess.Answer answer =
        inProcess
            .send(request(HttpMethod.POST, "/echo?q=a%20b", Buffer.buffer("hello")))
            .answer()
            .await(30, TimeUnit.SECONDS);
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.headers().get("Content-Type")).isEqualTo("text/plain");
    assertThat(answer.body().toString()).isEqualTo("hello from 127.0.0.9 q=a b timeout=150");
  }

  @Test
  void aSharedFirstBufferIsCopiedNotAppendedTo() throws Exception {
    InProcess.Answer answer =
        inProcess
            .send(request(HttpMethod.GET, "/twice", null))
            .answer()
            .await(30, TimeUnit.SECONDS);
    assertThat(answer.body().toString()).isEqualTo("cached+more");
    assertThat(SHARED.toString()).isEqualTo("cached");
  }

  @Test
  void aRouteWithoutMatchAnswers404() throws Exception {
    InProcess.Answer answer =
        inProcess
            .send(request(HttpMethod.GET, "/nowhere", null))
            .answer()
            .await(30, TimeUnit.SECONDS);
    assertThat(answer.status()).isEqualTo(404);
    assertThat(answer.ok()).isFalse();
  }

  @Test
  void aCallerThatGoesAwayIsAClientThatHasGone() {
    InProcess.Exchange exchange = inProcess.send(request(HttpMethod.GET, "/never", null));
    AtomicReference<Throwable> failure = new AtomicReference<>();
    exchange.answer().onFailure(failure::set);
    exchange.close();
    await().atMost(Duration.ofSeconds(30)).until(closedSeen::get);
    await().atMost(Duration.ofSeconds(30)).until(() -> failure.get() != null);
    assertThat(failure.get()).isInstanceOf(HttpClosedException.class);
  }
}
