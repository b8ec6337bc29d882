package io.github.cfallowlist.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.TargetResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * The one JSON object each command prints with {@code --format json}; {@code docs/json.md}
 * documents every field. Maps keep their insertion order, so fields appear in the documented order.
 */
final class Json {
  /** The version of the output's shape; raised when a field changes meaning or is removed. */
  static final int SCHEMA = 1;

  /** Absent values are written as {@code null}, so every documented field is always there. */
  private static final JSON WRITER = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);

  private Json() {}

  /** The fields every command's object starts with. */
  static Map<String, Object> object(String command, int exitCode) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("schema", SCHEMA);
    map.put("command", command);
    map.put("version", Header.version());
    map.put("exit_code", exitCode);
    return map;
  }

  /**
   * The command's name as the JSON calls it: {@code plan}, or {@code config check} for a nested
   * one.
   */
  static String name(CommandLine.Model.CommandSpec command) {
    CommandLine.Model.CommandSpec parent = command.parent();
    return parent != null && parent.parent() != null
        ? parent.name() + " " + command.name()
        : command.name();
  }

  /** Where a list came from: its source's name, its etag and when it was fetched. */
  static Map<String, Object> source(RangeSnapshot snapshot) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("name", snapshot.source());
    map.put("etag", snapshot.etag().orElse(null));
    map.put("fetched_at", snapshot.fetchedAt().toString());
    return map;
  }

  static Object source(Optional<RangeSnapshot> snapshot) {
    return snapshot.map(Json::source).orElse(null);
  }

  /**
   * One target's result; the fields are the same for {@code plan}, {@code status} and {@code
   * apply}.
   */
  static Map<String, Object> target(TargetResult r, boolean applyLine) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("target", r.target());
    map.put("outcome", r.outcome().name().toLowerCase(Locale.ROOT));
    map.put("status", Words.status(r));
    map.put("summary", Words.line(r, applyLine));
    map.put("reason", r.outcome().failed() ? r.message() : null);
    map.put("fallback", r.fallback().orElse(null));
    Plan plan = r.plan().orElse(null);
    map.put("installed", plan == null ? null : plan.currentConfig().isPresent());
    map.put("uninstall", plan != null && plan.isRemoval());
    map.put("added", plan == null ? 0 : Words.added(plan).size());
    map.put("removed", plan == null ? 0 : Words.removed(plan).size());
    for (IpFamily family : IpFamily.values()) {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("added", plan == null ? List.of() : names(plan.added(family)));
      f.put("removed", plan == null ? List.of() : names(plan.removed(family)));
      f.put("unchanged", plan == null ? List.of() : names(plan.unchanged(family)));
      map.put(family.name().toLowerCase(Locale.ROOT), f);
    }
    map.put("leftovers", plan == null ? List.of() : plan.leftovers());
    map.put("diff", plan == null ? "" : plan.diff());
    return map;
  }

  static List<String> names(List<Cidr> cidrs) {
    return cidrs.stream().map(Cidr::toString).toList();
  }

  /**
   * For a command asked for JSON that stopped on an error, the object with the error's sentence, so
   * stdout holds one object whatever happened (the sentence is on stderr too).
   */
  static void printError(CommandLine cmd, ParseResult parsed, String message) {
    ParseResult last = parsed;
    while (last.subcommand() != null) {
      last = last.subcommand();
    }
    if (last.matchedOptionValue("--format", OutputFormat.text) != OutputFormat.json) {
      return;
    }
    printError(cmd.getOut(), name(last.commandSpec()), message);
  }

  /** Prints the object of {@code command}, which stopped on an error with {@code message}. */
  static void printError(PrintWriter out, String command, String message) {
    Map<String, Object> object = object(command, Cli.ERROR);
    object.put("error", message);
    try {
      print(out, object);
    } catch (IOException e) {
      // Writing a map of strings cannot fail; the sentence is on stderr in any case.
    }
  }

  /** Prints {@code object} as one line. */
  static void print(PrintWriter out, Map<String, Object> object) throws IOException {
    out.println(WRITER.asString(object));
    out.flush();
  }
}
