package io.github.cfallowlist.doctor;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code ip -force -j -batch -} answered, command by command: each command that succeeded
 * prints one JSON array on its own line; each that failed prints its error and {@code Command
 * failed -:N} on standard error and nothing on standard output.
 */
final class IpBatch {
  private static final Pattern FAILED = Pattern.compile("Command failed -:(\\d+)");

  private final List<List<Map<String, Object>>> outputs;
  private final Map<Integer, String> errors;

  private IpBatch(List<List<Map<String, Object>>> outputs, Map<Integer, String> errors) {
    this.outputs = outputs;
    this.errors = errors;
  }

  /**
   * Splits the output of a batch of {@code commands} commands.
   *
   * @throws IOException when the outputs do not add up to the commands or are not JSON
   */
  static IpBatch parse(String stdout, String stderr, int commands) throws IOException {
    Map<Integer, String> errors = new HashMap<>();
    List<String> pending = new ArrayList<>();
    for (String line : stderr.lines().map(String::strip).filter(l -> !l.isEmpty()).toList()) {
      Matcher m = FAILED.matcher(line);
      if (m.matches()) {
        errors.put(Integer.parseInt(m.group(1)), String.join("; ", pending));
        pending.clear();
      } else {
        pending.add(line.replaceFirst("^RTNETLINK answers: ", ""));
      }
    }
    List<String> lines = stdout.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    if (lines.size() + errors.size() != commands) {
      throw new IOException(
          "'ip -batch' answered "
              + lines.size()
              + " of "
              + commands
              + " commands and reported "
              + errors.size()
              + " failures: "
              + (pending.isEmpty() ? "the output does not add up" : pending.get(0)));
    }
    List<List<Map<String, Object>>> outputs = new ArrayList<>();
    int next = 0;
    for (int i = 1; i <= commands; i++) {
      outputs.add(errors.containsKey(i) ? null : objects(lines.get(next++)));
    }
    return new IpBatch(outputs, errors);
  }

  /** Whether command {@code n} (counting from 1) failed. */
  boolean failed(int n) {
    return errors.containsKey(n);
  }

  /** The error command {@code n} printed, without {@code RTNETLINK answers:}. */
  String error(int n) {
    return errors.getOrDefault(n, "");
  }

  /** The objects command {@code n} printed; empty when it failed. */
  List<Map<String, Object>> output(int n) {
    List<Map<String, Object>> o = outputs.get(n - 1);
    return o == null ? List.of() : o;
  }

  /** Parses one JSON array of objects, as {@code ip -j} prints it. */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> objects(String json) throws IOException {
    Object parsed;
    try {
      parsed = JSON.std.anyFrom(json);
    } catch (IOException e) {
      throw new IOException("'ip -j' printed something that is not JSON", e);
    }
    if (!(parsed instanceof List<?> list)) {
      throw new IOException("'ip -j' printed JSON that is not an array");
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : list) {
      if (o instanceof Map<?, ?> m) {
        out.add((Map<String, Object>) m);
      }
    }
    return out;
  }
}
