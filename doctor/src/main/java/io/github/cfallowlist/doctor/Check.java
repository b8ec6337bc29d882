package io.github.cfallowlist.doctor;

import io.github.cfallowlist.Finding;
import java.io.IOException;
import java.util.List;

/**
 * One thing doctor looks at. A check only reads: it runs read commands through the context's runner
 * and never changes the host. It returns at least one finding; one that cannot judge says so as a
 * {@link Finding.Status#WARN WARN}, never as OK.
 */
public interface Check {
  /** The check's short name, used in every finding it returns. */
  String name();

  /**
   * Looks and says what it found.
   *
   * @throws IOException when what it reads cannot be read (doctor turns this into a warning naming
   *     the check)
   */
  List<Finding> run(DoctorContext context) throws IOException;
}
