package io.github.cfallowlist.doctor;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.Finding;
import java.io.IOException;
import java.util.List;

/**
 * The connection-tracking table has room: {@code nf_conntrack_count} against {@code
 * nf_conntrack_max}, read with {@code cat} through the runner (so in the runner's network
 * namespace). A full table drops new connections, Cloudflare's too.
 */
final class ConntrackCheck implements Check {
  static final String NAME = "conntrack";
  static final String COUNT = "/proc/sys/net/netfilter/nf_conntrack_count";
  static final String MAX = "/proc/sys/net/netfilter/nf_conntrack_max";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Finding> run(DoctorContext c) throws IOException {
    Command cat = Command.read("cat", COUNT, MAX);
    CommandResult r = c.runner().run(cat);
    if (!r.ok()) {
      if (r.stderr().contains("No such file")) {
        return List.of(
            Finding.ok(
                NAME, "connection tracking is not in use (the nf_conntrack module is not loaded)"));
      }
      throw r.failure(cat);
    }
    List<String> values = r.stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    if (values.size() != 2 || !values.stream().allMatch(v -> v.matches("\\d{1,18}"))) {
      throw new IOException(
          "'"
              + cat.display()
              + "' printed something other than two numbers: "
              + r.firstErrorLine());
    }
    return List.of(judge(Long.parseLong(values.get(0)), Long.parseLong(values.get(1))));
  }

  /** The finding for {@code count} entries in a table of {@code max}. */
  static Finding judge(long count, long max) {
    if (max <= 0) {
      return Finding.ok(NAME, "connection tracking holds " + count + " entries and has no limit");
    }
    String usage = count + " of " + max + " entries (" + Math.min(100, count * 100 / max) + "%)";
    String raise =
        "raise the limit: 'sysctl -w net.netfilter.nf_conntrack_max="
            + Math.max(2 * max, 65536)
            + "' and set it in /etc/sysctl.d/ to keep it";
    if (count >= max) {
      return Finding.fail(
          NAME,
          "the connection-tracking table is full: " + usage + ", so new connections are dropped",
          raise);
    }
    if (count * 5 > max * 4) {
      return Finding.warn(
          NAME,
          "the connection-tracking table is nearly full: "
              + usage
              + "; when it fills, new connections are dropped",
          raise);
    }
    return Finding.ok(NAME, "connection tracking uses " + usage);
  }
}
