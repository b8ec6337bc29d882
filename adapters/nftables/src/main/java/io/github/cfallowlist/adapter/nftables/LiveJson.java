package io.github.cfallowlist.adapter.nftables;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.JsonValues;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.adapter.nftables.NftablesConfig.Rule;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns {@code nft -j list ...} output into an {@link NftablesConfig}. What it recognises becomes
 * sets and rules; everything else becomes a note, so that it shows as a change and the next apply
 * replaces it.
 */
final class LiveJson {
  private static final Set<String> TABLE_KEYS = Set.of("family", "name", "handle");
  private static final Set<String> SET_KEYS =
      Set.of("family", "name", "table", "type", "handle", "flags", "elem");
  private static final Set<String> CHAIN_KEYS =
      Set.of("family", "table", "name", "handle", "type", "hook", "prio", "policy");
  private static final Set<String> RULE_KEYS = Set.of("family", "table", "chain", "handle", "expr");

  private final EnumMap<IpFamily, List<Cidr>> sets = new EnumMap<>(IpFamily.class);
  private final List<Rule> rules = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final boolean strict;
  private boolean chain;

  private LiveJson(boolean strict) {
    this.strict = strict;
  }

  /**
   * The model of a whole table listed with {@code nft -j list table FAMILY NAME}, read from nft's
   * output as nft prints it.
   */
  static NftablesConfig table(Layout layout, InputStream json) throws IOException {
    LiveJson live = new LiveJson(true);
    for (Map<?, ?> item : items(new Listing(json))) {
      live.item(item);
    }
    return live.config(layout);
  }

