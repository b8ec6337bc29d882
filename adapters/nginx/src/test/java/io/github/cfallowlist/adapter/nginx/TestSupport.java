package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.Families;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.testing.TestSnapshots;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Snapshots, options and golden files shared by the tests. */
final class TestSupport {
  static final String ALLOW_FILE = "/etc/nginx/conf.d/cloudflare-allow.conf";

  private TestSupport() {}

  /** The embedded snapshot, validated with the default guards. */
  static RangeSnapshot embedded() {
    return embedded(Families.BOTH);
  }

  /** The embedded snapshot restricted to {@code families}, as the CLI would validate it. */
  static RangeSnapshot embedded(Families families) {
    try {
      return Guards.defaults().withFamilies(families).validate(RangeSource.embedded().fetch());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Default options (real-IP file only) for {@code families}. */
  static TargetOptions options(Families families) {
    return TargetOptions.defaults().withFamilies(families);
  }

  /** Options with the allow file too. */
  static TargetOptions withAllow(Families families) {
    return options(families).withSetting(NginxSettings.ALLOW_FILE.name(), ALLOW_FILE);
  }

  /** The golden file {@code name}, with {@code @VERSION@} replaced by this build's version. */
  static String golden(String name) {
    return TestSnapshots.golden(name);
  }
}
