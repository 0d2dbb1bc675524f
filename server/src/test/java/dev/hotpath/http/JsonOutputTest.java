package dev.hotpath.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link JsonOutput} writes what Jackson writes, in a buffer of exactly the body's size, for bodies
 * that fit the generator's own buffer and for larger ones gathered in the thread's scratch array;
 * and {@link Representation#cached} keeps such a buffer as it is and copies any other.
 */
class JsonOutputTest {
  /** {@code n} strings of {@code width} characters (some of them escaped in JSON). */
  private static List<String> values(int n, int width) {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      StringBuilder s = new StringBuilder();
      for (int j = 0; j < width; j++) {
        s.append((char) ('a' + (i + j) % 26));
      }
      values.add(i % 7 == 0 ? s + "\"é\n" : s.toString());
    }
    return values;
  }

  private static JsonOutput.Writer array(List<String> values) {
    return gen -> {
      gen.writeStartArray();
      for (String v : values) {
        gen.writeString(v);
      }
      gen.writeEndArray();
    };
  }

  private static boolean exactSize(Buffer body) {
    ByteBuf bytes = ((BufferInternal) body).getByteBuf();
    return bytes.hasArray() && bytes.array().length == body.length();
  }

  @Property(tries = 60)
  void writesJacksonsBytesInABufferOfExactlyTheirSize(
      @ForAll @IntRange(min = 0, max = 400) int n,
      @ForAll @IntRange(min = 0, max = 200) int width,
      @ForAll @IntRange(min = 0, max = 20_000) int sizeHint)
      throws IOException {
    List<String> values = values(n, width);
    Buffer body = JsonOutput.write(sizeHint, array(values));
    assertThat(body.toString(StandardCharsets.UTF_8))
        .isEqualTo(JsonOutput.MAPPER.writeValueAsString(values));
    assertThat(exactSize(body)).as("%d bytes", body.length()).isTrue();
  }

  @Test
  void aBodyLargerThanTheScratchArrayKeptIsWrittenWholeAndTheNextIsToo() throws IOException {
    List<String> large = values(3_000, 400); // about 1.2 MB: its array is not kept
    Buffer body = JsonOutput.write(64, array(large));
    assertThat(body.toString(StandardCharsets.UTF_8))
        .isEqualTo(JsonOutput.MAPPER.writeValueAsString(large));
    assertThat(exactSize(body)).isTrue();
    List<String> page = values(100, 150);
    assertThat(JsonOutput.write(64, array(page)).toString(StandardCharsets.UTF_8))
        .isEqualTo(JsonOutput.MAPPER.writeValueAsString(page));
  }

  @Test
  void aWriteInsideAWriteGetsItsOwnScratchArray() throws IOException {
    List<String> outer = values(200, 100);
    List<String> inner = values(150, 90);
    Buffer[] nested = new Buffer[1];
    Buffer body =
        JsonOutput.write(
            64,
            gen -> {
              gen.writeStartArray();
              for (int i = 0; i < outer.size(); i++) {
                gen.writeString(outer.get(i));
                if (i == 120) {
                  nested[0] = JsonOutput.write(64, array(inner));
                }
              }
              gen.writeEndArray();
            });
    assertThat(body.toString(StandardCharsets.UTF_8))
        .isEqualTo(JsonOutput.MAPPER.writeValueAsString(outer));
    assertThat(nested[0].toString(StandardCharsets.UTF_8))
        .isEqualTo(JsonOutput.MAPPER.writeValueAsString(inner));
  }

  @Test
  void aWriterThatFailsLeavesTheNextWriteWhole() throws IOException {
    List<String> values = values(200, 100);
    assertThatThrownBy(
            () ->
                JsonOutput.write(
                    64,
                    gen -> {
                      array(values).write(gen);
                      throw new IllegalStateException("fails after 20 KB");
                    }))
        .isInstanceOf(IllegalStateException.class);
    assertThat(JsonOutput.write(64, array(values)).toString(StandardCharsets.UTF_8))
        .isEqualTo(JsonOutput.MAPPER.writeValueAsString(values));
  }

  @Test
  void anEmptyWriterWritesNothing() {
    assertThat(JsonOutput.write(16, gen -> {}).length()).isZero();
    assertThat(JsonOutput.write(16, JsonGenerator::flush).length()).isZero();
  }

  @Test
  void aCachedRepresentationKeepsAnExactBodyAndCopiesAnyOtherToItsSize() throws IOException {
    Buffer exact =
        JsonOutput.write(
            4_096,
            gen -> {
              gen.writeStartObject();
              gen.writeNumberField("id", 42);
              gen.writeEndObject();
            });
    Representation kept = Representation.cached(exact, "o42v1", 0, Optional.empty(), 7);
    assertThat(kept.body()).isSameAs(exact);

    Buffer roomy = Buffer.buffer(4_096).appendString("{\"id\":42}");
    Representation copied = Representation.cached(roomy, "o42v1", 0, Optional.empty(), 7);
    assertThat(copied.body()).isNotSameAs(roomy).isEqualTo(roomy);
    assertThat(exactSize(copied.body())).isTrue();
    assertThat(copied.etag().toString()).isEqualTo("\"o42v1\"");
    assertThat(copied.gzipEtag().toString()).isEqualTo("\"o42v1.gz\"");
    assertThat(copied.lastModifiedHeader().toString()).isEqualTo("Thu, 01 Jan 1970 00:00:00 GMT");
  }
}
