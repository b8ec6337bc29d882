package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {
  @Test
  void canonicalTextIsLowerCaseAndCompressed() {
    assertThat(Cidr.parse("2400:CB00:0:0::/32")).hasToString("2400:cb00::/32");
    assertThat(Cidr.parse("173.245.48.0/20")).hasToString("173.245.48.0/20");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        " ",
        "173.245.48.0",
        "173.245.48.0/33",
        "173.245.48.0/020",
        "1.2.3/24",
        "173.245.48.0-173.245.48.9/20",
        "173.245.48.*/24",
        "fe80::1%eth0/64",
        "0x1.2.3.4/32",
        "173.245.48.0/20;drop",
        "173.245.48.0/20\nx",
        "::ffff:1.2.3.0/120"
      })
  void looseOrHostileTextIsRefused(String text) {
    assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void hostBitsAreRefusedOrZeroedByChoice() {
    assertThatThrownBy(() -> Cidr.parse("173.245.48.1/20"))
        .hasMessageContaining("host bits set (the network is 173.245.48.0/20)");
    assertThat(Cidr.parseZeroingHostBits("173.245.48.1/20")).hasToString("173.245.48.0/20");
  }

  @Test
  void rangeSetDropsPrefixesCoveredByABroaderOne() {
    RangeSet set = RangeSet.parse("104.16.0.0/13", "104.16.0.0/14", "104.20.0.0/16", "1.1.1.0/24");
    assertThat(set.ipv4())
        .extracting(Cidr::toString)
        .containsExactly("1.1.1.0/24", "104.16.0.0/13");
  }

  @Test
  void findReturnsTheMatchingRange() {
    RangeSet set = RangeSet.parse("173.245.48.0/20", "2400:cb00::/32");
    assertThat(set.find(Cidr.host("173.245.49.1").orElseThrow()))
        .map(Cidr::toString)
        .contains("173.245.48.0/20");
    assertThat(set.find(Cidr.host("2400:cb00::1").orElseThrow())).isPresent();
    assertThat(set.find(Cidr.host("8.8.8.8").orElseThrow())).isEmpty();
    assertThat(Cidr.host("8.8.8.8/32")).isEmpty();
    assertThat(Cidr.host("")).isEmpty();
  }

  @Test
  void spanCoversAnIntervalWithTheFewestPrefixesAndRefusesMixedFamilies() {
    assertThat(Cidr.span("104.16.0.0", "104.27.255.255"))
        .extracting(Cidr::toString)
        .containsExactly("104.16.0.0/13", "104.24.0.0/14");
    assertThat(Cidr.span("104.16.0.0", "2400:cb00::")).isEmpty();
    assertThat(Cidr.span("x", "104.16.0.0")).isEmpty();
  }
}
