package io.github.cfallowlist.adapter.apache;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.kit.ConfigRead;
import io.github.cfallowlist.kit.ProxyTrust;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What doctor's {@code apache} check reads in the configuration Apache would load: the files it
 * includes ({@code apachectl -t -D DUMP_INCLUDES}, the test command with {@code -D DUMP_INCLUDES}
 * after {@code -t}) must hold the snippet, and no other included file may set {@code
 * RemoteIPHeader} to another header or trust, with {@code RemoteIPTrustedProxy} or {@code
 * RemoteIPInternalProxy}, an address outside Cloudflare's ranges.
 */
final class ApacheDiagnosis {
  static final String NAME = "apache";

  /** A line of {@code DUMP_INCLUDES}: {@code (*) FILE} or {@code (LINE) FILE}. */
  private static final Pattern INCLUDED = Pattern.compile("\\s*\\((?:\\*|\\d+)\\)\\s+(.+)");

  private static final String TRUSTED = "remoteiptrustedproxy";
  private static final String INTERNAL = "remoteipinternalproxy";

  private ApacheDiagnosis() {}

  /** One file Apache reads, as read now. */
  record Included(Path path, String text) {}

  static List<Finding> diagnose(ApacheSettings settings, Diagnosis diagnosis) throws IOException {
    String test = String.join(" ", settings.testCommand());
    Optional<List<String>> dumpCommand = dumpCommand(settings.testCommand());
    if (dumpCommand.isEmpty()) {
      return List.of(
          Finding.warn(
              NAME,
              "the configuration cannot be read: apache-test-command '"
                  + Printable.of(test)
                  + "' has no -t to add -D DUMP_INCLUDES to",
              "check by hand with 'apachectl -t -D DUMP_INCLUDES' and 'grep -ri remoteip"
                  + " /etc/apache2'"));
    }
    ConfigRead read =
        ConfigRead.run(
            diagnosis,
            NAME,
            "Apache",
            Command.read(dumpCommand.get()),
            "install apache2, or set apache-test-command to the Apache this host runs",
            ApacheConfig::apacheError,
            error ->
                error.contains("RemoteIP")
                    ? "enable mod_remoteip ('a2enmod remoteip'), then run 'apachectl -t &&"
                        + " apachectl graceful'"
                    : "fix what '" + Printable.of(test) + "' names, then run 'apachectl graceful'");
    if (read instanceof ConfigRead.Unreadable u) {
      return List.of(u.finding());
    }
    CommandResult r = ((ConfigRead.Read) read).result();
    List<Included> files = new ArrayList<>();
    List<Finding> unreadable = new ArrayList<>();
    for (Path file : includedFiles(r.stdout())) {
      try {
        // Directives are ASCII; a comment in another encoding must not stop the check.
        files.add(new Included(file, new String(Files.readAllBytes(file), ISO_8859_1)));
      } catch (IOException e) {
        unreadable.add(
            Finding.warn(
                NAME,
                "Apache includes " + file + ", which cannot be read here: " + e.getMessage(),
                "run doctor as root, or check that file's RemoteIP lines by hand"));
      }
    }
    List<Finding> findings = new ArrayList<>(judge(files, settings.file(), diagnosis));
    findings.addAll(unreadable);
    return findings;
  }

  /** The test command with {@code -D DUMP_INCLUDES} after {@code -t}. */
  static Optional<List<String>> dumpCommand(List<String> testCommand) {
    return withDefine(testCommand, "DUMP_INCLUDES");
  }

  /** The test command with {@code -D DEFINE} after {@code -t}; empty when it has no {@code -t}. */
  static Optional<List<String>> withDefine(List<String> testCommand, String define) {
    int at = testCommand.indexOf("-t");
    if (at < 0) {
      return Optional.empty();
    }
    List<String> out = new ArrayList<>(testCommand);
    out.addAll(at + 1, List.of("-D", define));
    return Optional.of(out);
  }

  /** The files {@code DUMP_INCLUDES} lists, in order. */
  static List<Path> includedFiles(String dump) {
    List<Path> out = new ArrayList<>();
    for (String line : dump.split("\n", -1)) {
      Matcher m = INCLUDED.matcher(line);
      if (m.matches()) {
        out.add(Path.of(m.group(1).strip()));
      }
    }
    return out;
  }

