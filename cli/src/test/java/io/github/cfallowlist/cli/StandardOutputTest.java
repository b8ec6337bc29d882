package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Output that could not be written is an error (exit 1, one sentence), never a silent success. */
class StandardOutputTest {
  @TempDir Path dir;

  /** A stream whose every write fails as a full disk or a closed pipe makes it fail. */
  private static OutputStream failing(String why) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException(why);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        throw new IOException(why);
      }
    };
  }

  /** Runs {@code args} in-process with {@code out} as standard output. */
  private static CliRun run(PrintWriter out, String... args) {
    StringWriter err = new StringWriter();
    picocli.CommandLine cmd = Cli.commandLine(args);
    cmd.setOut(out);
    cmd.setErr(new PrintWriter(err, true));
    return new CliRun(cmd.execute(args), "", err.toString());
  }

  @Test
  void renderToAFullDeviceExitsOneSayingWhy() throws Exception {
    Path err = dir.resolve("err");
    Process p =
        new ProcessBuilder(
                CronCli.argv(
                    List.of(),
                    dir.resolve("state"),
                    "render",
                    "--source",
                    "embedded",
                    "--target",
                    "nftables"))
            .redirectOutput(ProcessBuilder.Redirect.to(new File("/dev/full")))
            .redirectError(err.toFile())
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(p.exitValue()).isEqualTo(1);
    assertThat(err)
        .hasContent("cf-allowlist: could not write to standard output: No space left on device");
  }

  @Test
  void fetchIntoAStreamThatFailsExitsOneSayingWhy() {
    CliRun run =
        run(
            StandardOutput.over(failing("Broken pipe"), StandardCharsets.UTF_8),
            "fetch",
            "--source",
            "embedded",
            "--state-dir",
            dir.resolve("state").toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err())
        .isEqualTo("cf-allowlist: could not write to standard output: Broken pipe\n");
  }

  @Test
  void statusIntoAWriterThatFailsExitsOne() throws Exception {
    Path conf = dir.resolve("real-ip.conf");
    CliRun run =
        run(
            new PrintWriter(
                new OutputStreamWriter(failing("No space left on device"), StandardCharsets.UTF_8),
                true),
            "status",
            "--source",
            "embedded",
            "--target",
            "nginx",
            "--nginx-file",
            conf.toString(),
            "--state-dir",
            dir.resolve("state").toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).isEqualTo("cf-allowlist: could not write to standard output\n");
    assertThat(Files.exists(conf)).isFalse();
  }
}
