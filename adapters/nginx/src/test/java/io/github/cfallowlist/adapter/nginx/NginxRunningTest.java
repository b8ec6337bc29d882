package io.github.cfallowlist.adapter.nginx;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NginxRunningTest {
  @TempDir Path dir;

  /** nginx -T answering {@code dump}, nginx -V answering {@code built}. */
  private static CommandRunner nginx(String dump, String built) {
    return command ->
        command.argv().contains("-T")
            ? new CommandResult(0, dump, "nginx: configuration file test is successful\n")
            : command.argv().contains("-V")
                ? new CommandResult(0, "", built)
                : new CommandResult(1, "", "unexpected " + command.display());
  }

  private static String dump(String main, String included) {
    return "# configuration file /etc/nginx/nginx.conf:\n"
        + main
        + "\n# configuration file /etc/nginx/conf.d/map.conf:\n"
        + included
        + "\n";
  }

  private Path empty(String name) throws Exception {
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    return Files.writeString(file, "");
  }

  @Test
  void thePidDirectiveOfTheMainFileQuotedOrAfterAnotherDirectiveNamesThePidFile() throws Exception {
    Path pid = empty("nginx.pid");
    List<String> test = List.of("nginx", "-t");

    assertThat(
            NginxRunning.stopped(
                test,
                nginx(dump("user www-data;\npid '" + pid + "';\n", "pid /elsewhere.pid;"), "")))
        .contains(pid + " is empty");
    assertThat(NginxRunning.stopped(test, nginx(dump("user www-data; pid " + pid + ";\n", ""), "")))
        .contains(pid + " is empty");
  }

  @Test
  void withoutOneTheBuiltPathCountsAndALineInAnIncludedFileDoesNot() throws Exception {
    Path built = empty("built.pid");

    assertThat(
            NginxRunning.stopped(
                List.of("nginx", "-t"),
                nginx(
                    dump("events {}\n", "map $x $y {\n  pid /elsewhere.pid;\n}"),
                    "configure arguments: --prefix=/usr/share/nginx --pid-path=" + built)))
        .contains(built + " is empty");
  }

  @Test
  void aRelativePidFileIsUnderThePrefixGivenAttachedOrNot() throws Exception {
    Path pid = empty("prefix/logs/nginx.pid");
    String main = "pid logs/nginx.pid;\n";

    assertThat(
            NginxRunning.stopped(
                List.of("nginx", "-p" + dir.resolve("prefix"), "-t"), nginx(dump(main, ""), "")))
        .contains(pid + " is empty");
    assertThat(
            NginxRunning.stopped(
                List.of("nginx", "-t", "-p", dir.resolve("prefix").toString()),
                nginx(dump(main, ""), "")))
        .contains(pid + " is empty");
  }

  @Test
  void aPidFileThatIsNotThereWasLookedForInTheWrongPlaceSoTheReloadRuns() {
    // nginx -t, which has just passed, creates the pid file: a missing one means a wrong path.
    assertThat(
            NginxRunning.stopped(
                List.of("nginx", "-t"),
                nginx(dump("pid " + dir.resolve("missing.pid") + ";\n", ""), "")))
        .isEmpty();
    assertThat(
            NginxRunning.stopped(
                List.of("docker", "exec", "web", "nginx", "-t"),
                command -> {
                  throw new AssertionError("nothing runs: " + command.display());
                }))
        .isEmpty();
  }
}
