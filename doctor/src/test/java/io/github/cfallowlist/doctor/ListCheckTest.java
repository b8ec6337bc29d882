package io.github.cfallowlist.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Finding.Status;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.RawRanges;
import io.github.cfallowlist.StateDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The list check, with a fixed clock and a real state directory. */
class ListCheckTest {
  private static final Instant NOW = Instant.parse("2027-03-01T12:00:00Z");

  @TempDir Path tmp;

  /** A remote source answering with {@code ranges}, or failing when they are null. */
  private static RangeSource remote(RangeSet ranges) {
    return new RangeSource() {
      @Override
      public String name() {
        return "Cloudflare API test";
      }

      @Override
      public RawRanges fetch() throws IOException {
        if (ranges == null) {
          throw new IOException("connect timed out");
        }
        RawRanges embedded = RangeSource.embedded().fetch();
        List<RawRanges.RawList> lists =
            List.of(
                new RawRanges.RawList(
                    "test",
                    java.util.Optional.empty(),
                    ranges.all().stream().map(Object::toString).toList()));
        return new RawRanges(lists, name(), embedded.etag(), NOW);
      }

      @Override
      public boolean isRemote() {
        return true;
      }
    };
  }

  private StateDir savedDaysAgo(RangeSet ranges, long days) throws IOException {
    StateDir state = StateDir.at(tmp.resolve("state"));
    RangeSnapshot embedded = Contexts.embedded();
    state.saveLastGood(
        new RangeSnapshot(
            ranges, "Cloudflare API", embedded.etag(), NOW.minus(Duration.ofDays(days))));
    return state;
  }

  private List<Finding> run(RangeSource source, StateDir state, Instant now) throws IOException {
    return Doctor.builder()
        .source(source)
        .stateDir(state)
        .clock(Clock.fixed(now, ZoneOffset.UTC))
        .runner(CommandRunner.system())
        .targets(List.of())
        .checks(List.of(new ListCheck()))
        .build()
        .run()
        .findings();
  }

  private static RangeSet full() {
    return Contexts.embedded().ranges();
  }

  private static RangeSet withoutOne() {
    List<io.github.cfallowlist.Cidr> all = full().all();
    return RangeSet.of(all.subList(1, all.size()));
  }

  @Test
  void aLastGoodListSavedFortyDaysAgoWarnsWhenTheSourceCannotConfirmIt() throws IOException {
    List<Finding> found = run(remote(null), savedDaysAgo(full(), 40), NOW);

    assertThat(found).extracting(Finding::status).containsExactly(Status.WARN, Status.WARN);
    assertThat(found.get(0).found()).contains("could not be read (connect timed out)");
    assertThat(found.get(1).found())
        .contains("was fetched on 2027-01-20, 40 days ago", "may be missing");
    assertThat(found.get(1).remedy())
        .contains("cf-allowlist apply --source cloudflare", "systemctl status cf-allowlist.timer");
  }

  @Test
  void aLastGoodListSavedTenDaysAgoOnlyWarnsThatTheSourceFailed() throws IOException {
    List<Finding> found = run(remote(null), savedDaysAgo(full(), 10), NOW);

    assertThat(found).extracting(Finding::status).containsExactly(Status.WARN);
  }

  @Test
  void whenTheSourceFailsTheListLineNamesTheLastGoodListItComparesAgainstWithItsDate()
      throws IOException {
    List<Finding> found = run(remote(null), savedDaysAgo(full(), 10), NOW);

    assertThat(found.get(0).found())
        .contains(
            "the checks compare against the last good list saved in "
                + tmp.resolve("state")
                + " (fetched 2027-02-19 from Cloudflare API)");
  }

  @Test
  void aStateDirectoryOthersCanWriteIsOneWarningWithTheChmodThatFixesIt() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("shared"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));

    List<Finding> found = run(remote(full()), StateDir.at(dir), NOW);

    assertThat(found)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.WARN);
              assertThat(f.found()).contains(dir + " can be written by other users (rwxrwxrwx)");
              assertThat(f.remedy()).isEqualTo("make it private: 'chmod 700 " + dir + "'");
            });
  }

  @Test
  void anOldLastGoodListTheSourceAgreesWithIsOk() throws IOException {
    List<Finding> found = run(remote(full()), savedDaysAgo(full(), 40), NOW);

    assertThat(found)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.OK);
              assertThat(f.found()).contains("agrees with the last good list");
            });
  }

  @Test
  void aLastGoodListThatDiffersFromTheSourceWarnsNamingTheCounts() throws IOException {
    int size = full().size();
    List<Finding> found = run(remote(full()), savedDaysAgo(withoutOne(), 5), NOW);

    assertThat(found)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.WARN);
              assertThat(f.found())
                  .contains("now has " + size + " ranges (+1 -0)", "has " + (size - 1));
            });
  }

  @Test
  void theEmbeddedListWarnsOnceOlderThanThirtyDays() throws IOException {
    Instant recorded = RangeSource.embedded().fetch().fetchedAt();
    StateDir state = StateDir.at(tmp.resolve("state"));

    List<Finding> fresh = run(RangeSource.embedded(), state, recorded.plus(Duration.ofDays(10)));
    List<Finding> old = run(RangeSource.embedded(), state, recorded.plus(Duration.ofDays(40)));

    assertThat(fresh).extracting(Finding::status).containsExactly(Status.OK);
    assertThat(old)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.status()).isEqualTo(Status.WARN);
              assertThat(f.found()).contains("40 days ago");
              assertThat(f.remedy()).contains("--source cloudflare");
            });
  }

  @Test
  void withNoLastGoodListAnOldEmbeddedFallbackWarns() throws IOException {
    Instant recorded = RangeSource.embedded().fetch().fetchedAt();
    List<Finding> found =
        run(remote(full()), StateDir.at(tmp.resolve("empty")), recorded.plus(Duration.ofDays(45)));

    assertThat(found).extracting(Finding::status).containsExactly(Status.OK, Status.WARN);
    assertThat(found.get(1).found()).contains("falls back to the embedded list", "45 days ago");
  }
}
