package io.github.cfallowlist.doctor;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import java.io.IOException;
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
    Optional<RangeSnapshot> lastGood;
    String dir = c.state().path().toString();
    try {
      lastGood = c.state().loadLastGood();
    } catch (IOException | RuntimeException e) {
      findings.add(
          Finding.warn(
              NAME,
              "the last good list in " + dir + " cannot be read: " + Printable.message(e),
              "remove it (rm "
                  + c.state().path().resolve("last-good.json")
                  + "); the next 'cf-allowlist apply' saves it again"));
      lastGood = Optional.empty();
    }
    Optional<String> failure = c.sourceFailure();
    if (failure.isPresent()) {
      findings.add(
          Finding.warn(
              NAME,
              source.name()
                  + " could not be read ("
                  + failure.get()
                  + "); the checks compare"
                  + " against "
                  + c.ranges().source(),
              "check that this host reaches Cloudflare ('curl -sS "
                  + RangeSource.DEFAULT_API_URL
                  + "'), then run 'cf-allowlist apply'"));
    } else if (lastGood.isPresent()) {
      findings.add(agreement(c, lastGood.get(), dir, now));
    } else {
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
    } else if (lastGood.isEmpty()) {
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
