package io.github.cfallowlist.adapter.haproxy;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Printable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The running HAProxy's ACL loaded from the file, read and replaced through the runtime API. Only
 * the ACL whose file name is the configured file is ever touched.
 */
final class HaproxyAcl {
  private static final Pattern VERSION = Pattern.compile("New version created: (\\d+)");

  /** A line of {@code show acl}: {@code ID (FILE) description...}. */
  private static final Pattern LISTED = Pattern.compile("(\\d+) \\((.*?)\\) .*");

  private final HaproxySocket socket;
  private final Path file;

  HaproxyAcl(HaproxySocket socket, Path file) {
    this.socket = socket;
    this.file = file;
  }

  /** The ACL's id when the running configuration loads the file ({@code show acl} lists it). */
  Optional<String> id() throws IOException {
    for (String line : socket.send("show acl").lines().toList()) {
      Matcher m = LISTED.matcher(line);
      if (m.matches() && m.group(2).equals(file.toString())) {
        return Optional.of(m.group(1));
      }
    }
    return Optional.empty();
  }

  /** The ACL's patterns, as HAProxy shows them, in its order. */
  List<String> entries(String id) throws IOException {
    String reply = socket.send("show acl #" + id);
    List<String> out = new ArrayList<>();
    for (String line : reply.lines().toList()) {
      // "0x55d4c3a1b2c0 173.245.48.0/20": the entry's address, then the pattern.
      int space = line.indexOf(' ');
      if (!line.startsWith("0x") || space < 0) {
        throw new IOException(
            "unexpected reply from HAProxy to 'show acl #"
                + id
                + "': '"
                + Printable.of(line)
                + "'");
      }
      out.add(line.substring(space + 1));
    }
    return out;
  }

  /**
   * Makes the ACL hold exactly {@code ranges} in one atomic swap: a new version is prepared, filled
   * (all additions sent as one batch on this connection) and committed; until the commit, lookups
   * see the old entries. When anything fails before the commit, the new version is cleared and
   * never becomes visible: the running ACL is unchanged.
   *
   * @throws ApplyFailedException {@code FAILED_UNCHANGED} when HAProxy refused a step before the
   *     commit; {@code STATE_UNKNOWN} when the commit's reply was an error or did not come
   * @throws IOException when the connection failed before the commit (nothing was committed)
   */
  void replace(List<Cidr> ranges) throws IOException {
    String name = file.toString();
    String prepared = socket.send("prepare acl " + name);
    Matcher m = VERSION.matcher(prepared);
    if (!m.matches()) {
      throw refused("prepare acl " + name, prepared);
    }
    String version = "@" + m.group(1);
    List<String> adds = new ArrayList<>(ranges.size());
    for (Cidr cidr : ranges) {
      adds.add("add acl " + version + " " + name + " " + cidr);
    }
    List<String> replies = socket.send(adds);
    for (int i = 0; i < replies.size(); i++) {
      if (!replies.get(i).isEmpty()) {
        discard(version);
        throw refused(adds.get(i), replies.get(i));
      }
    }
    String committed;
    try {
      committed = socket.send("commit acl " + version + " " + name);
    } catch (IOException e) {
      throw new ApplyFailedException(
          "no reply from HAProxy to 'commit acl " + version + " " + name + "': " + e.getMessage(),
          Outcome.STATE_UNKNOWN,
          e);
    }
    if (!committed.isEmpty()) {
      throw new ApplyFailedException(
          "HAProxy refused 'commit acl "
              + version
              + " "
              + name
              + "': "
              + Printable.of(committed.lines().findFirst().orElse("")),
          Outcome.STATE_UNKNOWN);
    }
  }

  /** Drops the entries of an uncommitted version; they were never visible. Best effort. */
  private void discard(String version) {
    try {
      socket.send("clear acl " + version + " " + file);
    } catch (IOException e) {
      // Uncommitted entries stay invisible, and the next commit of a newer version drops them.
    }
  }

  private static ApplyFailedException refused(String command, String reply) {
    return new ApplyFailedException(
        "HAProxy refused '"
            + Printable.of(command)
            + "': "
            + Printable.of(reply.lines().findFirst().orElse(""))
            + "; the new version was never committed, so the running ACL is unchanged",
        Outcome.FAILED_UNCHANGED);
  }
}
