package io.github.cfallowlist.cli;

import io.github.cfallowlist.RangeSnapshot;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/** {@code fetch}: prints the validated ranges. */
final class FetchCommand implements Callable<Integer> {
  final CommandSpec spec =
      Declared.command(
          this, "fetch", "Fetch and validate the ranges; print one CIDR per line, IPv4 then IPv6.");

  FetchCommand() {
    CommonOptions.declare(spec);
    SourceOptions.declare(spec);
    OriginOptions.declare(spec);
    ConfigOption.declare(spec);
    FormatOption.declare(spec);
  }

  @Override
  public Integer call() throws Exception {
    ConfigOption.applyTo(spec);
    CommonOptions common = CommonOptions.of(spec);
    OriginOptions origin = OriginOptions.of(spec);
    origin.check(); // a mistake in the options is said before anything is fetched
    RangeSnapshot snapshot = SourceOptions.of(spec).load(common.stateDir());
    origin.verify(snapshot, common.stateDir(), true);
    PrintWriter out = spec.commandLine().getOut();
    if (FormatOption.of(spec) == OutputFormat.json) {
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
