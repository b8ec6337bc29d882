package io.github.cfallowlist.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DefaultChecksTest {
  @Test
  void theNetworkChecksRunInTheDocumentedOrder() {
    List<String> names = Doctor.defaultChecks().stream().map(Check::name).toList();
    assertThat(names).containsSubsequence("listen", "targets", "bans", "routes", "conntrack");
  }
}
