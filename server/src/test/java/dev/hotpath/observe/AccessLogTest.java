package dev.hotpath.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.config.AccessLogSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
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

  private static AccessLogSettings bounds(Path file, long maxBytes, int maxFiles, Duration age) {
    return new AccessLogSettings(file.toString(), maxBytes, maxFiles, age, 100, 1);
  }

  private static List<Path> logFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith("access.log")).toList();
    }
  }

  @Test
  void theFilesTogetherNeverPassTheConfiguredBound(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("access.log");
    AccessLog log = AccessLog.open(bounds(file, 4_000, 4, Duration.ofDays(1)), Map.of());
    String padding = "x".repeat(90);
    for (int i = 0; i < 200; i++) {
      log.enqueue("{\"n\":" + i + ",\"pad\":\"" + padding + "\"}");
      if (i % 7 == 6) {
        log.drain();
        long total = 0;
        for (Path p : logFiles(dir)) {
          total += Files.size(p);
        }
        assertThat(total).isLessThanOrEqualTo(4_000);
      }
    }
    log.close();

    assertThat(logFiles(dir))
        .extracting(p -> p.getFileName().toString())
        .containsExactlyInAnyOrder("access.log", "access.log.1", "access.log.2", "access.log.3");
    List<String> lines = new ArrayList<>();
    long total = 0;
    for (Path p : logFiles(dir)) {
      total += Files.size(p);
      assertThat(Files.size(p)).isLessThanOrEqualTo(1_000);
      lines.addAll(Files.readAllLines(p));
    }
    assertThat(total).isLessThanOrEqualTo(4_000);
    // the newest lines survive whole; the oldest went with the deleted files
    assertThat(lines).contains("{\"n\":199,\"pad\":\"" + padding + "\"}");
    assertThat(lines).allMatch(l -> l.startsWith("{\"n\":") && l.endsWith("\"}"));
    assertThat(lines.size()).isBetween(28, 36);
  }

  /**
   * A write or a rotation that fails (a full disk, a directory made read-only or removed) does not
   * end the log: the lines wait (up to the bound on lines behind, then are dropped and counted) and
   * are written once it can write again. Before, the failed rotation had closed the file, and every
   * later drain failed on the closed stream (a WARN every 50 ms) until the server restarted; lines
   * taken from the queue by a failed write were lost without being counted, and the count of lines
   * behind kept them, so the log dropped more and more of what it could have written.
   */
  @Test
  void aRotationThatFailsDoesNotEndTheLog(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("access.log");
    AccessLog log = AccessLog.open(bounds(file, 2_000, 2, Duration.ofDays(1)), Map.of());
    String padding = "x".repeat(90);
    // the oldest rotated file cannot be deleted (a directory that holds a file: root, who runs the
    // tests here, is not stopped by permissions), so the next rotation fails
    Path blocker = dir.resolve("access.log.2");
    Files.createDirectories(blocker);
    Files.writeString(blocker.resolve("x"), "x");
    for (int i = 0; i < 20; i++) {
      log.enqueue("{\"n\":" + i + ",\"pad\":\"" + padding + "\"}");
      log.drain();
    }
    assertThat(log.pending()).as("lines waiting while the log cannot rotate").isPositive();

    Files.delete(blocker.resolve("x"));
    Files.delete(blocker);
    log.enqueue("{\"n\":20,\"pad\":\"" + padding + "\"}");
    log.drain();
    assertThat(log.pending()).isZero();
    log.close();
    List<String> lines = new ArrayList<>();
    for (Path p : logFiles(dir)) {
      lines.addAll(Files.readAllLines(p));
    }
    assertThat(lines).contains("{\"n\":20,\"pad\":\"" + padding + "\"}");
    assertThat(lines).allMatch(l -> l.startsWith("{\"n\":") && l.endsWith("\"}"));
    // every line is either in a file (those deleted by rotation as their bound says) or counted
    assertThat(lines.size() + log.dropped()).isLessThanOrEqualTo(21);
    assertThat(lines.stream().filter(l -> l.startsWith("{\"n\":1")).count())
        .as("the lines that waited were written")
        .isPositive();
  }

  /**
   * The lines waiting for the writer are bounded in size, not only in number: a client's long path
   * or User-Agent makes a line of kilobytes, and while the file cannot be written (a full disk)
   * every refused request's line waits. Before, 200,000 lines of any length could wait: 30 s of
   * 404s on the demo server with its log on /dev/full took the old generation from 16 to 117 MB of
   * its 128 MB (lines of about 500 bytes; 16 KB ones would have exhausted the heap).
   */
  @Test
  void theLinesWaitingAreBoundedInBytes() {
    // a full disk: every write to /dev/full fails (ENOSPC), so every line waits
    AccessLog log =
        AccessLog.open(bounds(Path.of("/dev/full"), 1 << 30, 2, Duration.ofDays(1)), Map.of());
    String big = "{\"pad\":\"" + "x".repeat(1 << 20) + "\"}";
    for (int i = 0; i < 40; i++) {
      log.enqueue(big);
      log.drain();
    }
    assertThat((long) log.pending() * big.length()).isLessThanOrEqualTo(16L << 20);
    assertThat(log.pending() + log.dropped()).isEqualTo(40);
    log.close();
  }

  @Test
  void aFileIsRotatedOnceItIsMaxAgeOldAndRotatedFilesOlderThanThatAreDeleted(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("access.log");
    long now = System.currentTimeMillis();
    Path stale = dir.resolve("access.log.1");
    Files.writeString(stale, "{\"old\":true}\n");
    Files.setLastModifiedTime(stale, FileTime.fromMillis(now - Duration.ofMinutes(90).toMillis()));
    AtomicLong clock = new AtomicLong(now - Duration.ofHours(1).toMillis() - 1_000);
    AccessLog log =
        AccessLog.open(
            bounds(file, 1 << 20, 5, Duration.ofHours(1)), Map.of(), clock::get, System::nanoTime);
    log.enqueue("{\"n\":1}");
    log.drain();
    assertThat(file).content().isEqualTo("{\"n\":1}\n");
    assertThat(stale).exists(); // 29 minutes old then

    // queued before the clock moves, so the writer thread writes it before or with the rotation
    log.enqueue("{\"n\":2}");
    clock.set(now); // an hour and a second later
    log.drain();
    log.close();

    // the hour-old file was rotated whole; the 90-minute-old one (shifted to .2) was deleted
    assertThat(dir.resolve("access.log.1")).content().isEqualTo("{\"n\":1}\n{\"n\":2}\n");
    assertThat(file).isEmptyFile();
    assertThat(dir.resolve("access.log.2")).doesNotExist();
  }
}
