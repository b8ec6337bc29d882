package io.github.cfallowlist;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import org.apache.commons.net.whois.WhoisClient;

/** Asks a route registry, over whois, for the route objects one AS originates. */
final class WhoisRegistry {
  private static final System.Logger LOG = System.getLogger(WhoisRegistry.class.getName());

  /** The largest answer read; the route objects of a large network fit many times over. */
  static final long MAX_BYTES = 8 * HttpOptions.ONE_MIB;

  /** The longest a whole answer may take, however steadily it trickles in. */
  static final Duration MAX_TOTAL = Duration.ofSeconds(60);

  private WhoisRegistry() {}

  /**
   * The route objects of {@code check}'s AS at its server, with {@code -i origin AS…}.
   *
   * @throws IOException in one sentence naming what went wrong (refused, no answer in time, an
   *     answer that is not RPSL or holds no route object), without the server's name
   */
  static RouteObjects query(OriginCheck check, Clock clock) throws IOException {
    String question = "-i origin " + check.asName();
    long start = System.nanoTime();
    WhoisClient client = new WhoisClient();
    int timeout = Math.toIntExact(check.timeout().toMillis());
    client.setConnectTimeout(timeout);
    client.setDefaultTimeout(timeout);
    byte[] answer;
    try {
      client.connect(check.host(), check.port());
      client.setSoTimeout(timeout);
      try (InputStream in = client.getInputStream(question)) {
        answer = readCapped(in);
      }
    } catch (UnknownHostException e) {
      throw new IOException("the host name does not resolve", e);
    } catch (ConnectException e) {
      throw new IOException("the connection was refused", e);
    } catch (SocketTimeoutException e) {
      throw new IOException("no answer within " + words(check.timeout()), e);
    } finally {
      if (client.isConnected()) {
        try {
          client.disconnect();
        } catch (IOException e) {
          LOG.log(Level.DEBUG, "closing the whois connection: {0}", e.getMessage());
        }
      }
    }
    LOG.log(
        Level.DEBUG,
        "whois {0} ''{1}'': {2} bytes in {3} ms",
        check.server(),
        question,
        answer.length,
        (System.nanoTime() - start) / 1_000_000);
    String text = new String(answer, StandardCharsets.UTF_8);
    return RouteObjects.parse(text, check.asName(), check.server(), clock.instant());
  }

  /** {@code 10 s}, or {@code 300 ms} for less than whole seconds. */
  private static String words(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  private static byte[] readCapped(InputStream in) throws IOException {
    long deadline = System.nanoTime() + MAX_TOTAL.toNanos();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    int n;
    while ((n = in.read(buf)) != -1) {
      out.write(buf, 0, n);
      if (out.size() > MAX_BYTES) {
        throw new IOException("the answer is larger than " + MAX_BYTES + " bytes");
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("the answer took longer than " + MAX_TOTAL.toSeconds() + " s");
      }
    }
    return out.toByteArray();
  }
}
