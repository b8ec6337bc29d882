package io.github.cfallowlist.adapter.crowdsec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.kit.FileApplier;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The target against Debian's crowdsec, started once for the class in a network namespace (its
 * local API on the namespace's loopback, no online API) with a private copy of {@code
 * /etc/crowdsec}: its own configuration file, database, machine credentials, logs and one watched
 * nginx access log in a temporary directory. The host's crowdsec configuration is only read. The
 * reload command is {@code kill -HUP PID}, what the systemd unit's reload does.
 */
class CrowdsecSystemTest {
  static final String OUTSIDER = "192.0.2.9";

  @TempDir static Path dir;
  static Netns ns;
  static Process crowdsec;
  static Path config;

  private final CrowdsecTarget target = new CrowdsecTarget();
  private final RangeSnapshot full = CrowdsecConfigTest.embedded(Families.BOTH);

  @BeforeAll
  static void startCrowdsec() throws Exception {
    SystemTests.requireTools("ip", "crowdsec", "cscli", "cp");
    Path etc = dir.resolve("etc");
    host("cp", "-a", "/etc/crowdsec", etc.toString());
    // Never the host's credentials, database or local overrides: this crowdsec gets its own.
    try (var files = Files.list(etc)) {
      for (Path f : files.toList()) {
        String name = f.getFileName().toString();
        if (name.contains("credentials") || name.endsWith(".local")) {
          Files.delete(f);
        }
      }
    }
    Files.deleteIfExists(etc.resolve("parsers/s02-enrich/cloudflare-whitelist.yaml"));
    Path data = Files.createDirectories(dir.resolve("data"));
    try (var files = Files.list(Path.of("/var/lib/crowdsec/data"))) {
      for (Path f : files.toList()) {
        if (Files.isRegularFile(f) && !f.getFileName().toString().startsWith("crowdsec.db")) {
          Files.copy(f, data.resolve(f.getFileName()));
        }
      }
    }
    Files.createDirectories(dir.resolve("log"));
    Files.writeString(dir.resolve("log/access.log"), "");
    Files.writeString(
        etc.resolve("acquis.yaml"),
        "filenames:\n  - " + dir.resolve("log/access.log") + "\nlabels:\n  type: nginx\n");
    config = etc.resolve("config.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "common:",
            // Only a crowdsec run as a service (daemonize) handles SIGHUP; it does not fork.
            "  daemonize: true",
            "  log_media: file",
            "  log_level: info",
            "  log_dir: " + dir.resolve("log") + "/",
            "  working_dir: .",
            "config_paths:",
            "  config_dir: " + etc + "/",
            "  data_dir: " + data + "/",
            "  simulation_path: " + etc.resolve("simulation.yaml"),
            "  hub_dir: /var/lib/crowdsec/hub/",
            "  index_path: /var/lib/crowdsec/hub/.index.json",
            "  notification_dir: " + etc.resolve("notifications") + "/",
            "  plugin_dir: /usr/lib/crowdsec/plugins/",
            "crowdsec_service:",
            "  acquisition_path: " + etc.resolve("acquis.yaml"),
            "  parser_routines: 1",
            "db_config:",
            "  type: sqlite",
            "  db_path: " + data.resolve("crowdsec.db"),
            "  use_wal: false",
            "plugin_config:",
            "  user: nobody",
            "  group: nogroup",
            "api:",
            "  client:",
            "    credentials_path: " + etc.resolve("local_api_credentials.yaml"),
            "  server:",
            "    listen_uri: 127.0.0.1:8080",
            "    profiles_path: " + etc.resolve("profiles.yaml"),
            "    trusted_ips:",
            "      - 127.0.0.1",
            "prometheus:",
            "  enabled: false",
            ""));
    ns = Netns.create("cfcrowd");
    ns.execChecked(
        "cscli",
        "-c",
        config.toString(),
        "machines",
        "add",
        "cfallowlist-test",
        "--auto",
        "-f",
        etc.resolve("local_api_credentials.yaml").toString());
    crowdsec = ns.start(List.of("crowdsec", "-c", config.toString()), dir.resolve("log/stdout"));
    waitFor("crowdsec processing its log", () -> count("Starting processing data") > 0);
  }

  @AfterAll
  static void stopCrowdsec() {
    if (ns != null) {
      ns.close();
    }
  }

  @AfterEach
  void leaveCrowdsecWithoutTheWhitelist() throws Exception {
    Files.deleteIfExists(dir.resolve("etc/parsers/s02-enrich/broken.yaml"));
    if (Files.exists(file())) {
      int reloads = count("Reload is finished");
      TargetResult removed = Sync.remove(target, context(), false);
      assertThat(removed.outcome()).as(removed.message()).isEqualTo(Outcome.APPLIED);
      waitFor("crowdsec reloaded", () -> count("Reload is finished") > reloads);
    }
  }

  private static void host(String... argv) {
    Netns.Result r = Netns.run(List.of(argv), null, Netns.DEFAULT_TIMEOUT);
    assertThat(r.ok()).as(String.join(" ", argv) + ": " + r.stderr()).isTrue();
  }

  private static Path file() {
    return dir.resolve("etc/parsers/s02-enrich/cloudflare-whitelist.yaml");
  }

  private static TargetContext context() {
    TargetOptions options =
        TargetOptions.defaults()
            .withSetting("crowdsec-file", file().toString())
            .withSetting("crowdsec-config", config.toString())
            .withSetting("crowdsec-reload-command", "kill -HUP " + crowdsec.pid());
    return new TargetContext(options, CommandRunner.system());
  }

  /** How many lines of crowdsec's own log contain {@code text}. */
  private static int count(String text) {
    try {
      Path log = dir.resolve("log/crowdsec.log");
      return Files.exists(log)
          ? (int) Files.readAllLines(log).stream().filter(l -> l.contains(text)).count()
          : 0;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void waitFor(String what, BooleanSupplier done) throws InterruptedException {
    for (int i = 0; !done.getAsBoolean(); i++) {
      assertThat(crowdsec.isAlive()).as("crowdsec is running, waiting for " + what).isTrue();
      assertThat(i).as("waited 120 s for " + what).isLessThan(1200);
      Thread.sleep(100);
    }
  }

  /**
   * Visits from {@code addresses} until {@code done}, again every 5 s: crowdsec logs that a reload
   * is finished as its readers start, and a reader that opens the log after a line was written
   * never sees that line.
   */
  private static void visitUntil(String what, BooleanSupplier done, String... addresses)
      throws InterruptedException {
    int[] polls = {0};
    waitFor(
        what,
        () -> {
          if (polls[0]++ % 50 == 0) {
            try {
              visit(addresses);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          }
          return done.getAsBoolean();
        });
  }

  /** An nginx access-log line from {@code address} that trips ltsich/http-w00tw00t at once. */
  private static String probe(String address) {
    String now =
        DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT)
            .format(ZonedDateTime.now(ZoneOffset.UTC));
    return address + " - - [" + now + "] \"GET /w00tw00t.at.ISC.SANS.DFind HTTP/1.1\" 400 166";
  }

  private static void visit(String... addresses) throws IOException {
    StringBuilder lines = new StringBuilder();
    for (String a : addresses) {
      lines.append(probe(a)).append(" \"-\" \"-\"\n");
    }
    Files.writeString(dir.resolve("log/access.log"), lines, StandardOpenOption.APPEND);
  }

  private static String decisions() {
    return ns.execChecked("cscli", "-c", config.toString(), "decisions", "list", "-o", "raw")
        .stdout();
  }

  /** The line of {@code cscli explain} that shows what the whitelist parser did to the event. */
  private static String explained(String address) {
    String out =
        ns.execChecked(
                "cscli",
                "-c",
                config.toString(),
                "explain",
                "--log",
                probe(address) + " \"-\" \"-\"",
                "--type",
                "nginx")
            .stdout();
    return out.lines()
        .filter(l -> l.contains("cf-allowlist/cloudflare-whitelist"))
        .findFirst()
        .orElse("(no line for the whitelist parser in: " + out + ")");
  }

  @Test
  void aCloudflareAddressBannedBeforeApplyIsWhitelistedAfterTheReloadWhileAnOutsiderIsBanned()
      throws Exception {
    visitUntil(
        "the ban of 173.245.48.4 without the whitelist",
        () -> decisions().contains("Ip:173.245.48.4,"),
        "173.245.48.4");
    int reloads = count("Reload is finished");

    TargetResult applied = Sync.sync(target, full, context(), Guards.defaults(), false);

    assertThat(applied.outcome()).as(applied.message()).isEqualTo(Outcome.APPLIED);
    waitFor("crowdsec reloaded", () -> count("Reload is finished") > reloads);
    // Each round writes the Cloudflare address's line first: once the outsider is banned, crowdsec
    // has read both.
    visitUntil(
        "the ban of the outsider",
        () -> decisions().contains("Ip:" + OUTSIDER + ","),
        "173.245.48.5",
        OUTSIDER);
    assertThat(decisions()).doesNotContain("Ip:173.245.48.5,");
    assertThat(explained("173.245.48.5")).contains("[whitelisted]");
    assertThat(explained(OUTSIDER)).doesNotContain("whitelisted").contains("unchanged");

    // In sync: nothing is written and nothing reloaded (a reload command that fails would show).
    TargetOptions noReload = context().options().withSetting("crowdsec-reload-command", "false");
    TargetResult again =
        Sync.sync(
            target,
            full,
            new TargetContext(noReload, CommandRunner.system()),
            Guards.defaults(),
            false);
    assertThat(again.outcome()).as(again.message()).isEqualTo(Outcome.IN_SYNC);
    assertThat(count("Reload is finished")).isEqualTo(reloads + 1);
  }

  @Test
  void crowdsecsOwnTestRefusesABrokenConfigurationAndTheOldFileStaysWithoutAReload()
      throws Exception {
    RangeSnapshot fewer =
        full.withRanges(
            RangeSet.of(
                full.ranges().all().stream()
                    .filter(c -> !c.toString().equals("173.245.48.0/20"))
                    .toList()));
    // Written and tested for real; not reloaded, so the running crowdsec is not involved.
    TargetOptions noReload = context().options().withSetting("crowdsec-reload-command", "true");
    TargetContext quiet = new TargetContext(noReload, CommandRunner.system());
    Sync.apply(target, fewer, quiet, Guards.defaults());
    byte[] old = Files.readAllBytes(file());
    int reloads = count("SIGHUP received");

    // A whitelist crowdsec refuses, written through the same daemon description.
    String broken = new String(old, StandardCharsets.UTF_8) + "    - \"300.1.1.1/8\"\n";
    ApplyFailedException refused =
        catchThrowableOfType(
            ApplyFailedException.class,
            () ->
                new FileApplier(
                        CrowdsecSettings.of(context().options()).daemon(), CommandRunner.system())
                    .apply(
                        List.of(FileApplier.Desired.of(file(), broken)),
                        FileApplier.Leftovers.NONE));
    assertThat(refused.outcome()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(refused.getMessage()).contains("rejected").contains("300.1.1.1/8");
    assertThat(Files.readAllBytes(file())).isEqualTo(old);

    // Another parser crowdsec refuses: the new whitelist is not loaded on top of it.
    Files.writeString(
        dir.resolve("etc/parsers/s02-enrich/broken.yaml"),
        "name: someone/broken\nwhitelist:\n  reason: x\n  cidr:\n    - \"10.0.0.0/33\"\n");
    TargetResult failed = Sync.sync(target, full, context(), Guards.defaults(), false);

    assertThat(failed.outcome()).as(failed.message()).isEqualTo(Outcome.FAILED_RESTORED);
    assertThat(failed.message()).contains("rejected").contains("10.0.0.0/33");
    assertThat(Files.readAllBytes(file())).isEqualTo(old);
    assertThat(count("SIGHUP received")).isEqualTo(reloads);
    assertThat(crowdsec.isAlive()).isTrue();
    // Never loaded: gone without a reload.
    Files.delete(file());
  }

  @Test
  void uninstallRemovesOnlyItsFileAndReloads() throws Exception {
    Path stage = dir.resolve("etc/parsers/s02-enrich");
    List<Path> others;
    try (var files = Files.list(stage)) {
      others = files.sorted().toList();
    }
    int reloads = count("Reload is finished");
    Sync.apply(target, full, context(), Guards.defaults());
    waitFor("crowdsec reloaded", () -> count("Reload is finished") > reloads);

    TargetResult removed = Sync.remove(target, context(), false);

    assertThat(removed.outcome()).as(removed.message()).isEqualTo(Outcome.APPLIED);
    waitFor("crowdsec reloaded", () -> count("Reload is finished") > reloads + 1);
    assertThat(file()).doesNotExist();
    try (var files = Files.list(stage)) {
      assertThat(files.sorted().toList()).isEqualTo(others);
    }
    assertThat(crowdsec.isAlive()).isTrue();
  }
}
