package io.github.cfallowlist.adapter.nftables;

import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V4;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V6;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_OTHER_V4;
import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_OTHER_V6;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.testing.EdgeAndOrigin;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The target against the real nft and kernel, each test in namespaces it creates and deletes. The
 * origin serves HTTP on {@value #PORT}; {@code --ports} is that port.
 */
class NftablesSystemTest {
  private static final int PORT = 8080;

  /** In the embedded list; the second list drops it. */
  private static final String REMOVED_RANGE = "198.41.128.0/17";

  private static final String IN_REMOVED_RANGE = "198.41.128.5";

  /** Not a Cloudflare range; the second list adds it. */
  private static final String ADDED_RANGE = "45.64.64.0/22";

  private static final String IN_ADDED_RANGE = "45.64.64.5";
  private static final String USER_TABLE =
      "table inet userfw {\n"
          + "\tchain c {\n"
          + "\t\ttype filter hook input priority 0; policy accept;\n"
          + "\t\ttcp dport 22 counter accept\n"
          + "\t}\n"
          + "}\n";

  private static final String USER_FILTER =
      "table inet filter {\n\tchain input {\n"
          + "\t\ttype filter hook input priority 0; policy accept;\n"
          + "\t\ttcp dport 22 accept\n\t}\n}\n";

  private final NftablesTarget target = new NftablesTarget();
  private final RangeSnapshot embedded = Fixtures.embedded();

  /** The embedded list with one range removed and one added: within the 25% shrink guard. */
  private final RangeSnapshot changed =
      embedded.withRanges(
          RangeSet.of(
              Stream.concat(
                      embedded.ranges().all().stream()
                          .filter(c -> !c.toString().equals(REMOVED_RANGE)),
                      RangeSet.parse(ADDED_RANGE).all().stream())
                  .toList()));

  private final TargetOptions options = TargetOptions.defaults().withPorts(List.of(PORT));

  @BeforeEach
  void requireTools() {
    SystemTests.requireTools("ip", "nft", "curl", "ss");
  }

  @Test
  void restrictLeavesLocalConnectionsOverLoopbackAlone() throws Exception {
    try (EdgeAndOrigin net = EdgeAndOrigin.create()) {
      net.startHttpServer(PORT);
      Sync.apply(
          target, embedded, new TargetContext(options, recorder(net.origin())), Guards.defaults());

      assertThat(net.probe(EDGE_OTHER_V4, PORT)).as("from outside the ranges").isZero();
      for (String url : List.of("http://127.0.0.1:" + PORT + "/", "http://[::1]:" + PORT + "/")) {
        String code =
            net.origin()
                .exec("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "15", url)
                .stdout();
        assertThat(code).as("health check on %s", url).isEqualTo("200");
      }
    }
  }

  @Test
  void restrictAdmitsOnlyCloudflareFollowsListChangesAndUninstallsWithoutATrace() throws Exception {
    try (EdgeAndOrigin net = EdgeAndOrigin.create()) {
      net.addEdgeAddress(IN_REMOVED_RANGE);
      net.addEdgeAddress(IN_ADDED_RANGE);
      net.startHttpServer(PORT);
      RecordingCommandRunner runner = recorder(net.origin());
      TargetContext context = new TargetContext(options, runner);
      String before = ruleset(net.origin());
      assertThat(net.probe(EDGE_OTHER_V4, PORT)).as("before apply").isEqualTo(200);
      assertThat(Sync.plan(target, embedded, context).isInstall()).isTrue();

      Sync.apply(target, embedded, context, Guards.defaults());

      assertThat(
              probes(
                  net,
                  EDGE_CF_V4,
                  EDGE_CF_V6,
                  IN_REMOVED_RANGE,
                  EDGE_OTHER_V4,
                  EDGE_OTHER_V6,
                  IN_ADDED_RANGE))
          .containsExactly(200, 200, 200, 0, 0, 0);
      // One transaction, from a complete file: never one command per range, never a pipe.
      assertThat(runner.modifyingCommands())
          .singleElement()
          .satisfies(
              c -> {
                assertThat(c.argv()).hasSize(3).startsWith("nft", "-f");
                assertThat(c.argv().get(2)).endsWith(".nft");
                assertThat(java.nio.file.Path.of(c.argv().get(2))).doesNotExist();
              });

      // The same list again: only reads, and not one byte of the ruleset changes.
      String applied = ruleset(net.origin());
      runner.clear();
      Plan again = Sync.apply(target, embedded, context, Guards.defaults());
      assertThat(again.hasChanges()).isFalse();
      assertThat(runner.commands()).isNotEmpty();
      assertThat(runner.modifyingCommands()).isEmpty();
      assertThat(ruleset(net.origin())).isEqualTo(applied);

      Plan plan = Sync.apply(target, changed, context, Guards.defaults());

      assertThat(plan.summary()).isEqualTo("+1 -1 ranges (IPv4 +1 -1)");
      assertThat(probes(net, EDGE_CF_V4, IN_ADDED_RANGE, IN_REMOVED_RANGE, EDGE_OTHER_V4))
          .containsExactly(200, 200, 0, 0);

      // Other ports are a change too, and apply moves the restriction to them.
      TargetContext otherPort = new TargetContext(options.withPorts(List.of(9090)), runner);
      Plan portPlan = Sync.plan(target, changed, otherPort);
      assertThat(portPlan.hasChanges()).isTrue();
      assertThat(portPlan.summary()).isEqualTo("+0 -0 ranges (22 kept), new configuration");
      Sync.apply(target, changed, otherPort, Guards.defaults());
      assertThat(net.probe(EDGE_OTHER_V4, PORT)).isEqualTo(200);
      assertThat(ruleset(net.origin())).contains("tcp dport 9090 ip saddr != @cloudflare_v4 drop");

      assertThat(Sync.uninstall(target, otherPort)).isTrue();

      assertThat(ruleset(net.origin())).isEqualTo(before);
      assertThat(net.probe(EDGE_OTHER_V6, PORT)).isEqualTo(200);
      assertThat(Sync.uninstall(target, otherPort)).isFalse();
    }
  }

  @Test
  void replacingTheListNeverRefusesAnAddressInBothLists() throws Exception {
    try (EdgeAndOrigin net = EdgeAndOrigin.create()) {
      net.startHttpServer(PORT);
      TargetContext context = new TargetContext(options, recorder(net.origin()));
      Sync.apply(target, embedded, context, Guards.defaults());
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try {
        Future<Integer> refused =
            pool.submit(
                () -> {
                  int failures = 0;
                  for (int i = 0; i < 100; i++) {
                    failures += net.probe(EDGE_CF_V4, PORT) == 200 ? 0 : 1;
                  }
                  return failures;
                });
        int applies = 0;
        while (!refused.isDone()) {
          Sync.apply(target, applies % 2 == 0 ? changed : embedded, context, Guards.defaults());
          applies++;
        }

        assertThat(applies).as("list replacements during the probes").isGreaterThanOrEqualTo(2);
        assertThat(refused.get()).as("refused probes out of 100").isZero();
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void foreignTableStaysByteIdenticalThroughApplyChangeAndUninstall() throws Exception {
    try (Netns ns = Netns.create("cfnft-")) {
      ns.execChecked(USER_TABLE, List.of("nft", "-f", "-"));
      String table = userTable(ns);
      String before = ruleset(ns);
      TargetContext context = new TargetContext(options, recorder(ns));

      Sync.apply(target, embedded, context, Guards.defaults());
      assertThat(userTable(ns)).isEqualTo(table);
      Sync.apply(target, changed, context, Guards.defaults());
      assertThat(userTable(ns)).isEqualTo(table);
      Sync.uninstall(target, context);

      assertThat(ruleset(ns)).isEqualTo(before);
    }
  }

  @Test
  void failingApplyLeavesThePreviousRulesetByteIdentical() throws Exception {
    try (Netns ns = Netns.create("cfnft-")) {
      RecordingCommandRunner runner = recorder(ns);
      TargetContext context = new TargetContext(options, runner);
      runner.failing(c -> c.argv().contains("-f"));
      assertThat(outcomeOf(() -> Sync.apply(target, embedded, context, Guards.defaults())))
          .isEqualTo(Outcome.FAILED_UNCHANGED);
      assertThatThrownBy(() -> Sync.apply(target, embedded, context, Guards.defaults()))
          .hasMessageContaining("injected failure");
      assertThat(ruleset(ns)).isEmpty();

      runner.failing(c -> false);
      Sync.apply(target, embedded, context, Guards.defaults());
      String applied = ruleset(ns);
      runner.failing(c -> c.argv().contains("-f"));

      assertThat(outcomeOf(() -> Sync.apply(target, changed, context, Guards.defaults())))
          .isEqualTo(Outcome.FAILED_UNCHANGED);
      assertThat(ruleset(ns)).isEqualTo(applied);
    }
  }

  @Test
  void scriptTheKernelRejectsHalfwayChangesNothingAndReportsNftsError() throws Exception {
    try (Netns ns = Netns.create("cfnft-")) {
      // A set by our name that holds at most 2 elements: the kernel accepts the flush, then
      // refuses the elements, and must roll the flush back with the rest of the transaction.
      ns.execChecked(
          "table inet filter {\n\tset cloudflare_v4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
              + "\t\tsize 2\n\t\telements = { 173.245.48.0/20 }\n\t}\n}\n",
          List.of("nft", "-f", "-"));
      String before = ruleset(ns);
      TargetContext context =
          new TargetContext(options.withSetting("nft-table", "inet filter"), recorder(ns));

      assertThatThrownBy(() -> Sync.apply(target, embedded, context, Guards.defaults()))
          .isInstanceOf(ApplyFailedException.class)
          .hasMessageContaining("nft -f refused the cf_allowlist.nft transaction")
          .hasMessageContaining("Error: Could not process rule: Too many open files in system");
      assertThat(outcomeOf(() -> Sync.apply(target, embedded, context, Guards.defaults())))
          .isEqualTo(Outcome.FAILED_UNCHANGED);

      assertThat(ruleset(ns)).isEqualTo(before).contains("size 2", "173.245.48.0/20");
    }
  }

  @Test
  void nftTableVariantFillsOnlyTheSetsOfTheUsersTable() throws Exception {
    try (Netns ns = Netns.create("cfnft-")) {
      TargetOptions inFilter = options.withSetting("nft-table", "inet filter");
      RecordingCommandRunner runner = recorder(ns);
      TargetContext context = new TargetContext(inFilter, runner);
      TargetResult dryRun = Sync.sync(target, embedded, context, Guards.defaults(), true);
      assertThat(dryRun.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
      assertThat(dryRun.message())
          .isEqualTo(
              "table inet filter named by --nft-table does not exist; create it with your own"
                  + " rules first (cf-allowlist only adds the sets to it); nothing was changed");
      assertThatThrownBy(() -> Sync.apply(target, embedded, context, Guards.defaults()))
          .isInstanceOf(ApplyFailedException.class)
          .hasMessageContaining("table inet filter named by --nft-table does not exist");
      assertThat(outcomeOf(() -> Sync.apply(target, embedded, context, Guards.defaults())))
          .isEqualTo(Outcome.FAILED_UNCHANGED);
      assertThat(runner.modifyingCommands()).isEmpty();
      assertThat(ruleset(ns)).isEmpty();

      String userChain =
          "table inet filter {\n\tchain input {\n"
              + "\t\ttype filter hook input priority 0; policy accept;\n"
              + "\t\ttcp dport 22 accept\n\t}\n}\n";
      ns.execChecked(userChain, List.of("nft", "-f", "-"));
      String before = ruleset(ns);
      String chain = ns.execChecked("nft", "list", "chain", "inet", "filter", "input").stdout();

      Sync.apply(target, embedded, context, Guards.defaults());

      assertThat(ns.execChecked("nft", "list", "chain", "inet", "filter", "input").stdout())
          .isEqualTo(chain);
      assertThat(ns.execChecked("nft", "list", "set", "inet", "filter", "cloudflare_v4").stdout())
          .contains("173.245.48.0/20", "198.41.128.0/17");
      assertThat(ns.execChecked("nft", "list", "set", "inet", "filter", "cloudflare_v6").stdout())
          .contains("2400:cb00::/32");
      assertThat(ruleset(ns)).doesNotContain("cf_allowlist", "drop");
      runner.clear();
      assertThat(Sync.apply(target, embedded, context, Guards.defaults()).hasChanges()).isFalse();
      assertThat(runner.modifyingCommands()).isEmpty();
      Sync.apply(target, changed, context, Guards.defaults());
      assertThat(ns.execChecked("nft", "list", "set", "inet", "filter", "cloudflare_v4").stdout())
          .contains(ADDED_RANGE)
          .doesNotContain(REMOVED_RANGE);

      // While the user's own rule uses a set, nft refuses the uninstall and nothing changes.
      ns.execChecked(
          "nft",
          "add",
          "rule",
          "inet",
          "filter",
          "input",
          "ip",
          "saddr",
          "@cloudflare_v4",
          "tcp",
          "dport",
          "8080",
          "accept");
      String inUse = ruleset(ns);
      assertThatThrownBy(() -> Sync.uninstall(target, context))
          .isInstanceOf(ApplyFailedException.class)
          .hasMessageContaining("remove your rules using @cloudflare_v4/v6 first")
          .hasMessageContaining("Device or resource busy");
      assertThat(outcomeOf(() -> Sync.uninstall(target, context)))
          .isEqualTo(Outcome.FAILED_UNCHANGED);
      assertThat(ruleset(ns)).isEqualTo(inUse);

      ns.execChecked("nft", "flush", "chain", "inet", "filter", "input");
      ns.execChecked(
          "nft", "add", "rule", "inet", "filter", "input", "tcp", "dport", "22", "accept");
      assertThat(Sync.uninstall(target, context)).isTrue();

      assertThat(ruleset(ns)).isEqualTo(before);
    }
  }

  @Test
  void setsTheUserDeclaredForTheirOwnRulesAreFilledAndFixThe521() throws Exception {
    try (EdgeAndOrigin net = EdgeAndOrigin.create()) {
      net.startHttpServer(PORT);
      // The user's own firewall: accept Cloudflare on the port, drop everyone else. Its sets
      // start empty (auto-merge on one of them), so Cloudflare is refused: error 521.
      net.origin()
          .execChecked(
              "table inet filter {\n"
                  + "\tset cloudflare_v4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
                  + "\t\tauto-merge\n\t}\n"
                  + "\tset cloudflare_v6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t}\n"
                  + "\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n"
                  + "\t\tip saddr @cloudflare_v4 tcp dport "
                  + PORT
                  + " accept\n"
                  + "\t\tip6 saddr @cloudflare_v6 tcp dport "
                  + PORT
                  + " accept\n"
                  + "\t\ttcp dport "
                  + PORT
                  + " drop\n\t}\n}\n",
              List.of("nft", "-f", "-"));
      String chain =
          net.origin().execChecked("nft", "list", "chain", "inet", "filter", "input").stdout();
      assertThat(probes(net, EDGE_CF_V4, EDGE_CF_V6)).containsExactly(0, 0);
      RecordingCommandRunner runner = recorder(net.origin());
      TargetContext context =
          new TargetContext(options.withSetting("nft-table", "inet filter"), runner);

      Sync.apply(target, embedded, context, Guards.defaults());

      assertThat(probes(net, EDGE_CF_V4, EDGE_CF_V6, EDGE_OTHER_V4, EDGE_OTHER_V6))
          .containsExactly(200, 200, 0, 0);
      assertThat(
              net.origin().execChecked("nft", "list", "chain", "inet", "filter", "input").stdout())
          .isEqualTo(chain);
      runner.clear();
      assertThat(Sync.apply(target, embedded, context, Guards.defaults()).hasChanges()).isFalse();
      assertThat(runner.modifyingCommands()).isEmpty();
    }
  }

  @Test
  void droppingAFamilyRemovesItsSetAndRuleWithoutTrippingTheShrinkGuard() throws Exception {
    try (Netns ns = Netns.create("cfnft-")) {
      Sync.apply(target, embedded, new TargetContext(options, recorder(ns)), Guards.defaults());
      String both = ruleset(ns);
      TargetOptions v4 = options.withFamilies(Families.IPV4);
      RangeSnapshot v4Only = embedded.withRanges(embedded.ranges().restrictTo(Families.IPV4));
      TargetContext context = new TargetContext(v4, recorder(ns));

      assertThat(both).contains("cloudflare_v6");

      Sync.apply(target, v4Only, context, Guards.defaults());

      assertThat(ruleset(ns)).contains("cloudflare_v4").doesNotContain("cloudflare_v6", "ip6");
      assertThat(Sync.plan(target, v4Only, context).hasChanges()).isFalse();
    }
  }

  @Test
  void aSnapshotOfBothFamiliesSyncedWithOneFamilyIsAppliedAndThenInSync() throws Exception {
    try (Netns ns = Netns.create("cfnft-")) {
      TargetContext v4 = new TargetContext(options.withFamilies(Families.IPV4), recorder(ns));

      TargetResult applied = Sync.sync(target, embedded, v4, Guards.defaults(), false);

      assertThat(applied.outcome()).as(applied.message()).isEqualTo(Outcome.APPLIED);
      assertThat(applied.message()).doesNotContain("IPv6");
      assertThat(ruleset(ns)).contains("cloudflare_v4").doesNotContain("cloudflare_v6");
      TargetResult again = Sync.sync(target, embedded, v4, Guards.defaults(), false);
      assertThat(again.outcome()).as(again.message()).isEqualTo(Outcome.IN_SYNC);
      assertThat(
              Sync.review(
                      target,
                      embedded,
                      v4.options(),
                      Guards.defaults(),
                      Optional.of(target.render(embedded, v4.options())))
                  .outcome())
          .isEqualTo(Outcome.IN_SYNC);
    }
  }

  @Test
  void aFailedChangeOfPortsWhosePreviousRangesArePutBackIsNotReportedAsTheOldStatePutBack()
      throws Exception {
    try (Netns ns = Netns.create("cfnft-")) {
      Sync.apply(target, embedded, new TargetContext(options, recorder(ns)), Guards.defaults());
      CommandRunner real = NetnsCommandRunner.inside(ns.name());
      boolean[] first = {true};
      CommandRunner lostReply =
          command -> {
            CommandResult result = real.run(command);
            if (!command.modifies() || !first[0]) {
              return result;
            }
            first[0] = false;
            // The transaction took, something else added an element, and the reply was lost.
            ns.execChecked(
                "nft", "add", "element", "inet", "cf_allowlist", "cloudflare_v4", "{ 1.2.3.0/24 }");
            return new CommandResult(1, "", "Error: connection lost");
          };
      TargetOptions morePorts = options.withPorts(List.of(PORT, 8443));

      TargetResult result =
          Sync.sync(
              target, embedded, new TargetContext(morePorts, lostReply), Guards.defaults(), false);

      assertThat(ruleset(ns)).contains("8443").doesNotContain("1.2.3.0");
      assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.STATE_UNKNOWN);
      assertThat(result.message())
          .contains("the previous ranges were put back but not the previous configuration");
    }
  }

  @Test
  void aRuleAddedByHandToTheOwnChainIsAChangeAndApplyRemovesIt() throws Exception {
    try (Netns ns = Netns.create("cfnft-")) {
      TargetContext context = new TargetContext(options, recorder(ns));
      Sync.apply(target, embedded, context, Guards.defaults());
      String clean = ruleset(ns);
      ns.execChecked(
          "nft", "add", "rule", "inet", "cf_allowlist", "input", "tcp", "dport", "22", "accept");

      Plan plan = Sync.plan(target, embedded, context);
      assertThat(plan.hasChanges()).isTrue();
      assertThat(plan.diff()).contains("-# not written by cf-allowlist: rule handle");

      Sync.apply(target, embedded, context, Guards.defaults());

      assertThat(ruleset(ns)).isEqualTo(clean);
    }
  }

  @Test
  void allowModeWithoutNftTableIsRefusedBeforeAnythingRuns() throws Exception {
    try (Netns ns = Netns.create("cfnft-")) {
      RecordingCommandRunner runner = recorder(ns);
      TargetContext context = new TargetContext(options.withMode(Mode.ALLOW), runner);

      assertThatThrownBy(() -> Sync.apply(target, embedded, context, Guards.defaults()))
          .isInstanceOf(CfAllowlistException.class)
          .hasMessageContaining("--mode allow needs --nft-table");

      assertThat(runner.modifyingCommands()).isEmpty();
      assertThat(ruleset(ns)).isEmpty();
    }
  }

  @Test
  void nftAcceptsEveryRenderedVariantInCheckMode(@TempDir Path dir) throws Exception {
    try (Netns ns = Netns.create("cfnchk-")) {
      for (Map.Entry<String, TargetOptions> variant : Fixtures.variants().entrySet()) {
        Path file = dir.resolve(variant.getKey() + ".nft");
        Files.writeString(file, target.render(embedded, variant.getValue()).text());

        Netns.Result check = ns.exec("nft", "-c", "-f", file.toString());

        assertThat(check.ok()).as("nft -c -f %s: %s", variant.getKey(), check.stderr()).isTrue();
      }
      // Check mode must not have loaded anything.
      assertThat(ruleset(ns)).isEmpty();
    }
  }

  @Test
  void nftCheckModeRejectsABrokenScriptSoTheCheckMeansSomething(@TempDir Path dir)
      throws Exception {
    String text =
        target
            .render(embedded, TargetOptions.defaults())
            .text()
            .replace("173.245.48.0/20,", "173.245.48.0/20 173.245.64.0/20,");
    Path file = dir.resolve("broken.nft");
    Files.writeString(file, text);
    try (Netns ns = Netns.create("cfnchk-")) {
      assertThat(ns.exec("nft", "-c", "-f", file.toString()).ok()).isFalse();
    }
  }

  @Test
  void movingToNftTableDeletesTheOwnTableInTheTransactionThatFillsTheUserTable() throws Exception {
    try (Netns ns = Netns.create("cfnft-")) {
      RecordingCommandRunner runner = recorder(ns);
      Sync.apply(target, embedded, new TargetContext(options, runner), Guards.defaults());
      assertThat(ruleset(ns)).contains("table inet cf_allowlist", "drop");
      ns.execChecked(USER_FILTER, List.of("nft", "-f", "-"));
      String chain = ns.execChecked("nft", "list", "chain", "inet", "filter", "input").stdout();
      TargetContext inFilter =
          new TargetContext(options.withSetting("nft-table", "inet filter"), runner);

      Plan plan = Sync.plan(target, embedded, inFilter);
      assertThat(plan.leftovers()).containsExactly("table inet cf_allowlist");
      assertThat(target.leftovers(new TargetContext(options, runner))).isEmpty();
      runner.clear();

      Sync.apply(target, embedded, inFilter, Guards.defaults());

      assertThat(runner.modifyingCommands())
          .singleElement()
          .satisfies(c -> assertThat(c.argv()).hasSize(3).startsWith("nft", "-f"));
      assertThat(ruleset(ns)).doesNotContain("cf_allowlist", "drop");
      assertThat(ns.execChecked("nft", "list", "set", "inet", "filter", "cloudflare_v4").stdout())
          .contains("173.245.48.0/20");
      assertThat(ns.execChecked("nft", "list", "chain", "inet", "filter", "input").stdout())
          .isEqualTo(chain);
      Plan after = Sync.plan(target, embedded, inFilter);
      assertThat(after.hasChanges()).isFalse();
      assertThat(after.leftovers()).isEmpty();
    }
  }

  @Test
  void refusedMoveToNftTableKeepsTheOwnTableAndItsDropRule() throws Exception {
    try (Netns ns = Netns.create("cfnft-")) {
      RecordingCommandRunner runner = recorder(ns);
      Sync.apply(target, embedded, new TargetContext(options, runner), Guards.defaults());
      // The user's set of our name holds at most 2 elements, so the kernel refuses the fill.
      ns.execChecked(
          "table inet filter {\n\tset cloudflare_v4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
              + "\t\tsize 2\n\t}\n}\n",
          List.of("nft", "-f", "-"));
      String before = ruleset(ns);
      TargetContext inFilter =
          new TargetContext(options.withSetting("nft-table", "inet filter"), runner);

      assertThat(outcomeOf(() -> Sync.apply(target, embedded, inFilter, Guards.defaults())))
          .isEqualTo(Outcome.FAILED_UNCHANGED);

      assertThat(ruleset(ns)).isEqualTo(before).contains("table inet cf_allowlist");
    }
  }

  @Test
  void aShortListMovingToNftTableIsRefusedAndTheOwnTableStays() throws Exception {
    try (Netns ns = Netns.create("cfnft-")) {
      RecordingCommandRunner runner = recorder(ns);
      Sync.apply(target, embedded, new TargetContext(options, runner), Guards.defaults());
      ns.execChecked(USER_FILTER, List.of("nft", "-f", "-"));
      String before = ruleset(ns);
      List<Cidr> shorter = new ArrayList<>(embedded.ranges().all());
      shorter.removeAll(embedded.ranges().ipv4().subList(0, 6));
      TargetContext inFilter =
          new TargetContext(options.withSetting("nft-table", "inet filter"), runner);
      runner.clear();

      TargetResult result =
          Sync.sync(
              target,
              embedded.withRanges(RangeSet.of(shorter)),
              inFilter,
              Guards.defaults(),
              false);

      assertThat(result.outcome()).isEqualTo(Outcome.REFUSED);
      assertThat(result.message())
          .contains("leave out 6 of the 15 IPv4 ranges of the list this version embeds")
          .contains("removes table inet cf_allowlist");
      assertThat(runner.modifyingCommands()).isEmpty();
      assertThat(ruleset(ns)).isEqualTo(before);
    }
  }

  @Test
  void uninstallWithNftTableRemovesTheSetsAndTheLeftoverOwnTable() throws Exception {
    try (Netns ns = Netns.create("cfnft-")) {
      ns.execChecked(USER_FILTER, List.of("nft", "-f", "-"));
      String before = ruleset(ns);
      RecordingCommandRunner runner = recorder(ns);
      TargetContext inFilter =
          new TargetContext(options.withSetting("nft-table", "inet filter"), runner);
      Sync.apply(target, embedded, inFilter, Guards.defaults());
      Sync.apply(target, embedded, new TargetContext(options, runner), Guards.defaults());
      assertThat(ruleset(ns)).contains("table inet cf_allowlist", "set cloudflare_v4");
      runner.clear();

      assertThat(Sync.uninstall(target, inFilter)).isTrue();

      assertThat(runner.modifyingCommands()).hasSize(1);
      assertThat(ruleset(ns)).isEqualTo(before);
    }
  }

  /** How many times {@code runner} listed the own table. */
  private static long listings(RecordingCommandRunner runner) {
    return runner.commands().stream()
        .filter(c -> c.display().startsWith("nft -j list table inet cf_allowlist"))
        .count();
  }

  @Test
  void aChangeListsTheTableOnceToPlanAndOnceToReadBackNotAgainBeforeItsTransaction()
      throws Exception {
    // A frozen clock: a loaded machine's pause between the plan and the transaction changes
    // nothing (a reading's age is aPlanReadLongAgo…'s subject).
    NftablesTarget frozen = new NftablesTarget(() -> 0L);
    try (Netns ns = Netns.create("cfnft-")) {
      RecordingCommandRunner runner = recorder(ns);
      TargetContext context = new TargetContext(options, runner);
      Sync.apply(frozen, embedded, context, Guards.defaults());
      runner.clear();

      TargetResult result = Sync.sync(frozen, changed, context, Guards.defaults(), false);

      assertThat(result.outcome()).as(result.message()).isEqualTo(Outcome.APPLIED);
      assertThat(listings(runner)).isEqualTo(2);
      assertThat(runner.modifyingCommands()).hasSize(1);
      assertThat(
              ns.execChecked("nft", "list", "set", "inet", "cf_allowlist", "cloudflare_v4")
                  .stdout())
          .contains(ADDED_RANGE)
          .doesNotContain(REMOVED_RANGE);
    }
  }

  @Test
  void aPlanReadLongAgoOrThroughAnotherRunnerIsListedAgainBeforeItsTransaction() throws Exception {
    AtomicLong now = new AtomicLong();
    NftablesTarget timed = new NftablesTarget(now::get);
    try (Netns ns = Netns.create("cfnft-")) {
      RecordingCommandRunner runner = recorder(ns);
      TargetContext context = new TargetContext(options, runner);
      Sync.apply(timed, embedded, context, Guards.defaults());
      RecordingCommandRunner other = recorder(ns);
      TargetContext otherContext = new TargetContext(options, other);

      Plan elsewhere = Sync.plan(timed, changed, context);
      timed.apply(elsewhere, otherContext);

      assertThat(listings(other)).as("read through another runner").isEqualTo(1);
      Plan back = Sync.plan(timed, embedded, context);
      now.addAndGet(NftablesTarget.READING_KEPT.toNanos() + 1);
      runner.clear();
      timed.apply(back, context);

      assertThat(listings(runner)).as("read more than a second ago").isEqualTo(1);
      Plan fresh = Sync.plan(timed, changed, context);
      now.addAndGet(NftablesTarget.READING_KEPT.toNanos());
      runner.clear();
      timed.apply(fresh, context);

      assertThat(listings(runner)).as("the plan's own reading, a second old").isZero();
      assertThat(Sync.plan(timed, changed, context).hasChanges()).isFalse();
    }
  }

  @Test
  void aPlanWhoseListingTookLongerThanTheKeptTimeStillStandsForTheStateBeforeItsTransaction()
      throws Exception {
    AtomicLong now = new AtomicLong();
    NftablesTarget timed = new NftablesTarget(now::get);
    try (Netns ns = Netns.create("cfnft-")) {
      RecordingCommandRunner runner = recorder(ns);
      // Each listing takes longer than a reading is kept, as 100,000 ranges do on a busy machine.
      CommandRunner slowListings =
          command -> {
            CommandResult result = runner.run(command);
            if (!command.modifies()) {
              now.addAndGet(NftablesTarget.READING_KEPT.toNanos() + 1);
            }
            return result;
          };
      TargetContext context = new TargetContext(options, slowListings);
      Sync.apply(timed, embedded, context, Guards.defaults());

      Plan plan = Sync.plan(timed, changed, context);
      runner.clear();
      timed.apply(plan, context);

      assertThat(listings(runner)).as("listed again before the transaction").isZero();
      assertThat(runner.modifyingCommands()).hasSize(1);
      assertThat(Sync.plan(timed, changed, context).hasChanges()).isFalse();
    }
  }

  @Test
  void lostReplyAfterNftCommittedIsReadAgainAndFoundApplied() throws Exception {
    try (Netns ns = Netns.create("cfnft-")) {
      RecordingCommandRunner real = recorder(ns);
      CommandRunner commitThenTimeout =
          command -> {
            CommandResult result = real.run(command);
            if (command.modifies()) {
              throw new IOException("'" + command.display() + "' did not finish within 60 s");
            }
            return result;
          };
      TargetContext context = new TargetContext(options, commitThenTimeout);

      TargetResult result = Sync.sync(target, embedded, context, Guards.defaults(), false);

      assertThat(result.outcome()).isEqualTo(Outcome.APPLIED);
      assertThat(result.message()).contains("did not finish");
      assertThat(ruleset(ns)).contains("table inet cf_allowlist");
    }
  }

  @Test
  void lostReplyBeforeNftRanIsReadAgainAndFoundUnchanged() throws Exception {
    try (Netns ns = Netns.create("cfnft-")) {
      RecordingCommandRunner real = recorder(ns);
      Sync.apply(target, embedded, new TargetContext(options, real), Guards.defaults());
      String applied = ruleset(ns);
      CommandRunner killedBeforeCommit =
          command -> {
            if (command.modifies()) {
              throw new IOException("'" + command.display() + "' was killed");
            }
            return real.run(command);
          };
      TargetContext context = new TargetContext(options, killedBeforeCommit);

      ApplyFailedException e =
          catchThrowableOfType(
              ApplyFailedException.class,
              () -> target.apply(Sync.plan(target, changed, context), context));

      assertThat(e.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
      assertThat(Sync.sync(target, changed, context, Guards.defaults(), false).outcome())
          .isEqualTo(Outcome.FAILED_UNCHANGED);
      assertThat(ruleset(ns)).isEqualTo(applied);
    }
  }

  /** The outcome of a failed apply or uninstall. */
  private static Outcome outcomeOf(ThrowingCallable call) {
    ApplyFailedException e = catchThrowableOfType(ApplyFailedException.class, call);
    assertThat(e).as("an ApplyFailedException").isNotNull();
    return e.outcome();
  }

  private static RecordingCommandRunner recorder(Netns ns) {
    return RecordingCommandRunner.wrapping(NetnsCommandRunner.inside(ns.name()));
  }

  private static String ruleset(Netns ns) {
    return ns.execChecked("nft", "list", "ruleset").stdout();
  }

  private static String userTable(Netns ns) {
    return ns.execChecked("nft", "list", "table", "inet", "userfw").stdout();
  }

  /** Probes from every address at once (a refused probe waits for curl's timeout). */
  private static List<Integer> probes(EdgeAndOrigin net, String... from) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(from.length);
    try {
      Map<String, Future<Integer>> results = new LinkedHashMap<>();
      for (String address : from) {
        results.put(address, pool.submit(() -> net.probe(address, PORT)));
      }
      List<Integer> out = new ArrayList<>();
      for (Future<Integer> f : results.values()) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }
}
