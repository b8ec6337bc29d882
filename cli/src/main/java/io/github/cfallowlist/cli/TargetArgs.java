package io.github.cfallowlist.cli;

import io.github.cfallowlist.Families;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.Targets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Option;

/** Which targets to work on and their options. */
final class TargetArgs {
  @Option(
      names = "--target",
      paramLabel = "T",
      description =
          "nftables, iptables, firewalld, nginx, apache, caddy, haproxy, fail2ban or crowdsec;"
              + " repeat for several (default: the targets of the configuration file).")
  List<String> targets;

  @Option(
      names = "--ports",
      paramLabel = "PORTS",
      split = ",",
      defaultValue = "80,443",
      description = "TCP ports the firewall targets manage (default: ${DEFAULT-VALUE}).")
  List<Integer> ports;

  @Option(
      names = "--mode",
      paramLabel = "MODE",
      defaultValue = "restrict",
      description =
          "restrict (default): only Cloudflare may reach --ports; allow: accept Cloudflare ahead"
              + " of your own rules and refuse no one (iptables, firewalld, nftables with"
              + " --nft-table).")
  String mode;

  @Option(
      names = "--nft-table",
      paramLabel = "'FAMILY NAME'",
      description =
          "nftables: put only the sets cloudflare_v4/cloudflare_v6 into this existing table"
              + " (e.g. 'inet filter') for rules you write yourself.")
  String nftTable;

  @Option(
      names = "--chain",
      paramLabel = "CHAIN",
      description =
          "iptables: the chain that jumps to CF-ALLOWLIST (default INPUT; DOCKER-USER for"
              + " ports Docker publishes).")
  String chain;

  @Option(
      names = "--ipset",
      description = "iptables: match hash:net ipsets instead of one rule per range.")
  boolean ipset;

  @Option(
      names = "--offline",
      description = "firewalld: write the permanent configuration with firewall-offline-cmd.")
  boolean offline;

  @Option(
      names = "--nginx-file",
      paramLabel = "PATH",
      description =
          "nginx: the real-IP include (default /etc/nginx/conf.d/cloudflare-real-ip.conf).")
  Path nginxFile;

  @Option(
      names = "--nginx-allow-file",
      paramLabel = "PATH",
      description =
          "nginx: also write a geo block setting $cloudflare_edge to 1 for connections from"
              + " Cloudflare (by their own address, not the real-IP one); guard a server with"
              + " 'if ($cloudflare_edge = 0) { return 403; }'.")
  Path nginxAllowFile;

  @Option(
      names = "--nginx-test-command",
      paramLabel = "CMD",
      description = "nginx: command that tests the configuration (default 'nginx -t').")
  String nginxTestCommand;

  @Option(
      names = "--nginx-reload-command",
      paramLabel = "CMD",
      description = "nginx: command that reloads nginx (default 'nginx -s reload').")
  String nginxReloadCommand;

  @Option(
      names = "--haproxy-file",
      paramLabel = "PATH",
      description =
          "haproxy: the ACL file, loaded with 'acl from_cloudflare src -f PATH' (default"
              + " /etc/haproxy/cloudflare.acl).")
  Path haproxyFile;

  @Option(
      names = "--haproxy-socket",
      paramLabel = "PATH",
      description =
          "haproxy: the runtime API socket with level admin (default /run/haproxy/admin.sock).")
  Path haproxySocket;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description =
          "A target setting by name, for any target on the class path (repeatable); an unknown"
              + " key is an error.")
  Map<String, String> set;

  /** The named flags above and the setting each stands for; every one is declared by a target. */
  static final Map<String, String> FLAG_SETTINGS =
      Map.of(
          "--nft-table", "nft-table",
          "--chain", "chain",
          "--ipset", "ipset",
          "--offline", "offline",
          "--nginx-file", "nginx-file",
          "--nginx-allow-file", "nginx-allow-file",
          "--nginx-test-command", "nginx-test-command",
          "--nginx-reload-command", "nginx-reload-command",
          "--haproxy-file", "haproxy-file",
          "--haproxy-socket", "haproxy-socket");

  /**
   * The settings of the configuration file's targets by target; those of the targets worked on
   * apply, and flags and --set win over them.
   */
  Map<String, Map<String, String>> configSettings = Map.of();

  /** Where the targets would come from, for the error when there are none. */
  String noTargetHint = "give --target T";

  List<Target> resolve() {
    if (targets == null || targets.isEmpty()) {
      throw new IllegalArgumentException("no target to work on: " + noTargetHint);
    }
    return targets.stream().distinct().map(Targets::byName).toList();
  }

  TargetOptions options(Families families) {
    Map<String, String> settings = new TreeMap<>();
    put(settings, "nft-table", nftTable);
    put(settings, "chain", chain);
    if (ipset) {
      settings.put("ipset", "true");
    }
    if (offline) {
      settings.put("offline", "true");
    }
    put(settings, "nginx-file", nginxFile == null ? null : nginxFile.toString());
    put(settings, "nginx-allow-file", nginxAllowFile == null ? null : nginxAllowFile.toString());
    put(settings, "nginx-test-command", nginxTestCommand);
    put(settings, "nginx-reload-command", nginxReloadCommand);
    put(settings, "haproxy-file", haproxyFile == null ? null : haproxyFile.toString());
    put(settings, "haproxy-socket", haproxySocket == null ? null : haproxySocket.toString());
    if (set != null) {
      set.forEach(
          (key, value) -> {
            String was = settings.putIfAbsent(key, value);
            if (was != null && !was.equals(value)) {
              throw new IllegalArgumentException(
                  "setting " + key + " is given twice with different values");
            }
          });
    }
    Map<String, String> fromFile = new TreeMap<>();
    for (String name : targets == null ? List.<String>of() : targets) {
      configSettings
          .getOrDefault(name, Map.of())
          .forEach(
              (key, value) -> {
                String was = fromFile.putIfAbsent(key, value);
                if (was != null && !was.equals(value)) {
                  throw new IllegalArgumentException(
                      "setting " + key + " has different values in two targets' tables");
                }
              });
    }
    fromFile.forEach(settings::putIfAbsent);
    return new TargetOptions(ports, Mode.parse(mode), families, settings);
  }

  private static void put(Map<String, String> settings, String key, String value) {
    if (value != null) {
      if (value.isBlank()) {
        throw new IllegalArgumentException("--" + key + " is empty");
      }
      settings.put(key, value);
    }
  }
}
