package io.github.cfallowlist.adapter.firewalld;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.XMLConstants;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParser;
import javax.xml.parsers.SAXParserFactory;
import org.xml.sax.Attributes;
import org.xml.sax.InputSource;
import org.xml.sax.Locator;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.XMLReader;
import org.xml.sax.ext.DefaultHandler2;

/** Writes the zone and ipset files in firewalld's own shape, and reads them back strictly. */
final class FirewalldXml {

  /** The comment readLive puts in a file whose object differs between runtime and permanent. */
  static final String DRIFT = "runtime and permanent configuration differ";

  private FirewalldXml() {}

  /**
   * What a set of files describes: the zone's ports and ipset sources, and each ipset's ranges.
   *
   * @param zone the zone, when its file is present
   * @param ipsets the ranges of each ipset present
   */
  record Parsed(Optional<ZoneSpec> zone, Map<IpFamily, List<Cidr>> ipsets) {
    RangeSet ranges() {
      List<Cidr> all = new ArrayList<>();
      ipsets.values().forEach(all::addAll);
      return RangeSet.of(all);
    }
  }

  /**
   * The zone's managed settings.
   *
   * @param ports the TCP ports it allows
   * @param sources the families whose ipset is a source of the zone
   */
  record ZoneSpec(List<Integer> ports, List<IpFamily> sources) {}

  // ---- writing

  static Rendered render(FirewalldConfig config, RangeSnapshot header) {
    String prologue = Xml.prologue(header);
    List<Rendered.File> files = new ArrayList<>();
    for (Map.Entry<IpFamily, FirewalldConfig.Ipset> e : config.ipsets().entrySet()) {
      files.add(new Rendered.File(Names.ipsetFile(e.getKey()), prologue + ipset(e.getValue())));
    }
    config.zone().ifPresent(z -> files.add(new Rendered.File(Names.ZONE_FILE, prologue + zone(z))));
    return new Rendered(files);
  }

  private static String ipset(FirewalldConfig.Ipset ipset) {
    StringBuilder out = new StringBuilder();
    out.append("<ipset type=\"").append(Xml.attr(ipset.type())).append("\">\n");
    drift(out, ipset.drift());
    for (String option : ipset.options()) {
      int eq = option.indexOf('=');
      out.append("  <option name=\"")
          .append(Xml.attr(eq < 0 ? option : option.substring(0, eq)))
          .append('"');
      if (eq >= 0) {
        out.append(" value=\"").append(Xml.attr(option.substring(eq + 1))).append('"');
      }
      out.append("/>\n");
    }
    for (String entry : ipset.entries()) {
      out.append("  <entry>").append(Xml.text(entry)).append("</entry>\n");
    }
    return out.append("</ipset>\n").toString();
  }

  private static String zone(FirewalldConfig.Zone zone) {
    StringBuilder out = new StringBuilder("<zone");
    if (!zone.target().equals("default")) {
      out.append(" target=\"").append(Xml.attr(zone.target())).append('"');
    }
    out.append(">\n");
    drift(out, zone.drift());
    for (FirewalldConfig.Item item : zone.items()) {
      out.append("  ").append(item.xml()).append('\n');
    }
    return out.append("</zone>\n").toString();
  }

  private static void drift(StringBuilder out, boolean drift) {
    if (drift) {
      out.append("  <!-- ").append(DRIFT).append(" -->\n");
    }
  }

  // ---- reading

  /**
   * Reads files this target wrote, refusing anything it does not write.
   *
   * @throws ConfigParseException naming the file, the line number and the line
   */
  static Parsed parse(Rendered config) {
    Map<IpFamily, List<Cidr>> ipsets = new EnumMap<>(IpFamily.class);
    Optional<ZoneSpec> zone = Optional.empty();
    for (Rendered.File file : config.files()) {
      Optional<IpFamily> family =
          Set.of(IpFamily.values()).stream()
              .filter(f -> Names.ipsetFile(f).equals(file.name()))
              .findFirst();
      if (family.isPresent()) {
        IpsetHandler h = new IpsetHandler(file, family.get());
        read(file, h);
        ipsets.put(family.get(), List.copyOf(h.entries));
      } else if (Names.ZONE_FILE.equals(file.name())) {
        ZoneHandler h = new ZoneHandler(file);
        read(file, h);
        zone = Optional.of(new ZoneSpec(List.copyOf(h.ports), List.copyOf(h.sources)));
      } else {
        throw new ConfigParseException(
            file.name()
                + ": not a file the firewalld target writes (expected "
                + Names.ipsetFile(IpFamily.IPV4)
                + ", "
                + Names.ipsetFile(IpFamily.IPV6)
                + " or "
                + Names.ZONE_FILE
                + ")");
      }
    }
    return new Parsed(zone, ipsets);
  }

