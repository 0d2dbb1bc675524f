package dev.hotpath.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.zip.GZIPInputStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class CompressionTest {
  private static byte[] gunzip(Buffer gz) throws IOException {
    try (var in = new GZIPInputStream(new ByteArrayInputStream(gz.getBytes()))) {
      return in.readAllBytes();
    }
  }

  @Property(tries = 200)
  void gzipRoundTripsAnyBodyAtEitherLevel(
      @ForAll @Size(max = 70_000) byte[] body, @ForAll boolean cached) throws IOException {
    int level = cached ? Compression.CACHED_LEVEL : Compression.ONE_OFF_LEVEL;
    assertThat(gunzip(Compression.gzip(Buffer.buffer(body), level))).isEqualTo(body);
  }

  @Test
  void jsonShrinks() throws IOException {
    String json = "{\"id\":1,\"name\":\"Fixture product\",\"status\":\"active\"},".repeat(100);
    Buffer gz = Compression.gzip(Buffer.buffer(json), Compression.CACHED_LEVEL);
    assertThat(gz.length()).isLessThan(json.length() / 10);
    assertThat(new String(gunzip(gz), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(json);
  }

  @Test
  void aRepresentationCompressesOnceHoweverOftenItIsAsked() {
    Representation rep =
        Representation.cached(
            Buffer.buffer("x".repeat(5000)),
            "t1v1",
            0,
            java.util.Optional.empty(),
            Representation.NO_OWNER);
    long before = Compression.compressions();
    Buffer first = rep.gzip();
    for (int i = 0; i < 10; i++) {
      assertThat(rep.gzip()).isSameAs(first);
    }
    assertThat(Compression.compressions() - before).isEqualTo(1);
    assertThat(rep.etag().toString()).isEqualTo("\"t1v1\"");
    assertThat(rep.gzipEtag().toString()).isEqualTo("\"t1v1.gz\"");
  }
}
