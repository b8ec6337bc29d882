package io.github.cfallowlist.adapter.nginx;

import static io.github.cfallowlist.adapter.nginx.TestSupport.embedded;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.SystemTests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The target's doctor findings from the real {@code nginx -T} on a private prefix: the files are
 * written as apply writes them, and nginx.conf includes them or not.
 */
class NginxDiagnoseSystemTest {
  private final NginxTarget target = new NginxTarget();

  private List<Finding> diagnose(NginxPrefix prefix) throws IOException {
    TargetOptions options = prefix.options(Families.BOTH);
    return target.diagnose(
        new Diagnosis(
            embedded(), List.of(443), new TargetContext(options, CommandRunner.system())));
  }

  /** Writes the real-IP and allow files as apply renders them. */
  private void writeFiles(NginxPrefix prefix) throws IOException {
    Rendered rendered = target.render(embedded(), prefix.options(Families.BOTH));
    for (Rendered.File f : rendered.files()) {
      Path to =
          f.name().equals(NginxPrefix.REAL_IP_NAME) ? prefix.realIpFile() : prefix.allowFile();
      Files.writeString(to, f.content());
    }
  }

  @Test
  void aRealIpFileNotIncludedFailsAndPassesOnceIncluded() throws IOException {
    SystemTests.requireTools("nginx");
    try (NginxPrefix prefix = NginxPrefix.create()) {
      writeFiles(prefix);
      prefix.writeConf("127.0.0.1", 8080, prefix.dir() + "/none.d/*.conf", false);

      List<Finding> broken = diagnose(prefix);

      assertThat(broken)
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.check()).isEqualTo("nginx");
                assertThat(f.status()).isEqualTo(Status.FAIL);
                assertThat(f.found())
                    .contains("the real-IP file " + prefix.realIpFile() + " is not included");
                assertThat(f.remedy()).contains("include " + prefix.realIpFile() + ";");
              });

      prefix.writeConf("127.0.0.1", 8080, prefix.realIpGlob(), false);

      assertThat(diagnose(prefix))
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.status()).isEqualTo(Status.OK);
                assertThat(f.found()).contains("CF-Connecting-IP from Cloudflare's ranges only");
              });
    }
  }

  @Test
  void aSetRealIpFromForEveryoneInAnotherFileFailsAndPassesOnceRemoved() throws IOException {
    SystemTests.requireTools("nginx");
    try (NginxPrefix prefix = NginxPrefix.create()) {
      writeFiles(prefix);
      prefix.writeConf("127.0.0.1", 8080, prefix.realIpGlob(), false);
      Path other = prefix.dir().resolve("real-ip.d/legacy.conf");
      Files.writeString(other, "# old proxy setup\nset_real_ip_from 0.0.0.0/0;\n");

      assertThat(diagnose(prefix))
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.status()).isEqualTo(Status.FAIL);
                assertThat(f.found())
                    .contains(
                        "set_real_ip_from 0.0.0.0/0 in " + other,
                        "any client there can forge its address");
              });

      Files.delete(other);

      assertThat(diagnose(prefix)).extracting(Finding::status).containsExactly(Status.OK);
    }
  }

  @Test
  void aLocalProxyIsTrustedQuietlyAndAnotherPublicRangeIsAWarning() throws IOException {
    SystemTests.requireTools("nginx");
    try (NginxPrefix prefix = NginxPrefix.create()) {
      writeFiles(prefix);
      prefix.writeConf("127.0.0.1", 8080, prefix.realIpGlob(), false);
      Path other = prefix.dir().resolve("real-ip.d/local.conf");
      Files.writeString(other, "set_real_ip_from 127.0.0.1;\nset_real_ip_from ::1;\n");

      assertThat(diagnose(prefix)).extracting(Finding::status).containsExactly(Status.OK);

      Files.writeString(other, "set_real_ip_from 198.51.100.0/24;\n");

      assertThat(diagnose(prefix))
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.status()).isEqualTo(Status.WARN);
                assertThat(f.found()).contains("198.51.100.0/24, outside Cloudflare's ranges");
              });
    }
  }

  @Test
  void aConfigurationNginxRefusesFailsNamingNginxsError() throws IOException {
    SystemTests.requireTools("nginx");
    try (NginxPrefix prefix = NginxPrefix.create()) {
      writeFiles(prefix);
      prefix.writeConf("127.0.0.1", 8080, prefix.realIpGlob(), false);
      Files.writeString(prefix.dir().resolve("real-ip.d/broken.conf"), "real_ip_header\n");

      assertThat(diagnose(prefix))
          .singleElement()
          .satisfies(
              f -> {
                assertThat(f.status()).isEqualTo(Status.FAIL);
                assertThat(f.found()).contains("nginx -T", "fails");
              });
    }
  }
}
