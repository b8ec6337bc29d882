package io.github.cfallowlist.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * GNU {@code patch}, run on a diff this project wrote: the proof that the diff is what {@code diff
 * -u} would write. Skips the calling test when {@code patch} is missing, or fails it when {@link
 * SystemTests#required()}.
 */
public final class PatchTool {
  private PatchTool() {}

  /**
   * Runs {@code patch --dry-run}, then {@code patch}, with {@code diff} (whose file names start
   * with one directory, {@code current/} and {@code desired/}) on a scratch directory holding
   * {@code files}, and returns the directory's files afterwards. Fails the test when either run
   * does not succeed cleanly (no fuzz, no offset, no rejected hunk).
   */
  public static Map<String, String> apply(Map<String, String> files, String diff)
      throws IOException, InterruptedException {
    if (SystemTests.which("patch").isEmpty()) {
      if (SystemTests.required()) {
        throw new AssertionError("patch is not installed");
      }
      Assumptions.abort("patch is not installed");
    }
    Path dir = Files.createTempDirectory("cf-allowlist-patch");
    try {
      Path tree = Files.createDirectory(dir.resolve("tree"));
      for (Map.Entry<String, String> f : files.entrySet()) {
        Files.writeString(tree.resolve(f.getKey()), f.getValue());
      }
      Path diffFile = Files.writeString(dir.resolve("changes.diff"), diff);
      String dryRun = run(tree, diffFile, "--dry-run");
      String real = run(tree, diffFile);
      assertThat(dryRun + real).doesNotContain("fuzz", "offset", "FAILED", "malformed");
      Map<String, String> after = new TreeMap<>();
      try (Stream<Path> list = Files.list(tree)) {
        for (Path p : list.toList()) {
          after.put(p.getFileName().toString(), Files.readString(p));
        }
      }
      return after;
    } finally {
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  private static String run(Path tree, Path diffFile, String... more)
      throws IOException, InterruptedException {
    List<String> command =
        new java.util.ArrayList<>(
            List.of("patch", "--batch", "-p1", "-d", tree.toString(), "-i", diffFile.toString()));
    command.addAll(List.of(more));
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("patch finished").isTrue();
    assertThat(p.exitValue())
        .as(
            "patch %s exit status; it said:%n%s%nfor the diff:%n%s",
            more, output, Files.readString(diffFile))
        .isZero();
    return output;
  }
}
