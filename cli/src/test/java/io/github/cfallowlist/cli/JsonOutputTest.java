package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command with {@code --format json}: one object on one line, parsed here, with the fields
 * {@code docs/json.md} documents.
 */
class JsonOutputTest {
  private static final String EMBEDDED_ETAG = "38f79d050aa027e3be3865e495dcc9bc";
  private static final List<String> TARGET_FIELDS =
      List.of(
          "target",
          "outcome",
          "status",
          "summary",
          "reason",
          "fallback",
          "installed",
          "uninstall",
          "added",
          "removed",
          "ipv4",
          "ipv6",
          "leftovers",
          "diff");

  @TempDir Path dir;

  /** The one object on stdout; fails unless stdout is exactly one line of JSON. */
  private static Map<String, Object> json(CliRun run) throws Exception {
    assertThat(run.out()).as(run.err()).endsWith("\n");
    assertThat(run.out().lines().count()).as("one line").isEqualTo(1);
    Map<String, Object> object = JSON.std.mapFrom(run.out());
    assertThat(object)
        .containsEntry("schema", 1)
        .containsEntry("exit_code", run.exitCode())
        .containsKey("version");
    assertThat((String) object.get("version")).isNotBlank();
    return object;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    return (List<Object>) o;
  }

  private static void assertEmbeddedSource(Map<String, Object> object) {
    Map<String, Object> source = map(object.get("source"));
    assertThat(source.keySet()).containsExactly("name", "etag", "fetched_at");
    assertThat((String) source.get("name")).startsWith("embedded snapshot");
    assertThat(source)
        .containsEntry("etag", EMBEDDED_ETAG)
        .containsEntry("fetched_at", "2026-10-02T00:00:00Z");
  }

  /** {@code command} on the nginx target with a file in the test's directory, then {@code more}. */
  private CliRun nginx(String command, String... more) {
    List<String> argv = new ArrayList<>(List.of(command));
    argv.addAll(
        List.of(
            "--source",
            "embedded",
            "--target",
            "nginx",
            "--nginx-file",
            dir.resolve("real-ip.conf").toString(),
            "--nginx-test-command",
            "true",
            "--nginx-reload-command",
            "true",
            "--state-dir",
            dir.resolve("state").toString()));
    argv.addAll(List.of(more));
    return CliRun.of(argv.toArray(String[]::new));
  }

  @Test
  void fetchJsonCarriesTheSourceEtagFetchTimeAndBothLists() throws Exception {
    CliRun run = CliRun.of("fetch", "--source", "embedded", "--format", "json");
    assertThat(run.exitCode()).isZero();
    Map<String, Object> object = json(run);
    assertThat(object.keySet())
        .containsExactly("schema", "command", "version", "exit_code", "source", "ipv4", "ipv6");
    assertThat(object).containsEntry("command", "fetch");
    assertEmbeddedSource(object);
    assertThat(list(object.get("ipv4"))).hasSize(15).startsWith("103.21.244.0/22");
    assertThat(list(object.get("ipv6"))).hasSize(7).endsWith("2c0f:f248::/32");
  }

  @Test
  void checkJsonAnswersEachAddressWithTheRangeThatHoldsIt() throws Exception {
    CliRun run =
        CliRun.of("check", "--source", "embedded", "--format", "json", "173.245.48.5", "8.8.8.8");
    assertThat(run.exitCode()).isEqualTo(2);
    Map<String, Object> object = json(run);
    assertThat(object.keySet())
        .containsExactly("schema", "command", "version", "exit_code", "source", "addresses");
    assertThat(object).containsEntry("command", "check");
    assertEmbeddedSource(object);
    List<Object> addresses = list(object.get("addresses"));
    assertThat(map(addresses.get(0)))
        .containsExactly(
            Map.entry("address", "173.245.48.5"),
            Map.entry("checked", true),
            Map.entry("in_ranges", true),
            Map.entry("range", "173.245.48.0/20"));
    assertThat(map(addresses.get(1)))
        .containsEntry("address", "8.8.8.8")
        .containsEntry("in_ranges", false)
        .containsEntry("range", null);
  }

