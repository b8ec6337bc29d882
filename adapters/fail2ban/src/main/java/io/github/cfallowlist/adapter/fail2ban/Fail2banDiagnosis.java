package io.github.cfallowlist.adapter.fail2ban;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.SmallFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What doctor's {@code fail2ban} check reads: the running server's jails ({@code fail2ban-client
 * status}) against {@code fail2ban-jails}, each configured jail's ignore list in the running server
 * ({@code fail2ban-client get JAIL ignoreip}) against Cloudflare's ranges, and the configuration
 * files beside the drop-in for the {@code ignoreip} that its {@code %(known/ignoreip)s} needs.
 */
final class Fail2banDiagnosis {
  static final String NAME = "fail2ban";

  private static final Pattern SECTION = Pattern.compile("^\\[([^\\]]+)\\]\\s*$");
  private static final Pattern IGNOREIP = Pattern.compile("^ignoreip\\s*[=:].*$");

  private Fail2banDiagnosis() {}

  static List<Finding> diagnose(Fail2banSettings settings, Diagnosis diagnosis) {
    List<Finding> findings = new ArrayList<>();
    prerequisite(settings).ifPresent(findings::add);
    String running = running(settings, diagnosis, findings);
    if (findings.isEmpty()) {
      findings.add(
          Finding.ok(
              NAME,
              running
                  + "; "
                  + settings.file().getParent().getParent()
                  + " has the ignoreip that "
                  + settings.file()
                  + " extends"));
    }
    return findings;
  }

  /** The running jails' findings; returns what an ok line says about the server. */
  private static String running(
      Fail2banSettings settings, Diagnosis diagnosis, List<Finding> findings) {
    Path socket = settings.socket();
    Optional<List<String>> jails;
    try {
      jails = Jails.running(socket, diagnosis.context().runner());
    } catch (IOException e) {
      findings.add(
          Finding.warn(
              NAME,
              "the fail2ban server at "
                  + socket
                  + " does not answer, so its jails cannot be checked: "
                  + Printable.of(Printable.message(e)),
              "restart it ('systemctl restart fail2ban'), then run doctor again"));
      return "";
    }
    if (jails.isEmpty()) {
      return "fail2ban is not running (no socket at " + socket + "), so it bans nobody";
    }
    List<String> unlisted = Jails.unlisted(jails.get(), settings.jails());
    if (!unlisted.isEmpty()) {
      List<String> all = new ArrayList<>(settings.jails());
      all.addAll(unlisted);
      findings.add(
          Finding.warn(
              NAME,
              "fail2ban runs "
                  + (unlisted.size() == 1 ? "jail " : "jails ")
                  + String.join(", ", unlisted)
                  + ", which fail2ban-jails does not name: "
                  + (unlisted.size() == 1 ? "it" : "they")
                  + " can still ban Cloudflare's edges",
              "run 'cf-allowlist apply --target fail2ban --set fail2ban-jails="
                  + String.join(",", all)
                  + "' (and keep that setting)"));
    }
    RangeSet ranges =
        diagnosis.ranges().ranges().restrictTo(diagnosis.context().options().families());
    for (String jail : settings.jails()) {
      Optional<List<Cidr>> ignored;
      try {
        ignored = Jails.ignored(jail, socket, diagnosis.context().runner());
      } catch (IOException e) {
        findings.add(
            Finding.warn(
                NAME,
                "the ignore list of jail "
                    + jail
                    + " cannot be read: "
                    + Printable.of(e.getMessage()),
                "check 'fail2ban-client get " + jail + " ignoreip' by hand"));
        continue;
      }
      if (ignored.isEmpty()) {
        findings.add(
            Finding.warn(
                NAME,
                "jail " + jail + " is in fail2ban-jails but fail2ban does not run it",
                "enable the jail, or take it out of fail2ban-jails"));
        continue;
      }
      List<Cidr> missing =
          ranges.all().stream()
              .filter(r -> ignored.get().stream().noneMatch(i -> i.contains(r)))
              .toList();
      if (!missing.isEmpty()) {
        findings.add(
            Finding.fail(
                NAME,
                "the ignore list of jail "
                    + jail
                    + " in the running fail2ban lacks "
                    + missing.size()
                    + " of Cloudflare's "
                    + ranges.size()
                    + " ranges (first "
                    + missing.get(0)
                    + "): "
                    + (Files.exists(settings.file())
                        ? settings.file() + " is not loaded"
                        : settings.file() + " does not exist")
                    + ", so the jail can ban Cloudflare's edges",
                "run 'cf-allowlist apply --target fail2ban' (it reloads fail2ban)"));
      }
    }
    return "fail2ban runs "
        + (jails.get().isEmpty() ? "no jail" : "jails " + String.join(", ", jails.get()))
        + ", and each jail of fail2ban-jails ignores Cloudflare's "
        + ranges.size()
        + " ranges";
  }

