package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HeaderTest {
  @Test
  void aSourceNameWithANewlineCannotEndTheCommentAndInjectARule() {
    RangeSnapshot snapshot =
        new RangeSnapshot(
            RangeSet.empty(), "file /tmp/x\nflush ruleset\n", Optional.of("e\ntag"), Instant.EPOCH);
    String header = Header.commented(snapshot, "# ");
    assertThat(header.lines())
        .hasSize(Header.lines(snapshot).size())
        .allMatch(l -> l.startsWith("# "));
    assertThat(header).doesNotContain("\nflush ruleset").contains("\\x0aflush ruleset");
  }
}
