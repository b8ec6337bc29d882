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
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }
    try (StateDir.Lock again = state.lock(Duration.ZERO)) {
      assertThat(Files.readString(dir.resolve("lock")).strip())
          .isEqualTo(Long.toString(ProcessHandle.current().pid()));
    }
  }
}
