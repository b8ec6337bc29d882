package io.github.cfallowlist.adapter.nginx;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.RangeArbitraries;
import io.github.cfallowlist.testing.RangeArbitraries.Mutation;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Properties of the rendered real-IP and allow files over generated lists that pass {@link
 * Guards#defaults()}: parsing gives back exactly the ranges rendered, with and without the allow
 * file, for every family selection; and a rendering with lines dropped, duplicated, swapped, cut or
 * garbled is either read or refused with {@link ConfigParseException}, never anything else.
 */
class NginxRoundTripPropertyTest {
  private final NginxTarget target = new NginxTarget();

  @Property(tries = 200)
  void parseGivesBackExactlyTheRenderedRanges(
      @ForAll("snapshots") RangeSnapshot snapshot, @ForAll("options") TargetOptions options) {
    Rendered rendered = target.render(snapshot, options);

    assertThat(target.render(snapshot, options)).isEqualTo(rendered);
    assertThat(target.parse(rendered, options))
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
    Rendered rendered = target.render(snapshot, options);
    Rendered mutated = Mutation.applyAll(rendered, fileChoice, mutations);

    try {
      target.parse(mutated, options);
      Statistics.collect("read");
    } catch (ConfigParseException refused) {
      assertThat(refused.getMessage()).isNotBlank();
      Statistics.collect("refused");
    } catch (RuntimeException | Error e) {
      throw new AssertionError("parse threw " + e + " on:\n" + mutated.text(), e);
    }
  }

  @Provide
  Arbitrary<TargetOptions> options() {
    List<TargetOptions> all = new ArrayList<>();
    for (Families families : Families.values()) {
      all.add(TestSupport.options(families));
      all.add(TestSupport.withAllow(families));
    }
    return Arbitraries.of(all);
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
