package io.github.cfallowlist.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A forward HTTP proxy on a loopback port, as a corporate proxy behaves: {@code CONNECT host:port}
 * opens a tunnel, and a request with an absolute URL ({@code GET http://host/path}) is forwarded.
 * It records every request it receives and can require Basic proxy authentication, answering 407
 * without it. Target hosts may be routed to loopback addresses, so a test's URL can name a host
 * that does not exist.
 */
public final class ForwardProxy implements AutoCloseable {

  /**
   * One request the proxy received.
   *
   * @param method {@code CONNECT}, {@code GET}, …
   * @param target {@code host:port} for CONNECT, the absolute URL otherwise
   * @param proxyAuthorization the Proxy-Authorization header, empty when absent
   * @param status the status the proxy answered with itself (200 for a tunnel or a forwarded
   *     request, 407, 502)
   */
  public record Received(String method, String target, String proxyAuthorization, int status) {}

  private final ServerSocket server;
  private final Optional<String> expectedAuthorization;
  private final Map<String, InetSocketAddress> routes;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final List<Socket> open = new CopyOnWriteArrayList<>();

  private ForwardProxy(Optional<String> credentials, Map<String, InetSocketAddress> routes)
      throws IOException {
    this.expectedAuthorization =
        credentials.map(
            c -> "Basic " + Base64.getEncoder().encodeToString(c.getBytes(StandardCharsets.UTF_8)));
    this.routes = Map.copyOf(routes);
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "forward-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Starts a proxy that needs no authentication.
   *
   * @param routes {@code host:port} targets sent elsewhere (e.g. to a MockWebServer)
   * @return the running proxy
   * @throws IOException if no port can be bound
   */
  public static ForwardProxy open(Map<String, InetSocketAddress> routes) throws IOException {
    return new ForwardProxy(Optional.empty(), routes);
  }

  /**
   * Starts a proxy that answers 407 unless the request carries these Basic credentials.
   *
   * @param user the user name
   * @param password the password
   * @param routes {@code host:port} targets sent elsewhere
   * @return the running proxy
   * @throws IOException if no port can be bound
   */
  public static ForwardProxy requiring(
      String user, String password, Map<String, InetSocketAddress> routes) throws IOException {
    return new ForwardProxy(Optional.of(user + ":" + password), routes);
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
   * The proxy's URL, {@code http://127.0.0.1:PORT}.
   *
   * @return the URL
   */
  public String url() {
    return "http://" + server.getInetAddress().getHostAddress() + ":" + port();
  }

  /**
   * Every request received so far, in order.
   *
   * @return the requests
   */
  public List<Received> received() {
    return List.copyOf(received);
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        open.add(client);
        Thread t = new Thread(() -> serve(client), "forward-proxy-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket client) {
    try (client) {
      InputStream in = new BufferedInputStream(client.getInputStream());
      OutputStream out = client.getOutputStream();
      while (true) {
        List<String> head = readHead(in);
        if (head.isEmpty()) {
          return;
        }
        String[] line = head.get(0).split(" ", -1);
        if (line.length != 3) {
          return;
        }
        String method = line[0];
        String target = line[1];
        String auth = header(head, "Proxy-Authorization").orElse("");
        if (expectedAuthorization.isPresent() && !expectedAuthorization.get().equals(auth)) {
          received.add(new Received(method, target, auth, 407));
          out.write(
              ("HTTP/1.1 407 Proxy Authentication Required\r\n"
                      + "Proxy-Authenticate: Basic realm=\"proxy\"\r\n"
                      + "Content-Length: 0\r\n"
                      + "\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
          out.flush();
          continue;
        }
        if (method.equals("CONNECT")) {
          tunnel(client, in, out, method, target, auth);
        } else {
          forward(out, head, method, target, auth);
        }
        return;
      }
    } catch (IOException e) {
      // The client or the origin went away; the test sees what it sees.
    }
  }

  private void tunnel(
      Socket client, InputStream in, OutputStream out, String method, String target, String auth)
      throws IOException {
    InetSocketAddress to = route(target);
    Socket origin;
    try {
      origin = new Socket(to.getAddress(), to.getPort());
    } catch (IOException e) {
      received.add(new Received(method, target, auth, 502));
      out.write("HTTP/1.1 502 Bad Gateway\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      return;
    }
    open.add(origin);
    received.add(new Received(method, target, auth, 200));
    out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    try (origin) {
      Thread up =
          new Thread(
              () -> {
                try {
                  in.transferTo(origin.getOutputStream());
                  origin.shutdownOutput();
                } catch (IOException e) {
                  // closed
                }
              },
              "forward-proxy-up");
      up.setDaemon(true);
      up.start();
      origin.getInputStream().transferTo(out);
      client.shutdownOutput();
      up.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void forward(
      OutputStream out, List<String> head, String method, String target, String auth)
      throws IOException {
    URI uri = URI.create(target);
    int port = uri.getPort() == -1 ? 80 : uri.getPort();
    InetSocketAddress to = route(uri.getHost() + ":" + port);
    try (Socket origin = new Socket(to.getAddress(), to.getPort())) {
      received.add(new Received(method, target, auth, 200));
      StringBuilder request = new StringBuilder();
      String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
      request.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
      for (String h : head.subList(1, head.size())) {
        String name = h.substring(0, Math.max(0, h.indexOf(':'))).toLowerCase(Locale.ROOT);
        if (!name.startsWith("proxy-") && !name.equals("connection")) {
          request.append(h).append("\r\n");
        }
      }
      request.append("Connection: close\r\n\r\n");
      origin.getOutputStream().write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
      origin.getOutputStream().flush();
      InputStream answer = new BufferedInputStream(origin.getInputStream());
      List<String> responseHead = readHead(answer);
      StringBuilder response = new StringBuilder();
      for (String h : responseHead) {
        if (!h.toLowerCase(Locale.ROOT).startsWith("connection:")) {
          response.append(h).append("\r\n");
        }
      }
      response.append("Connection: close\r\n\r\n");
      out.write(response.toString().getBytes(StandardCharsets.ISO_8859_1));
      Optional<String> length = header(responseHead, "Content-Length");
      if (length.isPresent()) {
        out.write(answer.readNBytes(Integer.parseInt(length.get().strip())));
      } else {
        answer.transferTo(out);
      }
      out.flush();
    }
  }

  private InetSocketAddress route(String hostPort) {
    InetSocketAddress to = routes.get(hostPort);
    if (to != null) {
      return to;
    }
    int colon = hostPort.lastIndexOf(':');
    return new InetSocketAddress(
        hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }

  private static Optional<String> header(List<String> head, String name) {
    String prefix = name.toLowerCase(Locale.ROOT) + ":";
    for (String h : head) {
      if (h.toLowerCase(Locale.ROOT).startsWith(prefix)) {
        return Optional.of(h.substring(prefix.length()).strip());
      }
    }
    return Optional.empty();
  }

  /** The request or status line and the header lines, empty at end of stream. */
  private static List<String> readHead(InputStream in) throws IOException {
    List<String> lines = new ArrayList<>();
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        String text = line.toString(StandardCharsets.ISO_8859_1);
        if (text.endsWith("\r")) {
          text = text.substring(0, text.length() - 1);
        }
        line.reset();
        if (text.isEmpty()) {
          return lines;
        }
        lines.add(text);
      } else {
        line.write(b);
      }
    }
    return List.of();
  }

  /** Stops accepting and closes every connection. */
  @Override
  public void close() {
    try {
      server.close();
      for (Socket s : open) {
        s.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
