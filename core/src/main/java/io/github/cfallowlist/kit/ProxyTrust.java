package io.github.cfallowlist.kit;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import java.util.List;
import java.util.Optional;

/**
 * How doctor judges an address or range that a web server's configuration trusts to say who the
 * visitor is (a proxy setting outside cf-allowlist's own file): nothing to say when it is inside
 * Cloudflare's ranges or a loopback address (a local proxy); {@code fail} when it is broader than
 * and overlaps Cloudflare's ranges, since any client there can forge its address; {@code warn} for
 * any other range, and for a value that is no address.
 */
public final class ProxyTrust {
  /** Local proxies: trusting them is the user's own business, not a hole. */
  private static final List<Cidr> LOOPBACK =
      List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));

  private ProxyTrust() {}

  /**
   * The finding for trusting {@code value}, if any.
   *
   * @param check the check's name, e.g. {@code apache}
   * @param diagnosis what doctor compares with: Cloudflare's current ranges
   * @param value the address or range as the configuration writes it
   * @param where the setting and where it is, e.g. {@code RemoteIPInternalProxy 10.0.0.0/8 in FILE}
   * @param trusted what the setting trusts, e.g. {@code CF-Connecting-IP}
   * @param remove the remedy for a range broader than Cloudflare's: how to remove the setting
   * @return a failure for a range broader than Cloudflare's, a warning for one outside them or for
   *     a value this check cannot read, nothing for Cloudflare's ranges and loopback
   */
  public static Optional<Finding> judge(
      String check,
      Diagnosis diagnosis,
      String value,
      String where,
      String trusted,
      String remove) {
    return judge(check, diagnosis, value, where, trusted, remove, "remove it");
  }

  /**
   * As {@link #judge(String, Diagnosis, String, String, String, String)}, with {@code
   * removeOutside} saying how to remove a setting that trusts a range outside Cloudflare's, e.g.
   * {@code remove that line from FILE}.
   *
   * @param check the check's name, e.g. {@code nginx}
   * @param diagnosis what doctor compares with: Cloudflare's current ranges
   * @param value the address or range as the configuration writes it
   * @param where the setting and where it is
   * @param trusted what the setting trusts
   * @param remove the remedy for a range broader than Cloudflare's: how to remove the setting
   * @param removeOutside the end of the remedy for a range outside Cloudflare's
   * @return the finding, if any
   */
  public static Optional<Finding> judge(
      String check,
      Diagnosis diagnosis,
      String value,
      String where,
      String trusted,
      String remove,
      String removeOutside) {
    Optional<Cidr> range = parse(value);
    if (range.isEmpty()) {
      return Optional.of(
          Finding.warn(
              check,
              where + " names no address range this check understands",
              "check it trusts only Cloudflare's addresses, or remove it"));
    }
    Cidr r = range.get();
    if (diagnosis.ranges().ranges().find(r).isPresent()
        || LOOPBACK.stream().anyMatch(l -> l.contains(r))) {
      return Optional.empty();
    }
    if (diagnosis.ranges().ranges().all().stream().anyMatch(r::overlaps)) {
      return Optional.of(
          Finding.fail(
              check,
              where
                  + " trusts "
                  + trusted
                  + " from "
                  + r
                  + ", broader than Cloudflare's ranges: any client there can forge its address",
              remove));
    }
    return Optional.of(
        Finding.warn(
            check,
            where
                + " trusts "
                + trusted
                + " from "
                + r
                + ", outside Cloudflare's ranges: a client there can set its own address",
            "keep it only if that is a proxy you run; otherwise " + removeOutside));
  }

  /** {@code value} as a range: a CIDR (host bits cleared) or a single address. */
  public static Optional<Cidr> parse(String value) {
    if (value.contains("/")) {
      try {
        return Optional.of(Cidr.parseZeroingHostBits(value));
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }
    return Cidr.host(value);
  }
}
