package io.github.cfallowlist;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.cfallowlist.testing.Bodies;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the library logs at DEBUG: each command it runs and each list it fetches. */
class LogRecordsTest {
  private static final Logger LIBRARY = Logger.getLogger("io.github.cfallowlist");

  @StartStop private final MockWebServer server = new MockWebServer();
  private final List<String> lines = new ArrayList<>();
  private final Handler recorder =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          synchronized (lines) {
            lines.add(record.getLevel() + " " + record.getMessage());
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
  private Level before;

  @BeforeEach
  void record() {
    before = LIBRARY.getLevel();
    LIBRARY.setLevel(Level.FINE);
    LIBRARY.addHandler(recorder);
  }

  @AfterEach
  void stop() {
    LIBRARY.removeHandler(recorder);
    LIBRARY.setLevel(before);
  }

  @Test
  void eachCommandRunIsOneDebugRecordWithArgumentsExitStatusAndDuration() throws Exception {
    CommandRunner.system().run(Command.read("sh", "-c", "exit 3"));

    assertThat(lines)
        .singleElement()
        .asString()
        .matches("FINE ran 'sh -c exit 3': exit 3, \\d+ ms");
  }

  @Test
  void theUnloggedSystemRunnerRunsTheCommandAndLogsNoRecord() throws Exception {
    CommandResult result =
        CommandRunner.systemUnlogged()
            .run(Command.read("sh", "-c", "echo out; echo err >&2; exit 3"));

    assertThat(result.exitCode()).isEqualTo(3);
    assertThat(result.stdout()).isEqualTo("out\n");
    assertThat(result.stderr()).isEqualTo("err\n");
    assertThat(lines).isEmpty();
  }

  @Test
  void aCommandThatCannotStartIsLoggedToo() {
    try {
      CommandRunner.system().run(Command.read("/nonexistent/tool"));
    } catch (java.io.IOException expected) {
      // the record is what this test is about
    }
    assertThat(lines)
        .singleElement()
        .asString()
        .startsWith("FINE ran '/nonexistent/tool': '/nonexistent/tool' is not installed");
  }

  @Test
  void eachFetchIsOneDebugRecordWithUrlStatusSizeAndTheListsEtag() throws Exception {
    String body = Bodies.api();
    server.enqueue(new MockResponse.Builder().code(200).body(body).build());
    String url = server.url("/client/v4/ips").toString() + "?token=secret";

    RangeSource.cloudflare(url, false, HttpOptions.defaults()).fetch();

    assertThat(lines)
        .singleElement()
        .asString()
        .matches(
            "FINE fetched http://[a-z0-9.]+:\\d+/client/v4/ips\\?REDACTED: HTTP 200, "
                + body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                + " bytes, etag [0-9a-f]+, \\d+ ms");
  }
}
