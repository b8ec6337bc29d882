package io.github.cfallowlist;

import java.io.IOException;
import java.util.Optional;

/**
 * How a command ended, and what an {@link OutputReader} made of its output.
 *
 * @param result how the command ended; its stdout may be empty, since the output went to the reader
 * @param value what the reader returned: present exactly when the command exited 0
 * @param <T> what the reader makes of the output
 */
public record ReadResult<T>(CommandResult result, Optional<T> value) {

  /** Checks that the value is there exactly when the command exited 0. */
  public ReadResult {
    if (result == null || value == null) {
      throw new IllegalArgumentException("result and value must not be null");
    }
    if (value.isPresent() != result.ok()) {
      throw new IllegalArgumentException(
          "a read value belongs to a command that exited 0, and only to one");
    }
  }

  /**
   * The result of {@code command}, which ended as {@code result}, with what its reader returned
   * when it exited 0 ({@code value} is then required).
   *
   * @throws IOException when the reader of a command that exited 0 returned null
   */
  static <T> ReadResult<T> of(Command command, CommandResult result, T value) throws IOException {
    if (!result.ok()) {
      return new ReadResult<>(result, Optional.empty());
    }
    if (value == null) {
      throw new IOException("the reader of '" + command.display() + "' returned nothing");
    }
    return new ReadResult<>(result, Optional.of(value));
  }

  /** Whether the command exited 0. */
  public boolean ok() {
    return result.ok();
  }
}
