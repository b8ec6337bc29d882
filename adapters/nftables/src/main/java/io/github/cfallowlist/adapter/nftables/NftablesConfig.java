package io.github.cfallowlist.adapter.nftables;

import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Mode;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.TargetOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What cf-allowlist keeps in one nftables table, whether desired or found on the live system: the
 * sets with their prefixes, the restrict chain's rules, and notes on anything in place that
 * cf-allowlist did not write. Rendering it gives the {@code nft -f} script; parsing the script
 * gives it back.
 *
 * @param layout the table
 * @param sets the declared sets and their prefixes, by family
 * @param chain the rules of the {@code input} chain, when the chain is declared
 * @param notes what the live table holds beyond this model (never in a desired configuration)
 */
record NftablesConfig(
    Layout layout, Map<IpFamily, List<Cidr>> sets, Optional<List<Rule>> chain, List<String> notes) {

  /** The name of the rendered script. */
  static final String FILE_NAME = "cf_allowlist.nft";

  /** Prefix of the comment lines describing live objects cf-allowlist did not write. */
  static final String NOTE = "# not written by cf-allowlist: ";

  static final String CHAIN_SPEC = "type filter hook input priority filter - 10; policy accept;";
  static final int CHAIN_PRIORITY = -10;

  /** How the address parser names an entry it does not quote (a list's entries are untrusted). */
  private static final Pattern HIDDEN_ENTRY =
      Pattern.compile("an entry of [0-9]+ characters \\(not shown: [^)]*\\)");

  /**
   * One drop rule: TCP to {@code ports} from a source of {@code family} outside that family's set.
   */
  record Rule(IpFamily family, List<Integer> ports) {
    Rule {
      ports = List.copyOf(new TreeSet<>(ports));
    }
  }

  NftablesConfig {
    EnumMap<IpFamily, List<Cidr>> copy = new EnumMap<>(IpFamily.class);
    sets.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    sets = Collections.unmodifiableMap(copy);
    chain = chain.map(List::copyOf);
    notes = List.copyOf(notes);
  }

  /**
   * The configuration holding {@code snapshot}'s ranges of the families in use, in {@code layout}.
   *
   * @throws CfAllowlistException for {@code --mode allow} in the own table, or when restrict mode
   *     in the own table would leave a family in use with no range at all (which would lock
   *     everyone out of the ports)
   */
  static NftablesConfig desired(RangeSnapshot snapshot, TargetOptions options, Layout layout) {
    requireSupportedMode(layout, options);
    RangeSet ranges = snapshot.ranges().restrictTo(options.families());
    if (layout.ownTable()) {
      Guards.requireRangesToRestrict("nftables", ranges, options);
    }
    Map<IpFamily, List<Cidr>> sets = new EnumMap<>(IpFamily.class);
    List<Rule> rules = new ArrayList<>();
    for (IpFamily family : options.families().members()) {
      sets.put(family, ranges.get(family));
      rules.add(new Rule(family, options.ports()));
    }
    return new NftablesConfig(
        layout, sets, layout.ownTable() ? Optional.of(rules) : Optional.empty(), List.of());
  }

  /**
   * Refuses {@code --mode allow} in the own table: in nftables a drop in any base chain is final
   * while an accept is not, so an accept there could never override a drop in the user's rules.
   */
  static void requireSupportedMode(Layout layout, TargetOptions options) {
    if (layout.ownTable() && options.mode() == Mode.ALLOW) {
      throw new CfAllowlistException(
          "nftables: --mode allow needs --nft-table FAMILY NAME (an existing table holding your"
              + " own accept rules): an accept in cf-allowlist's own table cannot override a drop"
              + " elsewhere, so only --mode restrict works there; nothing was changed");
    }
  }

  /** This configuration as the one {@value #FILE_NAME} file, headed for {@code snapshot}. */
  Rendered rendered(RangeSnapshot snapshot) {
    return Rendered.single(FILE_NAME, render(Header.commented(snapshot, "# ")));
  }

  /** All prefixes held, by family. */
  RangeSet ranges() {
    List<Cidr> all = new ArrayList<>();
    sets.values().forEach(all::addAll);
    return RangeSet.of(all);
  }

  /** The {@code nft -f} script: {@code header}, then the declarations, then the refill. */
  String render(String header) {
    StringBuilder out = new StringBuilder(header.length() + 512 + 24 * size());
    try {
      renderTo(header, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringBuilder does not throw
    }
    return out.toString();
  }

  /** How many prefixes the sets hold. */
  int size() {
    int n = 0;
    for (List<Cidr> cidrs : sets.values()) {
      n += cidrs.size();
    }
    return n;
  }

  /**
   * Writes the {@link #render(String)} script to {@code out} as it goes, without holding it whole.
   *
   * @throws IOException when {@code out} cannot be written
   */
  void renderTo(String header, Appendable out) throws IOException {
    String ref = layout.ref();
    out.append(header);
    // Declaring objects that already exist is a no-op in nft, so the script runs on a fresh
    // system and on one already holding the table alike.
    out.append("table ").append(ref).append(" {\n");
    for (IpFamily family : sets.keySet()) {
      out.append("\tset ").append(Layout.setName(family)).append(" {\n");
      out.append("\t\ttype ").append(Layout.setType(family)).append('\n');
      out.append("\t\tflags interval\n");
      out.append("\t}\n");
    }
    if (chain.isPresent()) {
      out.append("\tchain ").append(Layout.CHAIN).append(" {\n");
      out.append("\t\t").append(CHAIN_SPEC).append('\n');
      out.append("\t}\n");
    }
    out.append("}\n");
    for (String note : notes) {
      out.append(NOTE).append(note).append('\n');
    }
    // Flush and refill happen in the same transaction as everything else in the file: packets
    // see the old set or the new one, never an empty one.
    for (Map.Entry<IpFamily, List<Cidr>> entry : sets.entrySet()) {
      String set = ref + " " + Layout.setName(entry.getKey());
      out.append("\nflush set ").append(set).append('\n');
      if (!entry.getValue().isEmpty()) {
        out.append("add element ").append(set).append(" {\n");
        for (Cidr cidr : entry.getValue()) {
          out.append('\t').append(cidr.toString()).append(",\n");
        }
        out.append("}\n");
      }
    }
    if (chain.isPresent()) {
      out.append("\nflush chain ").append(ref).append(' ').append(Layout.CHAIN).append('\n');
      for (Rule rule : chain.get()) {
        out.append(ruleLine(rule)).append('\n');
      }
    }
  }

  private String ruleLine(Rule rule) {
    StringBuilder ports = new StringBuilder();
    for (Integer port : rule.ports()) {
      ports.append(ports.length() == 0 ? "" : ", ").append(port);
    }
    return "add rule "
        + layout.ref()
        + " "
        + Layout.CHAIN
        + " iifname != \"lo\" tcp dport { "
        + ports
        + " } "
        + Layout.saddrProtocol(rule.family())
        + " saddr != @"
        + Layout.setName(rule.family())
        + " drop";
  }

  /**
   * Reads a configuration {@link #rendered} wrote for {@code layout}: exactly one file, {@value
   * #FILE_NAME}.
   *
   * @throws ConfigParseException naming the file, the line number and the line of the first line
   *     this target does not write
   */
  static NftablesConfig parse(Rendered config, Layout layout) {
    for (Rendered.File file : config.files()) {
      if (!file.name().equals(FILE_NAME)) {
        throw new ConfigParseException(
            "nftables: unexpected file "
                + Printable.of(file.name())
                + ", only "
                + FILE_NAME
                + " is written");
      }
    }
    Rendered.File file =
        config
            .file(FILE_NAME)
            .orElseThrow(() -> new ConfigParseException("nftables: no " + FILE_NAME + " file"));
    return parse(FILE_NAME, file.content(), layout);
  }

  /**
   * Reads a script {@link #render} wrote for {@code layout}.
   *
   * @throws ConfigParseException naming {@code fileName}, the line number and the line of the first
   *     line that is not exactly what {@link #render} writes
   */
  static NftablesConfig parse(String fileName, String text, Layout layout) {
    return new Parser(fileName, text, layout).parse();
  }

  /** A line-by-line reader of the rendered grammar; anything else is refused. */
  private static final class Parser {
    private final String fileName;
    private final List<String> lines;
    private final Layout layout;
    private final String ref;
    private int index; // 0-based index of the next line

    private final EnumMap<IpFamily, List<Cidr>> sets = new EnumMap<>(IpFamily.class);
    private final EnumMap<IpFamily, Integer> setLines = new EnumMap<>(IpFamily.class);
    private final EnumMap<IpFamily, Boolean> flushed = new EnumMap<>(IpFamily.class);
    private int chainLine = -1;
    private boolean chainFlushed;
    private final List<Rule> rules = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    Parser(String fileName, String text, Layout layout) {
      this.fileName = fileName;
      List<String> all = new ArrayList<>(List.of(text.split("\n", -1)));
      if (!all.isEmpty() && all.get(all.size() - 1).isEmpty()) {
        all.remove(all.size() - 1);
      }
      this.lines = all;
      this.layout = layout;
      this.ref = layout.ref();
    }

    NftablesConfig parse() {
      while (index < lines.size() && lines.get(index).startsWith("#") && !isNote(peek())) {
        index++;
      }
      skipBlank();
      if (!("table " + ref + " {").equals(next())) {
        throw fail(index, "expected 'table " + ref + " {'");
      }
      declarations();
      while (index < lines.size()) {
        String line = next();
        int at = index;
        if (line.isEmpty()) {
          continue;
        }
        if (isNote(line)) {
          notes.add(line.substring(NOTE.length()));
        } else if (line.startsWith("flush set " + ref + " ")) {
          refill(setFamily(line.substring(("flush set " + ref + " ").length()), at), at);
        } else if (line.equals("flush chain " + ref + " " + Layout.CHAIN)) {
          if (chainLine < 0 || chainFlushed) {
            throw fail(at, "flushes a chain that is not declared above, or twice");
          }
          chainFlushed = true;
          while (index < lines.size() && peek().startsWith("add rule ")) {
            rules.add(rule(next(), index));
          }
        } else {
          throw fail(at, "not a line cf-allowlist writes");
        }
      }
      for (IpFamily family : sets.keySet()) {
        if (!flushed.containsKey(family)) {
          throw fail(setLines.get(family), "declares a set the file never flushes and refills");
        }
      }
      if (chainLine >= 0 && !chainFlushed) {
        throw fail(chainLine, "declares a chain the file never flushes and refills");
      }
      return new NftablesConfig(
          layout, sets, chainLine >= 0 ? Optional.of(rules) : Optional.empty(), notes);
    }

    private void declarations() {
      while (true) {
        String line = next();
        int at = index;
        if (line == null) {
          throw fail(at, "the table declaration is not closed with '}'");
        }
        if (line.equals("}")) {
          return;
        }
        Optional<IpFamily> set = declaredSet(line);
        if (set.isPresent()) {
          IpFamily family = set.get();
          if (sets.containsKey(family)) {
            throw fail(at, "declares the set twice");
          }
          expect("\t\ttype " + Layout.setType(family));
          expect("\t\tflags interval");
          expect("\t}");
          sets.put(family, new ArrayList<>());
          setLines.put(family, at);
        } else if (line.equals("\tchain " + Layout.CHAIN + " {") && chainLine < 0) {
          expect("\t\t" + CHAIN_SPEC);
          expect("\t}");
          chainLine = at;
        } else {
          throw fail(at, "not a declaration cf-allowlist writes");
        }
      }
    }

    private Optional<IpFamily> declaredSet(String line) {
      for (IpFamily family : IpFamily.values()) {
        if (line.equals("\tset " + Layout.setName(family) + " {")) {
          return Optional.of(family);
        }
      }
      return Optional.empty();
    }

    private IpFamily setFamily(String name, int at) {
      for (IpFamily family : sets.keySet()) {
        if (Layout.setName(family).equals(name)) {
          return family;
        }
      }
      throw fail(at, "names a set that is not declared above");
    }

    private void refill(IpFamily family, int at) {
      if (flushed.containsKey(family)) {
        throw fail(at, "flushes the set twice");
      }
      flushed.put(family, true);
      String add = "add element " + ref + " " + Layout.setName(family) + " {";
      if (index >= lines.size() || !peek().equals(add)) {
        return; // an empty set: flushed, nothing added
      }
      next();
      List<Cidr> cidrs = sets.get(family);
      while (true) {
        String line = next();
        int lineAt = index;
        if (line == null) {
          throw fail(lineAt, "the element list is not closed with '}'");
        }
        if (line.equals("}")) {
          return;
        }
        if (!line.startsWith("\t") || !line.endsWith(",")) {
          throw fail(lineAt, "expected one prefix per line, such as '\\t173.245.48.0/20,'");
        }
        Cidr cidr;
        try {
          cidr = Cidr.parse(line.substring(1, line.length() - 1));
        } catch (IllegalArgumentException e) {
          // The line is quoted (escaped) after the reason, so the reason need not hide it.
          String why = HIDDEN_ENTRY.matcher(String.valueOf(e.getMessage())).replaceFirst("it");
          throw fail(lineAt, "not a prefix (" + why + ")");
        }
        if (cidr.family() != family) {
          throw fail(lineAt, "an " + cidr.family() + " prefix in the " + family + " set");
        }
        cidrs.add(cidr);
      }
    }

    private Rule rule(String line, int at) {
      String head = "add rule " + ref + " " + Layout.CHAIN + " iifname != \"lo\" tcp dport { ";
      int close = line.indexOf(" } ");
      if (!line.startsWith(head) || close < head.length()) {
        throw fail(at, "not a rule cf-allowlist writes");
      }
      String tail = line.substring(close + 3);
      for (IpFamily family : IpFamily.values()) {
        String want =
            Layout.saddrProtocol(family) + " saddr != @" + Layout.setName(family) + " drop";
        if (tail.equals(want)) {
          if (!sets.containsKey(family)) {
            throw fail(at, "uses a set that is not declared above");
          }
          return new Rule(family, ports(line.substring(head.length(), close), at));
        }
      }
      throw fail(at, "not a rule cf-allowlist writes");
    }

    private List<Integer> ports(String text, int at) {
      List<Integer> ports = new ArrayList<>();
      for (String word : text.split(", ", -1)) {
        int port;
        try {
          port = Integer.parseInt(word);
        } catch (NumberFormatException e) {
          throw fail(at, "'" + Printable.of(word) + "' is not a port number");
        }
        if (port < 1 || port > 65535 || !String.valueOf(port).equals(word)) {
          throw fail(at, "'" + Printable.of(word) + "' is not a port number");
        }
        if (!ports.isEmpty() && ports.get(ports.size() - 1) >= port) {
          throw fail(at, "the ports are not in ascending order");
        }
        ports.add(port);
      }
      return ports;
    }

    private void expect(String want) {
      String line = next();
      if (!want.equals(line)) {
        throw fail(index, "expected '" + want.strip() + "'");
      }
    }

    private void skipBlank() {
      while (index < lines.size() && lines.get(index).isEmpty()) {
        index++;
      }
    }

    private static boolean isNote(String line) {
      return line != null && line.startsWith(NOTE);
    }

    private String peek() {
      return index < lines.size() ? lines.get(index) : null;
    }

    /** The next line, or null at the end; afterwards {@code index} is its 1-based number. */
    private String next() {
      String line = peek();
      index++;
      return line;
    }

    /** {@code lineNumber} is 1-based. */
    private ConfigParseException fail(int lineNumber, String why) {
      String line =
          lineNumber >= 1 && lineNumber <= lines.size() ? lines.get(lineNumber - 1) : null;
      return new ConfigParseException(
          fileName
              + " line "
              + lineNumber
              + ": "
              + why
              + (line == null ? " (end of file)" : ": '" + Printable.of(line) + "'"));
    }
  }
}
