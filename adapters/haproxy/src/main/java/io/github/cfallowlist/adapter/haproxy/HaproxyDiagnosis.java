package io.github.cfallowlist.adapter.haproxy;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.SmallFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What doctor's {@code haproxy} check reads: through the runtime API, that the running process
 * loads the ACL file ({@code show acl} lists it) and holds the file's entries; in the configuration
 * files the check command names ({@code -f FILE} or {@code -f DIR}), every {@code http-request
 * set-src} and the {@code src} ACLs its condition names, for a trust broader than Cloudflare's
 * ranges.
 */
final class HaproxyDiagnosis {
  static final String NAME = "haproxy";

  /** Local proxies: trusting them is the user's own business, not a hole. */
  private static final List<Cidr> LOOPBACK =
      List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));

  private static final Set<String> SECTIONS =
      Set.of(
          "global",
          "defaults",
          "frontend",
          "listen",
          "backend",
          "peers",
          "resolvers",
          "userlist",
          "program",
          "http-errors",
          "ring",
          "mailers",
          "cache");

  private HaproxyDiagnosis() {}

  static List<Finding> diagnose(HaproxySettings settings, Diagnosis diagnosis) {
    List<Finding> findings = new ArrayList<>();
    String running = running(settings, findings);
    trust(settings, diagnosis, findings);
    if (findings.isEmpty()) {
      findings.add(
          Finding.ok(NAME, running + "; no set-src trusts a client outside Cloudflare's ranges"));
    }
    return findings;
  }

  /** The runtime API's findings; returns what an ok line says about the running process. */
  private static String running(HaproxySettings settings, List<Finding> findings) {
    Path file = settings.file();
    HaproxySocket opened;
    try {
      opened = HaproxySocket.open(settings.socket());
    } catch (IOException e) {
      findings.add(
          Finding.fail(
              NAME,
              Printable.of(Printable.message(e)),
              "enable the runtime API ('stats socket "
                  + settings.socket()
                  + " level admin' in the global section), or set haproxy-socket to it"));
      return "";
    }
    try (HaproxySocket socket = opened) {
      HaproxyAcl acl = new HaproxyAcl(socket, file);
      Optional<String> id = acl.id();
      if (id.isEmpty()) {
        findings.add(
            Finding.fail(
                NAME,
                "the running HAProxy does not load "
                    + file
                    + ", so it trusts CF-Connecting-IP by no list of cf-allowlist's",
                "add 'acl from_cloudflare src -f "
                    + file
                    + "' and 'http-request set-src req.hdr(CF-Connecting-IP) if from_cloudflare'"
                    + " to the frontend, then reload HAProxy once"));
        return "";
      }
      List<String> entries = acl.entries(id.get());
      Optional<String> onDisk = HaproxyLive.file(file);
      List<String> inFile =
          onDisk
              .map(t -> HaproxyConfig.parse(settings.fileName(), t).all())
              .orElse(List.of())
              .stream()
              .map(Cidr::toString)
              .toList();
      if (!entries.equals(inFile)) {
        List<String> extra = entries.stream().filter(e -> !inFile.contains(e)).toList();
        List<String> lacking = inFile.stream().filter(e -> !entries.contains(e)).toList();
        findings.add(
            Finding.fail(
                NAME,
                "the running ACL #"
                    + id.get()
                    + " ("
                    + file
                    + ") holds "
                    + entries.size()
                    + " entries and the file "
                    + inFile.size()
                    + (onDisk.isEmpty() ? " (it is missing)" : "")
                    + ": "
                    + extra.size()
                    + " only in the running ACL"
                    + extra.stream()
                        .findFirst()
                        .map(e -> " (first " + Printable.of(e) + ")")
                        .orElse("")
                    + ", "
                    + lacking.size()
                    + " only in the file"
                    + lacking.stream().findFirst().map(e -> " (first " + e + ")").orElse(""),
                "run 'cf-allowlist apply --target haproxy': it makes both hold Cloudflare's list"
                    + " without a reload"));
        return "";
      }
      return "the running HAProxy loads "
          + file
          + " as ACL #"
          + id.get()
          + " with the file's "
          + entries.size()
          + " entries";
    } catch (IOException | RuntimeException e) {
      findings.add(
          Finding.warn(
              NAME,
              "the running ACL cannot be compared with "
                  + file
                  + ": "
                  + Printable.of(Printable.message(e)),
              "run 'cf-allowlist status --target haproxy' for the details"));
      return "";
    }
  }

  /** The findings about every {@code http-request set-src} in the configuration files. */
  private static void trust(HaproxySettings settings, Diagnosis diagnosis, List<Finding> findings) {
    List<Path> files;
    try {
      files = configFiles(settings.checkCommand());
    } catch (IOException e) {
      findings.add(
          Finding.warn(
              NAME,
              "HAProxy's configuration cannot be read: " + Printable.of(Printable.message(e)),
              "check by hand with 'grep -n -e set-src -e \"acl \" /etc/haproxy/haproxy.cfg'"));
      return;
    }
    if (files.isEmpty()) {
      findings.add(
          Finding.warn(
              NAME,
              "haproxy-check-command names no configuration file (-f), so set-src rules cannot"
                  + " be judged",
              "set haproxy-check-command to 'haproxy -c -f /etc/haproxy/haproxy.cfg'"));
      return;
    }
    RangeSet cloudflare = diagnosis.ranges().ranges();
    for (Path file : files) {
      String text;
      try {
        text = SmallFiles.read(file, "an HAProxy configuration file");
      } catch (IOException e) {
        findings.add(
            Finding.warn(
                NAME,
                "cannot read " + file + ": " + Printable.of(Printable.message(e)),
                "check its set-src rules by hand"));
        continue;
      }
      Map<String, Acl> acls = new HashMap<>();
      String[] lines = text.split("\n", -1);
      for (int i = 0; i < lines.length; i++) {
        List<String> words = words(lines[i]);
        if (words.isEmpty()) {
          continue;
        }
        String where = file + " line " + (i + 1);
        if (SECTIONS.contains(words.get(0))) {
          acls.clear();
        } else if (words.get(0).equals("acl") && words.size() >= 3) {
          Acl acl = acls.computeIfAbsent(words.get(1), n -> new Acl());
          acl.read(words.subList(2, words.size()), where);
        } else if (words.size() >= 2
            && words.get(0).equals("http-request")
            && words.get(1).equals("set-src")) {
          judge(words, where, acls, cloudflare).ifPresent(findings::add);
        }
      }
    }
  }

  private static Optional<Finding> judge(
      List<String> words, String where, Map<String, Acl> acls, RangeSet cloudflare) {
    String rule = Printable.of(String.join(" ", words));
    int cond = Math.max(words.indexOf("if"), words.indexOf("unless"));
    if (cond < 0) {
      return Optional.of(
          Finding.fail(
              NAME,
              "'"
                  + rule
                  + "' in "
                  + where
                  + " has no condition: every client can set its own address",
              "add 'if from_cloudflare' with 'acl from_cloudflare src -f FILE' (cf-allowlist's ACL"
                  + " file), then reload HAProxy"));
    }
    List<String> terms = words.subList(cond + 1, words.size());
    Acl acl = terms.size() == 1 && words.get(cond).equals("if") ? acls.get(terms.get(0)) : null;
    if (acl == null || !acl.unjudged().isEmpty()) {
      return Optional.of(
          Finding.warn(
              NAME,
              "'"
                  + rule
                  + "' in "
                  + where
                  + " trusts a condition this check does not judge"
                  + (acl == null ? "" : " (" + String.join("; ", acl.unjudged()) + ")"),
              "check it admits only Cloudflare's addresses ('if ACL' of one 'acl ACL src ...')"));
    }
    List<Cidr> outside = new ArrayList<>();
    for (Cidr range : acl.ranges()) {
      if (cloudflare.find(range).isEmpty() && LOOPBACK.stream().noneMatch(l -> l.contains(range))) {
        outside.add(range);
      }
    }
    String found = "'" + rule + "' in " + where + " trusts the client's address from ";
    Optional<Cidr> broader =
        outside.stream().filter(r -> cloudflare.all().stream().anyMatch(r::overlaps)).findFirst();
    if (broader.isPresent()) {
      return Optional.of(
          Finding.fail(
              NAME,
              found
                  + broader.get()
                  + ", broader than Cloudflare's ranges: any client there can forge its address",
              "trust only 'acl from_cloudflare src -f FILE' (cf-allowlist's ACL file) there,"
                  + " then reload HAProxy"));
    }
    if (!outside.isEmpty()) {
      return Optional.of(
          Finding.warn(
              NAME,
              found
                  + outside.get(0)
                  + ", outside Cloudflare's ranges: a client there can set its own address",
              "keep it only if that is a proxy you run"));
    }
    return Optional.empty();
  }

  /** The patterns of one named ACL, across its definitions, and what could not be judged. */
  private static final class Acl {
    private final List<Cidr> ranges = new ArrayList<>();
    private final List<String> unjudged = new ArrayList<>();

    List<Cidr> ranges() {
      return ranges;
    }

    List<String> unjudged() {
      return unjudged;
    }

    void read(List<String> args, String where) {
      if (!args.get(0).equals("src")) {
        unjudged.add(args.get(0) + " in " + where);
        return;
      }
      for (int i = 1; i < args.size(); i++) {
        String a = args.get(i);
        if (a.equals("-f") && i + 1 < args.size()) {
          patternFile(Path.of(args.get(++i)), where);
        } else if (a.startsWith("-") && !List.of("-n", "-i", "--").contains(a)) {
          unjudged.add("flag " + a + " in " + where);
          if (a.equals("-m") || a.equals("-u") || a.equals("-M")) {
            i++;
          }
        } else if (!a.startsWith("-")) {
          pattern(a, where);
        }
      }
    }

    private void patternFile(Path file, String where) {
      try {
        for (String line :
            SmallFiles.readConfig(file, "an HAProxy pattern file").lines().toList()) {
          String p = line.strip();
          if (!p.isEmpty() && !p.startsWith("#")) {
            pattern(p, file.toString());
          }
        }
      } catch (IOException e) {
        unjudged.add(file + " cannot be read (" + where + ")");
      }
    }

    private void pattern(String text, String where) {
      Optional<Cidr> c = HaproxyConfig.canonical(text).or(() -> host(text));
      if (c.isPresent()) {
        ranges.add(c.get());
      } else {
        unjudged.add("'" + Printable.of(text) + "' in " + where);
      }
    }

    private static Optional<Cidr> host(String text) {
      try {
        return text.contains("/") ? Optional.of(Cidr.parseZeroingHostBits(text)) : Cidr.host(text);
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }
  }

  /** The words of a configuration line, without its comment. */
  private static List<String> words(String line) {
    List<String> out = new ArrayList<>();
    for (String w : line.strip().split("\\s+", -1)) {
      if (w.startsWith("#")) {
        break;
      }
      if (!w.isEmpty()) {
        out.add(w);
      }
    }
    return out;
  }

  /** The files of each {@code -f} of the check command; a directory's {@code *.cfg} in order. */
  static List<Path> configFiles(List<String> checkCommand) throws IOException {
    List<Path> out = new ArrayList<>();
    for (int i = 0; i + 1 < checkCommand.size(); i++) {
      if (!checkCommand.get(i).equals("-f")) {
        continue;
      }
      Path p = Path.of(checkCommand.get(i + 1));
      if (Files.isDirectory(p)) {
        List<Path> cfgs = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(p, "*.cfg")) {
          s.forEach(cfgs::add);
        }
        cfgs.sort(null);
        out.addAll(cfgs);
      } else {
        out.add(p);
      }
    }
    return out;
  }
}
