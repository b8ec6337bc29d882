package io.github.cfallowlist.adapter.haproxy;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One connection to HAProxy's runtime API (its {@code stats socket}) in interactive {@code prompt}
 * mode: commands go one per line and each reply ends with the prompt, so any number of commands
 * share the connection and can be sent as a batch before their replies are read. Every wait has a
 * deadline.
 */
final class HaproxySocket implements Closeable {
  /** How long one reply (or one batch's replies) may take. */
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** Commands sent before their replies are read: few enough that no buffer fills. */
  private static final int BATCH = 256;

  private static final byte[] PROMPT = "\n> ".getBytes(StandardCharsets.US_ASCII);

  /** A reply longer than this (a list far beyond any Cloudflare list) is refused. */
  private static final int MAX_REPLY = 16 << 20;

  private final Path path;
  private final SocketChannel channel;
  private final Selector selector;
  private final SelectionKey key;
  private ByteBuffer in = ByteBuffer.allocate(64 << 10);

  private HaproxySocket(Path path, SocketChannel channel, Selector selector, SelectionKey key) {
    this.path = path;
    this.channel = channel;
    this.selector = selector;
    this.key = key;
  }

  /**
   * Connects to the socket at {@code path} and enters prompt mode.
   *
   * @throws IOException saying the runtime API cannot be reached, and how to enable it
   */
  static HaproxySocket open(Path path) throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.connect(UnixDomainSocketAddress.of(path));
      channel.configureBlocking(false);
    } catch (IOException e) {
      channel.close();
      throw new IOException(
          "cannot reach HAProxy's runtime API at "
              + path
              + " ("
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
              + "): is HAProxy running, with 'stats socket "
              + path
              + " level admin' in its global section?",
          e);
    }
    Selector selector = Selector.open();
    HaproxySocket socket =
        new HaproxySocket(path, channel, selector, channel.register(selector, 0));
    try {
      socket.send(List.of("prompt"));
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
    return socket;
  }

  /** Sends {@code command} and returns its reply, without the final empty line and prompt. */
  String send(String command) throws IOException {
    return send(List.of(command)).get(0);
  }

  /**
   * Sends {@code commands}, a batch at a time, and returns their replies in order.
   *
   * @throws IOException when HAProxy closes the connection or a reply does not come in time
   */
  List<String> send(List<String> commands) throws IOException {
    List<String> replies = new ArrayList<>(commands.size());
    for (int from = 0; from < commands.size(); from += BATCH) {
      List<String> batch = commands.subList(from, Math.min(commands.size(), from + BATCH));
      StringBuilder text = new StringBuilder();
      for (String c : batch) {
        if (c.indexOf('\n') >= 0 || c.indexOf(';') >= 0) {
          throw new IllegalArgumentException("one command per line: " + c);
        }
        text.append(c).append('\n');
      }
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      write(ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.US_ASCII)), deadline);
      for (int i = 0; i < batch.size(); i++) {
        replies.add(reply(deadline));
      }
    }
    return replies;
  }

  private void write(ByteBuffer out, long deadline) throws IOException {
    while (out.hasRemaining()) {
      if (channel.write(out) == 0) {
        await(SelectionKey.OP_WRITE, deadline);
      }
    }
  }

  /** The next reply: everything up to the prompt, without the line ending before it. */
  private String reply(long deadline) throws IOException {
    while (true) {
      int end = indexOfPrompt();
      if (end >= 0) {
        byte[] bytes = new byte[end];
        in.flip();
        in.get(bytes);
        in.position(in.position() + PROMPT.length);
        in.compact();
        return new String(bytes, StandardCharsets.UTF_8).stripTrailing();
      }
      if (!in.hasRemaining()) {
        if (in.capacity() >= MAX_REPLY) {
          throw new IOException("HAProxy's reply on " + path + " is over " + MAX_REPLY + " bytes");
        }
        ByteBuffer bigger = ByteBuffer.allocate(in.capacity() * 2);
        in.flip();
        bigger.put(in);
        in = bigger;
      }
      int n = channel.read(in);
      if (n < 0) {
        throw new IOException("HAProxy closed the runtime API connection on " + path);
      }
      if (n == 0) {
        await(SelectionKey.OP_READ, deadline);
      }
    }
  }

  private int indexOfPrompt() {
    int limit = in.position() - PROMPT.length;
    outer:
    for (int i = 0; i <= limit; i++) {
      for (int j = 0; j < PROMPT.length; j++) {
        if (in.get(i + j) != PROMPT[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private void await(int op, long deadline) throws IOException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new IOException(
          "HAProxy did not answer on " + path + " within " + TIMEOUT.toSeconds() + " s");
    }
    key.interestOps(op);
    selector.select(Math.max(1, left / 1_000_000));
    selector.selectedKeys().clear();
    key.interestOps(0);
  }

  @Override
  public void close() throws IOException {
    try {
      if (channel.isOpen()) {
        // Best effort: HAProxy ends the session at "quit" or when the connection closes.
        ByteBuffer quit = ByteBuffer.wrap("quit\n".getBytes(StandardCharsets.US_ASCII));
        channel.write(quit);
      }
    } catch (IOException e) {
      // Closing anyway.
    } finally {
      selector.close();
      channel.close();
    }
  }
}