  /** {@code json} as the bytes nft would print. */
  private static InputStream stream(String json) {
    return new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The model of the sets listed one by one with {@code nft -j list set FAMILY TABLE NAME}; a table
   * holding user rules has no chain of ours. Users often declare these sets themselves (so that
   * their rules can load before the first run), so properties such as {@code auto-merge}, {@code
   * size} or a comment are theirs to choose: only the type and the interval flag matter.
   */
  static NftablesConfig sets(Layout layout, List<String> jsons) throws IOException {
    LiveJson live = new LiveJson(false);
    for (String json : jsons) {
      for (Map<?, ?> item : items(new Listing(stream(json)))) {
        if (item.get("set") instanceof Map<?, ?> set) {
          live.set(set);
        }
      }
    }
    return live.config(layout);
  }

  /**
   * The tables listed with {@code nft -j list tables}, each as nft commands name it ({@code inet
   * filter}).
   */
  static Set<String> tables(String json) throws IOException {
    Set<String> out = new TreeSet<>();
    for (Map<?, ?> item : items(new Listing(stream(json)))) {
      if (item.get("table") instanceof Map<?, ?> table
          && table.get("family") instanceof String family
          && table.get("name") instanceof String name) {
        out.add(family + " " + name);
      }
    }
    return out;
  }

  /**
   * JSON read from a stream as it arrives. What has been read is kept, so that an element that is
   * not a plain prefix can be read again from its own text.
   */
  private static final class Listing {
    private final Seen seen = new Seen();
    private final InputStream in;

    Listing(InputStream in) {
      this.in = in;
    }

    JsonParser parser() throws IOException {
      // The stream is the caller's to close: the parser leaves it open.
      return JsonValues.strictFactory()
          .createParser(
              new FilterInputStream(in) {
                @Override
                public int read() throws IOException {
                  int b = super.read();
                  if (b >= 0) {
                    seen.write(b);
                  }
                  return b;
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                  int n = super.read(buffer, offset, length);
                  if (n > 0) {
                    seen.write(buffer, offset, n);
                  }
                  return n;
                }
              })
          .disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
    }

    /** Where {@code location} is, in bytes. */
    long offset(JsonLocation location) throws IOException {
      long offset = location.getByteOffset();
      if (offset < 0) {
        // Only a parser of bytes in UTF-8 counts them.
        throw new IOException("nft printed JSON that is not in UTF-8");
      }
      return offset;
    }

    /** The text from byte {@code start} to byte {@code end} (exclusive). */
    String text(long start, long end) {
      return seen.text((int) start, (int) end);
    }
  }

  /** The bytes read so far, whose text can be taken without copying them all. */
  private static final class Seen extends ByteArrayOutputStream {
    String text(int start, int end) {
      return new String(buf, start, end - start, StandardCharsets.UTF_8);
    }
  }

  private NftablesConfig config(Layout layout) {
    EnumMap<IpFamily, List<Cidr>> normalized = new EnumMap<>(IpFamily.class);
    // Sorted the way render sorts, so equal contents give equal text.
    sets.forEach((family, cidrs) -> normalized.put(family, RangeSet.of(cidrs).get(family)));
    return new NftablesConfig(
        layout, normalized, chain ? Optional.of(rules) : Optional.empty(), notes);
  }

  /**
   * The objects of the {@code "nftables"} list, read as a stream: the elements of a set are turned
   * into prefixes as they are read ({@link #element}), so a set of 100,000 ranges never stands in
   * memory as 100,000 small maps.
   */
  private static List<Map<?, ?>> items(Listing json) throws IOException {
    List<Map<?, ?>> out = null;
    try (JsonParser parser = json.parser()) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw new IOException("nft printed JSON that cannot be read: it printed nothing");
      }
      if (first == JsonToken.START_OBJECT) {
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String field = parser.currentName();
          if (parser.nextToken() == JsonToken.START_ARRAY && "nftables".equals(field)) {
            out = new ArrayList<>();
            while (parser.nextToken() != JsonToken.END_ARRAY) {
              if (parser.currentToken() == JsonToken.START_OBJECT) {
                out.add(readItem(parser, json));
              } else {
                parser.skipChildren();
              }
            }
          } else {
            parser.skipChildren();
          }
        }
      }
    } catch (JsonProcessingException e) {
      throw new IOException("nft printed JSON that cannot be read: " + e.getMessage(), e);
    }
    if (out == null) {
      throw new IOException("nft printed JSON without an \"nftables\" list");
    }
    return out;
  }

  /**
   * One object of the list, such as {@code {"set": {...}}}; a set's body is read by {@link
   * #readSet}.
   */
  private static Map<String, Object> readItem(JsonParser parser, Listing json) throws IOException {
    Map<String, Object> out = new LinkedHashMap<>();
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String field = parser.currentName();
      boolean object = parser.nextToken() == JsonToken.START_OBJECT;
      out.put(
          field, object && "set".equals(field) ? readSet(parser, json) : JsonValues.value(parser));
    }
    return out;
  }

  /** A set's body, its {@code "elem"} list read element by element with {@link #element}. */
  private static Map<String, Object> readSet(JsonParser parser, Listing json) throws IOException {
    Map<String, Object> out = new LinkedHashMap<>();
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String field = parser.currentName();
      if (parser.nextToken() == JsonToken.START_ARRAY && "elem".equals(field)) {
        List<Object> elements = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          elements.add(element(parser, json));
        }
        out.put(field, elements);
      } else {
        out.put(field, JsonValues.value(parser));
      }
    }
    return out;
  }

  /**
   * The set element the parser stands at the first token of: a plain prefix ({@code
   * {"prefix":{"addr":A,"len":N}}}, nearly every element) read token by token into its {@link
   * Cidr}; any other element, or one whose prefix does not parse, read again from its own text as
   * plain values, for {@link #prefixes} to judge.
   */
  private static Object element(JsonParser parser, Listing json) throws IOException {
    if (parser.currentToken() != JsonToken.START_OBJECT) {
      return JsonValues.value(parser);
    }
    JsonStreamContext list = parser.getParsingContext().getParent();
    long start = json.offset(parser.currentTokenLocation());
    Cidr prefix = plainPrefix(parser);
    if (prefix != null) {
      return prefix;
    }
    // Wherever the plain form was left, go on to the element's end: the list's context again.
    while (parser.currentToken() != JsonToken.END_OBJECT || parser.getParsingContext() != list) {
      if (parser.nextToken() == null) {
        throw new IOException("nft printed JSON that ends inside a set element");
      }
    }
    long end = json.offset(parser.currentTokenLocation()) + 1;
    return JsonValues.read(json.text(start, end));
  }

  /**
   * Reads the rest of an element of the form {@code {"prefix":{"addr":A,"len":N}}} and returns its
   * prefix, or null as soon as the element is anything else (the parser then stands somewhere
   * inside it).
   */
  private static Cidr plainPrefix(JsonParser parser) throws IOException {
    if (parser.nextToken() != JsonToken.FIELD_NAME
        || !"prefix".equals(parser.currentName())
        || parser.nextToken() != JsonToken.START_OBJECT) {
      return null;
    }
    String address = null;
    int length = -1;
    for (int i = 0; i < 2; i++) {
      if (parser.nextToken() != JsonToken.FIELD_NAME) {
        return null;
      }
      String field = parser.currentName();
      JsonToken value = parser.nextToken();
      if ("addr".equals(field) && value == JsonToken.VALUE_STRING && address == null) {
        address = parser.getText();
      } else if ("len".equals(field)
          && value == JsonToken.VALUE_NUMBER_INT
          && parser.getNumberType() == JsonParser.NumberType.INT
          && length < 0) {
        length = parser.getIntValue();
      } else {
        return null;
      }
    }
    // The end of the prefix's object, then of the element's.
    for (int i = 0; i < 2; i++) {
      if (parser.nextToken() != JsonToken.END_OBJECT) {
        return null;
      }
    }
    try {
      return Cidr.parse(address + "/" + length);
    } catch (IllegalArgumentException e) {
      return null; // host bits set or otherwise not a prefix: judged again as read
    }
  }

  private void item(Map<?, ?> item) {
    for (Map.Entry<?, ?> e : item.entrySet()) {
      String kind = String.valueOf(e.getKey());
      Map<?, ?> body = e.getValue() instanceof Map<?, ?> m ? m : Map.of();
      switch (kind) {
        case "metainfo" -> {}
        case "table" -> {
          if (!TABLE_KEYS.containsAll(body.keySet())) {
            notes.add("table properties " + keys(body, TABLE_KEYS));
          }
        }
        case "set" -> set(body);
        case "chain" -> chain(body);
        case "rule" -> rule(body);
        default -> notes.add(kind + " " + name(body));
      }
    }
  }

  private void set(Map<?, ?> body) {
    Optional<IpFamily> family = ourSet(body.get("name"));
    if (family.isEmpty()) {
      notes.add("set " + name(body));
      return;
    }
    String name = Layout.setName(family.get());
    Object flags = body.get("flags");
    boolean interval =
        "interval".equals(flags)
            || (flags instanceof List<?> l
                && (strict ? l.equals(List.of("interval")) : l.contains("interval")));
    if (!Layout.setType(family.get()).equals(body.get("type")) || !interval) {
      notes.add("set " + name + " of another type or flags");
    }
    if (strict && !SET_KEYS.containsAll(body.keySet())) {
      notes.add("set " + name + " properties " + keys(body, SET_KEYS));
    }
    List<Cidr> cidrs = sets.computeIfAbsent(family.get(), f -> new ArrayList<>());
    int foreign = 0;
    if (body.get("elem") instanceof List<?> elements) {
      for (Object element : elements) {
        List<Cidr> found = prefixes(element);
        boolean ours = !found.isEmpty();
        for (Cidr c : found) {
          ours &= c.family() == family.get();
        }
        if (ours) {
          cidrs.addAll(found);
        } else {
          foreign++;
        }
      }
    }
    if (foreign > 0) {
      notes.add(
          foreign + " element(s) of set " + name + " that are not " + family.get() + " prefixes");
    }
  }

  /**
   * The prefixes one set element covers: a prefix, a single address, or a range split into prefix
   * blocks; empty when the element is none of these.
   */
  static List<Cidr> prefixes(Object element) {
    if (element instanceof Cidr cidr) {
      return List.of(cidr); // read as one already
    }
    if (element instanceof Map<?, ?> m && m.get("elem") instanceof Map<?, ?> wrapped) {
      return prefixes(wrapped.get("val")); // an element carrying a comment, counter or timeout
    }
    try {
      if (element instanceof String address) {
        return Cidr.host(address).map(List::of).orElse(List.of());
      }
      if (element instanceof Map<?, ?> m && m.get("prefix") instanceof Map<?, ?> p) {
        if (p.get("addr") instanceof String addr && p.get("len") instanceof Number len) {
          return List.of(Cidr.parse(addr + "/" + len.intValue()));
        }
      }
      if (element instanceof Map<?, ?> m
          && m.get("range") instanceof List<?> r
          && r.size() == 2
          && r.get(0) instanceof String low
          && r.get(1) instanceof String high) {
        return Cidr.span(low, high);
      }
    } catch (IllegalArgumentException e) {
      return List.of(); // host bits set or otherwise not a prefix: reported as a note
    }
    return List.of();
  }

  private void chain(Map<?, ?> body) {
    boolean ours =
        Layout.CHAIN.equals(body.get("name"))
            && "filter".equals(body.get("type"))
            && "input".equals(body.get("hook"))
            && body.get("prio") instanceof Number prio
            && prio.intValue() == NftablesConfig.CHAIN_PRIORITY
            && "accept".equals(body.get("policy"))
            && CHAIN_KEYS.containsAll(body.keySet());
    if (ours && !chain) {
      chain = true;
    } else {
      notes.add(
          "chain "
              + name(body)
              + (Layout.CHAIN.equals(body.get("name"))
                  ? " with another type, hook, priority or policy"
                  : ""));
    }
  }

  private void rule(Map<?, ?> body) {
    Optional<Rule> rule =
        chain && Layout.CHAIN.equals(body.get("chain")) && RULE_KEYS.containsAll(body.keySet())
            ? dropRule(body.get("expr"))
            : Optional.empty();
    if (rule.isPresent() && sets.containsKey(rule.get().family())) {
      rules.add(rule.get());
    } else {
      notes.add(
          "rule handle " + number(body.get("handle")) + " in chain " + text(body.get("chain")));
    }
  }

  /** {@code iifname != "lo" tcp dport PORTS IP saddr != @SET drop}, as nft lists it in JSON. */
  private static Optional<Rule> dropRule(Object expr) {
    if (!(expr instanceof List<?> all) || all.size() != 4 || !notLoopback(all.get(0))) {
      return Optional.empty();
    }
    List<?> list = all.subList(1, 4);
    Optional<Map<?, ?>> dport = match(list.get(0), "==", "tcp", "dport");
    Optional<List<Integer>> ports = dport.flatMap(m -> ports(m.get("right")));
    Optional<IpFamily> family = Optional.empty();
    for (IpFamily f : IpFamily.values()) {
      Optional<Map<?, ?>> saddr = match(list.get(1), "!=", Layout.saddrProtocol(f), "saddr");
      if (saddr.isPresent() && ("@" + Layout.setName(f)).equals(saddr.get().get("right"))) {
        family = Optional.of(f);
      }
    }
    boolean drop =
        list.get(2) instanceof Map<?, ?> d
            && d.size() == 1
            && d.containsKey("drop")
            && d.get("drop") == null;
    if (ports.isEmpty() || family.isEmpty() || !drop) {
      return Optional.empty();
    }
    return Optional.of(new Rule(family.get(), ports.get()));
  }

  /** {@code iifname != "lo"}: local connections (health checks on 127.0.0.1) are never ours. */
  private static boolean notLoopback(Object e) {
    return e instanceof Map<?, ?> outer
        && outer.size() == 1
        && outer.get("match") instanceof Map<?, ?> m
        && m.size() == 3
        && "!=".equals(m.get("op"))
        && m.get("left") instanceof Map<?, ?> left
        && left.size() == 1
        && left.get("meta") instanceof Map<?, ?> meta
        && meta.size() == 1
        && "iifname".equals(meta.get("key"))
        && "lo".equals(m.get("right"));
  }

  private static Optional<Map<?, ?>> match(Object e, String op, String protocol, String field) {
    if (e instanceof Map<?, ?> outer
        && outer.size() == 1
        && outer.get("match") instanceof Map<?, ?> m
        && m.size() == 3
        && op.equals(m.get("op"))
        && m.get("left") instanceof Map<?, ?> left
        && left.size() == 1
        && left.get("payload") instanceof Map<?, ?> p
        && p.size() == 2
        && protocol.equals(p.get("protocol"))
        && field.equals(p.get("field"))) {
      return Optional.of(m);
    }
    return Optional.empty();
  }

  /** One port ({@code 8080}) or an anonymous set of ports ({@code {"set":[80,443]}}). */
  private static Optional<List<Integer>> ports(Object right) {
    List<?> values;
    if (right instanceof Number) {
      values = List.of(right);
    } else if (right instanceof Map<?, ?> m && m.size() == 1 && m.get("set") instanceof List<?> l) {
      values = l;
    } else {
      return Optional.empty();
    }
    List<Integer> ports = new ArrayList<>();
    for (Object v : values) {
      if (!(v instanceof Integer port) || port < 1 || port > 65535 || ports.contains(port)) {
        return Optional.empty();
      }
      ports.add(port);
    }
    return ports.isEmpty() ? Optional.empty() : Optional.of(ports);
  }

  private static Optional<IpFamily> ourSet(Object name) {
    for (IpFamily family : IpFamily.values()) {
      if (Layout.setName(family).equals(name)) {
        return Optional.of(family);
      }
    }
    return Optional.empty();
  }

  private static String name(Map<?, ?> body) {
    return text(body.get("name"));
  }

  private static String text(Object value) {
    return value == null ? "?" : Printable.of(String.valueOf(value));
  }

  private static String number(Object value) {
    return value instanceof Number n ? String.valueOf(n.longValue()) : "?";
  }

  private static String keys(Map<?, ?> body, Set<String> known) {
    List<String> extra = new ArrayList<>();
    for (Object k : body.keySet()) {
      if (!known.contains(String.valueOf(k))) {
        extra.add(text(k));
      }
    }
    extra.sort(null);
    return String.join(", ", extra);
  }
}
