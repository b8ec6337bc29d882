package io.github.cfallowlist.doctor;

import io.github.cfallowlist.Finding;
import java.util.List;

/**
 * What doctor found, check by check.
 *
 * @param context what the checks looked at
 * @param findings every check's findings, in the order the checks ran
 */
public record DoctorReport(DoctorContext context, List<Finding> findings) {
  /** Checks both are present and copies the findings. */
  public DoctorReport {
    if (context == null || findings == null) {
      throw new IllegalArgumentException("context and findings must not be null");
    }
    findings = List.copyOf(findings);
  }

  /** The worst status among the findings; OK when there are none. */
  public Finding.Status worst() {
    Finding.Status worst = Finding.Status.OK;
    for (Finding f : findings) {
      worst = worst.worse(f.status());
    }
    return worst;
  }
}
