package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walk up a resolved path follows nothing: a link found on it was exchanged for a directory
 * after the path was resolved (another user's {@code renameat2(RENAME_EXCHANGE)} loop), so the
 * names the walk checks are the names the run reads.
 */
class TrustedFilesTest {
  private static final String WHY = "it lists the addresses an apply lets in";

  @TempDir Path dir;

  @Test
  void aResolvedPathPassesWhenEveryPartIsTrusted() throws Exception {
    Path file = Files.writeString(Files.createDirectory(dir.resolve("real")).resolve("l.txt"), "");

    assertThatCode(() -> TrustedFiles.checkOwners(file, "the source file " + file, WHY))
        .doesNotThrowAnyException();
  }

  @Test
  void aDirectoryThatBecameALinkAfterThePathWasResolvedIsRefused() throws Exception {
    Path real = Files.createDirectory(dir.resolve("real"));
    Files.writeString(real.resolve("l.txt"), "");
    Path swapped = Files.createSymbolicLink(dir.resolve("swapped"), real);
    Path file = swapped.resolve("l.txt");

    assertThatThrownBy(() -> TrustedFiles.checkOwners(file, "the source file " + file, WHY))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "the source file "
                + file
                + " changed while it was checked: "
                + swapped
                + " became a symbolic link");
  }

  @Test
  void aFileThatBecameALinkAfterThePathWasResolvedIsRefused() throws Exception {
    Path target = Files.writeString(dir.resolve("target.txt"), "");
    Path file = Files.createSymbolicLink(dir.resolve("l.txt"), target);

    assertThatThrownBy(() -> TrustedFiles.checkOwners(file, "the source file " + file, WHY))
        .isInstanceOf(IOException.class)
        .hasMessageEndingWith(file + " became a symbolic link");
  }
}
