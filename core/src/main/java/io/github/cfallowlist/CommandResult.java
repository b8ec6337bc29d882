package io.github.cfallowlist;

import java.io.IOException;
import java.util.stream.Stream;

/**
 * How a command ended.
 *
 * @param exitCode the exit status
 * @param stdout what it printed
 * @param stderr what it printed as errors
 */
public record CommandResult(int exitCode, String stdout, String stderr) {

  /** Checks the output is present. */
  public CommandResult {
    if (stdout == null || stderr == null) {
      throw new IllegalArgumentException("stdout and stderr must not be null");
    }
  }

  /** Whether it exited 0. */
  public boolean ok() {
    return exitCode == 0;
  }

  /**
   * The error to throw when {@code command} ended this way: names the command, its exit status and
   * its first error line.
   */
  public IOException failure(Command command) {
    return new IOException(
        "'" + command.display() + "' exited with status " + exitCode + ": " + firstErrorLine());
  }

  /** The first non-blank line of stderr (or stdout), for a one-line error message. */
  public String firstErrorLine() {
    return Stream.of(stderr, stdout)
        .flatMap(String::lines)
        .filter(line -> !line.isBlank())
        .map(String::strip)
        .findFirst()
        .orElse("no output");
  }
}
