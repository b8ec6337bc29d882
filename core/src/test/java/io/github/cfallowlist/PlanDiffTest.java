package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.testing.PatchTool;
import io.github.cfallowlist.testing.TestSnapshots;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A plan's diff compares what follows each file's header: header lines never show, a file whose
 * body is unchanged shows nothing, and {@code patch} applies the diff for a changed, a new and a
 * deleted file.
 */
class PlanDiffTest {
  /** One file per family present, each with the header and one line per range. */
  static final class TwoFileTarget implements Target {
    @Override
    public String name() {
      return "two-file";
    }

    @Override
    public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
      List<Rendered.File> files = new ArrayList<>();
      for (IpFamily family : IpFamily.values()) {
        List<Cidr> ranges = snapshot.ranges().get(family);
        if (!ranges.isEmpty()) {
          files.add(
              new Rendered.File(
                  family == IpFamily.IPV4 ? "v4.conf" : "v6.conf",
                  Header.commented(snapshot, "# ")
                      + ranges.stream()
                          .map(c -> "allow " + c + ";\n")
                          .collect(Collectors.joining())));
        }
      }
      return new Rendered(files);
    }

    @Override
    public RangeSet parse(Rendered config, TargetOptions options) {
      return RangeSet.of(
          config
              .text()
              .lines()
              .filter(l -> l.startsWith("allow "))
              .map(l -> Cidr.parse(l.substring(6, l.length() - 1)))
              .toList());
    }
  }

  private final Target target = new TwoFileTarget();
  private final TargetOptions options = TargetOptions.defaults();
  private final RangeSnapshot embedded = TestSnapshots.embedded();

  private RangeSnapshot without(String... cidrs) {
    List<Cidr> all = new ArrayList<>(embedded.ranges().all());
    for (String c : cidrs) {
      all.remove(Cidr.parse(c));
    }
    return embedded.withRanges(RangeSet.of(all));
  }

  /** What {@code readLive} returns: the live ranges rendered with the live provenance. */
  private Rendered live(RangeSet ranges) {
    return target.render(RangeSnapshot.live(ranges, "two-file"), options);
  }

  private static Map<String, String> bodies(Optional<Rendered> config) {
    Map<String, String> out = new LinkedHashMap<>();
    config.ifPresent(c -> c.files().forEach(f -> out.put(f.name(), f.body())));
    return out;
  }

  @Test
  void aDiffAgainstTheLiveStateShowsNoHeaderLinesAndSkipsAFileWhoseBodyIsUnchanged() {
    Rendered current = live(without("104.24.0.0/14").ranges());

    Plan plan = Plan.fromLive(target, embedded, options, Optional.of(current), List.of());

    assertThat(plan.diff().lines().filter(l -> !l.startsWith(" ")))
        .containsExactly(
            "--- current/v4.conf",
            "+++ desired/v4.conf",
            "@@ -2,6 +2,7 @@",
            "+allow 104.24.0.0/14;");
    assertThat(plan.diff()).doesNotContain("#", "live", "v6.conf");
  }

  @Test
  void aDiffAgainstAFileWithAnOlderHeaderShowsOnlyTheChangedRanges() {
    String old =
        "# cf-allowlist 0.1.0: Cloudflare IP ranges\n"
            + "# source: file /home/me/ranges.txt\n"
            + "# etag: none\n"
            + "# fetched: 2021-03-01T10:00:00Z\n"
            + "# managed by cf-allowlist, do not edit: changes are overwritten on the next run\n";
    Rendered rendered = target.render(without("2c0f:f248::/32"), options);
    Rendered current =
        new Rendered(
            rendered.files().stream()
                .map(f -> new Rendered.File(f.name(), old + f.body()))
                .toList());

    Plan plan = Plan.compute(target, embedded, options, Optional.of(current));

    assertThat(plan.diff())
        .startsWith("--- current/v6.conf\n")
        .contains("+allow 2c0f:f248::/32;\n");
    assertThat(plan.diff().lines().filter(l -> l.startsWith("-") || l.startsWith("+")))
        .containsExactly("--- current/v6.conf", "+++ desired/v6.conf", "+allow 2c0f:f248::/32;");
  }

  @Test
  void patchAppliesTheDiffOfAChangedAndANewFile() throws Exception {
    RangeSet v4Only = without("103.21.244.0/22").ranges().restrictTo(Families.IPV4);
    Optional<Rendered> current = Optional.of(live(v4Only));

    Plan plan = Plan.fromLive(target, embedded, options, current, List.of());

    assertThat(plan.diff()).contains("@@ -0,0 +1,7 @@\n");
    assertThat(PatchTool.apply(bodies(current), plan.diff()))
        .isEqualTo(bodies(Optional.of(plan.desiredConfig())));
  }

  @Test
  void patchAppliesTheDiffOfDeletedFiles() throws Exception {
    Optional<Rendered> current = Optional.of(live(embedded.ranges()));

    Plan plan = Plan.removal(target, options, current, List.of());

    assertThat(plan.diff()).contains("@@ -1,15 +0,0 @@\n", "@@ -1,7 +0,0 @@\n");
    assertThat(PatchTool.apply(bodies(current), plan.diff()))
        .isEqualTo(Map.of("v4.conf", "", "v6.conf", ""));
  }

  @Test
  void aSummaryOfAPlanThatKeepsEveryRangeCountsTheRangesKeptAndSaysWhatElseChanges() {
    Rendered same = live(embedded.ranges());
    Rendered edited =
        new Rendered(
            same.files().stream()
                .map(f -> new Rendered.File(f.name(), f.body() + "# a hand edit\n"))
                .toList());

    Plan configuration = Plan.fromLive(target, embedded, options, Optional.of(edited), List.of());
    Plan leftover =
        Plan.fromLive(target, embedded, options, Optional.of(same), List.of("file old.conf"));

    assertThat(configuration.summary()).isEqualTo("+0 -0 ranges (22 kept), new configuration");
    assertThat(leftover.summary())
        .isEqualTo("+0 -0 ranges (22 kept); removes leftover file old.conf");
  }
}
