package dev.herald.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code herald} command. Exit codes: 0 ok, 1 runtime failure, 2 usage error. */
@Command(
    name = "herald",
    mixinStandardHelpOptions = true,
    versionProvider = Herald.Version.class,
    description = "An SMC-compatible REST server with a lossless element-change notification socket.",
    subcommands = {ServeCommand.class, ListenCommand.class, ElementCommands.Get.class,
        ElementCommands.Create.class, ElementCommands.Update.class, ElementCommands.Delete.class,
        ElementCommands.SearchCommand.class, ImportCommand.class, CommandLine.HelpCommand.class})
public final class Herald implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line with Herald's error handling: one clear line and a distinct exit code. */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Herald());
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      Throwable t = e;
      if (t instanceof CliException c) {
        cmd.getErr().println("herald " + cmd.getCommandName() + ": " + c.getMessage());
        return c.exitCode;
      }
      if (t instanceof dev.herald.client.HeraldApiException api) {
        cmd.getErr().println("herald " + cmd.getCommandName() + ": " + api.getMessage());
        return api.status() == 401 || api.status() == 403 ? Connection.AUTH : Connection.API_ERROR;
      }
      if (t instanceof java.io.UncheckedIOException io) {
        cmd.getErr().println("herald " + cmd.getCommandName() + ": " + io.getMessage());
        return Connection.UNREACHABLE;
      }
      cmd.getErr().println("herald " + cmd.getCommandName() + ": " + t);
      return Connection.API_ERROR;
    });
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Herald.class.getPackage().getImplementationVersion();
      return new String[] {"herald " + (v == null ? "development build" : v)};
    }
  }
}
