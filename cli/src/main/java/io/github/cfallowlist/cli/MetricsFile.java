package io.github.cfallowlist.cli;

import io.github.cfallowlist.AtomicFiles;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RunResult;
import io.github.cfallowlist.SmallFiles;
import io.github.cfallowlist.TargetResult;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The metrics of the last {@code apply} in node_exporter's textfile format, written atomically so
 * the exporter never reads half a file. Times that only some runs set (the last successful fetch,
 * each target's last change) and the failure counter are carried over from the file already there.
 */
final class MetricsFile {
  private static final String P = "cf_allowlist_";

  private MetricsFile() {}

  /**
   * Writes the metrics of {@code result} (empty when the run stopped with an error) to {@code
   * file}.
   */
  static void write(Path file, Optional<RunResult> result, boolean dryRun, Instant now)
      throws IOException {
    Map<String, String> previous = read(existing(file));
    // The path itself: a link put there after the check is replaced, not written through.
    AtomicFiles.replace(file, render(result, dryRun, now, previous));
  }

  /**
   * Refuses, before a run changes anything, a {@code --metrics-file} that the run must not replace:
   * an empty path, a symbolic link (the write would land on whatever it points to), a directory, a
   * FIFO or a device, a file that is not a metrics file cf-allowlist wrote, or a new file in a
   * directory that does not exist.
   *
   * @throws IllegalArgumentException naming the option and the path
   */
  static void check(Path file) throws IOException {
    existing(file);
  }

  /**
   * Refuses a {@code --metrics-file} value that no run could use, whatever is on disk: an empty
   * path.
   *
   * @throws IllegalArgumentException naming the option
   */
  static void checkValue(Path file) {
    if (file.toString().isEmpty()) {
      throw new IllegalArgumentException(
          "--metrics-file is empty; give the path of the file to write the metrics to");
    }
  }

  /**
   * The text of the metrics file already at {@code file}, empty when there is none.
   *
   * @throws IllegalArgumentException when {@code file} may not be replaced (see {@link #check})
   */
  private static String existing(Path file) throws IOException {
    checkValue(file);
    String shown = Printable.of(file.toString());
    Path above = file.toAbsolutePath().getParent();
    if (above != null) {
      try {
        // Another user's link above the file would send the write into a directory of their choice.
        AtomicFiles.resolveLink(above);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "--metrics-file " + shown + " cannot be written: " + e.getMessage(), e);
      }
    }
    if (Files.isSymbolicLink(file)) {
      throw new IllegalArgumentException(
          "--metrics-file "
              + shown
              + " is a symbolic link, which apply will not write through; give the path of the"
              + " file itself");
    }
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      Path dir = file.toAbsolutePath().getParent();
      if (dir != null && !Files.isDirectory(dir)) {
        // A mistyped directory is bad input, not one to create as root.
        throw new IllegalArgumentException(
            "--metrics-file "
                + shown
                + " is in a directory that does not exist; create it first (node_exporter's"
                + " textfile directory)");
      }
      return "";
    }
    if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new IllegalArgumentException(
          "--metrics-file " + shown + " is a directory; give the path of a file");
    }
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new IllegalArgumentException(
          "--metrics-file "
              + shown
              + " is not a regular file (a FIFO or a device), which apply will not replace");
    }
    String text = "";
    boolean ours;
    try {
      text = SmallFiles.read(file, "--metrics-file", false);
      ours = isOurs(text);
    } catch (AccessDeniedException e) {
      throw new IllegalArgumentException(
          "--metrics-file "
              + shown
              + " cannot be read (permission denied), so apply cannot tell whether cf-allowlist"
              + " wrote it",
          e);
    } catch (IOException e) {
      // Too large or not UTF-8: not a file cf-allowlist wrote.
      ours = false;
    }
    if (!ours) {
      throw new IllegalArgumentException(
          "apply will not overwrite --metrics-file "
              + shown
              + ": it is not a metrics file cf-allowlist wrote (move it away or choose another"
              + " path)");
    }
    return text;
  }

  /**
   * Whether {@code text} is a metrics file this tool wrote: every line a {@code HELP} or {@code
   * TYPE} comment or a sample of a {@code cf_allowlist_} series, the first the {@code HELP} line
   * every version writes first. An empty file (made beforehand to give it an owner and a mode)
   * holds nothing to lose and is taken too.
   */
  static boolean isOurs(String text) {
    if (text.isEmpty()) {
      return true;
    }
    if (!text.startsWith("# HELP " + P + "last_run_timestamp_seconds ")) {
      return false;
    }
    return text.lines()
        .allMatch(
            line ->
                line.startsWith("# HELP " + P)
                    || line.startsWith("# TYPE " + P)
                    || line.startsWith(P));
  }

  /** The series in an exposition text, by name and labels, with their values as written. */
  static Map<String, String> read(String text) {
    Map<String, String> series = new LinkedHashMap<>();
    for (String line : text.split("\n", -1)) {
      int space = line.lastIndexOf(' ');
      if (!line.startsWith("#") && space > 0) {
        series.put(line.substring(0, space), line.substring(space + 1));
      }
    }
    return series;
  }

  /** The file's text for this run. */
  static String render(
      Optional<RunResult> result, boolean dryRun, Instant now, Map<String, String> previous) {
    StringBuilder out = new StringBuilder();
    String nowSeconds = Long.toString(now.getEpochSecond());
    header(out, "last_run_timestamp_seconds", "gauge", "When the last apply ran (Unix time).");
    out.append(P).append("last_run_timestamp_seconds ").append(nowSeconds).append('\n');

    boolean fetched = result.map(MetricsFile::fetched).orElse(false);
    String lastFetch = P + "last_success_fetch_timestamp_seconds";
    header(
        out,
        "last_success_fetch_timestamp_seconds",
        "gauge",
        "When a run last fetched a valid list from its source (Unix time).");
    String fetchValue = fetched ? nowSeconds : previous.get(lastFetch);
    if (fetchValue != null) {
      out.append(lastFetch).append(' ').append(fetchValue).append('\n');
    }

    boolean failed = result.map(r -> r.failed() || (!fetched && !isUninstall(r))).orElse(true);
    long failures = parseLong(previous.get(P + "failures_total")) + (failed ? 1 : 0);
    header(
        out,
        "failures_total",
        "counter",
        "Runs that failed: a target refused or failed, the source failed, or the run stopped.");
    out.append(P).append("failures_total ").append(failures).append('\n');

    if (result.isEmpty()) {
      // The run stopped before any target: the last known state of each is kept.
      carry(out, previous, "last_change_timestamp_seconds", "ranges", "in_sync");
      carry(out, previous, "snapshot_age_seconds", "snapshot_source", "last_outcome");
      return out.toString();
    }
    RunResult r = result.get();

    header(
        out,
        "last_change_timestamp_seconds",
        "gauge",
        "When a run last changed the target (Unix time).");
    for (TargetResult t : r.targets()) {
      String name = P + "last_change_timestamp_seconds{target=\"" + t.target() + "\"}";
      String value = t.outcome() == Outcome.APPLIED && !dryRun ? nowSeconds : previous.get(name);
      if (value != null) {
        out.append(name).append(' ').append(value).append('\n');
      }
    }

    header(out, "ranges", "gauge", "Ranges the target holds, by address family.");
    for (TargetResult t : r.targets()) {
      Optional<RangeSet> held = held(t, dryRun);
      for (IpFamily f : IpFamily.values()) {
        String name =
            P
                + "ranges{target=\""
                + t.target()
                + "\",family=\""
                + (f == IpFamily.IPV4 ? "ipv4" : "ipv6")
                + "\"}";
        // Its source failed and the target kept what it holds: what the last run counted stands.
        String value =
            held.isPresent()
                ? String.valueOf(held.get().get(f).size())
                : r.snapshot().isEmpty() ? previous.get(name) : null;
        if (value != null) {
          out.append(name).append(' ').append(value).append('\n');
        }
      }
    }

    header(out, "in_sync", "gauge", "1 when the target holds the list of the last run, else 0.");
    for (TargetResult t : r.targets()) {
      String name = P + "in_sync{target=\"" + t.target() + "\"}";
      String value;
      if (t.plan().isEmpty() && r.snapshot().isEmpty()) {
        // No list to compare with (its source failed and the target kept what it holds): what the
        // last run with a list found stands, so an outage of the source alone is not "out of sync".
        value = previous.get(name);
      } else if (t.plan().isEmpty()) {
        value = "0"; // the list was there but the target failed before it could be compared
      } else {
        boolean inSync =
            t.outcome() == Outcome.IN_SYNC || (t.outcome() == Outcome.APPLIED && !dryRun);
        value = inSync ? "1" : "0";
      }
      if (value != null) {
        out.append(name).append(' ').append(value).append('\n');
      }
    }

    Optional<RangeSnapshot> snapshot = r.snapshot();
    if (snapshot.isPresent()) {
      header(
          out,
          "snapshot_age_seconds",
          "gauge",
          "Age of the list the last run used: since it was fetched, or recorded for the embedded"
              + " one.");
      long age = Math.max(0, Duration.between(snapshot.get().fetchedAt(), now).toSeconds());
      out.append(P).append("snapshot_age_seconds ").append(age).append('\n');
      header(
          out,
          "snapshot_source",
          "gauge",
          "1 for the kind of list the last run used: live (from the source), last_good or"
              + " embedded.");
      String kind = kind(r);
      for (String k : new String[] {"live", "last_good", "embedded"}) {
        out.append(P)
            .append("snapshot_source{kind=\"")
            .append(k)
            .append("\"} ")
            .append(k.equals(kind) ? 1 : 0)
            .append('\n');
      }
    }

    header(out, "last_outcome", "gauge", "1 for how the target ended the last run, else 0.");
    for (TargetResult t : r.targets()) {
      for (Outcome o : Outcome.values()) {
        out.append(P)
            .append("last_outcome{target=\"")
            .append(t.target())
            .append("\",outcome=\"")
            .append(o.name().toLowerCase(Locale.ROOT))
            .append("\"} ")
            .append(o == t.outcome() ? 1 : 0)
            .append('\n');
      }
    }
    return out.toString();
  }

  /** Whether the run's list came from its source rather than a fallback. */
  private static boolean fetched(RunResult r) {
    return r.snapshot().isPresent()
        && r.targets().stream().noneMatch(t -> t.fallback().isPresent());
  }

  private static boolean isUninstall(RunResult r) {
    return r.snapshot().isEmpty()
        && r.targets().stream().allMatch(t -> t.plan().map(p -> p.isRemoval()).orElse(false));
  }

  private static String kind(RunResult r) {
    String source = r.snapshot().orElseThrow().source();
    if (source.startsWith("embedded")) {
      return "embedded";
    }
    return source.startsWith("last good") ? "last_good" : "live";
  }

  /** The ranges the target holds after the run, when known. */
  private static Optional<RangeSet> held(TargetResult t, boolean dryRun) {
    return t.plan()
        .map(
            p ->
                (t.outcome() == Outcome.APPLIED && !dryRun) || t.outcome() == Outcome.IN_SYNC
                    ? p.desired()
                    : p.current());
  }

  private static void carry(StringBuilder out, Map<String, String> previous, String... names) {
    for (String name : names) {
      boolean any = false;
      for (Map.Entry<String, String> e : previous.entrySet()) {
        String key = e.getKey();
        if (key.equals(P + name) || key.startsWith(P + name + "{")) {
          if (!any) {
            header(out, name, "gauge", HELP_CARRIED);
            any = true;
          }
          out.append(key).append(' ').append(e.getValue()).append('\n');
        }
      }
    }
  }

  private static final String HELP_CARRIED = "Kept from the last run that reached the targets.";

  private static long parseLong(String value) {
    try {
      return value == null ? 0 : Long.parseLong(value);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static void header(StringBuilder out, String name, String type, String help) {
    out.append("# HELP ").append(P).append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(P).append(name).append(' ').append(type).append('\n');
  }
}
