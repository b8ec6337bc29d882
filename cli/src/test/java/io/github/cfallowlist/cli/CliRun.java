package io.github.cfallowlist.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** The outcome of one command line run in-process: exit code, stdout and stderr. */
record CliRun(int exitCode, String out, String err) {

  static CliRun of(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    picocli.CommandLine cmd = Cli.commandLine(args);
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }

  /** Whether stderr is exactly one line with no stack trace. */
  boolean errIsOneSentence() {
    return err.lines().count() == 1 && !err.contains("\tat ") && !err.contains("Exception");
  }
}
