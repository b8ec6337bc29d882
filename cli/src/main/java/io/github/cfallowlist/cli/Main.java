package io.github.cfallowlist.cli;

/** Entry point of the {@code cf-allowlist} command. */
public final class Main {
  private Main() {}

  /** Runs the command line and exits with its status. */
  public static void main(String[] args) {
    System.exit(Cli.commandLine(args).execute(args));
  }
}
