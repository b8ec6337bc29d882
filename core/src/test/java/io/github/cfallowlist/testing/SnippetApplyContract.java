package io.github.cfallowlist.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every snippet target ({@code io.github.cfallowlist.kit.SnippetTarget}) must do on files in a
 * temporary directory, with {@code true} as both commands: a file it did not write is neither
 * overwritten nor removed, a missing directory is not created, and a failing reload puts the old
 * file back. A target's test extends this and provides its target, file name and a foreign file.
 */
public abstract class SnippetApplyContract {
  @TempDir protected Path dir;

  private final RecordingCommandRunner runner =
      RecordingCommandRunner.wrapping(CommandRunner.system());

  /** The target under test; its settings are {@code NAME-file}, {@code NAME-test-command}, … */
  protected abstract Target target();

  /** The snippet's default file name. */
  protected abstract String fileName();

  /** A file in the snippet's syntax that cf-allowlist did not write, without a final newline. */
  protected abstract String foreignContent();

  /** The embedded list, both families. */
  protected static RangeSnapshot full() {
    try {
      return Guards.defaults().withFamilies(Families.BOTH).validate(RangeSource.embedded().fetch());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path file() {
    return dir.resolve(fileName());
  }

  private String setting(String suffix) {
    return target().name() + "-" + suffix;
  }

  private TargetContext context() {
    TargetOptions options =
        TargetOptions.defaults()
            .withSetting(setting("file"), file().toString())
            .withSetting(setting("test-command"), "true")
            .withSetting(setting("reload-command"), "true");
    return new TargetContext(options, runner);
  }

  @Test
  void aFileCfAllowlistDidNotWriteIsNeitherOverwrittenNorRemoved() throws IOException {
    Files.writeString(file(), foreignContent() + "\n");

    TargetResult applied = Sync.sync(target(), full(), context(), Guards.defaults(), false);
    TargetResult removed = Sync.remove(target(), context(), false);

    assertThat(applied.outcome()).as(applied.message()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(applied.message()).contains("not written by cf-allowlist");
    assertThat(removed.outcome()).as(removed.message()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(file()).hasContent(foreignContent());
    assertThat(runner.commands()).isEmpty();
  }

  @Test
  void aMissingDirectoryIsNotCreated() {
    TargetOptions options =
        context().options().withSetting(setting("file"), dir.resolve("no/such/x.conf").toString());
    ApplyFailedException failed =
        catchThrowableOfType(
            ApplyFailedException.class,
            () ->
                Sync.apply(
                    target(), full(), new TargetContext(options, runner), Guards.defaults()));
    assertThat(failed.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(dir.resolve("no")).doesNotExist();
    assertThat(runner.commands()).isEmpty();
    TargetResult dryRun =
        Sync.sync(target(), full(), new TargetContext(options, runner), Guards.defaults(), true);
    assertThat(dryRun.outcome())
        .as("a dry run judges as apply")
        .isEqualTo(Outcome.FAILED_UNCHANGED);
    assertThat(dryRun.message()).endsWith(" does not exist; nothing was changed");
  }

  @Test
  void aReloadThatKeepsFailingPutsTheOldFileBackAndCannotTellWhatTheDaemonRuns()
      throws IOException {
    RangeSnapshot fewer =
        full()
            .withRanges(
                RangeSet.of(
                    full().ranges().all().stream()
                        .filter(c -> !c.toString().equals("173.245.48.0/20"))
                        .toList()));
    Sync.apply(target(), fewer, context(), Guards.defaults());
    byte[] old = Files.readAllBytes(file());
    TargetOptions failing = context().options().withSetting(setting("reload-command"), "false");

    ApplyFailedException failed =
        catchThrowableOfType(
            ApplyFailedException.class,
            () ->
                Sync.apply(
                    target(), full(), new TargetContext(failing, runner), Guards.defaults()));

    // The failed reload may have loaded the file, and the one with the old file fails too.
    assertThat(failed.outcome()).isEqualTo(Outcome.STATE_UNKNOWN);
    assertThat(failed).hasMessageContaining("may have loaded the new files; reloading");
    // The record stays for the next run; the failing reload is not run a third time.
    assertThat(failed.getMessage()).containsOnlyOnce("may have loaded");
    assertThat(Files.readAllBytes(file())).isEqualTo(old);
  }
}
