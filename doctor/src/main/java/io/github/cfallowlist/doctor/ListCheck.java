package io.github.cfallowlist.doctor;

import io.github.cfallowlist.CfAllowlistException;
import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The list itself: whether the live source answers and agrees with the last good list saved in the
 * state directory, and how old the list is that a run would fall back to. Cloudflare announces new
 * ranges (the JD Cloud network's) 30 days before it uses them, so a list older than that, which
 * nothing confirms, may lack ranges Cloudflare already connects from.
 */
final class ListCheck implements Check {
  static final String NAME = "list";

  /** A list nothing confirmed for longer than this may miss ranges announced since. */
  static final Duration MAX_AGE = Duration.ofDays(30);

  private static final String TIMER = "check its timer: 'systemctl status cf-allowlist.timer'";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Finding> run(DoctorContext c) throws IOException {
    Instant now = c.clock().instant();
    RangeSource source = c.source();
    List<Finding> findings = new ArrayList<>();
    if (!source.isRemote()) {
      findings.add(local(c, now));
      return findings;
    }
    Optional<RangeSnapshot> lastGood = Optional.empty();
    String dir = Printable.of(c.state().path().toString());
    Optional<Finding> unusable = unsafeDirectory(c.state().path());
    if (unusable.isEmpty()) {
      try {
        lastGood = c.state().loadLastGood();
      } catch (CfAllowlistException e) {
        // The directory itself is refused (a link, not ours): no file in it is at fault.
        unusable =
            Optional.of(
                Finding.warn(
                    NAME,
                    "the state directory cannot be used: " + Printable.message(e),
                    "give --state-dir a directory of this user's that no one else can write"
                        + " (mode 700)"));
      } catch (IOException | RuntimeException e) {
        unusable =
            Optional.of(
                Finding.warn(
                    NAME,
                    "the last good list in " + dir + " cannot be read: " + Printable.message(e),
                    "remove it ('rm "
                        + quote(c.state().path().resolve("last-good.json"))
                        + "'); the next 'cf-allowlist apply' saves it again"));
      }
    }
    unusable.ifPresent(findings::add);
    Optional<String> failure = c.sourceFailure();
    if (failure.isPresent()) {
      findings.add(
          Finding.warn(
              NAME,
              source.name()
                  + " could not be read ("
                  + failure.get()
                  + "); the checks compare against "
                  + fallback(c, lastGood, dir),
              "check that this host reaches Cloudflare ('curl -sS "
                  + RangeSource.DEFAULT_API_URL
                  + "'), then run 'cf-allowlist apply'"));
    } else if (lastGood.isPresent()) {
      findings.add(agreement(c, lastGood.get(), dir, now));
    } else if (unusable.isEmpty()) {
      findings.add(
          Finding.ok(
              NAME,
              source.name()
                  + " answered with "
                  + c.ranges().ranges().size()
                  + " ranges; no last good list is saved in "
                  + dir
                  + " yet"));
    }
    boolean confirmed =
        failure.isEmpty()
            && lastGood.isPresent()
            && lastGood.get().ranges().equals(c.ranges().ranges());
    if (lastGood.isPresent() && !confirmed) {
      Instant saved = lastGood.get().fetchedAt();
      if (old(saved, now)) {
        findings.add(
            Finding.warn(
                NAME,
                "the last good list in "
                    + dir
                    + " was fetched on "
                    + day(saved)
                    + ", "
                    + days(saved, now)
                    + " days ago, and the source does not confirm it: ranges"
                    + " Cloudflare announced since (30 days ahead) may be missing",
                "run 'cf-allowlist apply --source cloudflare' and " + TIMER));
      }
    } else if (lastGood.isEmpty() && unusable.isEmpty()) {
      Instant recorded = embeddedDate();
      if (old(recorded, now)) {
        findings.add(
            Finding.warn(
                NAME,
                "no last good list is saved in "
                    + dir
                    + ", so a run that cannot reach the"
                    + " source falls back to the embedded list recorded on "
                    + day(recorded)
                    + ", "
                    + days(recorded, now)
                    + " days ago",
                "run 'cf-allowlist apply' once so the last good list is saved, and " + TIMER));
      }
    }
    return findings;
  }

  /**
   * A state directory other users can write, which cf-allowlist refuses to read from: the one
   * finding about it, with the command that makes it private.
   */
  private static Optional<Finding> unsafeDirectory(Path dir) {
    Set<PosixFilePermission> mode;
    try {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        return Optional.empty();
      }
      mode = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty(); // loadLastGood says what is wrong
    }
    if (!mode.contains(PosixFilePermission.GROUP_WRITE)
        && !mode.contains(PosixFilePermission.OTHERS_WRITE)) {
      return Optional.empty();
    }
    return Optional.of(
        Finding.warn(
            NAME,
            "the state directory "
                + Printable.of(dir.toString())
                + " can be written by other users ("
                + PosixFilePermissions.toString(mode)
                + "), so cf-allowlist will neither read nor save the last good list there",
            "make it private: 'chmod 700 " + quote(dir) + "'"));
  }

  /** {@code path} as one shell word: quoted when it holds anything but plain characters. */
  private static String quote(Path path) {
    String p = Printable.of(path.toString());
    return p.matches("[A-Za-z0-9_./+:@%-]+") ? p : "\"" + p.replace("\"", "\\\"") + "\"";
  }

  /**
   * What the checks compare against when the source failed: the last good list, or the embedded.
   */
  private static String fallback(DoctorContext c, Optional<RangeSnapshot> lastGood, String dir) {
    RangeSnapshot used = c.ranges();
    if (lastGood.isPresent() && lastGood.get().fetchedAt().equals(used.fetchedAt())) {
      return "the last good list saved in "
          + dir
          + " (fetched "
          + day(used.fetchedAt())
          + " from "
          + used.source()
          + ")";
    }
    return "the embedded list recorded on " + day(used.fetchedAt());
  }

  /** A local source (the embedded list, a file, the last good list): only its age can be told. */
  private static Finding local(DoctorContext c, Instant now) {
    if (c.sourceFailure().isPresent()) {
      return Finding.warn(
          NAME,
          c.source().name() + " could not be read: " + c.sourceFailure().get(),
          "fix the list given with --source, or use --source cloudflare");
    }
    Instant dated = c.ranges().fetchedAt();
    String found =
        "the list from "
            + c.source().name()
            + " dates from "
            + day(dated)
            + ", "
            + days(dated, now)
            + " days ago";
    if (old(dated, now)) {
      return Finding.warn(
          NAME,
          found + ": ranges Cloudflare announced since (30 days ahead) may be missing",
          "use Cloudflare's live list: 'cf-allowlist apply --source cloudflare' (the default),"
              + " and "
              + TIMER);
    }
    return Finding.ok(NAME, found);
  }

  private static Finding agreement(
      DoctorContext c, RangeSnapshot lastGood, String dir, Instant now) {
    RangeSet live = c.ranges().ranges();
    RangeSet saved = lastGood.ranges();
    String when = day(lastGood.fetchedAt());
    if (live.equals(saved)) {
      return Finding.ok(
          NAME,
          c.source().name()
              + " agrees with the last good list in "
              + dir
              + " ("
              + live.size()
              + " ranges, fetched "
              + when
              + ")");
    }
    Set<Cidr> added = new HashSet<>(live.all());
    added.removeAll(saved.all());
    Set<Cidr> removed = new HashSet<>(saved.all());
    removed.removeAll(live.all());
    return Finding.warn(
        NAME,
        c.source().name()
            + " now has "
            + live.size()
            + " ranges (+"
            + added.size()
            + " -"
            + removed.size()
            + ") but the last good list in "
            + dir
            + " (fetched "
            + when
            + ", "
            + days(lastGood.fetchedAt(), now)
            + " days ago) has "
            + saved.size()
            + ": no run has saved the current list",
        "run 'cf-allowlist apply' and " + TIMER);
  }

  private static Instant embeddedDate() throws IOException {
    return RangeSource.embedded().fetch().fetchedAt();
  }

  private static boolean old(Instant then, Instant now) {
    return then.plus(MAX_AGE).isBefore(now);
  }

  private static long days(Instant then, Instant now) {
    return Duration.between(then, now).toDays();
  }

  private static String day(Instant instant) {
    return LocalDate.ofInstant(instant, ZoneOffset.UTC).toString();
  }
}
