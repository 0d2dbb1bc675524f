package dev.hotpath.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessLogTest {
  @Property
  void timestampsAreRfc3339WithMillisecondsInUtc(
      @ForAll @LongRange(min = 0, max = 4_102_444_800_000L) long millis) {
    StringBuilder sb = new StringBuilder();
    AccessLog.timestamp(sb, millis);
    assertThat(Instant.parse(sb.toString())).isEqualTo(Instant.ofEpochMilli(millis));
    assertThat(sb.toString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
  }

  @Test
  void aFileLogIsRotatedBySizeAndKeepsABoundedNumberOfFiles(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("access.log");
    AccessLog log = AccessLog.open(file.toString(), 1_000);
    String padding = "x".repeat(90);
    for (int i = 0; i < 200; i++) {
      log.enqueue("{\"n\":" + i + ",\"pad\":\"" + padding + "\"}");
      if (i % 12 == 11) {
        log.close(); // drains now; a closed log is reopened below to keep writing to the same file
        log = AccessLog.open(file.toString(), 1_000);
      }
    }
    log.close();

    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    for (int i = 1; i <= AccessLog.KEEP; i++) {
      Path rotated = dir.resolve("access.log." + i);
      assertThat(rotated).exists();
      assertThat(Files.size(rotated)).isGreaterThanOrEqualTo(1_000);
      lines.addAll(Files.readAllLines(rotated));
    }
    assertThat(dir.resolve("access.log." + (AccessLog.KEEP + 1))).doesNotExist();
    // the newest lines survive whole; the oldest went with the deleted files
    assertThat(lines).contains("{\"n\":199,\"pad\":\"" + padding + "\"}");
    assertThat(lines).allMatch(l -> l.endsWith("\"}"));
    assertThat(lines.size()).isLessThan(200);
  }
}