  @Test
  void renderJsonHoldsATargetsArrayWithEachFileAndWhereItWasWritten() throws Exception {
    CliRun printed =
        CliRun.of("render", "--source", "embedded", "--target", "nftables", "--format", "json");
    assertThat(printed.exitCode()).isZero();
    Map<String, Object> object = json(printed);
    assertThat(object.keySet())
        .containsExactly("schema", "command", "version", "exit_code", "source", "targets");
    assertEmbeddedSource(object);
    List<Object> targets = list(object.get("targets"));
    assertThat(targets).hasSize(1);
    assertThat(map(targets.get(0))).containsEntry("target", "nftables");
    Map<String, Object> file = map(list(map(targets.get(0)).get("files")).get(0));
    assertThat(file.keySet()).containsExactly("name", "path", "content");
    assertThat(file).containsEntry("name", "cf_allowlist.nft").containsEntry("path", null);
    assertThat((String) file.get("content")).contains("173.245.48.0/20");

    CliRun written =
        CliRun.of(
            "render",
            "--source",
            "embedded",
            "--target",
            "iptables",
            "--output",
            dir.toString(),
            "--format",
            "json");
    List<Object> files = list(map(list(json(written).get("targets")).get(0)).get("files"));
    assertThat(files).hasSize(2);
    for (Object f : files) {
      Path path = Path.of((String) map(f).get("path"));
      assertThat(path.getParent()).isEqualTo(dir);
      assertThat(path).content().isEqualTo(map(f).get("content"));
    }
  }

  @Test
  void planJsonIsOneObjectWithATargetsArrayForOneTargetAndForSeveral() throws Exception {
    Path older = Path.of("..", "docs", "examples", "cf_allowlist-2021-03.nft");
    CliRun one =
        CliRun.of(
            "plan",
            "--source",
            "embedded",
            "--target",
            "nftables",
            "--current",
            older.toString(),
            "--format",
            "json");
    assertThat(one.exitCode()).isEqualTo(2);
    Map<String, Object> object = json(one);
    assertThat(object.keySet())
        .containsExactly(
            "schema", "command", "version", "exit_code", "source", "warnings", "targets");
    assertThat(object).containsEntry("command", "plan").containsEntry("warnings", List.of());
    assertEmbeddedSource(object);
    List<Object> targets = list(object.get("targets"));
    assertThat(targets).hasSize(1);
    Map<String, Object> nft = map(targets.get(0));
    assertThat(nft.keySet()).containsExactlyElementsOf(TARGET_FIELDS);
    assertThat(nft)
        .containsEntry("target", "nftables")
        .containsEntry("outcome", "would_change")
        .containsEntry("status", "would change")
        .containsEntry("summary", "would change (+2 -1)")
        .containsEntry("reason", null)
        .containsEntry("fallback", null)
        .containsEntry("installed", true)
        .containsEntry("uninstall", false)
        .containsEntry("added", 2)
        .containsEntry("removed", 1)
        .containsEntry("leftovers", List.of());
    assertThat(map(nft.get("ipv4")))
        .containsEntry("added", List.of("104.16.0.0/13", "104.24.0.0/14"))
        .containsEntry("removed", List.of("104.16.0.0/12"));
    assertThat(list(map(nft.get("ipv6")).get("unchanged"))).hasSize(7);
    assertThat((String) nft.get("diff")).contains("+\t104.24.0.0/14,");

    CliRun two =
        CliRun.of(
            "plan",
            "--source",
            "embedded",
            "--target",
            "nftables",
            "--target",
            "nginx",
            "--current",
            dir.toString(),
            "--format",
            "json");
    assertThat(two.exitCode()).isEqualTo(2);
    List<Object> both = list(json(two).get("targets"));
    assertThat(both).extracting(t -> map(t).get("target")).containsExactly("nftables", "nginx");
    assertThat(both)
        .extracting(t -> map(t).get("summary"))
        .containsOnly("not installed, would change (+22 -0)");
    assertThat(both).extracting(t -> map(t).get("installed")).containsOnly(false);
  }

  @Test
  void statusAndApplyJsonReportEachTargetInTheSameWords() throws Exception {
    CliRun before = nginx("status", "--format", "json");
    assertThat(before.exitCode()).as(before.err()).isEqualTo(2);
    Map<String, Object> pending = map(list(json(before).get("targets")).get(0));
    assertThat(pending)
        .containsEntry("outcome", "would_change")
        .containsEntry("status", "not installed")
        .containsEntry("installed", false);

    CliRun apply = nginx("apply", "--format", "json");
    assertThat(apply.exitCode()).as(apply.err()).isZero();
    assertThat(apply.err()).isEmpty();
    Map<String, Object> object = json(apply);
    assertThat(object).containsEntry("command", "apply");
    assertEmbeddedSource(object);
    Map<String, Object> applied = map(list(object.get("targets")).get(0));
    assertThat(applied.keySet()).containsExactlyElementsOf(TARGET_FIELDS);
    assertThat(applied)
        .containsEntry("outcome", "applied")
        .containsEntry("status", "applied")
        .containsEntry("added", 22)
        .containsEntry("removed", 0)
        .containsEntry(
            "summary",
            "applied (+22 -0): added 103.21.244.0/22, 103.22.200.0/22, 103.31.4.0/22,"
                + " 104.16.0.0/13, 104.24.0.0/14 and 17 more; source embedded snapshot recorded"
                + " 2026-10-02T00:00:00Z, etag "
                + EMBEDDED_ETAG);

    CliRun status = nginx("status", "--format", "json");
    assertThat(status.exitCode()).isZero();
    assertThat(map(list(json(status).get("targets")).get(0)))
        .containsEntry("outcome", "in_sync")
        .containsEntry("status", "in sync")
        .containsEntry("summary", "in sync (22 ranges)")
        .containsEntry("installed", true)
        .containsEntry("diff", "");

    CliRun uninstall = nginx("apply", "--uninstall", "--dry-run", "--format", "json");
    assertThat(uninstall.exitCode()).isEqualTo(2);
    Map<String, Object> removal = json(uninstall);
    assertThat(removal).containsEntry("source", null);
    assertThat(map(list(removal.get("targets")).get(0)))
        .containsEntry("uninstall", true)
        .containsEntry("summary", "would change (+0 -22): uninstall");
  }

