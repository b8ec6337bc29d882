package io.github.cfallowlist.adapter.crowdsec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Apply and uninstall on files in a temporary directory, with {@code true} as both commands. */
class CrowdsecApplyTest {
  @TempDir Path dir;
  private final CrowdsecTarget target = new CrowdsecTarget();
  private final RangeSnapshot full = CrowdsecConfigTest.embedded(Families.BOTH);
  private final RecordingCommandRunner runner =
      RecordingCommandRunner.wrapping(CommandRunner.system());

  private Path file() {
    return dir.resolve("cloudflare-whitelist.yaml");
  }

  private TargetContext context() {
    TargetOptions options =
        TargetOptions.defaults()
            .withSetting("crowdsec-file", file().toString())
            .withSetting("crowdsec-test-command", "true")
            .withSetting("crowdsec-reload-command", "true");
    return new TargetContext(options, runner);
  }

  @Test
  void aFileCfAllowlistDidNotWriteIsNeitherOverwrittenNorRemoved() throws IOException {
    Files.writeString(file(), "name: crowdsecurity/whitelists\n");

    TargetResult applied = Sync.sync(target, full, context(), Guards.defaults(), false);
    TargetResult removed = Sync.remove(target, context(), false);

    assertThat(applied.outcome()).as(applied.message()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(applied.message()).contains("not written by cf-allowlist");
    assertThat(removed.outcome()).as(removed.message()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(file()).hasContent("name: crowdsecurity/whitelists");
    assertThat(runner.commands()).isEmpty();
  }

  @Test
  void aMissingDirectoryIsNotCreated() {
    TargetOptions options =
        context().options().withSetting("crowdsec-file", dir.resolve("no/such/x.yaml").toString());
    ApplyFailedException failed =
        catchThrowableOfType(
            ApplyFailedException.class,
            () -> Sync.apply(target, full, new TargetContext(options, runner), Guards.defaults()));
    assertThat(failed.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(dir.resolve("no")).doesNotExist();
    assertThat(runner.commands()).isEmpty();
  }

  @Test
  void aReloadThatKeepsFailingPutsTheOldFileBackAndCannotTellWhatTheDaemonRuns()
      throws IOException {
    RangeSnapshot fewer =
        full.withRanges(
            RangeSet.of(
                full.ranges().all().stream()
                    .filter(c -> !c.toString().equals("173.245.48.0/20"))
                    .toList()));
    Sync.apply(target, fewer, context(), Guards.defaults());
    byte[] old = Files.readAllBytes(file());
    TargetOptions failing = context().options().withSetting("crowdsec-reload-command", "false");

    ApplyFailedException failed =
        catchThrowableOfType(
            ApplyFailedException.class,
            () -> Sync.apply(target, full, new TargetContext(failing, runner), Guards.defaults()));

    // The failed reload may have loaded the file, and the one with the old file fails too.
    assertThat(failed.outcome()).isEqualTo(Outcome.STATE_UNKNOWN);
    assertThat(failed).hasMessageContaining("may have loaded the new files; reloading");
    assertThat(Files.readAllBytes(file())).isEqualTo(old);
  }

  @Test
  void anInSyncRunWritesNothingAndReloadsNothing() throws IOException {
    Sync.apply(target, full, context(), Guards.defaults());
    runner.clear();
    TargetOptions noReload = context().options().withSetting("crowdsec-reload-command", "false");

    TargetResult again =
        Sync.sync(target, full, new TargetContext(noReload, runner), Guards.defaults(), false);

    assertThat(again.outcome()).as(again.message()).isEqualTo(Outcome.IN_SYNC);
    assertThat(runner.commands()).isEmpty();
  }

  @Test
  void uninstallRemovesOnlyItsOwnFile() throws IOException {
    Path users = dir.resolve("whitelists.yaml");
    Files.writeString(users, "name: crowdsecurity/whitelists\n");
    Sync.apply(target, full, context(), Guards.defaults());

    TargetResult removed = Sync.remove(target, context(), false);

    assertThat(removed.outcome()).as(removed.message()).isEqualTo(Outcome.APPLIED);
    assertThat(file()).doesNotExist();
    assertThat(users).hasContent("name: crowdsecurity/whitelists");
    try (var left = Files.list(dir)) {
      assertThat(left).containsExactly(users);
    }
  }
}
