package io.github.cfallowlist.cli;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSnapshot;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code check}: tells whether addresses lie in the ranges. */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = {
      "Tell whether each ADDRESS lies in the ranges, and which range holds it.",
      "Exit 0 if all do, 2 if any does not, 1 on a bad address."
    })
final class CheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;
  @Mixin SourceOptions source;
  @Mixin FormatOption format;

  @Parameters(arity = "1..*", paramLabel = "ADDRESS", description = "IPv4 or IPv6 addresses.")
  List<String> addresses;

  @Override
  public Integer call() throws Exception {
    List<Cidr> parsed = new ArrayList<>();
    for (String a : addresses) {
      parsed.add(
          Cidr.host(a)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "'" + Printable.of(a) + "' is not an IPv4 or IPv6 address")));
    }
    RangeSnapshot snapshot = source.load(common.stateDir());
    PrintWriter out = spec.commandLine().getOut();
    boolean all = true;
    List<Object> json = new ArrayList<>();
    for (int i = 0; i < parsed.size(); i++) {
      Optional<Cidr> match = snapshot.ranges().find(parsed.get(i));
      all &= match.isPresent();
      if (format.json()) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("address", addresses.get(i));
        a.put("in_ranges", match.isPresent());
        a.put("range", match.map(Cidr::toString).orElse(null));
        json.add(a);
      } else {
        out.println(addresses.get(i) + " " + match.map(c -> "yes " + c).orElse("no"));
      }
    }
    if (format.json()) {
      Map<String, Object> object = Json.object("check", all ? Cli.OK : Cli.CHANGES);
      object.put("source", Json.source(snapshot));
      object.put("addresses", json);
      Json.print(out, object);
    }
    out.flush();
    return all ? Cli.OK : Cli.CHANGES;
  }
}
