package io.github.cfallowlist.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How a certificate's name covers a host. */
class HostnameMatchTest {
  @Test
  void anExactNameMatchesWhateverTheCaseAndATrailingDot() {
    assertThat(HostnameMatch.matches("Example.ORG", "example.org.")).isTrue();
    assertThat(HostnameMatch.matches("example.org", "www.example.org")).isFalse();
  }

  @Test
  void aWildcardCoversExactlyOneLabel() {
    assertThat(HostnameMatch.matches("*.example.org", "www.example.org")).isTrue();
    assertThat(HostnameMatch.matches("*.example.org", "example.org")).isFalse();
    assertThat(HostnameMatch.matches("*.example.org", "a.b.example.org")).isFalse();
  }

  @Test
  void aWildcardOverATopLevelSuffixOrInsideALabelMatchesNothing() {
    assertThat(HostnameMatch.matches("*.org", "example.org")).isFalse();
    assertThat(HostnameMatch.matches("w*.example.org", "www.example.org")).isFalse();
    assertThat(HostnameMatch.matches("", "example.org")).isFalse();
  }
}
