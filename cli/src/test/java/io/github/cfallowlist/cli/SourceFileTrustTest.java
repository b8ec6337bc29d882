package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code file:} source lists the addresses an apply lets in: an apply reads it only when no one
 * but root and the user running could have written it; a dry run or a plan reads any.
 */
class SourceFileTrustTest {
  @TempDir Path dir;

  /** A range of no one's choosing but this list's, which every guard admits. */
  private static final String THEIRS = "45.79.1.1/32";

  /**
   * The embedded list and {@link #THEIRS} as a {@code file:} source holds them, at {@code file}.
   */
  private Path list(Path file) throws Exception {
    CliRun fetched = CliRun.of("fetch", "--source", "embedded");
    assertThat(fetched.exitCode()).as(fetched.err()).isZero();
    Files.writeString(file, fetched.out() + THEIRS + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    return file;
  }

  private Path snippet() {
    return dir.resolve("real-ip.conf");
  }

  private CliRun nginx(Path list, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--source",
                "file:" + list,
                "--state-dir",
                dir.resolve("state").toString(),
                "--target",
                "nginx",
                "--set",
                "nginx-file=" + snippet(),
                "--set",
                "nginx-test-command=true",
                "--set",
                "nginx-reload-command=true"));
    args.addAll(0, List.of(extra));
    return CliRun.of(args.toArray(String[]::new));
  }

  @Test
  void aListOthersCanWriteIsRefusedByAnApplyButShownByADryRunAndAPlan() throws Exception {
    Path list = list(dir.resolve("cloudflare.txt"));
    Files.setPosixFilePermissions(list, PosixFilePermissions.fromString("rw-rw-rw-"));

    CliRun apply = nginx(list, "apply", "--fallback", "none");
    CliRun dryRun = nginx(list, "apply", "--dry-run");
    CliRun plan = nginx(list, "plan");

    assertThat(apply.exitCode()).as(apply.err()).isEqualTo(1);
    assertThat(apply.errIsOneSentence()).as(apply.err()).isTrue();
    assertThat(apply.err())
        .contains(
            "nginx: failed (nothing changed): the source file "
                + list
                + " can be written by other users (rw-rw-rw-); it lists the addresses an apply"
                + " lets in: chmod go-w "
                + list
                + "; nothing was applied");
    assertThat(snippet()).doesNotExist();
    assertThat(dryRun.exitCode()).as(dryRun.err()).isEqualTo(2);
    assertThat(plan.exitCode()).as(plan.err()).isEqualTo(2);
    assertThat(plan.out()).contains("+set_real_ip_from " + THEIRS + ";");

    // A target holding nothing gets the fallback list, never the one in doubt.
    CliRun fallback = nginx(list, "apply");
    assertThat(fallback.exitCode()).as(fallback.err()).isZero();
    assertThat(fallback.err()).contains("can be written by other users");
    assertThat(Files.readString(snippet()))
        .contains("set_real_ip_from 173.245.48.0/20;")
        .doesNotContain(THEIRS);

    Files.setPosixFilePermissions(list, PosixFilePermissions.fromString("rw-r--r--"));
    CliRun trusted = nginx(list, "apply");
    assertThat(trusted.exitCode()).as(trusted.err()).isZero();
    assertThat(Files.readString(snippet())).contains("set_real_ip_from " + THEIRS + ";");
  }

  @Test
  void aListOfAnotherUserOrInADirectoryOthersCanWriteIsRefusedByAnApply() throws Exception {
    Path foreign = list(dir.resolve("foreign.txt"));
    Files.setAttribute(foreign, "unix:uid", 65534);
    Path open = Files.createDirectory(dir.resolve("open"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path inOpen = list(open.resolve("cloudflare.txt"));

    CliRun ofAnother = nginx(foreign, "apply", "--fallback", "none");
    CliRun underOpen = nginx(inOpen, "apply", "--fallback", "none");

    assertThat(ofAnother.exitCode()).isEqualTo(1);
    assertThat(ofAnother.errIsOneSentence()).as(ofAnother.err()).isTrue();
    assertThat(ofAnother.err())
        .contains(
            "nginx: failed (nothing changed): the source file "
                + foreign
                + " belongs to another user (uid 65534); it lists the addresses an apply lets in,"
                + " so only root or the user that runs cf-allowlist may own it;");
    assertThat(underOpen.exitCode()).isEqualTo(1);
    assertThat(underOpen.err())
        .contains(
            "nginx: failed (nothing changed): directory "
                + open
                + " above the source file "
                + inOpen
                + " can be written by other users (rwxrwxrwx)");
    assertThat(snippet()).doesNotExist();
  }

  @Test
  void aMissingListOrAFifoFailsTheSourceSoNoFileCanBePutThereAfterTheCheck() throws Exception {
    Path absent = dir.resolve("absent.txt");
    Path fifo = dir.resolve("fifo");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();

    CliRun missing = nginx(absent, "apply", "--fallback", "none");
    CliRun pipe = nginx(fifo, "apply", "--fallback", "none");

    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err())
        .contains(
            "nginx: failed (nothing changed): the source file " + absent + " does not exist;");
    assertThat(pipe.exitCode()).isEqualTo(1);
    assertThat(pipe.err())
        .contains(
            "nginx: failed (nothing changed): the source file "
                + fifo
                + " is not a regular file (a FIFO or a device);");
    assertThat(snippet()).doesNotExist();
  }

  @Test
  void aListReachedThroughALinkInAStickyDirectoryIsAppliedFromWhereItReallyIs() throws Exception {
    Path list = list(dir.resolve("cloudflare.txt"));
    Path sticky = Files.createDirectory(dir.resolve("sticky"));
    Files.setAttribute(sticky, "unix:mode", 01777);
    Path link = Files.createSymbolicLink(sticky.resolve("list.txt"), list);

    CliRun apply = nginx(link, "apply", "--format", "json");

    assertThat(apply.exitCode()).as(apply.err()).isZero();
    assertThat(apply.out()).contains("file " + list);
    assertThat(Files.readString(snippet())).contains("set_real_ip_from 173.245.48.0/20;");
  }

  @Test
  void configCheckWarnsThatAnApplyWouldRefuseTheListAndPasses() throws Exception {
    Path list = list(dir.resolve("cloudflare.txt"));
    Files.setPosixFilePermissions(list, PosixFilePermissions.fromString("rw-rw-r--"));
    Path config = dir.resolve("cf-allowlist.toml");
    Files.writeString(
        config,
        "source = \"file:"
            + list
            + "\"\n[targets.nginx]\nnginx-file = \""
            + snippet()
            + "\"\nnginx-test-command = \"true\"\nnginx-reload-command = \"true\"\n");
    Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));

    CliRun check = CliRun.of("config", "check", "--config", config.toString());

    assertThat(check.exitCode()).as(check.err()).isZero();
    assertThat(check.err())
        .contains(
            "the source file "
                + list
                + " can be written by other users (rw-rw-r--); it lists the addresses an apply"
                + " lets in: chmod go-w "
                + list
                + "; an apply would refuse it");
  }
}
