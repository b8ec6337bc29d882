package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.testing.RecordingCommandRunner;
import io.github.cfallowlist.testing.TestSnapshots;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SyncTest {
  /**
   * A target that keeps its "live" configuration in memory: one line per range. It can be told to
   * drop a range while applying (a kernel that silently loses an element) or to fail outright.
   */
  static final class FakeTarget implements Target {
    Optional<Rendered> live = Optional.empty();
    Optional<String> loseOnApply = Optional.empty();
    boolean failApply;
    final List<String> calls = new ArrayList<>();

    @Override
    public String name() {
      return "fake";
    }

    @Override
    public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
      String body =
          snapshot.ranges().all().stream().map(c -> c + "\n").collect(Collectors.joining());
      return Rendered.single("fake.conf", Header.commented(snapshot, "# ") + body);
    }

    @Override
    public RangeSet parse(Rendered config, TargetOptions options) {
      return RangeSet.of(
          config.text().lines().filter(l -> !l.startsWith("#")).map(Cidr::parse).toList());
    }

    @Override
    public boolean supportsLive() {
      return true;
    }

    @Override
    public Optional<Rendered> readLive(TargetContext context) {
      calls.add("read");
      return live;
    }

    @Override
    public void apply(Plan plan, TargetContext context) throws IOException {
      calls.add("apply");
      if (failApply) {
        throw new IOException("fake refused the change");
      }
      String text = plan.desiredConfig().text();
      if (loseOnApply.isPresent()) {
        text = text.replace(loseOnApply.get() + "\n", "");
        loseOnApply = Optional.empty();
      }
      live = Optional.of(Rendered.single("fake.conf", text));
    }

    @Override
    public void uninstall(TargetContext context) {
      calls.add("uninstall");
      live = Optional.empty();
    }
  }

  private final FakeTarget target = new FakeTarget();
  private final RangeSnapshot embedded = TestSnapshots.embedded();
  private final TargetContext context =
      new TargetContext(
          TargetOptions.defaults(), RecordingCommandRunner.wrapping(CommandRunner.system()));

  @Test
  void applyInstallsThenASecondRunOnlyReads() throws Exception {
    Plan first = Sync.apply(target, embedded, context, Guards.defaults());
    assertThat(first.isInstall()).isTrue();
    assertThat(target.calls).containsExactly("read", "apply", "read");

    target.calls.clear();
    Plan second = Sync.apply(target, embedded, context, Guards.defaults());
    assertThat(second.hasChanges()).isFalse();
    assertThat(target.calls).containsExactly("read");
  }

  @Test
  void readBackThatDiffersFromThePlanPutsThePreviousStateBack() throws Exception {
    Sync.apply(target, embedded, context, Guards.defaults());
    Rendered before = target.live.orElseThrow();
    RangeSnapshot changed =
        embedded.withRanges(
            RangeSet.of(
                embedded.ranges().all().stream()
                    .filter(c -> !c.toString().equals("198.41.128.0/17"))
                    .toList()));
    target.loseOnApply = Optional.of("173.245.48.0/20");

    assertThatThrownBy(() -> Sync.apply(target, changed, context, Guards.defaults()))
        .isInstanceOf(ApplyFailedException.class)
        .hasMessageContaining("did not match the plan")
        .hasMessageContaining("the previous state was put back");
    assertThat(target.live.orElseThrow().text()).isEqualTo(before.text());
  }

  @Test
  void readBackMismatchOnAnInstallUninstallsAgain() {
    target.loseOnApply = Optional.of("173.245.48.0/20");
    assertThatThrownBy(() -> Sync.apply(target, embedded, context, Guards.defaults()))
        .isInstanceOf(ApplyFailedException.class);
    assertThat(target.live).isEmpty();
    assertThat(target.calls).endsWith("uninstall");
  }

  @Test
  void failedApplyIsReportedWithTheTargetsMessage() throws Exception {
    Sync.apply(target, embedded, context, Guards.defaults());
    Rendered before = target.live.orElseThrow();
    target.failApply = true;
    RangeSnapshot changed = embedded.withRanges(RangeSet.of(embedded.ranges().ipv4()));
    Guards allowDroppingV6 = Guards.defaults().withShrink(0.25, true);

    assertThatThrownBy(() -> Sync.apply(target, changed, context, allowDroppingV6))
        .isInstanceOf(ApplyFailedException.class)
        .hasMessageContaining("fake refused the change")
        .hasMessageContaining("left in place");
    assertThat(target.live).contains(before);
  }

  @Test
  void shrinkGuardRefusesBeforeAnythingIsApplied() throws Exception {
    Sync.apply(target, embedded, context, Guards.defaults());
    target.calls.clear();
    RangeSnapshot halved =
        embedded.withRanges(
            new RangeSet(embedded.ranges().ipv4().subList(0, 7), embedded.ranges().ipv6()));

    assertThatThrownBy(() -> Sync.apply(target, halved, context, Guards.defaults()))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessageContaining("--allow-shrink");
    assertThat(target.calls).containsExactly("read");
  }

  @Test
  void uninstallReportsWhetherAnythingWasThere() throws Exception {
    assertThat(Sync.uninstall(target, context)).isFalse();
    Sync.apply(target, embedded, context, Guards.defaults());
    assertThat(Sync.uninstall(target, context)).isTrue();
    assertThat(target.live).isEmpty();
  }

  @Test
  void targetWithoutLiveSupportSaysSoInOneSentence() {
    Target renderOnly =
        new Target() {
          @Override
          public String name() {
            return "render-only";
          }

          @Override
          public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
            return target.render(snapshot, options);
          }

          @Override
          public RangeSet parse(Rendered config, TargetOptions options) {
            return target.parse(config, options);
          }
        };
    assertThatThrownBy(() -> Sync.plan(renderOnly, embedded, context))
        .isInstanceOf(CfAllowlistException.class)
        .hasMessage("target render-only cannot read the live system yet; use --current FILE");
  }
}
