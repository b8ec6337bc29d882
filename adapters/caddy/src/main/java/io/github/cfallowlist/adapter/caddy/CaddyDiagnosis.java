package io.github.cfallowlist.adapter.caddy;

import com.fasterxml.jackson.jr.ob.JSON;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.kit.ConfigRead;
import io.github.cfallowlist.kit.ProxyTrust;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What doctor's {@code caddy} check reads in the configuration Caddy would load, adapted to JSON
 * ({@code caddy adapt}, the test command with {@code adapt} for {@code validate}): the snippet's
 * handler (a {@code request_header} that sets {@code CF-Connecting-IP} for connections from none of
 * the ranges) must be in the sites Cloudflare reaches, no {@code trusted_proxies} may trust an
 * address outside Cloudflare's ranges, and {@code client_ip_headers} may name only {@code
 * CF-Connecting-IP}.
 */
final class CaddyDiagnosis {
  static final String NAME = "caddy";

  private static final String REMOTE_HOST = "{http.request.remote.host}";

  private CaddyDiagnosis() {}

  static List<Finding> diagnose(CaddySettings settings, Diagnosis diagnosis) throws IOException {
    String test = String.join(" ", settings.testCommand());
    Optional<List<String>> adapt = adaptCommand(settings.testCommand());
    if (adapt.isEmpty()) {
      return List.of(
          Finding.warn(
              NAME,
              "the configuration cannot be read: caddy-test-command '"
                  + Printable.of(test)
                  + "' has no 'validate' to turn into 'adapt'",
              "check by hand with 'caddy adapt --config /etc/caddy/Caddyfile' that every site"
                  + " behind Cloudflare imports "
                  + settings.file()));
    }
    Command command = Command.read(adapt.get());
    ConfigRead read =
        ConfigRead.run(
            diagnosis,
            NAME,
            "Caddy",
            command,
            "install caddy, or set caddy-test-command to the Caddy this host runs",
            CaddyConfig::caddyError,
            error -> "fix what '" + Printable.of(test) + "' names, then run 'caddy reload'");
    if (read instanceof ConfigRead.Unreadable u) {
      return List.of(u.finding());
    }
    CommandResult r = ((ConfigRead.Read) read).result();
    Object root;
    try {
      root = JSON.std.anyFrom(r.stdout());
    } catch (IOException | RuntimeException e) {
      return List.of(
          Finding.warn(
              NAME,
              "'" + command.display() + "' printed no JSON this check understands",
              "check by hand with 'caddy adapt' that every site behind Cloudflare imports "
                  + settings.file()));
    }
    return judge(root, settings.file(), diagnosis);
  }

  /** The test command with {@code adapt} for {@code validate}. */
  static Optional<List<String>> adaptCommand(List<String> testCommand) {
    int at = testCommand.indexOf("validate");
    if (at < 0) {
      return Optional.empty();
    }
    List<String> out = new ArrayList<>(testCommand);
    out.set(at, "adapt");
    return Optional.of(out);
  }

  /** Judges Caddy's adapted JSON configuration {@code root}. */
  static List<Finding> judge(Object root, Path snippet, Diagnosis diagnosis) {
    List<Finding> findings = new ArrayList<>();
    Map<String, Object> servers = new TreeMap<>();
    Object http = at(at(root, "apps"), "http");
    if (at(http, "servers") instanceof Map<?, ?> m) {
      m.forEach((k, v) -> servers.put(String.valueOf(k), v));
    }
    List<String> importing = new ArrayList<>();
    List<String> lacking = new ArrayList<>();
    for (Map.Entry<String, Object> server : servers.entrySet()) {
      String where = "server " + server.getKey() + " " + listen(server.getValue());
      if (holdsSnippet(server.getValue())) {
        importing.add(where);
      } else if (reached(server.getValue(), diagnosis.ports())) {
        lacking.add(where);
      }
      walk(server.getValue(), where, findings, diagnosis);
    }
    if (importing.isEmpty()) {
      findings.add(
          0,
          Finding.fail(
              NAME,
              "no site in Caddy's configuration imports the snippet "
                  + snippet
                  + ", so CF-Connecting-IP is whatever the client sends",
              (Files.exists(snippet) ? "" : "run 'cf-allowlist apply --target caddy', then ")
                  + "add 'import "
                  + snippet
                  + "' as the first line of each site block behind Cloudflare, then run 'caddy"
                  + " reload'"));
    } else {
      for (String where : lacking) {
        findings.add(
            Finding.warn(
                NAME,
                where
                    + " does not import the snippet "
                    + snippet
                    + ": there CF-Connecting-IP is whatever the client sends",
                "add 'import "
                    + snippet
                    + "' as the first line of its site block if Cloudflare proxies it"));
      }
    }
    if (findings.isEmpty()) {
      findings.add(
          Finding.ok(
              NAME,
              String.join(", ", importing)
                  + " import"
                  + (importing.size() == 1 ? "s " : " ")
                  + snippet
                  + "; CF-Connecting-IP is taken from Cloudflare's ranges only"));
    }
    return findings;
  }

