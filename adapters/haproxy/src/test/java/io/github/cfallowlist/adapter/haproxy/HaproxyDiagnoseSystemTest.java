package io.github.cfallowlist.adapter.haproxy;

import static io.github.cfallowlist.testing.EdgeAndOrigin.EDGE_CF_V4;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.SystemTests;
import io.github.cfallowlist.testing.TestSnapshots;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The target's doctor findings against Debian's haproxy running in a namespace. */
class HaproxyDiagnoseSystemTest {
  @TempDir Path dir;
  private HaproxyInNamespace h;
  private final HaproxyTarget target = new HaproxyTarget();
  private final RangeSnapshot snapshot = TestSnapshots.embedded();

  @BeforeEach
  void start() throws Exception {
    SystemTests.requireTools("ip", "haproxy", "curl");
    h = HaproxyInNamespace.start(dir);
  }

  @AfterEach
  void stop() {
    if (h != null) {
      h.close();
    }
  }

  private List<Finding> diagnose(TargetOptions options) throws IOException {
    return target.diagnose(
        new Diagnosis(snapshot, List.of(443), new TargetContext(options, CommandRunner.system())));
  }

  private static void assertOk(List<Finding> findings) {
    assertThat(findings)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).as(f.found()).isEqualTo(Status.OK);
              assertThat(f.found())
                  .contains("the running HAProxy loads ")
                  .contains("no set-src trusts a client outside Cloudflare's ranges");
            });
  }

  @Test
  void aRunningAclThatDiffersFromTheFileFailsAndPassesOnceApplied() throws Exception {
    assertOk(diagnose(h.options()));
    assertThat(h.runtime("add acl " + h.acl + " 192.0.2.0/24")).isEmpty();

    assertThat(diagnose(h.options()))
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.check()).isEqualTo("haproxy");
              assertThat(f.status()).isEqualTo(Status.FAIL);
              assertThat(f.found())
                  .contains("holds 2 entries and the file 1")
                  .contains("1 only in the running ACL (first 192.0.2.0/24), 0 only in the file");
              assertThat(f.remedy()).contains("cf-allowlist apply --target haproxy");
            });

    Sync.apply(
        target,
        snapshot,
        new TargetContext(h.options(), CommandRunner.system()),
        Guards.defaults().withShrink(0.25, true));

    assertOk(diagnose(h.options()));
    assertThat(h.seenAs(EDGE_CF_V4)).isEqualTo(HaproxyInNamespace.VISITOR);
  }

  @Test
  void aFileTheRunningConfigurationDoesNotReferenceFails() throws Exception {
    Path other = dir.resolve("other.acl");
    Files.copy(h.acl, other);

    assertThat(diagnose(h.options().withSetting("haproxy-file", other.toString())))
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.FAIL);
              assertThat(f.found()).startsWith("the running HAProxy does not load " + other);
              assertThat(f.remedy()).contains("acl from_cloudflare src -f " + other);
            });
  }

  @Test
  void aSetSrcTrustingMoreThanCloudflareFailsAndOneOutsideItWarns() throws Exception {
    Path broader = dir.resolve("broader.cfg");
    Files.writeString(
        broader,
        HaproxyInNamespace.config(
            h.socket,
            h.acl,
            List.of(
                "acl office src 10.0.0.0/8 104.0.0.0/8 # the office and more",
                "http-request set-src req.hdr(X-Real-IP) if office")));
    Path outside = dir.resolve("outside.cfg");
    Files.writeString(
        outside,
        HaproxyInNamespace.config(
            h.socket,
            h.acl,
            List.of(
                "acl lb src 10.1.2.3",
                "http-request set-src req.hdr(X-Real-IP) if lb",
                "http-request set-src hdr(X-Client)")));
    for (Path cfg : List.of(broader, outside)) {
      assertThat(h.net.origin().exec("haproxy", "-c", "-f", cfg.toString()).exitCode())
          .as("haproxy -c %s", cfg)
          .isZero();
    }

    assertThat(
            diagnose(h.options().withSetting("haproxy-check-command", "haproxy -c -f " + broader)))
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.FAIL);
              assertThat(f.found())
                  .startsWith(
                      "'http-request set-src req.hdr(X-Real-IP) if office' in "
                          + broader
                          + " line 13 trusts the client's address from 104.0.0.0/8, broader than"
                          + " Cloudflare's ranges");
            });

    List<Finding> found =
        diagnose(h.options().withSetting("haproxy-check-command", "haproxy -c -f " + outside));
    assertThat(found).extracting(Finding::status).containsExactly(Status.WARN, Status.FAIL);
    assertThat(found.get(0).found()).contains("from 10.1.2.3/32, outside Cloudflare's ranges");
    assertThat(found.get(1).found())
        .isEqualTo(
            "'http-request set-src hdr(X-Client)' in "
                + outside
                + " line 14 has no condition: every client can set its own address");
  }
}
