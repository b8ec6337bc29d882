package io.github.cfallowlist.adapter.nftables;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.Netns;
import io.github.cfallowlist.testing.SystemTests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every rendered variant is a script the real nft accepts, checked without loading it. */
class NftablesCheckTest {

  @Test
  void nftAcceptsEveryRenderedVariantInCheckMode(@TempDir Path dir) throws Exception {
    SystemTests.requireTools("ip", "nft");
    NftablesTarget target = new NftablesTarget();
    RangeSnapshot snapshot = Fixtures.embedded();
    try (Netns ns = Netns.create("cfnchk-")) {
      for (Map.Entry<String, TargetOptions> variant : Fixtures.variants().entrySet()) {
        Path file = dir.resolve(variant.getKey() + ".nft");
        Files.writeString(file, target.render(snapshot, variant.getValue()).text());

        Netns.Result check = ns.exec("nft", "-c", "-f", file.toString());

        assertThat(check.ok()).as("nft -c -f %s: %s", variant.getKey(), check.stderr()).isTrue();
      }
      // Check mode must not have loaded anything.
      assertThat(ns.execChecked("nft", "list", "ruleset").stdout()).isEmpty();
    }
  }

  @Test
  void nftCheckModeRejectsABrokenScriptSoTheCheckMeansSomething(@TempDir Path dir)
      throws Exception {
    SystemTests.requireTools("ip", "nft");
    String text =
        new NftablesTarget()
            .render(Fixtures.embedded(), TargetOptions.defaults())
            .text()
            .replace("173.245.48.0/20,", "173.245.48.0/20 173.245.64.0/20,");
    Path file = dir.resolve("broken.nft");
    Files.writeString(file, text);
    try (Netns ns = Netns.create("cfnchk-")) {
      assertThat(ns.exec("nft", "-c", "-f", file.toString()).ok()).isFalse();
    }
  }
}
