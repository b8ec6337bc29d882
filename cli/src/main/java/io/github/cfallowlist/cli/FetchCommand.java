package io.github.cfallowlist.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.RangeSnapshot;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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

  @Option(
      names = "--format",
      paramLabel = "FMT",
      defaultValue = "text",
      description = "text (default) or json.")
  OutputFormat format;

  @Override
  public Integer call() throws Exception {
    RangeSnapshot snapshot = source.load(common.stateDir());
    PrintWriter out = spec.commandLine().getOut();
    if (format == OutputFormat.json) {
      out.println(JSON.std.asString(toJson(snapshot)));
    } else {
      snapshot.ranges().all().forEach(out::println);
    }
    out.flush();
    return Cli.OK;
  }

  static Map<String, Object> toJson(RangeSnapshot snapshot) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("source", snapshot.source());
    map.put("etag", snapshot.etag().orElse(null));
    map.put("fetched_at", snapshot.fetchedAt().toString());
    map.put("ipv4", snapshot.ranges().ipv4().stream().map(Cidr::toString).toList());
    map.put("ipv6", snapshot.ranges().ipv6().stream().map(Cidr::toString).toList());
    return map;
  }
}
