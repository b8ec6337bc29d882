package io.github.cfallowlist.adapter.haproxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Unix socket in front of HAProxy's runtime API that passes every command line through until the
 * first one starting with a trigger (or the one after {@code skip} such lines); then it runs an
 * action and, as chosen, cuts both connections (the client died there) or goes silent (HAProxy
 * stopped answering). Later connections pass.
 */
final class RuntimeApiProxy implements AutoCloseable {
  /** What happens to the connection that sent the trigger. */
  enum Then {
    CUT,
    SILENCE
  }

  private final ServerSocketChannel server;
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final AtomicBoolean fired = new AtomicBoolean();
  private final AtomicInteger seen = new AtomicInteger();
  private final int skip;
  private final List<Future<Void>> tasks = new CopyOnWriteArrayList<>();

  private RuntimeApiProxy(ServerSocketChannel server, int skip) {
    this.server = server;
    this.skip = skip;
  }

  static RuntimeApiProxy start(Path at, Path upstream, String trigger, Runnable action, Then then)
      throws IOException {
    return start(at, upstream, trigger, 0, action, then);
  }

  /** As above, passing the first {@code skip} lines that start with {@code trigger}. */
  static RuntimeApiProxy start(
      Path at, Path upstream, String trigger, int skip, Runnable action, Then then)
      throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(at));
    RuntimeApiProxy proxy = new RuntimeApiProxy(server, skip);
    proxy.tasks.add(
        proxy.pool.submit(
            () -> {
              while (server.isOpen()) {
                SocketChannel client = server.accept();
                SocketChannel up = SocketChannel.open(UnixDomainSocketAddress.of(upstream));
                proxy.tasks.add(proxy.pool.submit(() -> copy(up, client)));
                proxy.tasks.add(
                    proxy.pool.submit(() -> proxy.commands(client, up, trigger, action, then)));
              }
              return null;
            }));
    return proxy;
  }

  /** Whether the trigger was seen. */
  boolean fired() {
    return fired.get();
  }

  private static Void copy(SocketChannel from, SocketChannel to) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(8192);
    try (from;
        to) {
      while (from.read(buf) >= 0) {
        buf.flip();
        while (buf.hasRemaining()) {
          to.write(buf);
        }
        buf.clear();
      }
    }
    return null;
  }

  private Void commands(
      SocketChannel client, SocketChannel up, String trigger, Runnable action, Then then)
      throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(8192);
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    try (client;
        up) {
      boolean silent = false;
      while (client.read(buf) >= 0) {
        buf.flip();
        while (buf.hasRemaining() && !silent) {
          byte b = buf.get();
          line.write(b);
          if (b != '\n') {
            continue;
          }
          String text = line.toString(StandardCharsets.US_ASCII);
          line.reset();
          if (text.startsWith(trigger)
              && seen.getAndIncrement() >= skip
              && fired.compareAndSet(false, true)) {
            action.run();
            if (then == Then.CUT) {
              return null;
            }
            silent = true; // read on, pass nothing, until the client gives up
          } else {
            up.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
          }
        }
        buf.clear();
      }
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    server.close();
    pool.shutdownNow();
  }
}
