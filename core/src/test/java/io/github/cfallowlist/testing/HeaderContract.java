package io.github.cfallowlist.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Header;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every target's rendered header must give: the same list renders the same bytes whatever the
 * fetch time and the source file's path; a file written with the older header (version and fetch
 * time in it) is read, in sync and shows no diff, so an upgrade changes nothing; and a diff against
 * a live reading shows no header line and no file whose configuration is unchanged. A target's test
 * extends this and provides its target and option variants.
 */
public abstract class HeaderContract {
  @TempDir Path dir;

  /** The target under test. */
  protected abstract Target target();

  /** The option variants to render with. */
  protected abstract List<TargetOptions> variants();

  private static RangeSnapshot forOptions(RangeSnapshot snapshot, TargetOptions options) {
    return snapshot.withRanges(snapshot.ranges().restrictTo(options.families()));
  }

  /** The embedded list read from a file at {@code path} last modified at {@code mtime}. */
  private static RangeSnapshot fetchFromFile(Path path, Instant mtime) throws Exception {
    Files.createDirectories(path.getParent());
    Files.writeString(
        path,
        TestSnapshots.embedded().ranges().all().stream()
            .map(c -> c + "\n")
            .collect(Collectors.joining()));
    Files.setLastModifiedTime(path, FileTime.from(mtime));
    return Guards.defaults().validate(RangeSource.file(path).fetch());
  }

  @Test
  void theSameListFromTwoFetchesSecondsApartAtOtherPathsRendersIdenticalBytes() throws Exception {
    RangeSnapshot first =
        fetchFromFile(dir.resolve("one/ranges.txt"), Instant.parse("2026-10-02T08:00:00Z"));
    RangeSnapshot second =
        fetchFromFile(dir.resolve("two/copy.txt"), Instant.parse("2026-10-02T08:00:09Z"));
    RangeSnapshot api = TestSnapshots.embedded();
    RangeSnapshot apiLater =
        new RangeSnapshot(api.ranges(), api.source(), api.etag(), api.fetchedAt().plusSeconds(9));
    for (TargetOptions options : variants()) {
      Rendered rendered = target().render(forOptions(first, options), options);

      assertThat(target().render(forOptions(second, options), options)).isEqualTo(rendered);
      assertThat(target().render(forOptions(apiLater, options), options))
          .isEqualTo(target().render(forOptions(api, options), options));
      assertThat(rendered.text())
          .doesNotContain(dir.toString(), "2026-10-02T08", "fetched", Header.version());
    }
  }

  @Test
  void aFileWithTheOlderHeaderIsReadAndInSyncWithNoDiff() {
    RangeSnapshot snapshot = TestSnapshots.embedded();
    for (TargetOptions options : variants()) {
      RangeSnapshot own = forOptions(snapshot, options);
      Rendered old = withOlderHeader(target().render(own, options));

      Plan plan = Plan.compute(target(), own, options, Optional.of(old));

      assertThat(target().parse(old, options)).isEqualTo(own.ranges());
      assertThat(plan.hasChanges()).isFalse();
      assertThat(plan.diff()).isEmpty();
    }
  }

  @Test
  void aDiffAgainstALiveReadingShowsNoHeaderLineAndNoUnchangedFile() {
    RangeSnapshot snapshot = TestSnapshots.embedded();
    for (TargetOptions options : variants()) {
      RangeSnapshot own = forOptions(snapshot, options);
      List<Cidr> older = new ArrayList<>(own.ranges().all());
      older.remove(0);
      Rendered live =
          target().render(RangeSnapshot.live(RangeSet.of(older), target().name()), options);
      Rendered desired = target().render(own, options);

      String diff = Plan.compute(target(), own, options, Optional.of(live)).diff();

      assertThat(diff).contains("+", own.ranges().all().get(0).toString());
      assertThat(diff.lines().filter(l -> l.startsWith("-") || l.startsWith("+")))
          .noneMatch(
              l ->
                  l.contains("Cloudflare IP ranges")
                      || l.contains(Header.MARKER)
                      || l.contains("source:")
                      || l.contains("etag:")
                      || l.contains("sha256:"));
      for (Rendered.File f : desired.files()) {
        if (live.file(f.name()).map(Rendered.File::body).equals(Optional.of(f.body()))) {
          assertThat(diff).doesNotContain("/" + f.name() + "\n");
        }
      }
    }
  }

  /**
   * {@code rendered} as an earlier version wrote it: its version in the first header line and a
   * {@code fetched:} line above the marker.
   */
  private static Rendered withOlderHeader(Rendered rendered) {
    List<Rendered.File> files = new ArrayList<>();
    for (Rendered.File f : rendered.files()) {
      StringBuilder out = new StringBuilder();
      for (String line : f.content().split("\n", -1)) {
        int marker = line.indexOf(Header.MARKER);
        if (marker >= 0) {
          out.append(line, 0, marker).append("fetched: 2026-10-02T00:00:00Z\n");
        }
        out.append(
                line.replace(
                    "cf-allowlist: Cloudflare IP ranges",
                    "cf-allowlist 0.1.0-SNAPSHOT: Cloudflare IP ranges"))
            .append('\n');
      }
      String text = out.substring(0, out.length() - 1);
      assertThat(text).contains("cf-allowlist 0.1.0-SNAPSHOT: ", "fetched: ");
      files.add(new Rendered.File(f.name(), text));
    }
    return new Rendered(files);
  }
}
