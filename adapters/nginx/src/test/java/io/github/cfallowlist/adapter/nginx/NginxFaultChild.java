package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Sync;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.TargetResult;
import io.github.cfallowlist.testing.FaultKit;
import io.github.cfallowlist.testing.NetnsCommandRunner;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A child JVM for the SIGKILL trials of {@link NginxFaultTest}: it loads everything, says {@code
 * ready}, waits for {@code go}, then applies {@link FaultKit#newList()} once with the real command
 * runner in nginx's network namespace, as the CLI would, and is killed at a random moment.
 */
final class NginxFaultChild {
  private final Process process;
  private final OutputStream stdin;

  /** The file, next to the log, where a child that finished writes its outcome. */
  private static final String DONE = "child.outcome";

  private final Path log;
  private final BufferedReader out;

  private NginxFaultChild(Process process, Path log) {
    this.process = process;
    this.stdin = process.getOutputStream();
    this.log = log;
    this.out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
  }

  /** The options of both this JVM and the child: every nginx setting from {@code settings}. */
  static TargetOptions options(Map<String, String> settings) {
    TargetOptions options = TargetOptions.defaults();
    for (Map.Entry<String, String> s : settings.entrySet()) {
      options = options.withSetting(s.getKey(), s.getValue());
    }
    return options;
  }

  /**
   * Starts a child that will apply with {@code settings}, running its commands in {@code
   * namespace}; its stderr goes to {@code log}.
   */
  static NginxFaultChild start(String namespace, Map<String, String> settings, Path log)
      throws IOException {
    List<String> argv =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xshare:auto",
                "-cp",
                System.getProperty("java.class.path"),
                NginxFaultChild.class.getName()));
    argv.add(log.resolveSibling(DONE).toString());
    argv.add(namespace);
    settings.forEach((k, v) -> argv.add(k + "=" + v));
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return new NginxFaultChild(pb.start(), log);
  }

  /** Waits until the child is ready, then tells it to apply now. */
  void go() throws IOException {
    String line = out.readLine();
    if (!"ready".equals(line)) {
      process.destroyForcibly();
      throw new AssertionError("the child JVM did not get ready (" + line + "); see " + log);
    }
    stdin.write("go\n".getBytes(StandardCharsets.UTF_8));
    stdin.flush();
  }

  /**
   * Kills the child with SIGKILL, with {@code tree} its commands too (as systemd stops a unit's
   * control group), then waits until every command it had started has ended.
   *
   * @return whether the child was still running when it was killed
   */
  boolean kill(boolean tree) throws IOException, InterruptedException {
    return FaultKit.kill(process, tree);
  }

  /**
   * What a killed child wrote: its outcome when it finished, else empty; the file is removed, for
   * the next child.
   */
  String printed() throws IOException {
    Path done = log.resolveSibling(DONE);
    String text = Files.exists(done) ? Files.readString(done, StandardCharsets.UTF_8) : "";
    Files.deleteIfExists(done);
    return text.strip();
  }

  /** Stops a child that was never used. */
  void discard() {
    process.destroyForcibly();
  }

  /**
   * The child: {@code OUTCOME-FILE NAMESPACE NAME=VALUE...}, the last nginx settings; its commands
   * run in the namespace, where nginx listens. Warms up, says {@code ready}, waits for {@code go},
   * applies once and prints the outcome.
   */
  public static void main(String[] args) throws IOException {
    Map<String, String> settings = new java.util.LinkedHashMap<>();
    for (String arg : java.util.Arrays.asList(args).subList(2, args.length)) {
      int eq = arg.indexOf('=');
      settings.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    NginxTarget target = new NginxTarget();
    TargetOptions options = options(settings);
    TargetContext context = new TargetContext(options, NetnsCommandRunner.inside(args[1]));
    RangeSnapshot wanted = FaultKit.newList();
    // Load what the apply needs, so the kill lands in the apply and not in class loading.
    target.parse(target.render(wanted, options), options);
    Sync.plan(target, wanted, context);
    System.out.println("ready");
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    if (!"go".equals(in.readLine())) {
      return;
    }
    TargetResult result = Sync.sync(target, wanted, context, FaultKit.guards(), false);
    Files.writeString(Path.of(args[0]), result.outcome() + " " + result.message());
  }
}
