package io.github.cfallowlist.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Gate for tests that need root and real tools ({@code ip}, {@code nft}, {@code curl}, ...).
 *
 * <p>When something is missing the test is skipped with a clear message, unless the environment
 * variable {@value #ENV} is {@code required} (as in CI), in which case it fails.
 */
public final class SystemTests {

  /** Environment variable that turns a skip into a failure when set to {@code required}. */
  public static final String ENV = "CF_ALLOWLIST_SYSTEM_TESTS";

  /** Directories searched after {@code PATH}: root's tools often live there. */
  static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/sbin");

  private SystemTests() {}

  /** Returns whether {@value #ENV} is {@code required}, so missing tools must fail the run. */
  public static boolean required() {
    return "required".equals(System.getenv(ENV));
  }

  /**
   * Returns if the process runs as root and every command is installed; otherwise skips the calling
   * test, or fails it with an {@link AssertionError} when {@link #required()}.
   *
   * @param commands command names looked up on {@code PATH}, {@code /usr/sbin} and {@code /sbin}
   */
  public static void requireTools(String... commands) {
    List<String> missing = new ArrayList<>();
    if (!isRoot()) {
      missing.add("the tests do not run as root");
    }
    for (String command : commands) {
      if (which(command).isEmpty()) {
        missing.add(command + " is not installed");
      }
    }
    if (missing.isEmpty()) {
      return;
    }
    String why = String.join(", ", missing);
    if (required()) {
      throw new AssertionError("system tests are required (" + ENV + "=required) but " + why);
    }
    Assumptions.abort(
        "system test skipped: " + why + " (set " + ENV + "=required to fail instead)");
  }

  /**
   * Finds an executable.
   *
   * @param command a name, or a path when it contains {@code /}
   * @return the executable, searched on {@code PATH}, then {@code /usr/sbin} and {@code /sbin}
   */
  public static Optional<Path> which(String command) {
    if (command.contains("/")) {
      Path p = Path.of(command);
      return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
    return Stream.concat(Stream.of(path.split(":")), EXTRA_DIRS.stream())
        .filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, command))
        .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p))
        .findFirst();
  }

  /** Returns whether the effective user id is 0, from {@code /proc/self/status}. */
  public static boolean isRoot() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/status"))) {
      return lines
          .filter(l -> l.startsWith("Uid:"))
          .map(l -> l.split("\\s+", -1)[2]) // "Uid:" real effective saved fs
          .anyMatch("0"::equals);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
