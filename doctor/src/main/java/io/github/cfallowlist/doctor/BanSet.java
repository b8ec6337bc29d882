package io.github.cfallowlist.doctor;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An nftables set or an ipset, with its elements as the tool prints them.
 *
 * @param kind {@code nftables} or {@code ipset}
 * @param family the nftables table's family ({@code inet}, {@code ip}, ...); empty for an ipset
 * @param table the nftables table; empty for an ipset
 * @param name the set's name
 * @param elements each element as text: an address, a prefix, a range or, for a concatenation, its
 *     parts joined by {@code " . "} (nftables) or {@code ","} (ipset), address first
 */
record BanSet(String kind, String family, String table, String name, List<String> elements) {

  static final String NFTABLES = "nftables";
  static final String IPSET = "ipset";

  /** The words a ban list's name holds, compared without case. */
  static final List<String> BAN_WORDS =
      List.of("f2b", "fail2ban", "crowdsec", "ban", "block", "blacklist", "deny", "drop");

  /** Copies the elements. */
  BanSet {
    elements = List.copyOf(elements);
  }

  /**
   * Whether the set is named like a ban list: its name, or for nftables its table's name, holds one
   * of {@link #BAN_WORDS}. cf-allowlist's own sets (table {@code cf_allowlist}, sets {@code
   * cloudflare_v4/v6}, ipsets {@code cf-allowlist-*} and firewalld's {@code cloudflare-v4/v6})
   * never count.
   */
  boolean namedLikeBanList() {
    if (ownSet()) {
      return false;
    }
    return banWord(name) || (kind.equals(NFTABLES) && banWord(table));
  }

  private boolean ownSet() {
    if (kind.equals(NFTABLES)) {
      return table.equals("cf_allowlist")
          || name.equals("cloudflare_v4")
          || name.equals("cloudflare_v6");
    }
    return name.startsWith("cf-allowlist")
        || name.equals("cloudflare-v4")
        || name.equals("cloudflare-v6");
  }

  private static boolean banWord(String text) {
    String lower = text.toLowerCase(Locale.ROOT);
    return BAN_WORDS.stream().anyMatch(lower::contains);
  }

  /** The set as people name it: {@code nftables set inet f2b-table addr-set-sshd}. */
  String label() {
    return kind.equals(NFTABLES)
        ? "nftables set " + family + " " + table + " " + name
        : "ipset " + name;
  }

  /** The address part of an element: what comes before a concatenation's port or interface. */
  static String addressPart(String element) {
    int dot = element.indexOf(" . ");
    String first = dot >= 0 ? element.substring(0, dot) : element;
    int comma = first.indexOf(',');
    return comma >= 0 ? first.substring(0, comma) : first;
  }

  /** The command that removes {@code element} from this set. */
  String removeCommand(String element) {
    return kind.equals(NFTABLES)
        ? "nft delete element " + family + " " + table + " " + name + " '{ " + element + " }'"
        : "ipset del " + name + " " + element;
  }

  /**
   * Parses {@code nft -j list sets}: every set with its elements (an address, {@code prefix},
   * {@code range}, an {@code elem} with a timeout, or a {@code concat}).
   *
   * @throws IOException when the output is not nftables' JSON
   */
  static List<BanSet> parseNft(String json) throws IOException {
    Object root;
    try {
      root = JSON.std.anyFrom(json);
    } catch (IOException e) {
      throw new IOException("'nft -j list sets' printed something that is not JSON", e);
    }
    if (!(root instanceof Map<?, ?> m) || !(m.get("nftables") instanceof List<?> items)) {
      throw new IOException("'nft -j list sets' printed JSON without an 'nftables' array");
    }
    List<BanSet> out = new ArrayList<>();
    for (Object item : items) {
      if (item instanceof Map<?, ?> im && im.get("set") instanceof Map<?, ?> set) {
        List<String> elements = new ArrayList<>();
        if (set.get("elem") instanceof List<?> elems) {
          for (Object e : elems) {
            elements.add(nftElement(e));
          }
        }
        out.add(
            new BanSet(
                NFTABLES,
                String.valueOf(set.get("family")),
                String.valueOf(set.get("table")),
                String.valueOf(set.get("name")),
                elements));
      }
    }
    return out;
  }

  private static String nftElement(Object e) {
    if (e instanceof Map<?, ?> m) {
      if (m.get("elem") instanceof Map<?, ?> inner) {
        return nftElement(inner.get("val"));
      }
      if (m.get("prefix") instanceof Map<?, ?> p) {
        return p.get("addr") + "/" + p.get("len");
      }
      if (m.get("range") instanceof List<?> r && r.size() == 2) {
        return nftElement(r.get(0)) + "-" + nftElement(r.get(1));
      }
      if (m.get("concat") instanceof List<?> parts) {
        List<String> texts = new ArrayList<>();
        parts.forEach(p -> texts.add(nftElement(p)));
        return String.join(" . ", texts);
      }
    }
    return String.valueOf(e);
  }

  /**
   * Parses {@code ipset save}: a {@code create NAME TYPE ...} line per set and an {@code add NAME
   * ELEMENT [options]} line per element.
   */
  static List<BanSet> parseIpset(String save) {
    Map<String, List<String>> sets = new LinkedHashMap<>();
    for (String line : save.lines().map(String::strip).toList()) {
      String[] f = line.split("\\s+", -1);
      if (f.length >= 2 && f[0].equals("create")) {
        sets.putIfAbsent(f[1], new ArrayList<>());
      } else if (f.length >= 3 && f[0].equals("add")) {
        sets.computeIfAbsent(f[1], k -> new ArrayList<>()).add(f[2]);
      }
    }
    List<BanSet> out = new ArrayList<>();
    sets.forEach((name, elements) -> out.add(new BanSet(IPSET, "", "", name, elements)));
    return out;
  }
}
