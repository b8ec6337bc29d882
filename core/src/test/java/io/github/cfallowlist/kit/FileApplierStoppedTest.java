package io.github.cfallowlist.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Outcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@link FileApplier} treats a daemon its {@link FileTarget.StoppedCheck} finds stopped. */
class FileApplierStoppedTest {
  @TempDir Path dir;

  private final List<String> ran = new ArrayList<>();
  private boolean testPasses = true;
  private boolean reloadHangs;
  private Optional<String> stopped = Optional.empty();

  private final CommandRunner runner =
      command -> {
        String name = command.argv().get(0);
        ran.add(name);
        if (name.equals("reload-daemon") && reloadHangs) {
          throw new IOException("'reload-daemon' did not finish within 60 s and was stopped");
        }
        return name.equals("test-daemon") && !testPasses
            ? new CommandResult(1, "", "daemon: bad configuration")
            : new CommandResult(0, "", "");
      };

  private FileApplier applier(FileTarget.StoppedCheck check) {
    FileTarget daemon =
        FileTarget.of(
                "daemon",
                "daemon-package",
                dir.resolve("cf.conf"),
                List.of("test-daemon"),
                List.of("reload-daemon"))
            .withStoppedCheck(check);
    return new FileApplier(daemon, runner);
  }

  private void apply(FileTarget.StoppedCheck check) throws IOException {
    applier(check)
        .apply(
            List.of(FileApplier.Desired.of(dir.resolve("cf.conf"), "new\n")),
            FileApplier.Leftovers.NONE);
  }

  @Test
  void aStoppedDaemonGetsTheTestedFileAndNoReload() throws IOException {
    apply(runner -> Optional.of("there is no /run/daemon.pid"));

    assertThat(ran).containsExactly("test-daemon");
    assertThat(dir.resolve("cf.conf")).hasContent("new");
    try (var files = Files.list(dir)) {
      assertThat(files)
          .as("no record of the change is left")
          .containsExactly(dir.resolve("cf.conf"));
    }
  }

  @Test
  void aCheckThatThrowsCannotTellSoTheReloadRuns() throws IOException {
    apply(
        runner -> {
          throw new IllegalStateException("a check of one's own that broke");
        });

    assertThat(ran).containsExactly("test-daemon", "reload-daemon");
  }

  @Test
  void puttingBackAChangeTheDaemonMayHaveLoadedDoesNotReloadItOnceItHasStopped()
      throws IOException {
    // A reload that hangs, twice: the record of the change stays, saying the daemon may have
    // loaded the new file.
    reloadHangs = true;
    ApplyFailedException first =
        catchThrowableOfType(ApplyFailedException.class, () -> apply(r -> stopped));
    assertThat(first.outcome()).isEqualTo(Outcome.STATE_UNKNOWN);
    ran.clear();
    // The next run: the daemon has stopped since, and the test now fails.
    reloadHangs = false;
    testPasses = false;
    stopped = Optional.of("there is no /run/daemon.pid");

    ApplyFailedException second =
        catchThrowableOfType(ApplyFailedException.class, () -> apply(r -> stopped));

    assertThat(second.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(second)
        .hasMessageEndingWith(
            "daemon was not reloaded (it is not running: there is no /run/daemon.pid)");
    assertThat(ran).as("a reload would start the stopped daemon").doesNotContain("reload-daemon");
    assertThat(dir.resolve("cf.conf")).doesNotExist();
  }
}