  static List<Finding> judge(List<Included> files, Path snippet, Diagnosis diagnosis) {
    List<Finding> findings = new ArrayList<>();
    boolean included = files.stream().anyMatch(f -> sameFile(f.path(), snippet));
    if (!included) {
      findings.add(
          Finding.fail(
              NAME,
              "the snippet "
                  + snippet
                  + " is not included by Apache's configuration, so every visitor appears with a"
                  + " Cloudflare address",
              notIncludedRemedy(snippet)));
    }
    for (Included file : files) {
      if (sameFile(file.path(), snippet)) {
        continue;
      }
      for (List<String> words : directives(file.text())) {
        String name = words.get(0).toLowerCase(Locale.ROOT);
        String where = Printable.of(String.join(" ", words)) + " in " + file.path();
        if (name.equals("remoteipheader")) {
          String value = words.size() > 1 ? words.get(1) : "";
          if (!value.equalsIgnoreCase(ApacheConfig.HEADER_NAME)) {
            findings.add(
                Finding.fail(
                    NAME,
                    where
                        + ": Apache takes the visitor's address from a header other than"
                        + " CF-Connecting-IP",
                    "remove that line from "
                        + file.path()
                        + "; cf-allowlist's snippet sets 'RemoteIPHeader CF-Connecting-IP'"));
          }
        } else if (name.equals(TRUSTED) || name.equals(INTERNAL)) {
          for (String value : words.subList(1, words.size())) {
            judgeProxy(findings, words.get(0) + " " + Printable.of(value), value, file, diagnosis);
          }
        } else if (name.equals(TRUSTED + "list") || name.equals(INTERNAL + "list")) {
          findings.add(
              Finding.warn(
                  NAME,
                  where + " trusts the addresses of a list this check does not read",
                  "check that list names only Cloudflare's ranges, or remove that line"));
        }
      }
    }
    if (findings.isEmpty()) {
      findings.add(
          Finding.ok(
              NAME,
              "Apache includes "
                  + snippet
                  + " and trusts CF-Connecting-IP from Cloudflare's ranges only"));
    }
    return findings;
  }

  private static void judgeProxy(
      List<Finding> findings, String directive, String value, Included file, Diagnosis diagnosis) {
    ProxyTrust.judge(
            NAME,
            diagnosis,
            value,
            directive + " in " + file.path(),
            "CF-Connecting-IP",
            "remove that line from "
                + file.path()
                + " (cf-allowlist's snippet trusts Cloudflare's ranges), then run 'apachectl -t"
                + " && apachectl graceful'")
        .ifPresent(findings::add);
  }

  private static String notIncludedRemedy(Path snippet) {
    String name = snippet.getFileName().toString();
    String conf = name.endsWith(".conf") ? name.substring(0, name.length() - 5) : name;
    Path dir = snippet.toAbsolutePath().getParent();
    String enable =
        dir != null
                && dir.getFileName() != null
                && dir.getFileName().toString().equals("conf-available")
            ? "run 'a2enmod remoteip && a2enconf " + conf + "'"
            : "add 'Include " + snippet + "' to Apache's configuration (apache2.conf)";
    return (Files.exists(snippet) ? "" : "run 'cf-allowlist apply --target apache', then ")
        + enable
        + ", then 'apachectl -t && apachectl graceful'";
  }

  /**
   * The directives of an Apache configuration file, each as its words: comments dropped, lines
   * ending in a backslash joined to the next, double quotes taken off.
   */
  static List<List<String>> directives(String text) {
    List<List<String>> out = new ArrayList<>();
    StringBuilder logical = new StringBuilder();
    for (String raw : text.split("\n", -1)) {
      String line = raw.strip();
      if (line.endsWith("\\")) {
        logical.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      logical.append(line);
      String whole = logical.toString().strip();
      logical.setLength(0);
      if (whole.isEmpty() || whole.startsWith("#") || whole.startsWith("<")) {
        continue;
      }
      List<String> words = new ArrayList<>();
      for (String w : whole.split("\\s+", -1)) {
        words.add(
            w.length() >= 2 && w.startsWith("\"") && w.endsWith("\"")
                ? w.substring(1, w.length() - 1)
                : w);
      }
      out.add(words);
    }
    return out;
  }

  private static boolean sameFile(Path a, Path b) {
    if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
      return true;
    }
    try {
      return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    } catch (IOException e) {
      return false;
    }
  }
}
