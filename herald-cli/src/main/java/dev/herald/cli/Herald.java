package dev.herald.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code herald} command. Exit codes: 0 ok, 1 runtime failure, 2 usage error. */
@Command(
    name = "herald",
    mixinStandardHelpOptions = true,
    versionProvider = Herald.Version.class,
    description = "An SMC-compatible REST server with a lossless element-change notification socket.",
    subcommands = {ServeCommand.class, CommandLine.HelpCommand.class})
public final class Herald implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Herald()).execute(args));
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
