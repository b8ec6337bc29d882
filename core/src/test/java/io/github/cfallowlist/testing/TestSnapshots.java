package io.github.cfallowlist.testing;

import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The embedded snapshot and golden files, as every target's tests use them. */
public final class TestSnapshots {
  private TestSnapshots() {}

  /** The embedded list (15 IPv4, 7 IPv6) as the default guards pass it. */
  public static RangeSnapshot embedded() {
    try {
      return Guards.defaults().validate(RangeSource.embedded().fetch());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The class-path resource {@code /golden/NAME} with {@code @VERSION@} replaced by this build's
   * version, so a version bump does not touch the golden files.
   */
  public static String golden(String name) {
    try (InputStream in = TestSnapshots.class.getResourceAsStream("/golden/" + name)) {
      if (in == null) {
        throw new AssertionError("no golden file golden/" + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .replace("@VERSION@", Header.version());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