  /**
   * A finding when no file read before the drop-in sets {@code ignoreip} under {@code [DEFAULT]}
   * nor in the section of every configured jail: the drop-in's {@code %(known/ignoreip)s} then has
   * nothing to extend and fail2ban refuses it.
   */
  static Optional<Finding> prerequisite(Fail2banSettings settings) {
    Path dropIn = settings.file();
    Path jailD = dropIn.toAbsolutePath().getParent();
    if (jailD == null
        || jailD.getFileName() == null
        || !jailD.getFileName().toString().equals("jail.d")) {
      return Optional.of(
          Finding.warn(
              NAME,
              dropIn + " is not in a jail.d directory, so the files it extends cannot be found",
              "set fail2ban-file to a file in /etc/fail2ban/jail.d"));
    }
    Path dir = jailD.getParent();
    Set<String> withIgnoreip = new HashSet<>();
    try {
      for (Path file : readBefore(dir, dropIn)) {
        withIgnoreip.addAll(sectionsWithIgnoreip(file));
      }
    } catch (IOException e) {
      return Optional.of(
          Finding.warn(
              NAME,
              "fail2ban's configuration in "
                  + dir
                  + " cannot be read: "
                  + Printable.of(e.getMessage()),
              "check that "
                  + dir
                  + "/jail.local has 'ignoreip = 127.0.0.1/8 ::1' under [DEFAULT]"));
    }
    if (withIgnoreip.contains("default")
        || settings.jails().stream()
            .allMatch(j -> withIgnoreip.contains(j.toLowerCase(Locale.ROOT)))) {
      return Optional.empty();
    }
    return Optional.of(
        Finding.fail(
            NAME,
            "no ignoreip under [DEFAULT] in "
                + dir
                + "'s jail.conf, jail.local or jail.d, so fail2ban refuses "
                + dropIn
                + " ('%(known/ignoreip)s' has no value to extend)",
            "add 'ignoreip = 127.0.0.1/8 ::1' under [DEFAULT] in "
                + dir.resolve("jail.local")
                + ", then run 'cf-allowlist apply --target fail2ban'"));
  }

  /**
   * jail.conf, jail.d/*.conf, jail.local and jail.d/*.local but the drop-in, in fail2ban's order.
   */
  private static List<Path> readBefore(Path dir, Path dropIn) throws IOException {
    List<Path> files = new ArrayList<>();
    files.add(dir.resolve("jail.conf"));
    files.addAll(sorted(dir.resolve("jail.d"), "*.conf"));
    files.add(dir.resolve("jail.local"));
    files.addAll(sorted(dir.resolve("jail.d"), "*.local"));
    files.removeIf(
        f -> f.getFileName().equals(dropIn.getFileName()) && f.getParent().endsWith("jail.d"));
    return files;
  }

  private static List<Path> sorted(Path dir, String glob) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, glob)) {
      s.forEach(out::add);
    }
    out.sort(null);
    return out;
  }

  /**
   * The sections (lower case) of {@code file} that set {@code ignoreip}; none when it is absent.
   */
  static Set<String> sectionsWithIgnoreip(Path file) throws IOException {
    String text;
    try {
      text = SmallFiles.read(file, "a fail2ban configuration file");
    } catch (NoSuchFileException e) {
      return Set.of();
    }
    Set<String> out = new HashSet<>();
    String section = "";
    for (String line : text.lines().toList()) {
      Matcher m = SECTION.matcher(line.strip());
      if (m.matches()) {
        section = m.group(1).strip().toLowerCase(Locale.ROOT);
      } else if (IGNOREIP.matcher(line).matches()) {
        out.add(section);
      }
    }
    return out;
  }
}
