package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDirTest {
  @TempDir Path dir;

  @Test
  void lastGoodSnapshotRoundTripsAndIsNotRewrittenWhenUnchanged() throws Exception {
    StateDir state = StateDir.at(dir.resolve("state"));
    RangeSnapshot s = Guards.defaults().validate(RangeSource.embedded().fetch());
    assertThat(state.loadLastGood()).isEmpty();
    assertThat(state.saveLastGood(s)).isTrue();
    assertThat(state.loadLastGood()).contains(s);
    Path file = dir.resolve("state/last-good.json");
    var modified = Files.getLastModifiedTime(file);
    assertThat(state.saveLastGood(s)).isFalse();
    assertThat(Files.getLastModifiedTime(file)).isEqualTo(modified);
  }

  @Test
  void secondLockWaitsThenFailsNamingTheHolder() throws Exception {
    StateDir state = StateDir.at(dir);
    try (StateDir.Lock held = state.lock(Duration.ZERO)) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> state.lock(Duration.ofMillis(300)))
          .isInstanceOf(CfAllowlistException.class)
          .hasMessageContaining("pid " + ProcessHandle.current().pid())
          .hasMessageContaining("holds the lock");
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }
    try (StateDir.Lock again = state.lock(Duration.ZERO)) {
      assertThat(Files.readString(dir.resolve("lock")).strip())
          .isEqualTo(Long.toString(ProcessHandle.current().pid()));
    }
  }

  @Test
  void atomicWriteGivesNewFilesReadableModeAndKeepsAnExistingMode() throws Exception {
    Path file = dir.resolve("out/cloudflare.conf");
    AtomicFiles.write(file, "one\n");
    assertThat(java.nio.file.Files.getPosixFilePermissions(file))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    java.nio.file.Files.setPosixFilePermissions(
        file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
    AtomicFiles.write(file, "two\n");
    assertThat(file).hasContent("two");
    assertThat(java.nio.file.Files.getPosixFilePermissions(file))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
    try (var left = java.nio.file.Files.list(file.getParent())) {
      assertThat(left).hasSize(1);
    }
  }
}
