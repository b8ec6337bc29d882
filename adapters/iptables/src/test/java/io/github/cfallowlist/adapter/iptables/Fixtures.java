package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.TargetOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** The embedded snapshot and the option variants every test class shares. */
final class Fixtures {
  private Fixtures() {}

  static RangeSnapshot embedded() {
    try {
      return Guards.defaults().validate(RangeSource.embedded().fetch());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Each option variant by the golden file prefix that holds its rendering. */
  static Map<String, TargetOptions> variants() {
    TargetOptions restrict = TargetOptions.defaults();
    Map<String, TargetOptions> variants = new LinkedHashMap<>();
    variants.put("restrict", restrict);
    variants.put("allow", restrict.withMode(Mode.ALLOW));
    variants.put("ipset-restrict", restrict.withSetting("ipset", "true"));
    variants.put("ipset-allow", restrict.withMode(Mode.ALLOW).withSetting("ipset", "true"));
    variants.put("docker-user", restrict.withSetting("chain", "DOCKER-USER"));
    variants.put("ipv4-only", restrict.withFamilies(io.github.cfallowlist.Families.IPV4));
    return variants;
  }

  /** A golden file with {@code @VERSION@} replaced by this build's version. */
  static String golden(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/golden/" + name)) {
      if (in == null) {
        throw new AssertionError("no golden file " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .replace("@VERSION@", Header.version());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