  @Test
  void aRunWhereOneTargetAppliedAndOneFailedExitsOneAndReportsBoth() throws Exception {
    CliRun text = nginx("apply", "--target", "broken");
    assertThat(text.exitCode()).isEqualTo(1);
    assertThat(text.out()).startsWith("nginx: applied (+22 -0): added 103.21.244.0/22,");
    assertThat(text.err())
        .isEqualTo(
            "cf-allowlist: broken: failed (nothing changed): the device is read-only; verified by"
                + " reading back\n");

    CliRun json = nginx("apply", "--target", "broken", "--format", "json");
    assertThat(json.exitCode()).isEqualTo(1);
    Map<String, Object> object = json(json);
    List<Object> targets = list(object.get("targets"));
    assertThat(map(targets.get(0)))
        .containsEntry("target", "nginx")
        .containsEntry("outcome", "in_sync")
        .containsEntry(
            "summary",
            "in sync (22 ranges): source embedded snapshot recorded 2026-10-02T00:00:00Z, etag "
                + EMBEDDED_ETAG);
    assertThat(map(targets.get(1)))
        .containsEntry("target", "broken")
        .containsEntry("outcome", "failed_unchanged")
        .containsEntry("status", "failed")
        .containsEntry(
            "reason", "the device is read-only; nothing was changed (verified by reading back)");
    assertThat(json.err()).startsWith("cf-allowlist: broken: failed (nothing changed): ");
  }

  @Test
  void aCommandStoppedByAnErrorStillPrintsOneObjectNamingIt() throws Exception {
    CliRun run =
        CliRun.of(
            "plan",
            "--source",
            "embedded",
            "--target",
            "nftables",
            "--current",
            dir.resolve("absent.nft").toString(),
            "--format",
            "json");
    assertThat(run.exitCode()).isEqualTo(1);
    Map<String, Object> object = json(run);
    assertThat(object.keySet())
        .containsExactly("schema", "command", "version", "exit_code", "error");
    assertThat(object).containsEntry("command", "plan");
    assertThat(run.errIsOneSentence()).isTrue();
    assertThat(run.err()).isEqualTo("cf-allowlist: " + object.get("error") + "\n");
    assertThat((String) object.get("error")).contains("absent.nft");
  }

  @Test
  void aCommandLineThatCannotBeParsedStillPrintsOneObjectWhenItAskedForJson() throws Exception {
    CliRun run =
        CliRun.of(
            "plan",
            "--source",
            "embedded",
            "--target",
            "nftables",
            "--max-shrink",
            "abc",
            "--format",
            "json");
    CliRun nested = CliRun.of("config", "check", "--format=json", "--no-such-option");
    CliRun text = CliRun.of("plan", "--target", "nftables", "--max-shrink", "abc");

    assertThat(run.exitCode()).isEqualTo(1);
    Map<String, Object> object = json(run);
    assertThat(object).containsEntry("command", "plan").containsEntry("exit_code", 1);
    assertThat(run.err()).isEqualTo("cf-allowlist: " + object.get("error") + "\n");
    assertThat((String) object.get("error")).contains("--max-shrink", "abc");
    assertThat(nested.exitCode()).isEqualTo(1);
    assertThat(json(nested)).containsEntry("command", "config check");
    assertThat(text.out()).as("no JSON unless asked for").isEmpty();
  }

  @Test
  void everyCommandTakesFormatJson() throws Exception {
    for (String command : List.of("fetch", "check", "render", "plan", "apply", "status")) {
      CliRun help = CliRun.of(command, "--help");
      assertThat(help.out()).as(command).contains("--format=FMT");
    }
    assertThat(Files.exists(Path.of("..", "docs", "json.md"))).isTrue();
  }
}
