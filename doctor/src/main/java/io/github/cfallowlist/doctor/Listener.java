package io.github.cfallowlist.doctor;

import io.github.cfallowlist.Cidr;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One listening TCP socket as {@code ss -ltnH} (or {@code -ltnpH}) prints it.
 *
 * @param address the local address as printed, without brackets or interface: {@code 0.0.0.0},
 *     {@code ::}, {@code *}, {@code 127.0.0.1}
 * @param port the local port
 * @param acceptQueue Recv-Q: connections waiting for the server to accept them
 * @param backlog Send-Q: how many may wait
 * @param process the program's name when {@code ss -p} could tell it
 * @param loopback whether only this host can reach it: a loopback address or bound to {@code lo}
 */
record Listener(
    String address,
    int port,
    long acceptQueue,
    long backlog,
    Optional<String> process,
    boolean loopback) {

  private static final Pattern PROCESS = Pattern.compile("users:\\(\\(\"([^\"]*)\"");
  private static final List<Cidr> LOOPBACK =
      List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));

  /** The address as people write it with its port: {@code [::1]:443}. */
  String endpoint() {
    return (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + port;
  }

  /** Whether the accept queue is at 80% of the backlog or more: connections are about to drop. */
  boolean queueNearlyFull() {
    return backlog > 0 && acceptQueue * 5 >= backlog * 4;
  }

  /**
   * Parses {@code ss -ltnH} output, one socket a line: state, Recv-Q, Send-Q, local address:port,
   * peer, and with {@code -p} the process.
   *
   * @throws IllegalArgumentException naming the first line it does not understand
   */
  static List<Listener> parse(String ss) {
    List<Listener> out = new ArrayList<>();
    for (String line : ss.lines().map(String::strip).filter(l -> !l.isEmpty()).toList()) {
      String[] f = line.split("\\s+", 6);
      if (f.length < 5) {
        throw new IllegalArgumentException("ss printed a line doctor does not understand: " + line);
      }
      try {
        out.add(listener(f[1], f[2], f[3], f.length == 6 ? f[5] : ""));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "ss printed a line doctor does not understand: " + line, e);
      }
    }
    return List.copyOf(out);
  }

  private static Listener listener(String recvQ, String sendQ, String local, String rest) {
    int colon = local.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("no port in " + local);
    }
    int port = Integer.parseInt(local.substring(colon + 1));
    String host = local.substring(0, colon);
    String iface = "";
    int percent = host.indexOf('%');
    if (percent >= 0) {
      iface = host.substring(percent + 1);
      host = host.substring(0, percent);
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    Matcher m = PROCESS.matcher(rest);
    Optional<String> process = m.find() ? Optional.of(m.group(1)) : Optional.empty();
    String address = host;
    // An IPv4-mapped address (::ffff:127.0.0.1) is loopback when its IPv4 part is.
    String plain =
        address.toLowerCase(Locale.ROOT).startsWith("::ffff:") && address.indexOf('.') > 0
            ? address.substring("::ffff:".length())
            : address;
    boolean loopback =
        iface.equals("lo")
            || Cidr.host(plain)
                .map(a -> LOOPBACK.stream().anyMatch(l -> l.contains(a)))
                .orElse(false);
    return new Listener(
        address, port, Long.parseLong(recvQ), Long.parseLong(sendQ), process, loopback);
  }
}
