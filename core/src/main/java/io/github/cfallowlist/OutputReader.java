package io.github.cfallowlist;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads what a command prints on stdout while it prints it ({@link CommandRunner#run(Command,
 * OutputReader)}), so that reading a long listing overlaps with the command's writing it.
 *
 * @param <T> what the reader makes of the output
 */
@FunctionalInterface
public interface OutputReader<T> {

  /**
   * Reads {@code stdout}, which ends where the command's output ends; the reader need not read it
   * to the end, and closing it is left to the runner. Returns a value, never null.
   *
   * @throws IOException when the output is not what the reader expects (its message says what is
   *     wrong, never the output itself)
   */
  T read(InputStream stdout) throws IOException;
}
