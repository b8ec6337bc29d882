package io.github.cfallowlist.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.Finding;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.StateDir;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DoctorTest {
  @TempDir Path dir;

  private static Check check(String name, Object result) {
    return new Check() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public List<Finding> run(DoctorContext context) throws IOException {
        if (result instanceof IOException e) {
          throw e;
        }
        if (result instanceof RuntimeException e) {
          throw e;
        }
        @SuppressWarnings("unchecked")
        List<Finding> findings = (List<Finding>) result;
        return findings;
      }
    };
  }

  private Doctor.Builder doctor() {
    return Doctor.builder().source(RangeSource.embedded()).stateDir(StateDir.at(dir));
  }

  @Test
  void aCheckThatThrowsIsAWarningNamingItAndTheOthersStillRun() throws IOException {
    DoctorReport report =
        doctor()
            .checks(
                List.of(
                    check("first", new IOException("ss: cannot open netlink socket")),
                    check("second", List.of(Finding.ok("second", "all good")))))
            .build()
            .run();
    assertThat(report.findings())
        .extracting(Finding::check, Finding::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("first", Finding.Status.WARN),
            org.assertj.core.groups.Tuple.tuple("second", Finding.Status.OK));
    assertThat(report.findings().get(0).found())
        .isEqualTo("could not be checked: ss: cannot open netlink socket");
    assertThat(report.worst()).isEqualTo(Finding.Status.WARN);
  }

  @Test
  void aCheckThatReportsNothingIsNeverTakenForOk() throws IOException {
    DoctorReport report = doctor().checks(List.of(check("silent", List.of()))).build().run();
    assertThat(report.findings())
        .singleElement()
        .extracting(Finding::status)
        .isEqualTo(Finding.Status.WARN);
  }

  @Test
  void theWorstFindingDecides() throws IOException {
    DoctorReport report =
        doctor()
            .checks(
                List.of(
                    check(
                        "a",
                        List.of(
                            Finding.ok("a", "fine"),
                            Finding.fail("a", "nothing listens on port 443", "start nginx"))),
                    check("b", List.of(Finding.warn("b", "could not judge", "look by hand")))))
            .build()
            .run();
    assertThat(report.worst()).isEqualTo(Finding.Status.FAIL);
  }

  @Test
  void aFailedSourceFallsBackToTheEmbeddedListAndSaysWhy() throws IOException {
    DoctorReport report =
        Doctor.builder()
            .source(RangeSource.file(dir.resolve("missing.txt")))
            .stateDir(StateDir.at(dir))
            .checks(List.of(check("x", List.of(Finding.ok("x", "fine")))))
            .build()
            .run();
    assertThat(report.context().sourceFailure()).get().asString().contains("missing.txt");
    assertThat(report.context().ranges().source()).startsWith("embedded snapshot");
  }

  @Test
  void aSourceThatNeverAnswersIsGivenUpWithinTheLimitAndTheChecksStillRun() throws IOException {
    RangeSource silent =
        new RangeSource() {
          @Override
          public String name() {
            return "a source that never answers";
          }

          @Override
          public io.github.cfallowlist.RawRanges fetch() throws IOException {
            try {
              Thread.sleep(60_000);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            throw new IOException("interrupted");
          }
        };
    long start = System.nanoTime();

    DoctorReport report =
        Doctor.builder()
            .source(silent)
            .stateDir(StateDir.at(dir))
            .fetchLimit(java.time.Duration.ofMillis(300))
            .checks(List.of(check("x", List.of(Finding.ok("x", "fine")))))
            .build()
            .run();

    assertThat(java.time.Duration.ofNanos(System.nanoTime() - start))
        .isLessThan(java.time.Duration.ofSeconds(10));
    assertThat(report.context().sourceFailure()).get().asString().contains("no answer within");
    assertThat(report.context().ranges().source()).startsWith("embedded snapshot");
  }

  @Test
  void aFindingThatIsNotOkNeedsARemedy() {
    assertThatThrownBy(() -> Finding.fail("listen", "nothing listens", " "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs a remedy");
  }

  @Test
  void theTlsModeGivesThePortWhenNoneIsGiven() {
    assertThat(Origin.of(TlsMode.FLEXIBLE).ports()).containsExactly(80);
    assertThat(Origin.of(TlsMode.STRICT).ports()).containsExactly(443);
    assertThatThrownBy(() -> TlsMode.parse("strikt"))
        .hasMessage("--tls-mode 'strikt' is not one of flexible, full, strict");
  }

  @Test
  void aHostnameOrOriginAddressThatIsNotOneIsRefusedBeforeAnythingRuns() {
    assertThatThrownBy(
            () -> new Origin(List.of(), TlsMode.FULL, Optional.of("-bad"), Optional.empty()))
        .hasMessageStartingWith("--hostname '-bad' is not a DNS name");
    assertThatThrownBy(
            () -> new Origin(List.of(), TlsMode.FULL, Optional.empty(), Optional.of("bogus")))
        .hasMessageStartingWith("--origin-ip 'bogus' is not an IP address");
    assertThatThrownBy(
            () -> new Origin(List.of(0), TlsMode.FULL, Optional.empty(), Optional.empty()))
        .hasMessage("--ports 0 is not a TCP port (1-65535)");
    assertThat(
            new Origin(
                    List.of(8443),
                    TlsMode.STRICT,
                    Optional.of("www.example.com"),
                    Optional.of("2001:db8::10"))
                .ports())
        .containsExactly(8443);
  }
}
