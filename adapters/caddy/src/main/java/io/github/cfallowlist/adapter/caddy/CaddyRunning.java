package io.github.cfallowlist.adapter.caddy;

import com.fasterxml.jackson.jr.ob.JSON;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.kit.Liveness;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Whether Caddy runs, told as {@code caddy reload} finds it: by its admin endpoint, the address
 * {@code --address} of the reload command gives, or else the configuration's {@code admin.listen}
 * ({@code caddy adapt}), or else {@code CADDY_ADMIN} or Caddy's default {@code localhost:2019};
 * only when the test command is Caddy itself, not one that runs it elsewhere. A stopped Caddy is
 * not reloaded, so the snippet can be written before Caddy first starts with a site that imports
 * it.
 */
final class CaddyRunning {
  private static final System.Logger LOG = System.getLogger(CaddyRunning.class.getName());

  /** Where Caddy's admin endpoint listens when its configuration does not say. */
  static final String DEFAULT_ADMIN = "localhost:2019";

  private static final int CONNECT_MILLIS = 1000;

  private CaddyRunning() {}

  /**
   * Why Caddy is known not to run: nothing answers at its admin endpoint (refused, or no socket
   * file). Empty when something answers, or when that cannot be told (a test command without {@code
   * validate}, a configuration that does not adapt, an admin endpoint that is off, a connection
   * that neither succeeds nor is refused): the reload then runs as configured.
   */
  static Optional<String> stopped(
      List<String> testCommand, List<String> reloadCommand, CommandRunner runner) {
    try {
      Optional<String> address = address(testCommand, reloadCommand, runner);
      return address.isEmpty() ? Optional.empty() : unanswered(address.get());
    } catch (IOException | RuntimeException e) {
      LOG.log(
          Level.DEBUG,
          "caddy: cannot tell whether it runs, so it is reloaded: {0}",
          Printable.message(e));
      return Optional.empty();
    }
  }

  /** The admin endpoint's address, as {@code caddy reload} picks it; empty when it is off. */
  private static Optional<String> address(
      List<String> testCommand, List<String> reloadCommand, CommandRunner runner)
      throws IOException {
    // Caddy itself only: through docker exec or ssh, its admin endpoint is not one to reach here.
    if (!isCaddy(testCommand)) {
      return Optional.empty();
    }
    if (isCaddy(reloadCommand)) {
      for (int i = 0; i < reloadCommand.size(); i++) {
        String arg = reloadCommand.get(i);
        if (arg.equals("--address") && i + 1 < reloadCommand.size()) {
          return Optional.of(reloadCommand.get(i + 1));
        }
        if (arg.startsWith("--address=")) {
          return Optional.of(arg.substring("--address=".length()));
        }
      }
    }
    Optional<List<String>> adapt = CaddyDiagnosis.adaptCommand(testCommand);
    if (adapt.isEmpty()) {
      return Optional.empty();
    }
    CommandResult r = runner.run(Command.read(adapt.get()));
    if (!r.ok()) {
      return Optional.empty();
    }
    Map<String, Object> root = JSON.std.mapFrom(r.stdout());
    if (!(root.getOrDefault("admin", Map.of()) instanceof Map<?, ?> admin)) {
      return Optional.empty();
    }
    if (Boolean.TRUE.equals(admin.get("disabled"))) {
      return Optional.empty();
    }
    if (admin.get("listen") instanceof String listen && !listen.isBlank()) {
      return Optional.of(listen);
    }
    // caddy reload, started with this process's environment, takes its default from there.
    String fromEnvironment = System.getenv("CADDY_ADMIN");
    return Optional.of(
        fromEnvironment == null || fromEnvironment.isBlank() ? DEFAULT_ADMIN : fromEnvironment);
  }

  private static boolean isCaddy(List<String> command) {
    return Liveness.runsItself(command, "caddy");
  }

  /** Why nothing answers at {@code address}; empty when something does, or it cannot be told. */
  static Optional<String> unanswered(String address) throws IOException {
    String plain = address.contains("|") ? address.substring(0, address.indexOf('|')) : address;
    if (plain.startsWith("unix/")) {
      Path socket = Path.of(plain.substring("unix/".length()));
      // A relative socket is where Caddy started, which is not known here.
      return socket.isAbsolute()
          ? Liveness.byUnixSocket(socket).map(why -> why + ", its admin endpoint")
          : Optional.empty();
    }
    String hostPort = plain.replaceFirst("^tcp[46]?/", "");
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0) {
      return Optional.empty();
    }
    String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
    int port = Integer.parseInt(hostPort.substring(colon + 1));
    for (InetAddress a : InetAddress.getAllByName(host.isEmpty() ? "localhost" : host)) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(a, port), CONNECT_MILLIS);
        return Optional.empty();
      } catch (IOException e) {
        if (!refused(e)) {
          return Optional.empty();
        }
      }
    }
    return Optional.of("nothing answers at " + address + ", its admin endpoint");
  }

  /** Whether {@code e} says nothing listens there (as opposed to a timeout or a denied access). */
  private static boolean refused(IOException e) {
    return e instanceof ConnectException;
  }
}
