package io.github.cfallowlist.adapter.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.testing.EdgeAndOrigin;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import io.github.cfallowlist.testing.RecordingCommandRunner;
import io.github.cfallowlist.testing.SystemTests;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The target against the real iptables, ip6tables and ipset in network namespaces: an origin
 * serving HTTP on {@value #PORT} and an edge with Cloudflare and non-Cloudflare addresses.
 * Parameterised runs cover the plain chain ({@code ipset=false}) and the ipset form. Every rendered
 * file is also fed to the real tools ({@code ipset restore}, {@code iptables-restore --test}).
 */
class IptablesSystemTest {
  private static final int PORT = 8080;
  private static final String REMOVED_RANGE = "103.21.244.0/22";
  private static final String IN_REMOVED_RANGE = "103.21.244.5";
  private static final String ADDED_RANGE = "45.8.104.0/22";
  private static final String IN_ADDED_RANGE = "45.8.104.5";

  private final Target target = new IptablesTarget();
  private final RangeSnapshot first = Fixtures.embedded();

  /** The first list with one IPv4 range removed and one added; 173.245.48.0/20 is in both. */
  private final RangeSnapshot second = first.withRanges(replaced(first.ranges()));

  /** The second list with one IPv6 range replaced as well. */
  private final RangeSnapshot secondBothFamilies =
      second.withRanges(replaced(second.ranges(), "2c0f:f248::/32", "2a10:50c0::/29"));

  private static RangeSet replaced(RangeSet ranges) {
    return replaced(ranges, REMOVED_RANGE, ADDED_RANGE);
  }

  private static RangeSet replaced(RangeSet ranges, String removed, String added) {
    List<Cidr> all = new ArrayList<>(ranges.all());
    assertThat(all.remove(Cidr.parse(removed))).isTrue();
    all.add(Cidr.parse(added));
    return RangeSet.of(all);
  }

  private static void requireTools(boolean ipset) {
    List<String> tools =
        new ArrayList<>(
            List.of(
                "ip",
                "curl",
                "iptables",
                "ip6tables",
                "iptables-save",
                "ip6tables-save",
                "iptables-restore",
                "ip6tables-restore"));
    if (ipset) {
      tools.add("ipset");
    }
    SystemTests.requireTools(tools.toArray(String[]::new));
  }

  private static TargetOptions options(boolean ipset, Mode mode) {
    TargetOptions options = TargetOptions.defaults().withPorts(List.of(PORT)).withMode(mode);
    return ipset ? options.withSetting("ipset", "true") : options;
  }

  private static RecordingCommandRunner runnerIn(Netns ns) {
    return RecordingCommandRunner.wrapping(NetnsCommandRunner.inside(ns.name()));
  }

  /** A chain and rules of the user's own, which the target must leave exactly as they are. */
  private static void addForeignRules(Netns ns) {
    for (String tool : List.of("iptables", "ip6tables")) {
      ns.execChecked(tool, "-N", "USERCHAIN");
      ns.execChecked(tool, "-A", "USERCHAIN", "-p", "tcp", "--dport", "22", "-j", "ACCEPT");
      ns.execChecked(tool, "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "USERCHAIN");
    }
  }

  /** Both families' filter rulesets, without comment lines and counters. */
  private static String saved(Netns ns) {
    StringBuilder out = new StringBuilder();
    for (String tool : List.of("iptables-save", "ip6tables-save")) {
      out.append(
          ns.execChecked(tool, "-t", "filter")
              .stdout()
              .lines()
              .filter(l -> !l.startsWith("#"))
              .map(l -> l.replaceAll("\\[\\d+:\\d+\\]", "[0:0]"))
              .collect(Collectors.joining("\n", "", "\n")));
    }
    return out.toString();
  }

  private static String foreignLines(String saved) {
    return saved.lines().filter(l -> l.contains("USERCHAIN")).collect(Collectors.joining("\n"));
  }

  @ParameterizedTest(name = "ipset={0}")
  @ValueSource(booleans = {false, true})
  void restrictModeAdmitsOnlyCloudflareAndFollowsTheList(boolean ipset) throws Exception {
    requireTools(ipset);
    try (EdgeAndOrigin net = EdgeAndOrigin.create()) {
      net.startHttpServer(PORT);
      Netns origin = net.origin();
      net.addEdgeAddress(IN_REMOVED_RANGE);
      net.addEdgeAddress(IN_ADDED_RANGE);
      addForeignRules(origin);
      String pristine = saved(origin);
      RecordingCommandRunner runner = runnerIn(origin);
      TargetContext context = new TargetContext(options(ipset, Mode.RESTRICT), runner);

      assertThat(net.probe(EdgeAndOrigin.EDGE_OTHER_V4, PORT)).isEqualTo(200);
      assertThat(target.readLive(context)).isEmpty();

      Sync.apply(target, first, context, Guards.defaults());

      assertThat(net.probe(EdgeAndOrigin.EDGE_CF_V4, PORT)).isEqualTo(200);
      assertThat(net.probe(EdgeAndOrigin.EDGE_CF_V6, PORT)).isEqualTo(200);
      assertThat(net.probe(IN_REMOVED_RANGE, PORT)).isEqualTo(200);
      assertThat(net.probe(EdgeAndOrigin.EDGE_OTHER_V4, PORT)).isZero();
      assertThat(net.probe(EdgeAndOrigin.EDGE_OTHER_V6, PORT)).isZero();
      assertThat(net.probe(IN_ADDED_RANGE, PORT)).isZero();
      assertThat(foreignLines(saved(origin))).isEqualTo(foreignLines(pristine));

      Plan changed = Sync.apply(target, second, context, Guards.defaults());

      assertThat(changed.removed(IpFamily.IPV4)).containsExactly(Cidr.parse(REMOVED_RANGE));
      assertThat(net.probe(IN_REMOVED_RANGE, PORT)).isZero();
      assertThat(net.probe(IN_ADDED_RANGE, PORT)).isEqualTo(200);
      assertThat(net.probe(EdgeAndOrigin.EDGE_CF_V4, PORT)).isEqualTo(200);
      String afterChange = saved(origin);
      assertThat(afterChange.lines().filter(l -> l.contains("-j CF-ALLOWLIST"))).hasSize(2);

      runner.clear();
      Plan again = Sync.apply(target, second, context, Guards.defaults());

      assertThat(again.hasChanges()).isFalse();
      assertThat(runner.modifyingCommands()).isEmpty();
      assertThat(saved(origin)).isEqualTo(afterChange);
      assertThat(foreignLines(afterChange)).isEqualTo(foreignLines(pristine));

      assertThat(Sync.uninstall(target, context)).isTrue();

      assertThat(saved(origin)).isEqualTo(pristine);
      if (ipset) {
        assertThat(origin.execChecked("ipset", "list", "-n").stdout()).isBlank();
      }
      assertThat(target.readLive(context)).isEmpty();
      assertThat(net.probe(EdgeAndOrigin.EDGE_OTHER_V4, PORT)).isEqualTo(200);
    }
  }

  @ParameterizedTest(name = "ipset={0}")
  @ValueSource(booleans = {false, true})
  void replacingTheListNeverRefusesARangeInBothLists(boolean ipset) throws Exception {
    requireTools(ipset);
    try (EdgeAndOrigin net = EdgeAndOrigin.create()) {
      net.startHttpServer(PORT);
      TargetContext context =
          new TargetContext(options(ipset, Mode.RESTRICT), runnerIn(net.origin()));
      Sync.apply(target, first, context, Guards.defaults());
      assertThat(net.probe(EdgeAndOrigin.EDGE_CF_V4, PORT)).isEqualTo(200);

      AtomicInteger refused = new AtomicInteger();
      CompletableFuture<Void> probes =
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < 100; i++) {
                  if (net.probe(EdgeAndOrigin.EDGE_CF_V4, PORT) != 200) {
                    refused.incrementAndGet();
                  }
                }
              });
      int applies = 0;
      while (!probes.isDone()) {
        Sync.apply(target, applies % 2 == 0 ? second : first, context, Guards.defaults());
        applies++;
      }
      probes.join();

      assertThat(applies).isGreaterThan(2);
      assertThat(refused).hasValue(0);
    }
  }

  @ParameterizedTest(name = "ipset={0}")
  @ValueSource(booleans = {false, true})
  void failedIpv6StepLeavesThePreviousStateInBothFamilies(boolean ipset) throws Exception {
    requireTools(ipset);
    try (Netns ns = Netns.create("cfipt-")) {
      addForeignRules(ns);
      String pristine = saved(ns);
      RecordingCommandRunner runner = runnerIn(ns);
      TargetContext context = new TargetContext(options(ipset, Mode.RESTRICT), runner);
      Predicate<Command> ip6Restore = c -> c.argv().get(0).equals("ip6tables-restore");

      runner.failing(ip6Restore);
      assertThatThrownBy(() -> Sync.apply(target, first, context, Guards.defaults()))
          .isInstanceOfSatisfying(
              ApplyFailedException.class,
              e -> assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED))
          .hasMessageContaining("ip6tables-restore");

      assertThat(saved(ns)).isEqualTo(pristine);
      assertThat(target.readLive(context)).isEmpty();
      if (ipset) {
        assertThat(ns.execChecked("ipset", "list", "-n").stdout()).isBlank();
      }

      runner.failing(c -> false);
      Sync.apply(target, first, context, Guards.defaults());
      String installed = saved(ns);
      var liveBefore = target.readLive(context);
      // With ipsets a change of ranges only refills the sets, so the IPv6 set is the step to fail.
      runner.failing(
          ipset
              ? c ->
                  c.argv().equals(List.of("ipset", "restore"))
                      && c.stdin().orElse("").contains("cf-allowlist-v6")
              : ip6Restore);
      runner.clear();

      assertThatThrownBy(() -> Sync.apply(target, secondBothFamilies, context, Guards.defaults()))
          .isInstanceOfSatisfying(
              ApplyFailedException.class,
              e -> assertThat(e.outcome()).isEqualTo(Outcome.FAILED_RESTORED))
          .hasMessageContaining(ipset ? "ipset restore" : "ip6tables-restore");

      assertThat(runner.modifyingCommands())
          .extracting(c -> c.argv().get(0))
          .contains(ipset ? "ipset" : "iptables-restore");
      assertThat(saved(ns)).isEqualTo(installed);
      assertThat(target.readLive(context)).isEqualTo(liveBefore);
    }
  }

  @Test
  void allowModeRefusesNoOneAndEndsTheChainInReturn() throws Exception {
    requireTools(false);
    try (EdgeAndOrigin net = EdgeAndOrigin.create()) {
      net.startHttpServer(PORT);
      TargetContext context = new TargetContext(options(false, Mode.ALLOW), runnerIn(net.origin()));

      Sync.apply(target, first, context, Guards.defaults());

      assertThat(net.probe(EdgeAndOrigin.EDGE_OTHER_V4, PORT)).isEqualTo(200);
      assertThat(net.probe(EdgeAndOrigin.EDGE_OTHER_V6, PORT)).isEqualTo(200);
      assertThat(net.probe(EdgeAndOrigin.EDGE_CF_V4, PORT)).isEqualTo(200);
      for (String tool : List.of("iptables-save", "ip6tables-save")) {
        List<String> chain =
            net.origin()
                .execChecked(tool, "-t", "filter")
                .stdout()
                .lines()
                .filter(l -> l.startsWith("-A CF-ALLOWLIST "))
                .toList();
        assertThat(chain).last().isEqualTo("-A CF-ALLOWLIST -j RETURN");
      }
    }
  }

  @Test
  void aDryRunUnderAParentChainThatDoesNotExistFailsAsTheApplyWould() throws Exception {
    requireTools(false);
    try (Netns ns = Netns.create("cfipt-")) {
      RecordingCommandRunner runner = runnerIn(ns);
      TargetContext context =
          new TargetContext(
              options(false, Mode.RESTRICT).withSetting("chain", "DOCKER-USER"), runner);
      String missing =
          "chain DOCKER-USER named by --chain does not exist in the IPv4 filter table; Docker"
              + " creates it when it starts; nothing was changed";

      TargetResult dryRun = Sync.sync(target, first, context, Guards.defaults(), true);
      TargetResult applied = Sync.sync(target, first, context, Guards.defaults(), false);

      assertThat(dryRun.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
      assertThat(dryRun.message()).isEqualTo(missing);
      assertThat(applied.outcome()).isEqualTo(Outcome.FAILED_UNCHANGED);
      assertThat(runner.modifyingCommands()).isEmpty();
      ns.execChecked("iptables", "-N", "DOCKER-USER");
      ns.execChecked("ip6tables", "-N", "DOCKER-USER");
      assertThat(Sync.sync(target, first, context, Guards.defaults(), true).outcome())
          .isEqualTo(Outcome.WOULD_CHANGE);
      assertThat(Sync.sync(target, first, context, Guards.defaults(), false).outcome())
          .isEqualTo(Outcome.APPLIED);
    }
  }

  @Test
  void changingModePortsAndIpsetIsAppliedAndReadBack() throws Exception {
    requireTools(true);
    try (Netns ns = Netns.create("cfipt-")) {
      RecordingCommandRunner runner = runnerIn(ns);
      List<TargetOptions> steps =
          List.of(
              options(false, Mode.RESTRICT),
              options(true, Mode.ALLOW),
              options(true, Mode.ALLOW).withPorts(List.of(80, 443)),
              options(false, Mode.RESTRICT));
      for (TargetOptions options : steps) {
        TargetContext context = new TargetContext(options, runner);

        assertThat(Sync.apply(target, first, context, Guards.defaults()).hasChanges()).isTrue();

        assertThat(target.readLive(context).orElseThrow())
            .isEqualTo(target.render(RangeSnapshot.live(first.ranges(), "iptables"), options));
        assertThat(
                ns.execChecked("iptables-save", "-t", "filter")
                    .stdout()
                    .lines()
                    .filter(l -> l.contains("-j CF-ALLOWLIST")))
            .hasSize(1);
      }
      // Back to the plain chain: the sets, no longer referenced, are gone.
      assertThat(ns.execChecked("ipset", "list", "-n").stdout()).isBlank();
    }
  }

  @Test
  void twoHundredThousandRangesReplaceASetOfTheDefaultSizeAndStayInSync() throws Exception {
    requireTools(true);
    List<Cidr> many = new ArrayList<>();
    for (int i = 0; i < 200_000; i++) {
      many.add(Cidr.parse((11 + i / 65536) + "." + (i / 256 % 256) + "." + (i % 256) + ".0/24"));
    }
    RangeSnapshot small =
        first.withRanges(first.ranges().restrictTo(io.github.cfallowlist.Families.IPV4));
    int kept = small.ranges().size();
    many.addAll(small.ranges().all());
    RangeSnapshot large = first.withRanges(RangeSet.of(many));
    TargetOptions options =
        options(true, Mode.RESTRICT).withFamilies(io.github.cfallowlist.Families.IPV4);
    try (Netns ns = Netns.create("cfipt-")) {
      RecordingCommandRunner runner = runnerIn(ns);
      TargetContext context = new TargetContext(options, runner);
      Sync.apply(target, small, context, Guards.defaults());
      // The set as an earlier run created it: ipset's default maxelem, 65536, too small for the
      // list.
      assertThat(ns.execChecked("ipset", "list", "-t", "cf-allowlist-v4").stdout())
          .contains("maxelem 65536");

      Plan installed = Sync.apply(target, large, context, Guards.defaults());

      assertThat(installed.added(IpFamily.IPV4)).hasSize(200_000);
      assertThat(ns.execChecked("ipset", "list", "-t", "cf-allowlist-v4").stdout())
          .contains("maxelem 262144")
          .contains("Number of entries: " + (200_000 + kept));
      assertThat(ns.execChecked("ipset", "list", "-n").stdout().strip())
          .isEqualTo("cf-allowlist-v4");

      runner.clear();
      Plan again = Sync.apply(target, large, context, Guards.defaults());

      assertThat(again.hasChanges()).isFalse();
      assertThat(runner.modifyingCommands()).isEmpty();
    }
  }

  // ---- drift and leftovers
  // ---- drift and leftovers

  private static final String JUMP_8080 =
      "! -i lo -p tcp -m multiport --dports 8080 -m comment --comment cf-allowlist -j CF-ALLOWLIST";

  @Test
  void foreignAcceptInOurChainShowsAsAChangeAndApplyRepairsIt() throws Exception {
    requireTools(false);
    try (EdgeAndOrigin net = EdgeAndOrigin.create()) {
      net.startHttpServer(PORT);
      Netns origin = net.origin();
      RecordingCommandRunner runner = runnerIn(origin);
      TargetContext context = new TargetContext(options(false, Mode.RESTRICT), runner);
      Sync.apply(target, first, context, Guards.defaults());
      String installed = saved(origin);
      assertThat(net.probe(EdgeAndOrigin.EDGE_OTHER_V4, PORT)).isZero();

      origin.execChecked("iptables", "-I", "CF-ALLOWLIST", "1", "-j", "ACCEPT");
      origin.execChecked(
          "iptables",
          "-I",
          "INPUT",
          "1",
          "!",
          "-i",
          "lo",
          "-p",
          "tcp",
          "-m",
          "multiport",
          "--dports",
          String.valueOf(PORT),
          "-m",
          "comment",
          "--comment",
          "cf-allowlist",
          "-j",
          "CF-ALLOWLIST");
      assertThat(net.probe(EdgeAndOrigin.EDGE_OTHER_V4, PORT)).isEqualTo(200);

      Plan drifted = Sync.plan(target, first, context);

      assertThat(drifted.hasChanges()).isTrue();
      assertThat(drifted.added(IpFamily.IPV4)).isEmpty();
      assertThat(drifted.diff())
          .contains("-" + IptablesConfig.DRIFT + "-A CF-ALLOWLIST -j ACCEPT")
          .contains("--I INPUT " + JUMP_8080);

      runner.clear();
      Sync.apply(target, first, context, Guards.defaults());

      assertThat(runner.modifyingCommands())
          .extracting(c -> c.argv().get(0))
          .containsExactly("iptables-restore");
      assertThat(Sync.plan(target, first, context).hasChanges()).isFalse();
      assertThat(saved(origin)).isEqualTo(installed).doesNotContain("-A CF-ALLOWLIST -j ACCEPT");
      assertThat(net.probe(EdgeAndOrigin.EDGE_OTHER_V4, PORT)).isZero();
      assertThat(net.probe(EdgeAndOrigin.EDGE_CF_V4, PORT)).isEqualTo(200);
    }
  }

  @Test
  void aShortListArrivingWithTheMoveOffIpsetIsRefusedAndTheSetsStay() throws Exception {
    requireTools(true);
    try (Netns ns = Netns.create("cfipt-")) {
      RecordingCommandRunner runner = runnerIn(ns);
      Sync.apply(
          target,
          first,
          new TargetContext(options(true, Mode.RESTRICT), runner),
          Guards.defaults());
      String before = saved(ns) + ns.execChecked("ipset", "save").stdout();
      List<Cidr> shorter = new ArrayList<>(first.ranges().all());
      shorter.removeAll(first.ranges().ipv4().subList(0, 6));
      TargetContext withoutIpset = new TargetContext(options(false, Mode.RESTRICT), runner);
      runner.clear();

      TargetResult result =
          Sync.sync(
              target,
              first.withRanges(RangeSet.of(shorter)),
              withoutIpset,
              Guards.defaults(),
              false);

      assertThat(result.outcome()).isEqualTo(Outcome.REFUSED);
      assertThat(result.message())
          .contains("leave out 6 of the 15 IPv4 ranges of the list this version embeds")
          .contains("the change removes ipset cf-allowlist-v4, ipset cf-allowlist-v6");
      assertThat(runner.modifyingCommands()).isEmpty();
      assertThat(saved(ns) + ns.execChecked("ipset", "save").stdout()).isEqualTo(before);
    }
  }

  @Test
  void leftoversOfAnEarlierIpsetAndParentChainAreRemovedByApplyAndByUninstall() throws Exception {
    requireTools(true);
    try (Netns ns = Netns.create("cfipt-")) {
      for (String tool : List.of("iptables", "ip6tables")) {
        ns.execChecked(tool, "-N", "DOCKER-USER");
      }
      addForeignRules(ns);
      String pristine = saved(ns);
      RecordingCommandRunner runner = runnerIn(ns);
      Sync.apply(
          target,
          first,
          new TargetContext(options(true, Mode.RESTRICT), runner),
          Guards.defaults());
      ns.execChecked("ipset", "create", "cf-allowlist-v4-tmp", "hash:net");
      TargetContext moved =
          new TargetContext(
              options(false, Mode.RESTRICT).withSetting("chain", "DOCKER-USER"), runner);

      assertThat(target.leftovers(moved))
          .containsExactly(
              "jump from INPUT to CF-ALLOWLIST (IPv4)",
              "jump from INPUT to CF-ALLOWLIST (IPv6)",
              "ipset cf-allowlist-v4",
              "ipset cf-allowlist-v6",
              "ipset cf-allowlist-v4-tmp");
      Plan plan = Sync.plan(target, first, moved);
      assertThat(plan.leftovers()).hasSize(5);
      assertThat(plan.hasChanges()).isTrue();

      runner.clear();
      Sync.apply(target, first, moved, Guards.defaults());

      assertThat(runner.modifyingCommands())
          .extracting(c -> String.join(" ", c.argv()))
          .containsExactly(
              "iptables-restore --noflush",
              "ip6tables-restore --noflush",
              "ipset destroy cf-allowlist-v4",
              "ipset destroy cf-allowlist-v6",
              "ipset destroy cf-allowlist-v4-tmp");
      assertThat(target.leftovers(moved)).isEmpty();
      assertThat(Sync.plan(target, first, moved).hasChanges()).isFalse();
      assertThat(ns.execChecked("ipset", "list", "-n").stdout()).isBlank();
      String now = saved(ns);
      assertThat(now.lines().filter(l -> l.startsWith("-A INPUT ") && l.contains("CF-ALLOWLIST")))
          .isEmpty();
      assertThat(now.lines().filter(l -> l.startsWith("-A DOCKER-USER ")))
          .hasSize(2)
          .allMatch(l -> l.contains("--ctorigdstport 8080"));

      // Leftovers again, seen from yet other settings: uninstall removes them all the same.
      ns.execChecked("ipset", "create", "cf-allowlist-v6", "hash:net", "family", "inet6");
      TargetContext back = new TargetContext(options(false, Mode.RESTRICT), runner);
      assertThat(target.leftovers(back))
          .containsExactly(
              "jump from DOCKER-USER to CF-ALLOWLIST (IPv4)",
              "jump from DOCKER-USER to CF-ALLOWLIST (IPv6)",
              "ipset cf-allowlist-v6");

      assertThat(Sync.uninstall(target, back)).isTrue();

      assertThat(saved(ns)).isEqualTo(pristine);
      assertThat(ns.execChecked("ipset", "list", "-n").stdout()).isBlank();
      assertThat(target.leftovers(back)).isEmpty();
      assertThat(target.readLive(back)).isEmpty();
    }
  }

  // ---- every rendered file against the real tools

  static Stream<Arguments> variants() {
    return Fixtures.variants().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void realToolsAcceptEveryRenderedFile(String variant, TargetOptions options) {
    SystemTests.requireTools(
        "ip", "ipset", "iptables-restore", "ip6tables-restore", "iptables", "ip6tables");
    Rendered rendered = new IptablesTarget().render(Fixtures.embedded(), options);

    try (Netns ns = Netns.create("cfipv-")) {
      if (IptablesSettings.of(options).parentChain().equals(Rules.DOCKER_USER)) {
        ns.execChecked("iptables", "-N", "DOCKER-USER");
        ns.execChecked("ip6tables", "-N", "DOCKER-USER");
      }
      // The rules match the sets by name, so the sets must exist first, as in apply.
      rendered
          .file(IptablesConfig.IPSET)
          .ifPresent(f -> ns.execChecked(f.content(), List.of("ipset", "restore")));
      rendered
          .file(IptablesConfig.RULES_V4)
          .ifPresent(
              f -> ns.execChecked(f.content(), List.of("iptables-restore", "--test", "--noflush")));
      rendered
          .file(IptablesConfig.RULES_V6)
          .ifPresent(
              f ->
                  ns.execChecked(f.content(), List.of("ip6tables-restore", "--test", "--noflush")));

      if (rendered.file(IptablesConfig.IPSET).isPresent()) {
        String sets = ns.execChecked("ipset", "list", "-n").stdout();
        assertThat(sets.lines()).containsExactlyInAnyOrder("cf-allowlist-v4", "cf-allowlist-v6");
      }
    }
  }

  @Test
  void theTestModeDoesRefuseABrokenFile() {
    SystemTests.requireTools("ip", "iptables-restore");
    String broken =
        new IptablesTarget()
            .render(Fixtures.embedded(), TargetOptions.defaults())
            .file(IptablesConfig.RULES_V4)
            .orElseThrow()
            .content()
            .replace("-p tcp -j REJECT", "-p tcpx -j REJECT");

    try (Netns ns = Netns.create("cfipv-")) {
      assertThat(ns.exec(broken, List.of("iptables-restore", "--test", "--noflush")).ok())
          .isFalse();
    }
  }
}
