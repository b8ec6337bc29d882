package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.kit.Intent;
import java.io.IOException;
import java.util.Optional;

/**
 * nginx's record of a change in progress: the kit's {@link Intent}, beside the real-IP file as
 * {@code .NAME.cf-allowlist-intent}, out of nginx's {@code include} wildcards by its leading dot.
 */
final class NginxIntent {
  static final String SUFFIX = Intent.SUFFIX;

  private NginxIntent() {}

  /**
   * The change in progress, or empty when none is recorded.
   *
   * @throws IOException when a record is there but cannot be read back as one cf-allowlist wrote
   */
  static Optional<Intent> read(NginxSettings settings) throws IOException {
    return Intent.read(NginxApplier.daemon(settings));
  }
}
