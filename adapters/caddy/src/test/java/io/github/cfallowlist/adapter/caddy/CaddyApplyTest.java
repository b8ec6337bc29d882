package io.github.cfallowlist.adapter.caddy;

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
class CaddyApplyTest {
  @TempDir Path dir;
  private final CaddyTarget target = new CaddyTarget();
  private final RangeSnapshot full = CaddyConfigTest.embedded(Families.BOTH);
  private final RecordingCommandRunner runner =
      RecordingCommandRunner.wrapping(CommandRunner.system());

  private Path file() {
    return dir.resolve("cloudflare-trusted-proxies.caddy");
  }

  private TargetContext context() {
    TargetOptions options =
        TargetOptions.defaults()
            .withSetting("caddy-file", file().toString())
            .withSetting("caddy-test-command", "true")
            .withSetting("caddy-reload-command", "true");
    return new TargetContext(options, runner);
  }

  @Test
  void aFileCfAllowlistDidNotWriteIsNeitherOverwrittenNorRemoved() throws IOException {
    Files.writeString(file(), "request_header CF-Connecting-IP 1.2.3.4\n");

    TargetResult applied = Sync.sync(target, full, context(), Guards.defaults(), false);
    TargetResult removed = Sync.remove(target, context(), false);

    assertThat(applied.outcome()).as(applied.message()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(applied.message()).contains("not written by cf-allowlist");
    assertThat(removed.outcome()).as(removed.message()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(file()).hasContent("request_header CF-Connecting-IP 1.2.3.4");
    assertThat(runner.commands()).isEmpty();
  }

  @Test
  void aMissingDirectoryIsNotCreated() {
    TargetOptions options =
        context().options().withSetting("caddy-file", dir.resolve("no/such/x.conf").toString());
    ApplyFailedException failed =
        catchThrowableOfType(
            ApplyFailedException.class,
            () -> Sync.apply(target, full, new TargetContext(options, runner), Guards.defaults()));
    assertThat(failed.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(dir.resolve("no")).doesNotExist();
    assertThat(runner.commands()).isEmpty();
  }

  @Test
  void aFailingReloadPutsTheOldFileBack() throws IOException {
    RangeSnapshot fewer =
        full.withRanges(
            RangeSet.of(
                full.ranges().all().stream()
                    .filter(c -> !c.toString().equals("173.245.48.0/20"))
                    .toList()));
    Sync.apply(target, fewer, context(), Guards.defaults());
    byte[] old = Files.readAllBytes(file());
    TargetOptions failing = context().options().withSetting("caddy-reload-command", "false");

    ApplyFailedException failed =
        catchThrowableOfType(
            ApplyFailedException.class,
            () -> Sync.apply(target, full, new TargetContext(failing, runner), Guards.defaults()));

    assertThat(failed.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(Files.readAllBytes(file())).isEqualTo(old);
  }
}
