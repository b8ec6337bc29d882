package io.github.cfallowlist.cli;

import io.github.cfallowlist.Finding;
import io.github.cfallowlist.doctor.Doctor;
import io.github.cfallowlist.doctor.DoctorReport;
import io.github.cfallowlist.doctor.Origin;
import io.github.cfallowlist.doctor.TlsMode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/** {@code doctor}: why Cloudflare cannot reach this origin, one line per check. */
final class DoctorCommand implements Callable<Integer> {
  final CommandSpec spec =
      Declared.command(
          this,
          "doctor",
          "Find why Cloudflare cannot reach this origin (errors 521, 522, 525, 526): listeners,"
              + " the targets and foreign rules, ban lists, routes, connection tracking, TLS,"
              + " nginx's real-IP setup, the list's age and DNS. Only reads; changes nothing.",
          "One line per check: ok, warn or fail, what was found, and the remedy. Exit 0 when"
              + " every check is ok, 2 when one warns or fails, 1 when doctor itself could not"
              + " run.");

  DoctorCommand() {
    CommonOptions.declare(spec);
    SourceOptions.declare(spec);
    ConfigOption.declare(spec);
    TargetArgs.declare(spec);
    spec.addOption(
        Declared.option(
                "--tls-mode",
                String.class,
                "MODE",
                "The zone's SSL/TLS mode: flexible (the edge connects to port 80), full or strict"
                    + " (port 443; strict needs a valid or Cloudflare Origin CA certificate)."
                    + " Default: ${DEFAULT-VALUE}.")
            .defaultValue("full")
            .build());
    spec.addOption(
        Declared.option(
                "--hostname",
                String.class,
                "NAME",
                "The site's name: the TLS check sends it as SNI, the DNS check resolves it.")
            .build());
    spec.addOption(
        Declared.option(
                "--origin-ip",
                String.class,
                "ADDR",
                "The address the site's DNS record points Cloudflare at; checked to be configured"
                    + " on this host.")
            .build());
    FormatOption.declare(spec);
  }

  @Override
  public Integer call() throws Exception {
    Optional<ConfigFile> file = ConfigOption.applyTo(spec);
    TargetArgs targetArgs = TargetArgs.of(spec, file);
    SourceOptions source = SourceOptions.of(spec);
    String hostname = Declared.value(spec, "--hostname");
    String originIp = Declared.value(spec, "--origin-ip");
    TlsMode mode = TlsMode.parse(Declared.value(spec, "--tls-mode"));
    boolean portsGiven =
        spec.commandLine().getParseResult() != null
            && spec.commandLine().getParseResult().hasMatchedOption("--ports");
    Origin origin =
        new Origin(
            portsGiven ? targetArgs.ports : List.of(),
            mode,
            Optional.ofNullable(hostname),
            Optional.ofNullable(originIp));
    boolean targetsGiven = targetArgs.targets != null && !targetArgs.targets.isEmpty();
    var state = CommonOptions.of(spec).stateDir();
    DoctorReport report =
        Doctor.builder()
            .source(source.rangeSource(state))
            .guards(source.guards())
            .targets(targetsGiven ? targetArgs.resolve() : List.of())
            .options(targetArgs.options(source.families()))
            .stateDir(state)
            .origin(origin)
            .build()
            .run();
    int exitCode = report.worst() == Finding.Status.OK ? Cli.OK : Cli.CHANGES;
    PrintWriter out = spec.commandLine().getOut();
    if (FormatOption.of(spec) == OutputFormat.json) {
      Map<String, Object> json = Json.object(spec.name(), exitCode);
      json.put("source", Json.source(report.context().ranges()));
      json.put("source_failure", report.context().sourceFailure().orElse(null));
      List<Object> checks = new ArrayList<>();
      for (Finding f : report.findings()) {
        Map<String, Object> check = new LinkedHashMap<>();
        check.put("name", f.check());
        check.put("status", status(f));
        check.put("found", f.found());
        check.put("remedy", f.remedy().isEmpty() ? null : f.remedy());
        checks.add(check);
      }
      json.put("checks", checks);
      Json.print(out, json);
    } else {
      for (Finding f : report.findings()) {
        out.println(line(f));
      }
    }
    out.flush();
    return exitCode;
  }

  /** {@code ok}, {@code warn} or {@code fail}. */
  static String status(Finding f) {
    return f.status().name().toLowerCase(Locale.ROOT);
  }

  /** One finding as a line: status, check, what was found and, unless ok, the remedy. */
  static String line(Finding f) {
    String head = String.format(Locale.ROOT, "%-4s %s: %s", status(f), f.check(), f.found());
    return f.remedy().isEmpty() ? head : head + "; to fix: " + f.remedy();
  }
}
