package io.github.cfallowlist.cli;

import io.github.cfallowlist.RangeSnapshot;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code fetch}: prints the validated ranges. */
@Command(
    name = "fetch",
    mixinStandardHelpOptions = true,
    description = "Fetch and validate the ranges; print one CIDR per line, IPv4 then IPv6.")
final class FetchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;
  @Mixin SourceOptions source;
  @Mixin OriginOptions origin;
  @Mixin ConfigOption config;

  @Mixin FormatOption format;

  @Override
  public Integer call() throws Exception {
    config.applyTo(spec, null);
    origin.check(); // a mistake in the options is said before anything is fetched
    RangeSnapshot snapshot = source.load(common.stateDir());
    origin.verify(snapshot, common.stateDir(), true);
    PrintWriter out = spec.commandLine().getOut();
    if (format.json()) {
      Json.print(out, toJson(snapshot));
    } else {
      snapshot.ranges().all().forEach(out::println);
    }
    out.flush();
    return Cli.OK;
  }

  static Map<String, Object> toJson(RangeSnapshot snapshot) {
    Map<String, Object> map = Json.object("fetch", Cli.OK);
    map.put("source", Json.source(snapshot));
    map.put("ipv4", Json.names(snapshot.ranges().ipv4()));
    map.put("ipv6", Json.names(snapshot.ranges().ipv6()));
    return map;
  }
}
