package dev.herald.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code herald} command. Exit codes: 0 success, 1 the server refused, 2 usage error, 3 the
 * server is unreachable, 4 login refused, 5 changes were lost to a listener (history expired).
 */
@Command(
    name = "herald",
    mixinStandardHelpOptions = true,
    versionProvider = Herald.Version.class,
    usageHelpAutoWidth = true,
    description = "An SMC-compatible REST server with a lossless element-change notification socket.",
    footer = {"", "Exit codes: 0 success, 1 the server refused, 2 usage error, 3 server unreachable,"
        + " 4 login refused, 5 a listener lost changes (history expired)."})
public final class Herald implements Runnable {
  /** The subcommands, in the order {@code herald help} lists them. */
  private static final List<Class<?>> COMMANDS = List.of(ServeCommand.class, ListenCommand.class,
      ElementCommands.Get.class, ElementCommands.Create.class, ArchiveTraining.class,
      ElementCommands.Update.class, ElementCommands.Delete.class, ElementCommands.SearchCommand.class,
      ImportCommand.class, AdminCommands.Reset.class, AdminCommands.Snapshot.class,
      AdminCommands.Fault.class, AdminCommands.JournalCommand.class, AdminCommands.Simulate.class,
      AdminCommands.Scenario.class, StatusCommand.class, CommandLine.HelpCommand.class,
      picocli.AutoComplete.GenerateCompletion.class);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("serve")) {
      dev.herald.server.StartPreparation.begin(); // beside the parsing of the command line
    }
    System.exit(commandLine(args).execute(args));
  }

  /**
   * The command line with Herald's error handling: one clear line and a distinct exit code.
   *
   * <p>When the first argument names a subcommand, only that one is built: picocli reads every
   * subcommand's annotations when it is added, and its classes (compiled for Java 5) are verified
   * and interpreted without the class-data archive, so the whole tree cost {@code serve} about
   * 0.3 s of its start (docs/benchmarks-notes.md, "Launch to first answer"). Without arguments:
   * the whole tree (the documentation's tests read {@code serve}'s options from it).
   *
   * @param args the arguments it will be given
   */
  public static CommandLine commandLine(String... args) {
    CommandLine cl = new CommandLine(new Herald());
    List<Class<?>> named = args.length == 0 ? List.of() : COMMANDS.stream()
        .filter(c -> names(c).contains(args[0])).toList();
    if (named.contains(CommandLine.HelpCommand.class) || named.contains(picocli.AutoComplete.GenerateCompletion.class)) {
      named = List.of(); // both read the whole tree
    }
    for (Class<?> command : named.isEmpty() ? COMMANDS : named) {
      cl.addSubcommand(command);
    }
    cl.setUsageHelpWidth(100); // auto-width wins on a terminal
    CommandLine completion = cl.getSubcommands().get("generate-completion");
    if (completion != null) {
      completion.getCommandSpec().usageMessage().hidden(false)
          .description("Print a bash/zsh completion script: source <(herald generate-completion)");
    }
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      Throwable t = e;
      String name = cmd.getCommandSpec().qualifiedName();
      if (t instanceof CliException c) {
        cmd.getErr().println(name + ": " + c.getMessage());
        return c.exitCode;
      }
      if (t instanceof dev.herald.client.HeraldApiException api) {
        cmd.getErr().println(name + ": " + api.getMessage());
        return api.status() == 401 || api.status() == 403 ? Connection.AUTH : Connection.API_ERROR;
      }
      if (t instanceof dev.herald.client.SubscriptionRefusedException r) {
        cmd.getErr().println(name + ": the server refused the subscription: " + r.getMessage());
        return Connection.API_ERROR;
      }
      if (t instanceof java.io.UncheckedIOException io) {
        cmd.getErr().println(name + ": " + io.getMessage());
        return Connection.UNREACHABLE;
      }
      if (t instanceof IllegalArgumentException bad) {
        cmd.getErr().println(name + ": " + bad.getMessage());
        return Connection.USAGE;
      }
      cmd.getErr().println(name + ": " + t);
      return Connection.API_ERROR;
    });
    return cl;
  }

  private static List<String> names(Class<?> command) {
    Command c = command.getAnnotation(Command.class);
    List<String> names = new java.util.ArrayList<>(List.of(c.aliases()));
    names.add(c.name());
    return names;
  }

  /** {@code herald} alone: the usage, on stderr, as a usage error. */
  @Override
  public void run() {
    spec.commandLine().usage(System.err);
    throw new CliException(Connection.USAGE, "name a command, e.g. herald serve (herald help lists them)");
  }

  /** {@code herald -V}: the project version and the commit it was built from. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      Properties v = load("/herald-version.properties");
      Properties git = load("/herald-git.properties");
      String version = v.getProperty("version", "unknown");
      String commit = git.getProperty("git.commit.id.abbrev");
      String dirty = "true".equals(git.getProperty("git.dirty")) ? " with local changes" : "";
      return new String[] {"herald " + version + (commit == null || commit.isEmpty() ? ""
          : " (commit " + commit + dirty + ", " + git.getProperty("git.commit.time", "") + ")"),
          "Java " + Runtime.version() + " (" + System.getProperty("java.vendor", "") + ")"};
    }

    private static Properties load(String resource) {
      Properties p = new Properties();
      try (InputStream in = Herald.class.getResourceAsStream(resource)) {
        if (in != null) {
          p.load(in);
        }
      } catch (IOException ignored) {
        // the version line says unknown
      }
      return p;
    }
  }
}
