package io.github.cfallowlist.cli;

import io.github.cfallowlist.Families;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.Targets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Which targets to work on and their options. */
final class TargetArgs {
  /** The named flags below and the setting each stands for; every one is declared by a target. */
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

  /** The targets named, or null when none was. */
  final List<String> targets;

  final List<Integer> ports;
  private final String mode;
  private final String nftTable;
  private final String chain;
  private final boolean ipset;
  private final boolean offline;
  private final Path nginxFile;
  private final Path nginxAllowFile;
  private final String nginxTestCommand;
  private final String nginxReloadCommand;
  private final Path haproxyFile;
  private final Path haproxySocket;
  private final Map<String, String> set;

  /**
   * The settings of the configuration file's targets by target; those of the targets worked on
   * apply, and flags and --set win over them.
   */
  private final Map<String, Map<String, String>> configSettings;

  /** Where the targets would come from, for the error when there are none. */
  private final String noTargetHint;

  private TargetArgs(CommandSpec spec, Optional<ConfigFile> file) {
    List<String> named = Declared.value(spec, "--target");
    boolean flagged = named != null && !named.isEmpty();
    if (!flagged && file.isPresent() && !file.get().targets().isEmpty()) {
      named = new ArrayList<>(file.get().targets().keySet());
    }
    targets = named;
    ports = Declared.value(spec, "--ports");
    mode = Declared.value(spec, "--mode");
    nftTable = Declared.value(spec, "--nft-table");
    chain = Declared.value(spec, "--chain");
    ipset = Declared.given(spec, "--ipset");
    offline = Declared.given(spec, "--offline");
    nginxFile = Declared.value(spec, "--nginx-file");
    nginxAllowFile = Declared.value(spec, "--nginx-allow-file");
    nginxTestCommand = Declared.value(spec, "--nginx-test-command");
    nginxReloadCommand = Declared.value(spec, "--nginx-reload-command");
    haproxyFile = Declared.value(spec, "--haproxy-file");
    haproxySocket = Declared.value(spec, "--haproxy-socket");
    set = Declared.value(spec, "--set");
    requireOnce(spec.findOption("--set"));
    configSettings = file.map(ConfigFile::targets).orElse(Map.of());
    noTargetHint =
        file.map(f -> "give --target T, or uncomment a [targets.NAME] table in " + f.file())
            .orElse("give --target T");
  }

  /**
   * Refuses a key {@code --set} gives twice: the option's map would keep the last value without a
   * word, where a flag given twice is an error.
   */
  private static void requireOnce(OptionSpec option) {
    if (option == null) {
      return;
    }
    Set<String> seen = new HashSet<>();
    for (String given : option.originalStringValues()) {
      int eq = given.indexOf('=');
      String key = eq < 0 ? given : given.substring(0, eq);
      if (!seen.add(key)) {
        throw new IllegalArgumentException(
            "--set " + Printable.of(key) + " is given twice; give each setting once");
      }
    }
  }

  /** Adds the options to {@code spec}. */
  static void declare(CommandSpec spec) {
    spec.addOption(
        Declared.listOption(
                "--target",
                String.class,
                "T",
                "nftables, iptables, firewalld, nginx, apache, caddy, haproxy, fail2ban or"
                    + " crowdsec; repeat for several (default: the targets of the configuration"
                    + " file).")
            .build());
    spec.addOption(
        Declared.listOption(
                "--ports",
                Integer.class,
                "PORTS",
                "TCP ports the firewall targets manage (default: ${DEFAULT-VALUE}).")
            .splitRegex(",")
            .defaultValue("80,443")
            .build());
    spec.addOption(
        Declared.option(
                "--mode",
                String.class,
                "MODE",
                "restrict (default): only Cloudflare may reach --ports; allow: accept Cloudflare"
                    + " ahead of your own rules and refuse no one (iptables, firewalld, nftables"
                    + " with --nft-table).")
            .defaultValue("restrict")
            .build());
    spec.addOption(
        Declared.option(
                "--nft-table",
                String.class,
                "'FAMILY NAME'",
                "nftables: put only the sets cloudflare_v4/cloudflare_v6 into this existing table"
                    + " (e.g. 'inet filter') for rules you write yourself.")
            .build());
    spec.addOption(
        Declared.option(
                "--chain",
                String.class,
                "CHAIN",
                "iptables: the chain that jumps to CF-ALLOWLIST (default INPUT; DOCKER-USER for"
                    + " ports Docker publishes).")
            .build());
    spec.addOption(
        Declared.flag("--ipset", "iptables: match hash:net ipsets instead of one rule per range."));
    spec.addOption(
        Declared.flag(
            "--offline",
            "firewalld: write the permanent configuration with firewall-offline-cmd."));
    spec.addOption(
        Declared.option(
                "--nginx-file",
                Path.class,
                "PATH",
                "nginx: the real-IP include (default /etc/nginx/conf.d/cloudflare-real-ip.conf).")
            .build());
    spec.addOption(
        Declared.option(
                "--nginx-allow-file",
                Path.class,
                "PATH",
                "nginx: also write a geo block setting $cloudflare_edge to 1 for connections from"
                    + " Cloudflare (by their own address, not the real-IP one); guard a server"
                    + " with 'if ($cloudflare_edge = 0) { return 403; }'.")
            .build());
    spec.addOption(
        Declared.option(
                "--nginx-test-command",
                String.class,
                "CMD",
                "nginx: command that tests the configuration (default 'nginx -t').")
            .build());
    spec.addOption(
        Declared.option(
                "--nginx-reload-command",
                String.class,
                "CMD",
                "nginx: command that reloads nginx (default 'nginx -s reload').")
            .build());
    spec.addOption(
        Declared.option(
                "--haproxy-file",
                Path.class,
                "PATH",
                "haproxy: the ACL file, loaded with 'acl from_cloudflare src -f PATH' (default"
                    + " /etc/haproxy/cloudflare.acl).")
            .build());
    spec.addOption(
        Declared.option(
                "--haproxy-socket",
                Path.class,
                "PATH",
                "haproxy: the runtime API socket with level admin (default"
                    + " /run/haproxy/admin.sock).")
            .build());
    spec.addOption(
        OptionSpec.builder("--set")
            .type(Map.class)
            .auxiliaryTypes(String.class, String.class)
            .paramLabel("KEY=VALUE")
            .description(
                "A target setting by name, for any target on the class path (repeatable); an"
                    + " unknown key is an error.")
            .build());
  }

  /**
   * The options as {@code spec} holds them; without {@code --target}, the targets of {@code file}.
   */
  static TargetArgs of(CommandSpec spec, Optional<ConfigFile> file) {
    return new TargetArgs(spec, file);
  }

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
