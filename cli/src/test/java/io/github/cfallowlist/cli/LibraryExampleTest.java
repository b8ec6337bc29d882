package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's library example: compiled exactly as written against the built jars, then run (with
 * the embedded list, a scratch nginx file and state dir instead of the network and /etc) in a child
 * JVM.
 */
class LibraryExampleTest {
  @TempDir Path dir;

  static String readmeExample() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    int section = readme.indexOf("## Using the library");
    int start = readme.indexOf("```java\n", section) + "```java\n".length();
    int end = readme.indexOf("```", start);
    assertThat(section).isPositive();
    return readme.substring(start, end);
  }

  private void compile(String source, Path out) throws Exception {
    Path src = out.resolve("KeepInStep.java");
    Files.createDirectories(out);
    Files.writeString(src, source);
    JavaSources.compile(List.of(src.toFile()), out);
  }

  @Test
  void readmeExampleCompilesAsWrittenAndRuns() throws Exception {
    String example = readmeExample();
    compile(example, dir.resolve("as-written"));

    Path nginxFile = dir.resolve("cloudflare-real-ip.conf");
    String local =
        example
            .replace("RangeSource.cloudflare()", "RangeSource.embedded()")
            .replace(
                "Run.builder()",
                "Run.builder().stateDir(StateDir.at(java.nio.file.Path.of(\"" + dir + "\")))")
            .replace("\"/etc/nginx/conf.d/cloudflare-real-ip.conf\"", "\"" + nginxFile + "\"")
            .replace(
                ".withSetting(\"nginx-file\"",
                ".withSetting(\"nginx-test-command\", \"true\")"
                    + ".withSetting(\"nginx-reload-command\", \"true\")"
                    + ".withSetting(\"nginx-file\"");
    assertThat(local).isNotEqualTo(example).contains("RangeSource.embedded()");
    Path classes = dir.resolve("local");
    compile(local, classes);

    String first = runJava(classes);
    assertThat(first)
        .isEqualTo("nginx: APPLIED applied +22 -0 ranges (IPv4 +15, IPv6 +7), new install\n");
    assertThat(nginxFile).content().contains("set_real_ip_from 173.245.48.0/20;");
    assertThat(runJava(classes)).isEqualTo("nginx: IN_SYNC in sync, no changes (22 ranges)\n");
  }

  private static String runJava(Path classes) throws Exception {
    Process p =
        new ProcessBuilder(
                ProcessHandle.current().info().command().orElseThrow(),
                "-cp",
                classes + ":" + System.getProperty("java.class.path"),
                "KeepInStep")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
