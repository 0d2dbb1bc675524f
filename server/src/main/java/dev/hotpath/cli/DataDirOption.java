package dev.hotpath.cli;

import dev.hotpath.config.DatabaseSettings;
import dev.hotpath.config.Settings;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** The {@code --data-dir} option of the commands that use the embedded database's folder. */
public final class DataDirOption {
  @Option(
      names = "--data-dir",
      description = "Folder of the embedded database (overrides HOTPATH_DATA_DIR).")
  Path dataDir;

  /** {@code settings} with the folder this option names, if it names one. */
  Settings applyTo(Settings settings) {
    return dataDir == null ? settings : settings.toBuilder().dataDir(dataDir).build();
  }

  /** The folder: this option's, else the one {@code env} gives the settings. */
  Path resolve(Map<String, String> env) {
    return dataDir != null ? dataDir : DatabaseSettings.dataDir(env);
  }
}
