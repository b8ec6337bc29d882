package io.github.cfallowlist.adapter.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.SystemTests;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Feeds every rendered file to the real tools inside a fresh network namespace: {@code ipset
 * restore} for the ipset file, {@code iptables-restore --test --noflush} for the rules files.
 */
class IptablesValidityTest {

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
      if (Settings.of(options).parentChain().equals(Rules.DOCKER_USER)) {
        ns.execChecked("iptables", "-N", "DOCKER-USER");
        ns.execChecked("ip6tables", "-N", "DOCKER-USER");
      }
      // The rules match the sets by name, so the sets must exist first, as in apply.
      rendered
          .file(ConfigText.IPSET)
          .ifPresent(f -> ns.execChecked(f.content(), List.of("ipset", "restore")));
      rendered
          .file(ConfigText.RULES_V4)
          .ifPresent(
              f -> ns.execChecked(f.content(), List.of("iptables-restore", "--test", "--noflush")));
      rendered
          .file(ConfigText.RULES_V6)
          .ifPresent(
              f ->
                  ns.execChecked(f.content(), List.of("ip6tables-restore", "--test", "--noflush")));

      if (rendered.file(ConfigText.IPSET).isPresent()) {
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
            .file(ConfigText.RULES_V4)
            .orElseThrow()
            .content()
            .replace("-p tcp -j REJECT", "-p tcpx -j REJECT");

    try (Netns ns = Netns.create("cfipv-")) {
      assertThat(ns.exec(broken, List.of("iptables-restore", "--test", "--noflush")).ok())
          .isFalse();
    }
  }
}