  /** Whether {@code node} (a server, at any depth) holds the snippet's header handler. */
  private static boolean holdsSnippet(Object node) {
    if (node instanceof Map<?, ?> map) {
      if (isSnippetRoute(map)) {
        return true;
      }
      return map.values().stream().anyMatch(CaddyDiagnosis::holdsSnippet);
    }
    if (node instanceof List<?> list) {
      return list.stream().anyMatch(CaddyDiagnosis::holdsSnippet);
    }
    return false;
  }

  /**
   * A route that sets {@code CF-Connecting-IP} to the connection's address when it matches {@code
   * not remote_ip}: what the snippet adapts to.
   */
  private static boolean isSnippetRoute(Map<?, ?> route) {
    if (!(route.get("handle") instanceof List<?> handle)
        || !(route.get("match") instanceof List<?> match)) {
      return false;
    }
    boolean sets =
        handle.stream()
            .anyMatch(
                h ->
                    "headers".equals(at(h, "handler"))
                        && at(at(h, "request"), "set") instanceof Map<?, ?> set
                        && set.entrySet().stream()
                            .anyMatch(
                                e ->
                                    String.valueOf(e.getKey())
                                            .equalsIgnoreCase(CaddyConfig.HEADER_NAME)
                                        && List.of(REMOTE_HOST).equals(e.getValue())));
    boolean notRemote =
        match.stream()
            .anyMatch(
                m ->
                    at(m, "not") instanceof List<?> not
                        && !not.isEmpty()
                        && not.stream().allMatch(n -> at(n, "remote_ip") != null));
    return sets && notRemote;
  }

  /** Finds {@code trusted_proxies} and {@code client_ip_headers} anywhere below {@code node}. */
  private static void walk(Object node, String where, List<Finding> findings, Diagnosis diagnosis) {
    if (node instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String key = String.valueOf(e.getKey());
        if (key.equals("trusted_proxies")) {
          for (String value : ranges(e.getValue())) {
            judgeProxy(
                findings,
                value,
                where + (map.get("handler") instanceof String h ? " (" + h + ")" : ""),
                diagnosis);
          }
        } else if (key.equals("client_ip_headers") && e.getValue() instanceof List<?> headers) {
          for (Object h : headers) {
            if (!String.valueOf(h).equalsIgnoreCase(CaddyConfig.HEADER_NAME)) {
              findings.add(
                  Finding.fail(
                      NAME,
                      "client_ip_headers "
                          + Printable.of(String.valueOf(h))
                          + " in "
                          + where
                          + ": Caddy takes the client's address from a header other than"
                          + " CF-Connecting-IP",
                      "set 'client_ip_headers CF-Connecting-IP' in Caddy's global servers"
                          + " options, or remove the option"));
            }
          }
        } else {
          walk(e.getValue(), where, findings, diagnosis);
        }
      }
    } else if (node instanceof List<?> list) {
      for (Object item : list) {
        walk(item, where, findings, diagnosis);
      }
    }
  }

  /**
   * The ranges of a {@code trusted_proxies} value: a list (the {@code reverse_proxy} handler's) or
   * an object with {@code ranges} (the server's, {@code source static}).
   */
  private static List<String> ranges(Object value) {
    Object list = value instanceof Map<?, ?> ? at(value, "ranges") : value;
    List<String> out = new ArrayList<>();
    if (list instanceof List<?> l) {
      l.forEach(v -> out.add(String.valueOf(v)));
    }
    return out;
  }

  private static void judgeProxy(
      List<Finding> findings, String value, String where, Diagnosis diagnosis) {
    ProxyTrust.judge(
            NAME,
            diagnosis,
            value,
            "trusted_proxies " + Printable.of(value) + " in " + where,
            "forwarded addresses",
            "narrow it to Cloudflare's ranges or remove it, then run 'caddy reload'")
        .ifPresent(findings::add);
  }

  /** Whether the server listens on one of {@code ports} (or names no port). */
  private static boolean reached(Object server, List<Integer> ports) {
    if (!(at(server, "listen") instanceof List<?> listen) || ports.isEmpty()) {
      return true;
    }
    for (Object address : listen) {
      String a = String.valueOf(address);
      String port = a.substring(a.lastIndexOf(':') + 1);
      if (ports.stream().anyMatch(p -> String.valueOf(p).equals(port))) {
        return true;
      }
    }
    return false;
  }

  private static String listen(Object server) {
    return at(server, "listen") instanceof List<?> l
        ? "(" + Printable.of(String.join(" ", l.stream().map(String::valueOf).toList())) + ")"
        : "";
  }

  private static Object at(Object node, String key) {
    return node instanceof Map<?, ?> m ? m.get(key) : null;
  }
}
