package io.github.cfallowlist.doctor;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.ToolNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Something listens on each port Cloudflare connects to, on an address Cloudflare can reach, and
 * the port is one Cloudflare proxies at all. Reads {@code ss -ltnpH}; also warns when a listening
 * socket's accept queue (Recv-Q) reaches 80% of its backlog (Send-Q).
 */
final class ListenCheck implements Check {
  static final String NAME = "listen";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Finding> run(DoctorContext c) throws IOException {
    CommandResult r;
    try {
      r = c.runner().runChecked(Command.read("ss", "-ltnpH"));
    } catch (ToolNotFoundException e) {
      return List.of(
          Finding.warn(
              NAME,
              "ss is not installed, so what listens cannot be read",
              "install iproute2 ('apt-get install iproute2') and run doctor again"));
    }
    return judge(c.origin(), Listener.parse(r.stdout()));
  }

  /** The findings for {@code origin}'s ports, given what listens. */
  static List<Finding> judge(Origin origin, List<Listener> listeners) {
    List<Finding> findings = new ArrayList<>();
    for (int port : origin.ports()) {
      if (!Origin.proxied(port)) {
        findings.add(notProxied(origin, port));
      }
      List<Listener> on = listeners.stream().filter(l -> l.port() == port).toList();
      findings.add(listening(origin, port, on));
      for (Listener l : on) {
        if (l.queueNearlyFull()) {
          findings.add(
              Finding.warn(
                  NAME,
                  "the accept queue of "
                      + who(List.of(l))
                      + " on "
                      + l.endpoint()
                      + " is nearly full: "
                      + l.acceptQueue()
                      + " connections wait for a backlog of "
                      + l.backlog()
                      + ", so new ones are dropped",
                  "the server does not accept connections fast enough: check its load and"
                      + " workers, or raise its backlog (nginx: 'listen "
                      + port
                      + " backlog=4096;') and 'sysctl net.core.somaxconn'"));
        }
      }
    }
    return findings;
  }

  private static Finding notProxied(Origin origin, int port) {
    Set<Integer> ports =
        new TreeSet<>(origin.tlsMode().usesTls() ? Origin.HTTPS_PORTS : Origin.HTTP_PORTS);
    String scheme = origin.tlsMode().usesTls() ? "HTTPS" : "HTTP";
    return Finding.fail(
        NAME,
        "Cloudflare does not proxy port "
            + port
            + ": for "
            + scheme
            + " ("
            + origin.tlsMode()
            + " mode) it connects only to "
            + join(ports),
        "serve the site on one of "
            + join(ports)
            + ", or use a Cloudflare Origin Rule to rewrite"
            + " the port");
  }

  private static Finding listening(Origin origin, int port, List<Listener> on) {
    if (on.isEmpty()) {
      return Finding.fail(
          NAME,
          "nothing listens on port " + port,
          "start the web server and make it listen on port "
              + port
              + " ("
              + modeNote(origin)
              + "); 'ss -ltnp' shows what listens");
    }
    List<Listener> reachable = on.stream().filter(l -> !l.loopback()).toList();
    if (reachable.isEmpty()) {
      return Finding.fail(
          NAME,
          who(on)
              + " listens on port "
              + port
              + " only on "
              + addresses(on)
              + ", which Cloudflare cannot reach",
          "make it listen on all addresses or the public one (nginx: 'listen "
              + port
              + ";' instead of 'listen 127.0.0.1:"
              + port
              + ";') and restart it");
    }
    return Finding.ok(
        NAME, who(reachable) + " listens on port " + port + " on " + addresses(reachable));
  }

  private static String modeNote(Origin origin) {
    return "in "
        + origin.tlsMode()
        + " mode Cloudflare connects to port "
        + origin.tlsMode().port()
        + (origin.tlsMode().usesTls() ? "; in flexible mode to 80" : "; in full or strict to 443");
  }

  private static String who(List<Listener> on) {
    Set<String> names = new LinkedHashSet<>();
    on.forEach(l -> l.process().ifPresent(names::add));
    return names.isEmpty() ? "a server" : String.join(", ", names);
  }

  private static String addresses(List<Listener> on) {
    return on.stream().map(Listener::address).distinct().collect(Collectors.joining(" and "));
  }

  private static String join(Set<Integer> ports) {
    return ports.stream().map(String::valueOf).collect(Collectors.joining(", "));
  }
}
