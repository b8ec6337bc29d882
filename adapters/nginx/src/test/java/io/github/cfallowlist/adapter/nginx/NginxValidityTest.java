package io.github.cfallowlist.adapter.nginx;

import static io.github.cfallowlist.adapter.nginx.TestSupport.embedded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Feeds the rendered files to the real {@code nginx -t}, with a private prefix and configuration
 * ({@code -p PREFIX -c CONF}) so the host's nginx is neither read nor touched.
 */
class NginxValidityTest {
  private final NginxTarget target = new NginxTarget();

  @BeforeEach
  void requireNginx() {
    SystemTests.requireTools("nginx");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** The smallest configuration that includes both files where a sysadmin would. */
  private static void writeMinimalConf(NginxPrefix prefix, Path realIp, Path allow)
      throws IOException {
    String d = prefix.dir().toString();
    Files.writeString(
        prefix.conf(),
        "pid "
            + d
            + "/nginx.pid;\n"
            + "error_log "
            + d
            + "/error.log;\n"
            + "events {}\n"
            + "http {\n"
            + NginxPrefix.tempPaths(d)
            + "  access_log off;\n"
            + "  include "
            + realIp
            + ";\n"
            + "  server {\n"
            + "    listen 127.0.0.1:"
            + freePort()
            + ";\n"
            + "    location / {\n"
            + "      include "
            + allow
            + ";\n"
            + "    }\n"
            + "  }\n"
            + "}\n");
  }

  private static CommandResult nginxTest(NginxPrefix prefix) throws IOException {
    return CommandRunner.system().run(Command.read(prefix.testCommand()));
  }

  @ParameterizedTest
  @EnumSource(Families.class)
  void nginxAcceptsBothRenderedFiles(Families families) throws IOException {
    try (NginxPrefix prefix = NginxPrefix.create()) {
      Rendered rendered = target.render(embedded(families), prefix.options(families));
      Files.writeString(
          prefix.realIpFile(), rendered.file(NginxPrefix.REAL_IP_NAME).orElseThrow().content());
      Files.writeString(
          prefix.allowFile(), rendered.file(NginxPrefix.ALLOW_NAME).orElseThrow().content());
      writeMinimalConf(prefix, prefix.realIpFile(), prefix.allowFile());

      CommandResult result = nginxTest(prefix);

      assertThat(result.ok()).as(result.stderr()).isTrue();
      assertThat(result.stderr()).contains("test is successful");
    }
  }

  @Test
  void nginxRejectsAnEmptySetRealIpFromLineSoTheCheckCanFail() throws IOException {
    try (NginxPrefix prefix = NginxPrefix.create()) {
      String good =
          target
              .render(embedded(), prefix.options(Families.BOTH))
              .file(NginxPrefix.REAL_IP_NAME)
              .orElseThrow()
              .content();
      Files.writeString(
          prefix.realIpFile(),
          good.replace("set_real_ip_from 103.31.4.0/22;", "set_real_ip_from ;"));
      Files.writeString(prefix.allowFile(), "");
      writeMinimalConf(prefix, prefix.realIpFile(), prefix.allowFile());

      CommandResult result = nginxTest(prefix);

      assertThat(result.ok()).isFalse();
      assertThat(NginxTarget.nginxError(result)).contains("[emerg]");
    }
  }

  @Test
  void uninstallPutsFilesBackWhenNginxConfNamesTheFileWithoutAGlob() throws IOException {
    try (NginxPrefix prefix = NginxPrefix.create()) {
      // An explicit include of a missing file fails nginx -t, so removing the file would break
      // the next reload or restart; uninstall must notice and undo.
      prefix.writeConf("127.0.0.1", freePort(), prefix.realIpFile().toString());
      RecordingCommandRunner runner =
          RecordingCommandRunner.wrapping(CommandRunner.system())
              .failing(c -> c.argv().contains("reload"));
      TargetContext context = new TargetContext(prefix.options(Families.BOTH), runner);
      Rendered rendered = target.render(embedded(), prefix.options(Families.BOTH));
      Files.writeString(
          prefix.realIpFile(), rendered.file(NginxPrefix.REAL_IP_NAME).orElseThrow().content());
      Files.writeString(
          prefix.allowFile(), rendered.file(NginxPrefix.ALLOW_NAME).orElseThrow().content());
      assertThat(nginxTest(prefix).ok()).isTrue();
      byte[] realIp = Files.readAllBytes(prefix.realIpFile());
      byte[] allow = Files.readAllBytes(prefix.allowFile());

      assertThatThrownBy(() -> Sync.uninstall(target, context))
          .isInstanceOf(ApplyFailedException.class)
          .hasMessageContaining("nginx: [emerg] open() \"" + prefix.realIpFile() + "\" failed")
          .hasMessageContaining("nginx was not reloaded")
          .hasMessageContaining(
              "includes " + prefix.realIpFile() + " and " + prefix.allowFile() + " by name");

      assertThat(Files.readAllBytes(prefix.realIpFile())).isEqualTo(realIp);
      assertThat(Files.readAllBytes(prefix.allowFile())).isEqualTo(allow);
      assertThat(runner.modifyingCommands()).isEmpty();
    }
  }

  @Test
  void applyThroughRealNginxTestLeavesNoTemporaryFileAndVerifies() throws IOException {
    try (NginxPrefix prefix = NginxPrefix.create()) {
      prefix.writeConf("127.0.0.1", freePort(), prefix.realIpGlob());
      // nginx is not running here: stand in for the reload, everything else is real.
      RecordingCommandRunner runner =
          RecordingCommandRunner.wrapping(
              c ->
                  c.argv().contains("reload")
                      ? new CommandResult(0, "", "")
                      : CommandRunner.system().run(c));
      TargetContext context = new TargetContext(prefix.options(Families.BOTH), runner);

      Sync.apply(target, embedded(), context, Guards.defaults());

      assertThat(Sync.plan(target, embedded(), context).hasChanges()).isFalse();
      try (var files = Files.list(prefix.realIpFile().getParent())) {
        assertThat(files).containsExactly(prefix.realIpFile());
      }
      assertThat(runner.commands())
          .extracting(Command::argv)
          .containsExactly(prefix.testCommand(), prefix.reloadCommand());
    }
  }
}
