package io.github.cfallowlist.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A whois server on a loopback port, as a route registry behaves: it reads one query line, answers
 * with the text the test chose and closes the connection. It can instead hang (accept the query,
 * never answer) or send bytes that are not RPSL. One thread serves the connections one after the
 * other, and every query line received is recorded.
 */
public final class WhoisServer implements AutoCloseable {
  private enum Behaviour {
    ANSWER,
    HANG,
    GARBAGE
  }

  private final ServerSocket server;
  private final List<String> queries = new CopyOnWriteArrayList<>();
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private volatile Behaviour behaviour = Behaviour.ANSWER;
  private volatile String answer = "";

  private WhoisServer() throws IOException {
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread thread = new Thread(this::serve, "whois-server");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Starts a server that answers {@code answer} to every query.
   *
   * @param answer the text sent back, as a registry sends it
   * @return the running server
   * @throws IOException if no port can be bound
   */
  public static WhoisServer answering(String answer) throws IOException {
    WhoisServer s = new WhoisServer();
    s.answer(answer);
    return s;
  }

  /**
   * Answers {@code text} from now on.
   *
   * @param text the answer
   */
  public void answer(String text) {
    this.answer = text;
    this.behaviour = Behaviour.ANSWER;
  }

  /** From now on reads the query and never answers, keeping the connection open. */
  public void hang() {
    this.behaviour = Behaviour.HANG;
  }

  /** From now on answers with binary bytes and an HTML line, nothing a registry would send. */
  public void sendGarbage() {
    this.behaviour = Behaviour.GARBAGE;
  }

  /**
   * The port on the loopback address.
   *
   * @return the port
   */
  public int port() {
    return server.getLocalPort();
  }

  /**
   * {@code 127.0.0.1:PORT}, as {@code --whois-server} takes it.
   *
   * @return host and port
   */
  public String hostPort() {
    return server.getInetAddress().getHostAddress() + ":" + port();
  }

  /**
   * Every query line received so far, in order, without the line end.
   *
   * @return the queries
   */
  public List<String> queries() {
    return List.copyOf(queries);
  }

  private void serve() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        open.add(client);
        handle(client);
      } catch (IOException e) {
        if (server.isClosed()) {
          return;
        }
      }
    }
  }

  private void handle(Socket client) throws IOException {
    String query = readLine(client.getInputStream());
    queries.add(query);
    switch (behaviour) {
      case HANG -> {
        // Keep the connection open and unanswered; close() ends it.
        return;
      }
      case GARBAGE -> {
        try (client) {
          OutputStream out = client.getOutputStream();
          out.write(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xff, 0x1b, '[', '2', 'J'});
          out.write(
              "<html><body>502 Bad Gateway</body></html>\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
        }
      }
      case ANSWER -> {
        try (client) {
          client.getOutputStream().write(answer.getBytes(StandardCharsets.UTF_8));
          client.getOutputStream().flush();
        }
      }
    }
    open.remove(client);
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.UTF_8);
  }

  /** Stops accepting and closes every connection, a hanging one included. */
  @Override
  public void close() {
    try {
      server.close();
      for (Socket s : open) {
        try {
          s.close();
        } catch (SocketException e) {
          // already gone
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
