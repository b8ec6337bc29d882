package io.github.cfallowlist;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Runs external commands. The seam tests replace with a recorder.
 *
 * <p>A {@link Run} calls its runner from more than one thread (it reads its first target on a
 * thread of its own while its list loads), one call after another, never two at once.
 */
public interface CommandRunner {

  /**
   * Runs {@code command} to completion.
   *
   * <p>A command's input must reach it whole or not at all, even when the calling process dies
   * while the command starts: commands such as {@code ipset restore} and {@code
   * firewall-offline-cmd --add-entries-from-file} cannot tell a list cut short from a whole one.
   * The system runner writes the input to a file before the command starts; a runner of one's own
   * should do the same, or its transport must.
   *
   * @throws IOException when it cannot be started or runs past its timeout
   */
  CommandResult run(Command command) throws IOException;

  /**
   * Runs {@code command} to completion and hands what it prints to {@code reader}: the result holds
   * what the reader returned when the command exited 0, and nothing otherwise (whatever the reader
   * made of the output of a failed command is dropped, its error included). The system runner hands
   * the output over while the command prints it, so that reading a long listing overlaps with its
   * writing; this default runs {@link #run(Command)} and reads the output afterwards.
   *
   * @throws IOException as {@link #run(Command)}, or what the reader threw for a command that
   *     exited 0
   */
  default <T> ReadResult<T> run(Command command, OutputReader<T> reader) throws IOException {
    CommandResult result = run(command);
    byte[] out = result.stdout().getBytes(StandardCharsets.UTF_8);
    return ReadResult.of(
        command, result, result.ok() ? reader.read(new ByteArrayInputStream(out)) : null);
  }

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
   * PATH}, {@code LC_ALL=C}, the command's timeout, and its input read from a file written whole
   * before it starts (and deleted once it has). It logs each command, how it ended and how long it
   * took at DEBUG.
   */
  static CommandRunner system() {
    return SystemCommandRunner.LOGGED;
  }

  /**
   * The real runner of {@link #system()}, without its DEBUG record of each command: for a caller
   * that knows DEBUG records are not shown (the command-line tool without {@code --verbose}). A run
   * whose only records would be those then never asks for a logger, and so spares a cold JVM the
   * JDK's first logger lookup (a service search that also reads the JDK's security properties:
   * several milliseconds of an in-sync run).
   */
  static CommandRunner systemUnlogged() {
    return SystemCommandRunner.UNLOGGED;
  }
}
