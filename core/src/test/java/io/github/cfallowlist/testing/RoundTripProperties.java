package io.github.cfallowlist.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.RangeArbitraries.Mutation;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * The render → parse properties every target must have, over generated lists that pass {@link
 * Guards#defaults()}: parsing gives back exactly the ranges rendered, for every option variant the
 * target's test provides ({@code options()}); and a rendering with lines dropped, duplicated,
 * swapped, cut or garbled is either read or refused with {@link ConfigParseException}, never
 * anything else. A target's test extends this and provides its target and options.
 */
public abstract class RoundTripProperties {
  /** The target under test. */
  protected abstract Target target();

  /**
   * The option variants to render with; a subclass annotates its override with {@code @Provide}.
   */
  protected abstract Arbitrary<TargetOptions> options();

  @Property(tries = 200)
  void parseGivesBackExactlyTheRenderedRanges(
      @ForAll("snapshots") RangeSnapshot snapshot, @ForAll("options") TargetOptions options) {
    Rendered rendered = target().render(snapshot, options);

    assertThat(target().render(snapshot, options)).isEqualTo(rendered);
    assertThat(target().parse(rendered, options))
        .isEqualTo(snapshot.ranges().restrictTo(options.families()));
  }

  @Property(tries = 200)
  void aMutatedRenderingIsReadOrRefusedWithConfigParseException(
      @ForAll("snapshots") RangeSnapshot snapshot,
      @ForAll("options") TargetOptions options,
      @ForAll("mutations") List<Mutation> mutations,
      @ForAll int fileChoice) {
    // Most edits must be refused, or the generator is not reaching the parser's checks.
    Statistics.coverage(c -> c.check("refused").percentage(p -> p >= 25));
    Rendered rendered = target().render(snapshot, options);
    Rendered mutated = Mutation.applyAll(rendered, fileChoice, mutations);

    try {
      target().parse(mutated, options);
      Statistics.collect("read");
    } catch (ConfigParseException refused) {
      assertThat(refused.getMessage()).isNotBlank();
      Statistics.collect("refused");
    } catch (RuntimeException | Error e) {
      throw new AssertionError("parse threw " + e + " on:\n" + mutated.text(), e);
    }
  }

  @Provide
  Arbitrary<RangeSnapshot> snapshots() {
    return RangeArbitraries.validSnapshots();
  }

  @Provide
  Arbitrary<List<Mutation>> mutations() {
    return RangeArbitraries.mutations();
  }
}
