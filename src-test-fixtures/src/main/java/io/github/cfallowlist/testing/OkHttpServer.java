package io.github.cfallowlist.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A tiny HTTP server answering {@code 200 ok} to every request on {@code [::]:PORT} (IPv4 too,
 * dual-stack). {@link EdgeAndOrigin} runs it when {@code python3} is not installed.
 */
public final class OkHttpServer {

  private OkHttpServer() {}

  /**
   * Serves until killed.
   *
   * @param args the port
   * @throws IOException if the port cannot be bound
   */
  public static void main(String[] args) throws IOException {
    HttpServer server =
        HttpServer.create(
            new InetSocketAddress(InetAddress.getByName("::"), Integer.parseInt(args[0])), 50);
    byte[] body = "ok\n".getBytes(StandardCharsets.UTF_8);
    server.createContext(
        "/",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          exchange.sendResponseHeaders(200, body.length);
          try (var out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
  }
}
