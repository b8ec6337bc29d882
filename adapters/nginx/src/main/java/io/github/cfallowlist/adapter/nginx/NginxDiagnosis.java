package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.adapter.nginx.NginxDump.Directive;
import io.github.cfallowlist.adapter.nginx.NginxDump.Dump;
import io.github.cfallowlist.kit.ConfigRead;
import io.github.cfallowlist.kit.ProxyTrust;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What doctor's {@code nginx} check reads in the configuration nginx would load ({@code nginx -T},
 * the test command with {@code -T} for {@code -t}): the real-IP file (and the allow file, when
 * configured) is included, {@code real_ip_header} is {@code CF-Connecting-IP}, and no {@code
 * set_real_ip_from} elsewhere trusts an address outside Cloudflare's ranges.
 */
final class NginxDiagnosis {
  static final String NAME = "nginx";

  private NginxDiagnosis() {}

  static List<Finding> diagnose(NginxSettings settings, Diagnosis diagnosis) throws IOException {
    Optional<List<String>> dumpCommand = dumpCommand(settings.testCommand());
    String test = String.join(" ", settings.testCommand());
    if (dumpCommand.isEmpty()) {
      return List.of(
          Finding.warn(
              NAME,
              "the configuration cannot be read: nginx-test-command '"
                  + Printable.of(test)
                  + "' has no -t to turn into -T",
              "check by hand with 'nginx -T | grep -n -e include -e real_ip'"));
    }
    ConfigRead read =
        ConfigRead.run(
            diagnosis,
            NAME,
            "nginx",
            Command.read(dumpCommand.get()),
            "install nginx, or set nginx-test-command to the nginx this host runs",
            CommandResult::firstErrorLine,
            error -> "fix what '" + Printable.of(test) + "' names, then reload nginx");
    if (read instanceof ConfigRead.Unreadable u) {
      return List.of(u.finding());
    }
    CommandResult r = ((ConfigRead.Read) read).result();
    return judge(NginxDump.parse(r.stdout()), settings, diagnosis);
  }

  /** The test command with {@code -T} (dump the configuration) for {@code -t}. */
  static Optional<List<String>> dumpCommand(List<String> testCommand) {
    int at = testCommand.indexOf("-t");
    if (at < 0) {
      return Optional.empty();
    }
    List<String> out = new ArrayList<>(testCommand);
    out.set(at, "-T");
    return Optional.of(out);
  }

  static List<Finding> judge(Dump dump, NginxSettings settings, Diagnosis diagnosis) {
    List<Finding> findings = new ArrayList<>();
    Path realIp = settings.realIpFile();
    boolean realIpIncluded = included(dump, realIp);
    if (!realIpIncluded) {
      findings.add(
          Finding.fail(
              NAME,
              "the real-IP file "
                  + realIp
                  + " is not included by nginx's configuration, so"
                  + " every visitor appears with a Cloudflare address",
              Files.exists(realIp)
                  ? "add 'include "
                      + realIp
                      + ";' to the http block of nginx.conf, then run"
                      + " 'nginx -t && nginx -s reload'"
                  : "run 'cf-allowlist apply --target nginx', then add 'include "
                      + realIp
                      + ";' to the http block of nginx.conf"));
    }
    settings
        .allowFile()
        .filter(allow -> !included(dump, allow))
        .ifPresent(
            allow ->
                findings.add(
                    Finding.fail(
                        NAME,
                        "the allow file "
                            + allow
                            + " is not included by nginx's configuration,"
                            + " so $cloudflare_edge is not set",
                        "add 'include "
                            + allow
                            + ";' to the http block of nginx.conf, then"
                            + " run 'nginx -t && nginx -s reload'")));

    List<Directive> headers = dump.named(NginxConfig.REAL_IP_HEADER);
    for (Directive d : headers) {
      String value = d.args().isEmpty() ? "" : d.args().get(0);
      if (!value.equalsIgnoreCase(NginxConfig.HEADER_NAME)) {
        findings.add(
            Finding.fail(
                NAME,
                "real_ip_header "
                    + Printable.of(value)
                    + " in "
                    + d.file()
                    + ": nginx takes the"
                    + " visitor's address from a header other than CF-Connecting-IP",
                "remove that line from "
                    + d.file()
                    + "; cf-allowlist's file sets"
                    + " 'real_ip_header CF-Connecting-IP'"));
      }
    }
    if (headers.isEmpty() && realIpIncluded) {
      findings.add(
          Finding.fail(
              NAME,
              "no real_ip_header in nginx's configuration although " + realIp + " is included",
              "run 'cf-allowlist apply --target nginx' to write the file again"));
    }

    for (Directive d : dump.named(NginxConfig.SET_REAL_IP_FROM)) {
      if (sameFile(Path.of(d.file()), realIp) || d.args().isEmpty()) {
        continue;
      }
      String value = d.args().get(0);
      if (value.startsWith("unix:")) {
        continue;
      }
      ProxyTrust.judge(
              NAME,
              diagnosis,
              value,
              "set_real_ip_from " + Printable.of(value) + " in " + d.file(),
              "CF-Connecting-IP",
              "remove that line from "
                  + d.file()
                  + " (cf-allowlist's file trusts Cloudflare's"
                  + " ranges), then run 'nginx -t && nginx -s reload'",
              "remove that line from " + d.file())
          .ifPresent(findings::add);
    }
    if (findings.isEmpty()) {
      findings.add(
          Finding.ok(
              NAME,
              "nginx includes "
                  + realIp
                  + settings.allowFile().map(a -> " and " + a).orElse("")
                  + " and trusts CF-Connecting-IP from Cloudflare's ranges only"));
    }
    return findings;
  }

  private static boolean included(Dump dump, Path file) {
    return dump.files().stream().anyMatch(f -> sameFile(Path.of(f), file));
  }

  private static boolean sameFile(Path a, Path b) {
    if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
      return true;
    }
    try {
      return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    } catch (IOException e) {
      return false;
    }
  }
}
