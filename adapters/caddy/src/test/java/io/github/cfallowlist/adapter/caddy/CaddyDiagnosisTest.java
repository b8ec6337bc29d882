package io.github.cfallowlist.adapter.caddy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How doctor's caddy check judges Caddy's configuration adapted to JSON. */
class CaddyDiagnosisTest {
  private static final Path SNIPPET = Path.of("/etc/caddy/cloudflare-trusted-proxies.caddy");

  /** The route the snippet adapts to, as caddy 2.6.2 writes it (two ranges kept). */
  private static final String OURS =
      "{\"handle\":[{\"handler\":\"headers\",\"request\":{\"set\":{\"Cf-Connecting-Ip\":"
          + "[\"{http.request.remote.host}\"]}}}],\"match\":[{\"not\":["
          + "{\"remote_ip\":{\"ranges\":[\"173.245.48.0/20\"]}},"
          + "{\"remote_ip\":{\"ranges\":[\"103.21.244.0/22\"]}}]}]}";

  private final Diagnosis diagnosis =
      new Diagnosis(
          CaddyConfigTest.embedded(Families.BOTH),
          List.of(443, 8443),
          new TargetContext(TargetOptions.defaults(), CommandRunner.system()));

  private static String server(String listen, String routes, String extra) {
    return "{\"listen\":[\"" + listen + "\"]" + extra + ",\"routes\":[" + routes + "]}";
  }

  private List<Finding> judge(String... servers) throws IOException {
    StringBuilder json = new StringBuilder("{\"apps\":{\"http\":{\"servers\":{");
    for (int i = 0; i < servers.length; i++) {
      json.append(i == 0 ? "" : ",").append("\"srv").append(i).append("\":").append(servers[i]);
    }
    json.append("}}}}");
    return CaddyDiagnosis.judge(JSON.std.anyFrom(json.toString()), SNIPPET, diagnosis);
  }

  private static String subroute(String routes) {
    return "{\"handle\":[{\"handler\":\"subroute\",\"routes\":[" + routes + "]}]}";
  }

  @Test
  void theAdaptCommandIsTheTestCommandWithAdaptForValidate() {
    assertThat(CaddyDiagnosis.adaptCommand(List.of("caddy", "validate", "--config", "/c")))
        .contains(List.of("caddy", "adapt", "--config", "/c"));
    assertThat(CaddyDiagnosis.adaptCommand(List.of("caddy", "version"))).isEmpty();
  }

  @Test
  void aSiteImportingTheSnippetIsOk() throws IOException {
    List<Finding> findings = judge(server(":443", subroute(OURS), ""));
    assertThat(findings).extracting(Finding::status).containsExactly(Status.OK);
    assertThat(findings.get(0).found()).contains("server srv0 (:443) imports " + SNIPPET);
  }

  @Test
  void noSiteImportingTheSnippetFails() throws IOException {
    List<Finding> findings = judge(server(":443", subroute("{\"handle\":[]}"), ""));
    assertThat(findings).extracting(Finding::status).containsExactly(Status.FAIL);
    assertThat(findings.get(0).found()).contains("no site").contains("imports the snippet");
    assertThat(findings.get(0).remedy()).contains("import " + SNIPPET);
  }

  @Test
  void aSiteCloudflareReachesWithoutTheImportWarnsButOneOnAnotherPortDoesNot() throws IOException {
    List<Finding> findings =
        judge(server(":443", subroute(OURS), ""), server(":8443", "", ""), server(":9999", "", ""));
    assertThat(findings).extracting(Finding::status).containsExactly(Status.WARN);
    assertThat(findings.get(0).found()).contains("server srv1 (:8443) does not import");
  }

  @Test
  void trustedProxiesBroaderThanCloudflareFailAndPrivateOnesWarn() throws IOException {
    String proxy =
        "{\"handle\":[{\"handler\":\"reverse_proxy\",\"trusted_proxies\":[\"10.0.0.0/8\"]}]}";
    List<Finding> findings =
        judge(
            server(
                ":443",
                subroute(OURS + "," + proxy),
                ",\"trusted_proxies\":{\"source\":\"static\",\"ranges\":[\"0.0.0.0/0\","
                    + "\"127.0.0.1/32\",\"173.245.48.0/24\"]}"));
    assertThat(findings).extracting(Finding::status).containsExactly(Status.FAIL, Status.WARN);
    assertThat(findings.get(0).found())
        .contains("trusted_proxies 0.0.0.0/0 in server srv0")
        .contains("broader than Cloudflare's ranges");
    assertThat(findings.get(1).found()).contains("10.0.0.0/8").contains("(reverse_proxy)");
  }

  @Test
  void aClientIpHeaderOtherThanCfConnectingIpFails() throws IOException {
    List<Finding> findings =
        judge(server(":443", subroute(OURS), ",\"client_ip_headers\":[\"X-Forwarded-For\"]"));
    assertThat(findings).extracting(Finding::status).containsExactly(Status.FAIL);
    assertThat(findings.get(0).found()).contains("X-Forwarded-For");
  }
}
