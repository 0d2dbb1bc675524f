package dev.hotpath.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DataDirOptionTest {
  @Test
  void everyCommandOnTheDatabaseFolderTakesTheOptionElseTheSettingElseData() {
    for (Object command :
        new Object[] {
          new SeedCommand(), new TokenCommand(), new RebuildCommand(), new ServeCommand()
        }) {
      assertThat(new CommandLine(command).getCommandSpec().findOption("--data-dir"))
          .as(command.getClass().getSimpleName())
          .isNotNull();
    }
    SeedCommand seed = new SeedCommand();
    new CommandLine(seed).parseArgs("--data-dir", "/srv/hotpath");
    assertThat(seed.dataDir.resolve(Map.of("HOTPATH_DATA_DIR", "/elsewhere")))
        .isEqualTo(Path.of("/srv/hotpath"));

    TokenCommand token = new TokenCommand();
    new CommandLine(token).parseArgs("--sub", "service");
    assertThat(token.dataDir.resolve(Map.of("HOTPATH_DATA_DIR", "/var/lib/hotpath")))
        .isEqualTo(Path.of("/var/lib/hotpath"));
    assertThat(token.dataDir.resolve(Map.of("HOTPATH_DATA_DIR", " "))).isEqualTo(Path.of("data"));
    assertThat(token.dataDir.resolve(Map.of())).isEqualTo(Path.of("data"));
  }
}
