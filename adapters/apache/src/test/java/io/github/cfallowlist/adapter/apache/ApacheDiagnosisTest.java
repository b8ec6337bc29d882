package io.github.cfallowlist.adapter.apache;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.adapter.apache.ApacheDiagnosis.Included;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How doctor's apache check reads DUMP_INCLUDES and judges the included files. */
class ApacheDiagnosisTest {
  private static final Path SNIPPET =
      Path.of("/etc/apache2/conf-available/cloudflare-remoteip.conf");
  private static final Included OURS = new Included(SNIPPET, "RemoteIPHeader CF-Connecting-IP\n");

  private final Diagnosis diagnosis =
      new Diagnosis(
          ApacheConfigTest.embedded(Families.BOTH),
          List.of(443),
          new TargetContext(TargetOptions.defaults(), CommandRunner.system()));

  private List<Finding> judge(String foreign) {
    Included other = new Included(Path.of("/etc/apache2/sites-enabled/site.conf"), foreign);
    return ApacheDiagnosis.judge(List.of(OURS, other), SNIPPET, diagnosis);
  }

  @Test
  void theDumpCommandAddsDumpIncludesAfterTheTestFlag() {
    assertThat(ApacheDiagnosis.dumpCommand(List.of("apachectl", "-t")))
        .contains(List.of("apachectl", "-t", "-D", "DUMP_INCLUDES"));
    assertThat(ApacheDiagnosis.dumpCommand(List.of("apache2", "-t", "-d", "/srv")))
        .contains(List.of("apache2", "-t", "-D", "DUMP_INCLUDES", "-d", "/srv"));
    assertThat(ApacheDiagnosis.dumpCommand(List.of("apachectl", "configtest"))).isEmpty();
  }

  @Test
  void everyIncludedFileIsReadFromTheDump() {
    String dump =
        "Included configuration files:\n"
            + "  (*) /etc/apache2/apache2.conf\n"
            + "    (224) /etc/apache2/conf-enabled/cloudflare-remoteip.conf\n";
    assertThat(ApacheDiagnosis.includedFiles(dump))
        .containsExactly(
            Path.of("/etc/apache2/apache2.conf"),
            Path.of("/etc/apache2/conf-enabled/cloudflare-remoteip.conf"));
  }

  @Test
  void aSnippetApacheDoesNotIncludeFailsWithTheDebianCommandsToEnableIt() {
    List<Finding> findings =
        ApacheDiagnosis.judge(
            List.of(new Included(Path.of("/etc/apache2/apache2.conf"), "")), SNIPPET, diagnosis);
    assertThat(findings).hasSize(1);
    assertThat(findings.get(0).status()).isEqualTo(Status.FAIL);
    assertThat(findings.get(0).found()).contains("is not included");
    assertThat(findings.get(0).remedy())
        .contains("a2enmod remoteip && a2enconf cloudflare-remoteip");
  }

  @Test
  void onlyTheSnippetAndProxiesInsideCloudflareOrOnLoopbackAreOk() {
    List<Finding> findings =
        judge(
            "<VirtualHost *:443>\n  RemoteIPTrustedProxy 173.245.48.0/24 127.0.0.1\n"
                + "  RemoteIPHeader cf-connecting-ip\n</VirtualHost>\n# RemoteIPInternalProxy 0.0.0.0/1\n");
    assertThat(findings).extracting(Finding::status).containsExactly(Status.OK);
  }

  @Test
  void aProxyBroaderThanCloudflareFailsAndAPrivateOneWarns() {
    List<Finding> findings = judge("RemoteIPInternalProxy 10.0.0.0/8 \\\n    104.0.0.0/8\n");
    assertThat(findings).extracting(Finding::status).containsExactly(Status.WARN, Status.FAIL);
    assertThat(findings.get(1).found())
        .contains("RemoteIPInternalProxy 104.0.0.0/8 in /etc/apache2/sites-enabled/site.conf")
        .contains("broader than Cloudflare's ranges");
    assertThat(findings.get(0).found()).contains("10.0.0.0/8").contains("outside Cloudflare");
  }

  @Test
  void anotherRemoteIpHeaderFails() {
    List<Finding> findings = judge("RemoteIPHeader X-Forwarded-For\n");
    assertThat(findings).extracting(Finding::status).containsExactly(Status.FAIL);
    assertThat(findings.get(0).found()).contains("X-Forwarded-For").contains("other than");
  }

  @Test
  void aProxyListOrAnAddressItCannotReadIsAWarningNeverOk() {
    List<Finding> findings =
        judge("RemoteIPTrustedProxyList conf/proxies.txt\nRemoteIPTrustedProxy 10.1\n");
    assertThat(findings).extracting(Finding::status).containsExactly(Status.WARN, Status.WARN);
  }
}
