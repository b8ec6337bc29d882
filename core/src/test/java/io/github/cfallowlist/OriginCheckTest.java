package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.cfallowlist.testing.TestSnapshots;
import io.github.cfallowlist.testing.WhoisAnswers;
import io.github.cfallowlist.testing.WhoisServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The RPSL parser, the coverage rule, and the check against a whois server on loopback. */
class OriginCheckTest {
  private static final Instant NOW = Instant.parse("2026-11-01T10:00:00Z");
  private static final RangeSet EMBEDDED = TestSnapshots.embedded().ranges();

  @TempDir Path dir;
  private WhoisServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static RouteObjects parse(String answer) throws IOException {
    return RouteObjects.parse(answer, "AS13335", "whois.radb.net:43", NOW);
  }

  private OriginCheck check(String answer) throws IOException {
    server = WhoisServer.answering(answer);
    return OriginCheck.of("AS13335").withServer(server.hostPort());
  }

  private StateDir state() {
    return StateDir.at(dir.resolve("state"));
  }

  private static Clock at(Instant instant) {
    return Clock.fixed(instant, ZoneOffset.UTC);
  }

  // The parser and the coverage rule.

  @Test
  void theRecordedAnswerCoversEveryRangeOfTheEmbeddedSnapshot() throws Exception {
    RouteObjects routes = parse(WhoisAnswers.radb());
    assertThat(EMBEDDED.size()).isEqualTo(22);
    assertThat(routes.routes()).hasSize(29).contains(Cidr.parse("2a06:98c0::/29"));
    assertThat(routes.firstUncovered(EMBEDDED)).isEmpty();
  }

  @Test
  void theAnswerWithoutOneAggregateLeavesThatRangeUncoveredDespiteAMoreSpecificRoute()
      throws Exception {
    RouteObjects routes = parse(WhoisAnswers.radbWithout104_24());
    assertThat(routes.routes()).contains(Cidr.parse("104.24.0.0/20"));
    assertThat(routes.firstUncovered(EMBEDDED)).contains(Cidr.parse("104.24.0.0/14"));
  }

  @Test
  void aRangeIsCoveredWhenEqualToOrInsideARouteNotByASmallerOne() throws Exception {
    RouteObjects routes =
        parse(
            "route:  104.16.0.0/12\norigin: AS13335\n\n"
                + "route6: 2606:4700::/32\norigin: AS13335\n");
    assertThat(routes.firstUncovered(RangeSet.parse("104.16.0.0/13", "104.16.0.0/12"))).isEmpty();
    assertThat(routes.firstUncovered(RangeSet.parse("104.0.0.0/8")))
        .contains(Cidr.parse("104.0.0.0/8"));
    assertThat(routes.firstUncovered(RangeSet.parse("2606:4700::/31")))
        .contains(Cidr.parse("2606:4700::/31"));
  }

  @Test
  void commentsContinuationLinesAndOtherClassesAreReadAndRoutesOfOtherOriginsLeftOut()
      throws Exception {
    String answer =
        "% This is the RADb whois query server.\n"
            + "\n"
            + "route:      173.245.48.0/20   # edge\n"
            + "descr:      Cloudflare\n"
            + "            second line of descr\n"
            + "+           third line\n"
            + "origin:     as13335\n"
            + "source:     RADB\n"
            + "\n"
            + "route:      198.51.100.0/24\n"
            + "origin:     AS64496\n"
            + "\n"
            + "aut-num:    AS13335\n"
            + "as-name:    CLOUDFLARENET\n"
            + "\n"
            + "route6:     2400:cb00::/32\r\n"
            + "origin:     AS13335\r\n";
    assertThat(parse(answer).routes())
        .containsExactly(Cidr.parse("173.245.48.0/20"), Cidr.parse("2400:cb00::/32"));
  }

