package io.github.cfallowlist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.Targets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's library example, as written there, on the embedded list and a scratch file. */
class LibraryExampleTest {
  @TempDir Path dir;

  @Test
  void readmeExampleFetchesValidatesAndApplies() throws Exception {
    RangeSnapshot snapshot = Guards.defaults().validate(RangeSource.embedded().fetch());
    assertThat(snapshot.ranges().ipv4()).hasSize(15);

    Target nginx = Targets.byName("nginx");
    TargetOptions options =
        TargetOptions.defaults()
            .withSetting("nginx-file", dir.resolve("cloudflare-real-ip.conf").toString())
            .withSetting("nginx-test-command", "true")
            .withSetting("nginx-reload-command", "true");
    Plan plan = Sync.apply(nginx, snapshot, TargetContext.system(options), Guards.defaults());

    assertThat(plan.summary()).isEqualTo("+22 -0 ranges (IPv4 +15, IPv6 +7), new install");
    assertThat(dir.resolve("cloudflare-real-ip.conf"))
        .content()
        .contains("set_real_ip_from 173.245.48.0/20;");
    assertThat(Sync.plan(nginx, snapshot, TargetContext.system(options)).hasChanges()).isFalse();
  }
}
