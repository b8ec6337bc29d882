package io.github.cfallowlist.adapter.caddy;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;

class CaddyRunningTest {
  private static final List<String> TEST =
      List.of("caddy", "validate", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile");
  private static final List<String> RELOAD =
      List.of("caddy", "reload", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile");

  private static CommandRunner adapting(String json) {
    return command -> {
      assertThat(command.argv())
          .containsExactly(
              "caddy", "adapt", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile");
      return new CommandResult(0, json, "");
    };
  }

  /** A port nothing listens on (one that was just closed). */
  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void anAdminEndpointThatRefusesMeansStoppedAndOneThatAnswersMeansRunning() throws Exception {
    int closed = freePort();
    assertThat(
            CaddyRunning.stopped(
                TEST, RELOAD, adapting("{\"admin\":{\"listen\":\"127.0.0.1:" + closed + "\"}}")))
        .contains("nothing answers at 127.0.0.1:" + closed + ", its admin endpoint");
    try (ServerSocket open = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String listen = "tcp/127.0.0.1:" + open.getLocalPort();
      assertThat(
              CaddyRunning.stopped(
                  TEST, RELOAD, adapting("{\"admin\":{\"listen\":\"" + listen + "\"}}")))
          .isEmpty();
    }
  }

  @Test
  void theReloadCommandsAddressComesBeforeTheConfigurationsAndNoSocketFileMeansStopped() {
    List<String> reload = List.of("caddy", "reload", "--address", "unix//nonexistent/admin.sock");
    CommandRunner none =
        command -> {
          throw new AssertionError("nothing to adapt: " + command.display());
        };

    assertThat(CaddyRunning.stopped(TEST, reload, none))
        .contains("there is no /nonexistent/admin.sock, its admin endpoint");
  }

  @Test
  void anAddressGivenAsOneArgumentIsTheOneProbed() {
    List<String> reload = List.of("caddy", "reload", "--address=unix//nonexistent/admin.sock");

    assertThat(CaddyRunning.stopped(TEST, reload, adapting("{}")))
        .contains("there is no /nonexistent/admin.sock, its admin endpoint");
  }

  @Test
  void aCaddyRunElsewhereOrASocketRelativeToWhereCaddyStartedCannotBeTold() {
    List<String> elsewhere =
        List.of("docker", "exec", "web", "caddy", "validate", "--config", "/etc/caddy/Caddyfile");

    assertThat(CaddyRunning.stopped(elsewhere, RELOAD, adapting("{}"))).isEmpty();
    assertThat(
            CaddyRunning.stopped(
                TEST, RELOAD, adapting("{\"admin\":{\"listen\":\"unix/admin.sock\"}}")))
        .isEmpty();
  }

  @Test
  void whatCannotBeToldIsNotStoppedSoTheReloadRunsAsConfigured() {
    assertThat(CaddyRunning.stopped(TEST, RELOAD, adapting("{\"admin\":{\"disabled\":true}}")))
        .as("admin off")
        .isEmpty();
    assertThat(CaddyRunning.stopped(List.of("caddy-check"), RELOAD, adapting("{}")))
        .as("no validate to turn into adapt")
        .isEmpty();
    assertThat(
            CaddyRunning.stopped(
                TEST, RELOAD, command -> new CommandResult(1, "", "Error: adapting config")))
        .as("a configuration that does not adapt")
        .isEmpty();
    assertThat(CaddyRunning.stopped(TEST, RELOAD, adapting("not json")))
        .as("output that is not JSON")
        .isEmpty();
  }
}