  private static void read(Rendered.File file, Handler handler) {
    try {
      XMLReader reader = parser().getXMLReader();
      reader.setContentHandler(handler);
      reader.setErrorHandler(handler);
      reader.setProperty("http://xml.org/sax/properties/lexical-handler", handler);
      reader.parse(new InputSource(new StringReader(file.content())));
    } catch (SAXParseException e) {
      throw handler.failure(e.getLineNumber(), "not well-formed XML (" + e.getMessage() + ")");
    } catch (SAXException | IOException | ParserConfigurationException e) {
      throw new ConfigParseException(file.name() + ": cannot be read as XML: " + e.getMessage());
    }
  }

  private static SAXParser parser() throws ParserConfigurationException, SAXException {
    SAXParserFactory factory = SAXParserFactory.newInstance();
    factory.setNamespaceAware(false);
    factory.setValidating(false);
    factory.setXIncludeAware(false);
    // No DTDs and no external entities: these files hold nothing but plain elements.
    factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
    factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
    factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
    return factory.newSAXParser();
  }

  /** Checks the structure shared by both files; subclasses check the elements. */
  private abstract static class Handler extends DefaultHandler2 {
    final Rendered.File file;
    private final String[] lines;
    private Locator locator;
    private int depth;
    private boolean rootSeen;
    private boolean headerSeen;
    private boolean driftSeen;
    private StringBuilder text;

    Handler(Rendered.File file) {
      this.file = file;
      this.lines = file.content().split("\n", -1);
    }

    abstract String root();

    abstract void rootAttributes(Attributes attributes);

    abstract void child(String name, Attributes attributes);

    /** Whether {@code name} holds text (an ipset entry). */
    boolean holdsText(String name) {
      return false;
    }

    void text(String name, String value) {}

    void end() {}

    ConfigParseException failure(int line, String what) {
      String text = line >= 1 && line <= lines.length ? lines[line - 1].strip() : "";
      return new ConfigParseException(
          file.name() + " line " + line + ": " + what + (text.isEmpty() ? "" : ": " + text));
    }

    ConfigParseException failure(String what) {
      return failure(locator == null ? 0 : locator.getLineNumber(), what);
    }

    void onlyAttributes(String element, Attributes attributes, String... allowed) {
      Set<String> ok = Set.of(allowed);
      for (int i = 0; i < attributes.getLength(); i++) {
        if (!ok.contains(attributes.getQName(i))) {
          throw failure("unexpected attribute " + attributes.getQName(i) + " on <" + element + ">");
        }
      }
      for (String name : allowed) {
        if (attributes.getValue(name) == null) {
          throw failure("<" + element + "> lacks its " + name + " attribute");
        }
      }
    }

    @Override
    public void setDocumentLocator(Locator value) {
      this.locator = value;
    }

    @Override
    public void startElement(String uri, String local, String name, Attributes attributes) {
      if (depth == 0) {
        if (!name.equals(root())) {
          throw failure("expected <" + root() + "> but found <" + name + ">");
        }
        rootSeen = true;
        rootAttributes(attributes);
      } else if (depth == 1) {
        child(name, attributes);
        if (holdsText(name)) {
          text = new StringBuilder();
        }
      } else {
        throw failure("unexpected element <" + name + "> nested in another element");
      }
      depth++;
    }

    @Override
    public void endElement(String uri, String local, String name) {
      depth--;
      if (depth == 1 && text != null) {
        String value = text.toString();
        text = null;
        text(name, value);
      } else if (depth == 0) {
        end();
      }
    }

    @Override
    public void characters(char[] ch, int start, int length) {
      if (text != null) {
        text.append(ch, start, length);
        return;
      }
      for (int i = start; i < start + length; i++) {
        if (!Character.isWhitespace(ch[i])) {
          throw failure("unexpected text");
        }
      }
    }

    @Override
    public void comment(char[] ch, int start, int length) {
      String comment = new String(ch, start, length);
      if (depth == 0 && !rootSeen && !headerSeen && comment.contains(Header.MARKER)) {
        headerSeen = true;
      } else if (depth == 1 && !driftSeen && comment.strip().equals(DRIFT)) {
        driftSeen = true;
      } else {
        throw failure("unexpected comment");
      }
    }

