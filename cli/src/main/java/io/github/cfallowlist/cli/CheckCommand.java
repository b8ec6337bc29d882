package io.github.cfallowlist.cli;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Families;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSnapshot;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;

/** {@code check}: tells whether addresses lie in the ranges. */
final class CheckCommand implements Callable<Integer> {
  /** {@code ::ffff:a.b.c.d} and {@code 0:0:0:0:0:ffff:a.b.c.d}. */
  private static final Pattern MAPPED_DOTTED =
      Pattern.compile("(?i)(?:::|(?:0{1,4}:){5})ffff:(\\d{1,3}(?:\\.\\d{1,3}){3})");

  /** The IPv4-mapped block ({@code ::ffff:0:0/96}). */
  private static final Cidr MAPPED = Cidr.parse("::ffff:0:0/96");

  final CommandSpec spec =
      Declared.command(
          this,
          "check",
          "Tell whether each ADDRESS lies in the ranges, and which range holds it.",
          "Exit 0 if all do, 2 if any does not (or was not checked: see --family), 1 on a bad"
              + " address.");

  CheckCommand() {
    CommonOptions.declare(spec);
    SourceOptions.declare(spec);
    ConfigOption.declare(spec);
    FormatOption.declare(spec);
    spec.addPositional(Declared.parameters("1..*", "ADDRESS", "IPv4 or IPv6 addresses."));
  }

  @Override
  public Integer call() throws Exception {
    ConfigOption.applyTo(spec);
    List<String> addresses = spec.positionalParameters().get(0).getValue();
    SourceOptions source = SourceOptions.of(spec);
    boolean asJson = FormatOption.of(spec) == OutputFormat.json;
    List<Cidr> parsed = new ArrayList<>();
    for (String a : addresses) {
      parsed.add(
          host(a)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "'" + Printable.of(a) + "' is not an IPv4 or IPv6 address")));
    }
    Families families = source.families();
    RangeSnapshot snapshot = source.load(CommonOptions.of(spec).stateDir());
    PrintWriter out = spec.commandLine().getOut();
    boolean quiet = Logging.current() == Logging.Verbosity.QUIET;
    boolean all = true;
    List<Object> json = new ArrayList<>();
    for (int i = 0; i < parsed.size(); i++) {
      Cidr host = parsed.get(i);
      boolean checked = families.includes(host.family());
      Optional<Cidr> match = checked ? snapshot.ranges().find(host) : Optional.empty();
      all &= match.isPresent();
      if (asJson) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("address", addresses.get(i));
        a.put("checked", checked);
        a.put("in_ranges", match.isPresent());
        a.put("range", match.map(Cidr::toString).orElse(null));
        json.add(a);
      } else if (!quiet) {
        String answer =
            !checked
                ? "not checked: --family " + source.family + " leaves " + host.family() + " out"
                : match.map(c -> "yes " + c).orElse("no");
        out.println(addresses.get(i) + " " + answer);
      }
    }
    if (asJson) {
      Map<String, Object> object = Json.object("check", all ? Cli.OK : Cli.CHANGES);
      object.put("source", Json.source(snapshot));
      object.put("addresses", json);
      Json.print(out, object);
    }
    out.flush();
    return all ? Cli.OK : Cli.CHANGES;
  }

  /**
   * {@code text} as a host; an IPv4-mapped IPv6 address ({@code ::ffff:173.245.48.5}, which a
   * dual-stack socket reports for an IPv4 peer) as the IPv4 address it carries.
   */
  static Optional<Cidr> host(String text) {
    Matcher dotted = MAPPED_DOTTED.matcher(text);
    if (dotted.matches()) {
      return Cidr.host(dotted.group(1));
    }
    Optional<Cidr> host = Cidr.host(text);
    if (host.isPresent() && MAPPED.contains(host.get())) {
      // ::ffff:adf5:3005/128: the last two groups are the IPv4 address.
      String canonical = host.get().toString();
      String[] groups = canonical.substring(0, canonical.indexOf('/')).split(":", -1);
      int high = Integer.parseInt(groups[groups.length - 2], 16);
      int low = Integer.parseInt(groups[groups.length - 1], 16);
      return Cidr.host((high >> 8) + "." + (high & 0xff) + "." + (low >> 8) + "." + (low & 0xff));
    }
    return host;
  }
}
