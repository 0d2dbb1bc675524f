package dev.hotpath.cli;

import dev.hotpath.config.InvalidSettingsException;
import dev.hotpath.store.EmbeddedDatabase;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code hotpath} command line: {@code serve} (the default), {@code seed}, {@code token},
 * {@code rebuild}, {@code analyze} and {@code stubs}. ({@code load} is dispatched by the launcher
 * script to the load harness in {@code load/}.)
 */
@Command(
    name = "hotpath",
    mixinStandardHelpOptions = true,
    version = "hotpath 0.1.0",
    description =
        "A commerce API built for speed. Settings come from HOTPATH_* environment variables.",
    subcommands = {
      ServeCommand.class,
      SeedCommand.class,
      MigrateCommand.class,
      AnalyzeCommand.class,
      TokenCommand.class,
      RebuildCommand.class,
      SloArtifactsCommand.class,
      StubsCommand.class
    })
public final class Main implements Runnable {

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          // a wrong setting or an unusable database: one clear line, no stack trace
          if (e instanceof InvalidSettingsException
              || e instanceof EmbeddedDatabase.EmbeddedDatabaseException
              || e instanceof IllegalStateException) {
            commandLine.getErr().println("hotpath: " + e.getMessage());
            return 2;
          }
          throw e;
        });
    String[] effective =
        args.length == 0 || args[0].startsWith("-") && !isHelpOrVersion(args[0])
            ? prepend("serve", args)
            : args;
    System.exit(cli.execute(effective));
  }

  private static boolean isHelpOrVersion(String arg) {
    return arg.equals("-h") || arg.equals("--help") || arg.equals("-V") || arg.equals("--version");
  }

  private static String[] prepend(String first, String[] rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
