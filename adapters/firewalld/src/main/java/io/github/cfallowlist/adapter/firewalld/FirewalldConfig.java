package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.TargetOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The firewalld objects this target owns, as the XML files describe them: the {@code cloudflare}
 * zone and one ipset per family. Built from desired options for {@code render}, or from what
 * firewalld reports for {@code readLive}, so both render through the same code and compare byte for
 * byte; {@link #parse} reads rendered files back strictly. The XML itself is written and read by
 * {@link FirewalldXml}.
 *
 * @param zone the zone, when it exists
 * @param ipsets the ipsets that exist, by family
 */
record FirewalldConfig(Optional<Zone> zone, Map<IpFamily, Ipset> ipsets) {

  FirewalldConfig {
    Map<IpFamily, Ipset> copy = new EnumMap<>(IpFamily.class);
    copy.putAll(ipsets);
    ipsets = Collections.unmodifiableMap(copy);
  }

  /** Whether none of the objects exists. */
  boolean isEmpty() {
    return zone.isEmpty() && ipsets.isEmpty();
  }

  /**
   * The desired configuration for {@code snapshot}, rendered: the ipset files of the families in
   * use and the zone file.
   */
  static Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    Map<IpFamily, List<Cidr>> entries = new EnumMap<>(IpFamily.class);
    for (IpFamily family : options.families().members()) {
      entries.put(family, snapshot.ranges().get(family));
    }
    return desired(options.ports(), entries).render(snapshot);
  }

  /** These objects as files, with {@code header}'s header. */
  Rendered render(RangeSnapshot header) {
    return FirewalldXml.render(this, header);
  }

  /**
   * What the files of {@code config} describe, refusing anything this target does not write.
   *
   * @throws io.github.cfallowlist.ConfigParseException naming the file, line number and line
   */
  static FirewalldXml.Parsed parse(Rendered config) {
    return FirewalldXml.parse(config);
  }

  /** The desired objects: a zone allowing {@code ports} to the ipsets of {@code entries}. */
  static FirewalldConfig desired(List<Integer> ports, Map<IpFamily, List<Cidr>> entries) {
    List<Item> items = new ArrayList<>();
    for (int port : ports) {
      items.add(Item.port(Integer.toString(port), "tcp"));
    }
    Map<IpFamily, Ipset> ipsets = new EnumMap<>(IpFamily.class);
    for (Map.Entry<IpFamily, List<Cidr>> e : entries.entrySet()) {
      items.add(Item.source("ipset:" + Names.ipset(e.getKey())));
      ipsets.put(
          e.getKey(),
          new Ipset(
              Names.IPSET_TYPE,
              List.of("family=" + Names.ipsetFamily(e.getKey())),
              e.getValue().stream().map(Cidr::toString).toList(),
              false));
    }
    return new FirewalldConfig(Optional.of(new Zone("default", items, false)), ipsets);
  }

  /**
   * The zone.
   *
   * @param target firewalld's zone target; {@code default} is written as no attribute
   * @param items its settings, one XML element each, in firewalld's order
   * @param drift whether runtime and permanent configuration disagree about it
   */
  record Zone(String target, List<Item> items, boolean drift) {
    Zone {
      items = List.copyOf(new TreeSet<>(items));
    }

    /** The zone as both configurations hold it: the items either holds, and whether they differ. */
    static Zone merge(Zone runtime, Zone permanent) {
      Set<Item> all = new LinkedHashSet<>(runtime.items);
      all.addAll(permanent.items);
      boolean differ =
          !runtime.target.equals(permanent.target) || !runtime.items.equals(permanent.items);
      return new Zone(
          runtime.target.equals("default") ? permanent.target : runtime.target,
          List.copyOf(all),
          differ || runtime.drift || permanent.drift);
    }
  }

  /**
   * One zone setting, ordered as firewalld writes its zone files (ports before sources).
   *
   * @param order the setting's rank in firewalld's zone file
   * @param key sorts items of the same rank
   * @param xml the element, without indentation
   */
  record Item(int order, String key, String xml) implements Comparable<Item> {
    // The ranks follow firewalld's zone writer: common settings first, then interfaces, sources,
    // icmp-block-inversion and forward.
    static final int SERVICE = 0;
    static final int PORT = 1;
    static final int PROTOCOL = 2;
    static final int ICMP_BLOCK = 3;
    static final int MASQUERADE = 4;
    static final int FORWARD_PORT = 5;
    static final int SOURCE_PORT = 6;
    static final int RULE = 7;
    static final int INTERFACE = 8;
    static final int SOURCE = 9;
    static final int ICMP_BLOCK_INVERSION = 10;
    static final int FORWARD = 11;

    static Item port(String port, String protocol) {
      return new Item(
          PORT,
          portKey(port) + "/" + protocol,
          "<port port=\"" + Xml.attr(port) + "\" protocol=\"" + Xml.attr(protocol) + "\"/>");
    }

    static Item sourcePort(String port, String protocol) {
      return new Item(
          SOURCE_PORT,
          portKey(port) + "/" + protocol,
          "<source-port port=\"" + Xml.attr(port) + "\" protocol=\"" + Xml.attr(protocol) + "\"/>");
    }

    /** A source as firewalld lists it: {@code ipset:NAME}, a MAC address, or an address. */
    static Item source(String source) {
      String xml;
      if (source.startsWith("ipset:")) {
        xml = "<source ipset=\"" + Xml.attr(source.substring(6)) + "\"/>";
      } else if (source.matches("(?i)[0-9a-f]{2}(:[0-9a-f]{2}){5}")) {
        xml = "<source mac=\"" + Xml.attr(source) + "\"/>";
      } else {
        xml = "<source address=\"" + Xml.attr(source) + "\"/>";
      }
      return new Item(SOURCE, source, xml);
    }

    static Item named(int order, String element, String attribute, String value) {
      return new Item(
          order, value, "<" + element + " " + attribute + "=\"" + Xml.attr(value) + "\"/>");
    }

    static Item flag(int order, String element) {
      return new Item(order, "", "<" + element + "/>");
    }

    // Numeric order for ports (8080 after 443), with ranges and oddities after the numbers.
    private static String portKey(String port) {
      int end = 0;
      while (end < port.length() && end < 5 && Character.isDigit(port.charAt(end))) {
        end++;
      }
      String digits = port.substring(0, end);
      return "0".repeat(5 - digits.length()) + digits + port.substring(end);
    }

    @Override
    public int compareTo(Item other) {
      int c = Integer.compare(order, other.order);
      if (c == 0) {
        c = key.compareTo(other.key);
      }
      return c == 0 ? xml.compareTo(other.xml) : c;
    }

    /**
     * Equal components. Written out rather than left to the record: every run keeps items in hash
     * sets, and the generated method would spin method handles for it at each start.
     */
    @Override
    public boolean equals(Object o) {
      return o instanceof Item that
          && order == that.order
          && Objects.equals(key, that.key)
          && Objects.equals(xml, that.xml);
    }

    @Override
    public int hashCode() {
      return (31 * order + Objects.hashCode(key)) * 31 + Objects.hashCode(xml);
    }
  }

  /**
   * One ipset.
   *
   * @param type its firewalld type, {@code hash:net} for ours
   * @param options its options as firewalld lists them ({@code family=inet})
   * @param entries its entries as firewalld stores them
   * @param drift whether runtime and permanent configuration disagree about it
   */
  record Ipset(String type, List<String> options, List<String> entries, boolean drift) {
    Ipset {
      options = List.copyOf(new TreeSet<>(options));
      entries = List.copyOf(entries);
    }

    /**
     * The ipset as both configurations hold it: the entries both hold (so a range missing from
     * either shows as one to add), and whether they differ.
     */
    static Ipset merge(Ipset runtime, Ipset permanent) {
      Set<String> both = new LinkedHashSet<>(runtime.entries);
      both.retainAll(new LinkedHashSet<>(permanent.entries));
      boolean differ =
          !runtime.type.equals(permanent.type)
              || !runtime.options.equals(permanent.options)
              || !new TreeSet<>(runtime.entries).equals(new TreeSet<>(permanent.entries));
      return new Ipset(
          permanent.type,
          permanent.options,
          List.copyOf(both),
          differ || runtime.drift || permanent.drift);
    }
  }
}