  @Test
  void anAnswerThatIsNotRpslIsRefusedWithAShortEscapedSnippet() {
    String garbage = "\u0016\u0003\u0001<html><body>" + "x".repeat(500) + "\n";
    assertThatThrownBy(() -> parse(garbage))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("the answer is not RPSL (line 1: '\\x16\\x03\\x01<html>")
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(140));
  }

  @Test
  void anAnswerWithNoRouteObjectIsRefused() {
    assertThatThrownBy(() -> parse(WhoisAnswers.noEntries()))
        .isInstanceOf(IOException.class)
        .hasMessage("the answer holds no route object of AS13335");
    assertThatThrownBy(() -> parse("")).hasMessage("the answer holds no route object of AS13335");
  }

  @Test
  void aRouteThatIsNotAPrefixOfItsFamilyIsRefused() {
    assertThatThrownBy(() -> parse("route: 2400:cb00::/32\norigin: AS13335\n"))
        .hasMessage("the route object at line 1 holds 2400:cb00::/32, which is not an IPv4 prefix");
    assertThatThrownBy(() -> parse("route6: not-a-prefix\norigin: AS13335\n"))
        .hasMessageStartingWith("the route6 object at line 1 holds 'not-a-prefix'");
  }

  // The values.

  @Test
  void anAsNumberIsTakenWithOrWithoutItsPrefixAndAnythingElseIsRefused() {
    assertThat(OriginCheck.parseAsn("13335")).isEqualTo(13335);
    assertThat(OriginCheck.parseAsn("AS13335")).isEqualTo(13335);
    assertThat(OriginCheck.parseAsn("as4294967295")).isEqualTo(4294967295L);
    for (String bad : List.of("", "AS", "ASN13335", "13335x", "-1", "0", "4294967296", "013335")) {
      assertThatThrownBy(() -> OriginCheck.parseAsn(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("'" + bad + "' is not an AS number; give it as 13335 or AS13335");
    }
  }

  @Test
  void theServerIsHostOrHostPortOrABracketedAddress() {
    OriginCheck c = OriginCheck.of("13335");
    assertThat(c.server()).isEqualTo("whois.radb.net:43");
    assertThat(c.withServer("whois.example:4343").server()).isEqualTo("whois.example:4343");
    assertThat(c.withServer("[::1]:43").host()).isEqualTo("::1");
    assertThat(c.withServer("[::1]").server()).isEqualTo("[::1]:43");
    for (String bad : List.of("host:", ":43", "host:x", "host:70000", "[::1", "a b", "h\u001b")) {
      assertThatThrownBy(() -> c.withServer(bad)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  // Against a whois server.

  @Test
  void theRealAnswerAcceptsTheListAndTheQueryIsTheOriginInverseLookup() throws Exception {
    OriginCheck check = check(WhoisAnswers.radb());
    assertThat(check.verify(EMBEDDED, state(), at(NOW), false)).isEmpty();
    assertThat(server.queries()).containsExactly("-i origin AS13335");
    assertThat(Files.exists(dir.resolve("state"))).isFalse();
  }

  @Test
  void aRangeOutsideTheRouteObjectsRefusesTheListNamingIt() throws Exception {
    OriginCheck check = check(WhoisAnswers.radbWithout104_24());
    assertThatThrownBy(() -> check.verify(EMBEDDED, state(), at(NOW), true))
        .isInstanceOf(RejectedRangesException.class)
        .hasMessage(
            "104.24.0.0/14 is not covered by any of the 28 route objects of AS13335 at "
                + server.hostPort()
                + ", so the whole list was refused");
  }

  @Test
  void aServerThatHangsFailsAfterTheTimeoutNamingTheServer() throws Exception {
    OriginCheck check = check("").withTimeout(Duration.ofMillis(300));
    server.hang();
    long start = System.nanoTime();
    assertThatThrownBy(() -> check.verify(EMBEDDED, state(), at(NOW), true))
        .isInstanceOf(CfAllowlistException.class)
        .isNotInstanceOf(RejectedRangesException.class)
        .hasMessage(
            "asking the whois server "
                + server.hostPort()
                + " for the route objects of AS13335 failed: no answer within 300 ms");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void aRefusedConnectionIsSaidPlainly() throws Exception {
    // Port 1 is outside the ephemeral range, so the connection cannot meet itself (a socket
    // connecting to a closed ephemeral port on loopback may be given that very port).
    String where = "127.0.0.1:1";
    OriginCheck check = OriginCheck.of("AS13335").withServer(where);
    assertThatThrownBy(() -> check.verify(EMBEDDED, state(), at(NOW), true))
        .hasMessage(
            "asking the whois server "
                + where
                + " for the route objects of AS13335 failed: the connection was refused");
  }

  @Test
  void garbageIsAFailureNotARefusalAndOptionalTurnsAFailureIntoAWarning() throws Exception {
    OriginCheck check = check("");
    server.sendGarbage();
    assertThatThrownBy(() -> check.verify(EMBEDDED, state(), at(NOW), true))
        .isInstanceOf(CfAllowlistException.class)
        .hasMessageContaining("failed: the answer is not RPSL (line 1: '\\x16\\x03\\x01\\x00");

    assertThat(check.withOptional(true).verify(EMBEDDED, state(), at(NOW), true))
        .singleElement()
        .asString()
        .endsWith("; the list is used unchecked (--verify-origin-as-optional)");
  }

  @Test
  void optionalStillRefusesARangeThatIsNotCovered() throws Exception {
    OriginCheck check = check(WhoisAnswers.radbWithout104_24()).withOptional(true);
    assertThatThrownBy(() -> check.verify(EMBEDDED, state(), at(NOW), true))
        .isInstanceOf(RejectedRangesException.class);
  }

  @Test
  void aSavedAnswerIsUsedForADayThenAskedAgain() throws Exception {
    OriginCheck check = check(WhoisAnswers.radb());
    assertThat(check.verify(EMBEDDED, state(), at(NOW), true)).isEmpty();
    Path saved = dir.resolve("state/whois-AS13335.json");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(saved)))
        .isEqualTo("rw-------");
    check.verify(EMBEDDED, state(), at(NOW.plus(Duration.ofHours(23))), true);
    assertThat(server.queries()).hasSize(1);

    check.verify(EMBEDDED, state(), at(NOW.plus(Duration.ofHours(24))), true);
    assertThat(server.queries()).hasSize(2);
  }

  @Test
  void aSavedAnswerFromAnotherServerIsNotUsed() throws Exception {
    OriginCheck check = check(WhoisAnswers.radb());
    check.verify(EMBEDDED, state(), at(NOW), true);
    try (WhoisServer other = WhoisServer.answering(WhoisAnswers.radb())) {
      check.withServer(other.hostPort()).verify(EMBEDDED, state(), at(NOW), true);
      assertThat(other.queries()).hasSize(1);
    }
  }

  @Test
  void aSavedAnswerThatNoLongerCoversTheListIsCheckedWithTheServerAgain() throws Exception {
    OriginCheck check = check(WhoisAnswers.radbWithout104_24());
    assertThatThrownBy(() -> check.verify(EMBEDDED, state(), at(NOW), true))
        .isInstanceOf(RejectedRangesException.class);
    server.answer(WhoisAnswers.radb()); // the registry got the new route object
    assertThat(check.verify(EMBEDDED, state(), at(NOW), true)).isEmpty();
    assertThat(server.queries()).hasSize(2);
  }

  @Test
  void aCorruptSavedAnswerIsIgnoredAndAskedAgain() throws Exception {
    OriginCheck check = check(WhoisAnswers.radb());
    check.verify(EMBEDDED, state(), at(NOW), true);
    Path saved = dir.resolve("state/whois-AS13335.json");
    for (String corrupt :
        List.of(
            "{\"as\":\"AS13335\",\"server\":\"" + server.hostPort() + "\"",
            "{\"as\":\"AS13335\",\"server\":\""
                + server.hostPort()
                + "\",\"fetched_at\":\"2026-11-01T10:00:00Z\",\"routes\":[]}",
            "{\"as\":\"AS13335\",\"server\":\""
                + server.hostPort()
                + "\",\"fetched_at\":\"2026-11-01T10:00:00Z\",\"routes\":[\"0.0.0.0/0x\"]}")) {
      Files.writeString(saved, corrupt);
      int before = server.queries().size();
      assertThat(check.verify(EMBEDDED, state(), at(NOW), true)).isEmpty();
      assertThat(server.queries()).hasSize(before + 1);
    }
  }

  @Test
  void aSavedAnswerDatedInTheFutureIsNotTrusted() throws Exception {
    OriginCheck check = check(WhoisAnswers.radb());
    check.verify(EMBEDDED, state(), at(NOW), true);
    check.verify(EMBEDDED, state(), at(NOW.minus(Duration.ofHours(1))), true);
    assertThat(server.queries()).hasSize(2);
  }

  @Test
  void aSymbolicLinkInPlaceOfTheSavedAnswerIsNeitherReadNorWrittenThrough() throws Exception {
    OriginCheck check = check(WhoisAnswers.radb());
    Files.createDirectories(dir.resolve("state"));
    Files.setPosixFilePermissions(
        dir.resolve("state"), PosixFilePermissions.fromString("rwx------"));
    Path elsewhere = dir.resolve("elsewhere.json");
    Files.writeString(elsewhere, "keep");
    Files.createSymbolicLink(dir.resolve("state/whois-AS13335.json"), elsewhere);

    List<String> warnings = check.verify(EMBEDDED, state(), at(NOW), true);

    assertThat(warnings).singleElement().asString().contains("is a symbolic link");
    assertThat(Files.readString(elsewhere)).isEqualTo("keep");
    assertThat(server.queries()).hasSize(1);
  }

  @Test
  void aRunRefusesTheWholeListBeforePlanningAndChangesNothing() throws Exception {
    OriginCheck check = check(WhoisAnswers.radbWithout104_24());
    SyncTest.FakeTarget target = new SyncTest.FakeTarget();
    RunResult result =
        Run.builder()
            .source(RangeSource.embedded())
            .target(target)
            .stateDir(state())
            .lockFile(dir.resolve("run.lock"))
            .originCheck(check)
            .build()
            .execute();

    assertThat(result.targets())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.outcome()).isEqualTo(Outcome.REFUSED);
              assertThat(t.plan()).isEmpty();
              assertThat(t.message())
                  .startsWith("104.24.0.0/14 is not covered")
                  .endsWith("; nothing was applied and the current rules stay in place");
            });
    assertThat(target.live).isEmpty();
    // The target may have been read while the list loaded; nothing else was asked of it.
    assertThat(target.calls).hasSizeLessThanOrEqualTo(1).allMatch("read"::equals);
  }

  @Test
  void aRunWithTheRealAnswerAppliesAndSavesTheAnswer() throws Exception {
    OriginCheck check = check(WhoisAnswers.radb());
    SyncTest.FakeTarget target = new SyncTest.FakeTarget();
    Run.Builder run =
        Run.builder()
            .source(RangeSource.embedded())
            .target(target)
            .stateDir(state())
            .lockFile(dir.resolve("run.lock"))
            .originCheck(check);
    assertThat(run.build().execute().targets().get(0).outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(run.build().execute().targets().get(0).outcome()).isEqualTo(Outcome.IN_SYNC);
    assertThat(server.queries()).hasSize(1);
    assertThat(state().loadRouteObjects("AS13335").map(r -> r.routes().size()))
        .isEqualTo(Optional.of(29));
  }
}
