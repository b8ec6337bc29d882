package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
    Path lock = dir.resolve("run.lock");
    try (RunLock held = RunLock.acquire(lock, Duration.ZERO)) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> RunLock.acquire(lock, Duration.ofMillis(300)))
          .isInstanceOf(CfAllowlistException.class)
          .hasMessageContaining("pid " + ProcessHandle.current().pid())
          .hasMessageContaining("holds the lock");
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }
    try (RunLock again = RunLock.acquire(lock, Duration.ZERO)) {
      assertThat(Files.readString(lock).strip())
          .isEqualTo(Long.toString(ProcessHandle.current().pid()));
    }
  }

  @Test
  void anInterruptedThreadIsToldItWasInterruptedWaitingForTheLock() {
    Path lock = dir.resolve("run.lock");
    Thread.currentThread().interrupt();
    boolean stillInterrupted;
    Throwable thrown;
    try {
      thrown = catchThrowable(() -> RunLock.acquire(lock, Duration.ZERO));
    } finally {
      stillInterrupted = Thread.interrupted();
    }

    assertThat(thrown)
        .isInstanceOf(IOException.class)
        .hasMessage("interrupted while waiting for the lock " + lock);
    assertThat(stillInterrupted).isTrue();
  }

  @Test
  void aLockPlantedAsASymlinkIsRefusedAndItsTargetIsNotTouched() throws Exception {
    Path precious = dir.resolve("precious.conf");
    Files.writeString(precious, "keep me\n");
    Path lock = dir.resolve("run.lock");
    Files.createSymbolicLink(lock, precious);
    assertThatThrownBy(() -> RunLock.acquire(lock, Duration.ZERO))
        .isInstanceOf(CfAllowlistException.class)
        .hasMessage("the lock " + lock + " is a symbolic link; remove it (nothing was changed)");
    assertThat(precious).hasContent("keep me");
  }

  @Test
  void aLockWithASecondHardLinkIsRefusedAndNotWritten() throws Exception {
    Path precious = dir.resolve("precious.conf");
    Files.writeString(precious, "keep me\n");
    Path lock = dir.resolve("run.lock");
    Files.createLink(lock, precious);
    assertThatThrownBy(() -> RunLock.acquire(lock, Duration.ZERO))
        .hasMessageContaining("has other hard links");
    assertThat(precious).hasContent("keep me");
  }

  @Test
  void aStateDirOthersCanWriteIsRefusedAndANewOneIsPrivate() throws Exception {
    Path open = dir.resolve("open");
    Files.createDirectory(open);
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    RangeSnapshot s = Guards.defaults().validate(RangeSource.embedded().fetch());
    assertThatThrownBy(() -> StateDir.at(open).saveLastGood(s))
        .isInstanceOf(CfAllowlistException.class)
        .hasMessageContaining("can be written by other users");
    assertThat(open.resolve("last-good.json")).doesNotExist();

    Path fresh = dir.resolve("fresh/state");
    StateDir.at(fresh).saveLastGood(s);
    assertThat(Files.getPosixFilePermissions(fresh))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
  }

  @Test
  void aStateDirThatIsASymlinkIsRefusedAndItsTargetIsNotWritten() throws Exception {
    Path privateDir = Files.createDirectory(dir.resolve("private"));
    Files.setPosixFilePermissions(privateDir, PosixFilePermissions.fromString("rwx------"));
    Path link = Files.createSymbolicLink(dir.resolve("planted"), privateDir);
    RangeSnapshot s = Guards.defaults().validate(RangeSource.embedded().fetch());

    assertThatThrownBy(() -> StateDir.at(link).saveLastGood(s))
        .isInstanceOf(CfAllowlistException.class)
        .hasMessage(
            "state directory "
                + link
                + " is a symbolic link; give the directory's real path with --state-dir");
    assertThat(privateDir.resolve("last-good.json")).doesNotExist();
  }

  @Test
  void anOversizedOrSymlinkedLastGoodFileIsRefusedWithoutQuotingIt() throws Exception {
    Path state = dir.resolve("state");
    Files.createDirectory(
        state, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path secret = dir.resolve("secret");
    Files.writeString(secret, "root:$y$hash:19000:0:99999:7:::\n");
    Files.createSymbolicLink(state.resolve("last-good.json"), secret);
    assertThatThrownBy(() -> StateDir.at(state).loadLastGood())
        .isInstanceOf(java.io.IOException.class)
        .hasMessageNotContaining("root:");
    Files.delete(state.resolve("last-good.json"));
    try (java.io.RandomAccessFile big =
        new java.io.RandomAccessFile(state.resolve("last-good.json").toFile(), "rw")) {
      big.setLength(SmallFiles.MAX_LIST_BYTES + 1);
    }
    assertThatThrownBy(() -> StateDir.at(state).loadLastGood())
        .hasStackTraceContaining("larger than the limit");
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

  @Test
  void replacingAPathThatIsASymbolicLinkReplacesTheLinkAndNeverItsTarget() throws Exception {
    Path victim = Files.writeString(dir.resolve("victim"), "secret\n");
    Path link = Files.createSymbolicLink(dir.resolve("metrics.prom"), victim);

    AtomicFiles.replace(link, "metrics\n");

    assertThat(victim).hasContent("secret");
    assertThat(Files.isSymbolicLink(link)).isFalse();
    assertThat(link).hasContent("metrics");
    assertThat(Files.getPosixFilePermissions(link))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
  }

  @Test
  void aStateDirectoryThatCannotBeCreatedIsNamedAsSuchWithTheOptionToChangeIt() throws Exception {
    Path file = Files.writeString(dir.resolve("file"), "");
    StateDir state = StateDir.at(file.resolve("state"));
    assertThatThrownBy(state::ensureSafe)
        .isInstanceOf(CfAllowlistException.class)
        .hasMessage(
            "cannot create the state directory "
                + file.resolve("state")
                + " ("
                + file
                + " is not a directory); choose a directory this user may write with --state-dir");
  }

  @Test
  void noOtherUserCanOpenTheLockSoNoneCanHoldItWithAReadLock() throws Exception {
    Path shared = Files.createDirectory(dir.resolve("shared"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path fresh = shared.resolve("fresh.lock");
    Path older = shared.resolve("older.lock");
    // A lock an earlier version left readable by everyone.
    Files.createFile(older);
    Files.setPosixFilePermissions(older, PosixFilePermissions.fromString("rw-r--r--"));

    for (Path lock : java.util.List.of(fresh, older)) {
      try (RunLock held = RunLock.acquire(lock, Duration.ZERO)) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(lock)))
            .as("%s", lock.getFileName())
            .isEqualTo("rw-------");
      }
      if (io.github.cfallowlist.testing.SystemTests.isRoot()) {
        io.github.cfallowlist.testing.SystemTests.requireTools("setpriv");
        Process reader =
            new ProcessBuilder(
                    "setpriv",
                    "--reuid=65534",
                    "--regid=65534",
                    "--clear-groups",
                    "/usr/bin/python3",
                    "-c",
                    "import fcntl,sys; fcntl.lockf(open(sys.argv[1]), fcntl.LOCK_SH)",
                    lock.toString())
                .redirectErrorStream(true)
                .start();
        String said =
            new String(
                reader.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(reader.waitFor()).as(said).isNotZero();
        assertThat(said).contains("PermissionError", lock.toString());
      }
    }
  }
}
