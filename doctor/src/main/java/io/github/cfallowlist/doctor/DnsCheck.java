package io.github.cfallowlist.doctor;

import com.fasterxml.jackson.jr.ob.JSON;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.ToolNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * With {@code --hostname}: every address the name resolves to ({@code getent ahosts}, so as this
 * host resolves it: {@code /etc/hosts} first, then DNS) is inside Cloudflare's ranges, that is the
 * record is proxied; with {@code --origin-ip}, that address is configured on this host ({@code ip
 * -j addr}).
 */
final class DnsCheck implements Check {
  static final String NAME = "dns";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Finding> run(DoctorContext c) throws IOException {
    Optional<String> hostname = c.origin().hostname();
    List<Finding> findings = new ArrayList<>();
    if (hostname.isEmpty()) {
      findings.add(Finding.ok(NAME, "no --hostname given; DNS not checked"));
    } else {
      findings.addAll(resolve(c, hostname.get()));
    }
    Optional<String> originIp = c.origin().originIp();
    if (originIp.isPresent()) {
      findings.add(configured(c, originIp.get()));
    }
    return findings;
  }

  private static List<Finding> resolve(DoctorContext c, String name) throws IOException {
    String shown = Printable.of(name);
    CommandResult r;
    try {
      r = c.runner().run(Command.read("getent", "ahosts", name));
    } catch (ToolNotFoundException e) {
      return List.of(
          Finding.warn(
              NAME,
              "cannot resolve " + shown + ": " + e.getMessage(),
              "install getent (Debian package libc-bin) or check with 'dig " + shown + "'"));
    }
    if (r.exitCode() == 2) {
      return List.of(
          Finding.fail(
              NAME,
              shown + " does not resolve on this host",
              "create a proxied (orange cloud) A or AAAA record for "
                  + shown
                  + " in Cloudflare's DNS"));
    }
    if (!r.ok()) {
      throw r.failure(Command.read("getent", "ahosts", name));
    }
    List<String> addresses = addresses(r.stdout());
    if (addresses.isEmpty()) {
      return List.of(
          Finding.warn(
              NAME,
              "getent ahosts " + shown + " gave no address this check understands",
              "check by hand with 'getent ahosts " + shown + "'"));
    }
    List<Finding> findings = new ArrayList<>();
    List<String> proxied = new ArrayList<>();
    for (String a : addresses) {
      Optional<Cidr> host = Cidr.host(a);
      if (host.isPresent() && c.ranges().ranges().find(host.get()).isPresent()) {
        proxied.add(a);
      } else {
        findings.add(
            Finding.fail(
                NAME,
                shown
                    + " resolves to "
                    + a
                    + ", not Cloudflare: the record is not proxied (grey"
                    + " cloud) or points elsewhere",
                "turn on the proxy (orange cloud) for "
                    + shown
                    + "'s A/AAAA records in"
                    + " Cloudflare's DNS, and remove any other record for it"));
      }
    }
    if (findings.isEmpty()) {
      findings.add(
          Finding.ok(NAME, shown + " resolves to Cloudflare (" + String.join(", ", proxied) + ")"));
    }
    return findings;
  }

  private static Finding configured(DoctorContext c, String originIp) throws IOException {
    String shown = Printable.of(originIp);
    Optional<Cidr> wanted = Cidr.host(originIp);
    if (wanted.isEmpty()) {
      return Finding.fail(
          NAME,
          "--origin-ip '" + shown + "' is not an IP address",
          "pass the address Cloudflare's DNS record points at, for example --origin-ip"
              + " 203.0.113.10");
    }
    CommandResult r;
    try {
      r = c.runner().runChecked(Command.read("ip", "-j", "addr"));
    } catch (ToolNotFoundException e) {
      return Finding.warn(
          NAME,
          "cannot list this host's addresses: " + e.getMessage(),
          "install iproute2, or check with 'ip addr' that " + shown + " is configured");
    }
    Set<String> local = localAddresses(r.stdout());
    for (String a : local) {
      Optional<Cidr> have = Cidr.host(a);
      if (have.isPresent() && have.get().equals(wanted.get())) {
        return Finding.ok(NAME, "--origin-ip " + shown + " is configured on this host");
      }
    }
    return Finding.fail(
        NAME,
        "--origin-ip "
            + shown
            + " is not configured on this host (it has "
            + String.join(", ", local)
            + "): Cloudflare connects to an address that is not this"
            + " host's",
        "point Cloudflare's DNS record at this host's address, or, behind NAT, check that the"
            + " provider forwards "
            + shown
            + " to this host");
  }

  /** The distinct addresses in {@code getent ahosts} output ({@code ADDRESS STREAM NAME} lines). */
  static List<String> addresses(String getentOutput) {
    Set<String> out = new LinkedHashSet<>();
    for (String line : getentOutput.split("\n", -1)) {
      String[] words = line.strip().split("\\s+", -1);
      if (!words[0].isEmpty() && Cidr.host(words[0]).isPresent()) {
        out.add(words[0]);
      }
    }
    return List.copyOf(out);
  }

  /** Every {@code local} address in {@code ip -j addr} output. */
  static Set<String> localAddresses(String json) throws IOException {
    Set<String> out = new LinkedHashSet<>();
    for (Object link : JSON.std.listFrom(json)) {
      if (link instanceof Map<?, ?> l && l.get("addr_info") instanceof List<?> infos) {
        for (Object info : infos) {
          if (info instanceof Map<?, ?> i && i.get("local") instanceof String s) {
            out.add(s);
          }
        }
      }
    }
    return out;
  }
}