    @Override
    public void processingInstruction(String target, String data) {
      throw failure("unexpected processing instruction");
    }

    @Override
    public void startDTD(String name, String publicId, String systemId) {
      throw failure("unexpected document type declaration");
    }

    @Override
    public void startEntity(String name) {
      throw failure("unexpected entity");
    }

    @Override
    public void skippedEntity(String name) {
      throw failure("unexpected entity &" + name + ";");
    }

    @Override
    public void fatalError(SAXParseException e) throws SAXException {
      throw e;
    }

    @Override
    public void error(SAXParseException e) throws SAXException {
      throw e;
    }
  }

  /** An ipset file: {@code hash:net}, its family option, and one entry per range. */
  private static final class IpsetHandler extends Handler {
    private final IpFamily family;
    private final List<Cidr> entries = new ArrayList<>();
    private boolean familySeen;

    IpsetHandler(Rendered.File file, IpFamily family) {
      super(file);
      this.family = family;
    }

    @Override
    String root() {
      return "ipset";
    }

    @Override
    void rootAttributes(Attributes attributes) {
      onlyAttributes("ipset", attributes, "type");
      if (!Names.IPSET_TYPE.equals(attributes.getValue("type"))) {
        throw failure("ipset type is not " + Names.IPSET_TYPE);
      }
    }

    @Override
    void child(String name, Attributes attributes) {
      switch (name) {
        case "option" -> {
          onlyAttributes(name, attributes, "name", "value");
          String want = Names.ipsetFamily(family);
          if (familySeen
              || !"family".equals(attributes.getValue("name"))
              || !want.equals(attributes.getValue("value"))) {
            throw failure("unexpected option (the only one written is family=" + want + ")");
          }
          familySeen = true;
        }
        case "entry" -> onlyAttributes(name, attributes);
        default -> throw failure("unexpected element <" + name + ">");
      }
    }

    @Override
    boolean holdsText(String name) {
      return name.equals("entry");
    }

    @Override
    void text(String name, String value) {
      Cidr cidr;
      try {
        cidr = Cidr.parse(value);
      } catch (IllegalArgumentException e) {
        throw failure("entry is not a CIDR prefix (" + e.getMessage() + ")");
      }
      if (cidr.family() != family) {
        throw failure("entry is not an " + family + " prefix");
      }
      entries.add(cidr);
    }

    @Override
    void end() {
      if (!familySeen) {
        throw failure(
            "ipset lacks <option name=\"family\" value=\"" + Names.ipsetFamily(family) + "\"/>");
      }
    }
  }

  /** The zone file: TCP ports and the cloudflare ipsets as sources, nothing else. */
  private static final class ZoneHandler extends Handler {
    private final Set<Integer> ports = new TreeSet<>();
    private final Set<IpFamily> sources = new TreeSet<>();

    ZoneHandler(Rendered.File file) {
      super(file);
    }

    @Override
    String root() {
      return "zone";
    }

    @Override
    void rootAttributes(Attributes attributes) {
      onlyAttributes("zone", attributes);
    }

    @Override
    void child(String name, Attributes attributes) {
      switch (name) {
        case "port" -> {
          onlyAttributes(name, attributes, "port", "protocol");
          if (!"tcp".equals(attributes.getValue("protocol"))) {
            throw failure("only TCP ports are written");
          }
          String port = attributes.getValue("port");
          int value = port.matches("[1-9][0-9]{0,4}") ? Integer.parseInt(port) : 0;
          if (value < 1 || value > 65535) {
            throw failure("port is not a number between 1 and 65535");
          }
          if (!ports.add(value)) {
            throw failure("port " + value + " is listed twice");
          }
        }
        case "source" -> {
          onlyAttributes(name, attributes, "ipset");
          Optional<IpFamily> family = Names.familyOfIpset(attributes.getValue("ipset"));
          if (family.isEmpty()) {
            throw failure(
                "source is not one of the ipsets "
                    + Names.ipset(IpFamily.IPV4)
                    + " or "
                    + Names.ipset(IpFamily.IPV6));
          }
          if (!sources.add(family.get())) {
            throw failure("source is listed twice");
          }
        }
        default -> throw failure("unexpected element <" + name + ">");
      }
    }
  }
}
