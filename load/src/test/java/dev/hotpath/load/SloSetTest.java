package dev.hotpath.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SloSetTest {
  @Test
  void readsTheProjectsSloFile() {
    SloSet slos = SloSet.load(Path.of(System.getProperty("hotpath.slo", "../ops/slo.yaml")));

    assertThat(slos.of(RequestClass.READS)).contains(new Slo(RequestClass.READS, 100, 200));
    assertThat(slos.of(RequestClass.WRITES)).contains(new Slo(RequestClass.WRITES, 200, 500));
    assertThat(slos.of(RequestClass.LISTS)).contains(new Slo(RequestClass.LISTS, 500, 1000));
    assertThat(slos.of(RequestClass.SEARCH)).contains(new Slo(RequestClass.SEARCH, 500, 1000));
  }

  @Test
  void rejectsAnUnknownClassNamingTheFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("slo.yaml");
    Files.writeString(file, "classes:\n  reeds: { p95_ms: 1, p99_ms: 2 }\n");

    assertThatThrownBy(() -> SloSet.load(file))
        .hasMessageContaining(file.toString())
        .hasMessageContaining("unknown request class 'reeds'");
  }

  @Test
  void rejectsAP99BelowTheP95(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("slo.yaml");
    Files.writeString(file, "classes:\n  reads: { p95_ms: 300, p99_ms: 200 }\n");

    assertThatThrownBy(() -> SloSet.load(file)).hasMessageContaining("must be >= p95_ms");
  }
}
