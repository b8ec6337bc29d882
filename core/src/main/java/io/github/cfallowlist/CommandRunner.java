package io.github.cfallowlist;

import java.io.IOException;

/** Runs external commands. The seam tests replace with a recorder. */
public interface CommandRunner {

  /**
   * Runs {@code command} to completion.
   *
   * @throws IOException when it cannot be started or runs past its timeout
   */
  CommandResult run(Command command) throws IOException;

  /**
   * Runs {@code command} and fails unless it exits 0.
   *
   * @throws IOException naming the command, its exit code and its first error line
   */
  default CommandResult runChecked(Command command) throws IOException {
    CommandResult result = run(command);
    if (!result.ok()) {
      throw result.failure(command);
    }
    return result;
  }

  /**
   * The real runner: {@link ProcessBuilder} with an argument list (never a shell), a fixed {@code
   * PATH}, {@code LC_ALL=C}, and the command's timeout.
   */
  static CommandRunner system() {
    return SystemCommandRunner.INSTANCE;
  }
}
