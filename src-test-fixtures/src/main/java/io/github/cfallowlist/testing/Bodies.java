package io.github.cfallowlist.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Recorded and hostile response bodies for source tests. The recorded ones are what Cloudflare
 * served on 2026-10-02; the hostile ones are what users of other tools were bitten by.
 */
public final class Bodies {
  private Bodies() {}

  /** The JSON API body recorded on 2026-10-02 (15 IPv4, 7 IPv6 ranges). */
  public static String api() {
    return load("api-2026-10-02.json");
  }

  /** The JSON API body with a {@code jdcloud_cidrs} list mixing both families. */
  public static String apiWithJdCloud() {
    return load("api-jdcloud.json");
  }

  /** An HTTP 200 answer with {@code success: false}. */
  public static String apiFailure() {
    return load("api-failure.json");
  }

  /** The {@code ips-v4} text list, ending with a newline. */
  public static String textV4() {
    return load("ips-v4.txt");
  }

  /** The {@code ips-v6} text list, without a final newline (as served). */
  public static String textV6() {
    return load("ips-v6.txt");
  }

  /** A bot-challenge HTML page served with status 200. */
  public static String challengePage() {
    return load("challenge.html");
  }

  /** The recorded API body with {@code entries} in place of the IPv4 list. */
  public static String apiWithIpv4(String... entries) {
    return api().replaceFirst("\"ipv4_cidrs\":\\[[^]]*]", "\"ipv4_cidrs\":" + jsonArray(entries));
  }

  /** The recorded API body with {@code entries} in place of the IPv6 list. */
  public static String apiWithIpv6(String... entries) {
    return api().replaceFirst("\"ipv6_cidrs\":\\[[^]]*]", "\"ipv6_cidrs\":" + jsonArray(entries));
  }

  /** The recorded IPv4 ranges plus {@code extra}, as API body. */
  public static String apiWithExtraIpv4(String extra) {
    return api().replace("\"ipv4_cidrs\":[", "\"ipv4_cidrs\":[\"" + extra + "\",");
  }

  private static String jsonArray(String... entries) {
    StringBuilder out = new StringBuilder("[");
    for (int i = 0; i < entries.length; i++) {
      out.append(i == 0 ? "" : ",").append('"').append(entries[i]).append('"');
    }
    return out.append(']').toString();
  }

  private static String load(String name) {
    try (InputStream in = Bodies.class.getResourceAsStream("bodies/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing test body " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
