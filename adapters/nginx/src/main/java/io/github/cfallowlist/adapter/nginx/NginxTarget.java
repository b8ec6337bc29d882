package io.github.cfallowlist.adapter.nginx;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.ConfigParseException;
import io.github.cfallowlist.Diagnosis;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Rendered;
import io.github.cfallowlist.Setting;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.adapter.nginx.NginxConfig.Kind;
import io.github.cfallowlist.kit.FileTarget;
import io.github.cfallowlist.kit.Intent;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code nginx} target: an include file that makes nginx take the visitor's address from {@code
 * CF-Connecting-IP} when, and only when, the connection comes from a Cloudflare range, and
 * optionally a second include that tells Cloudflare's connections from everyone else's.
 *
 * <p>The real-IP file holds the generated header as {@code #} comments, one {@code set_real_ip_from
 * CIDR;} per range (IPv4, then IPv6) and {@code real_ip_header CF-Connecting-IP;}. The spoofable
 * {@code X-Forwarded-For} is never trusted. Include it in the {@code http} (or a {@code server})
 * block; Debian's default {@code include /etc/nginx/conf.d/*.conf;} already does.
 *
 * <p>The allow file holds, after the header and a comment saying how to use it, {@code geo
 * $realip_remote_addr $cloudflare_edge { default 0; CIDR 1; ... }}: {@code $cloudflare_edge} is
 * {@code 1} when the connection itself comes from a Cloudflare range and {@code 0} otherwise. It
 * keys on {@code $realip_remote_addr}, the address before the real-IP module replaced it, so it
 * works behind that module, where nginx's {@code allow}/{@code deny} would see the visitor's
 * address and refuse every real visitor. Include it in the {@code http} block (a {@code geo} block
 * is only allowed there; a file in {@code conf.d/} is) and protect a server with:
 *
 * <pre>{@code
 * if ($cloudflare_edge = 0) { return 403; }
 * }</pre>
 *
 * <p>When only one family is managed, every address of the other family gets {@code 1}, so that
 * family is neither restricted nor locked out. The real-IP file records the allow file's path in a
 * {@code # allow file: PATH} comment, so that a later run without {@code nginx-allow-file}, or with
 * another one, reports the old file as a {@linkplain #leftovers leftover} and removes it.
 *
 * <p>Settings ({@link #settings()}), set as {@code --set NAME=VALUE} or the named flags:
 *
 * <ul>
 *   <li>{@code nginx-file} PATH: the real-IP include, default {@code
 *       /etc/nginx/conf.d/cloudflare-real-ip.conf};
 *   <li>{@code nginx-allow-file} PATH: the allow include; none unless set. Its file name must
 *       differ from the real-IP file's;
 *   <li>{@code nginx-test-command} CMD: checks the whole configuration, default {@code nginx -t};
 *   <li>{@code nginx-reload-command} CMD: makes nginx load it, default {@code nginx -s reload}.
 * </ul>
 *
 * <p>A command is split into words on whitespace and run without a shell: there is no quoting, so
 * no word may contain a space. The rendered files are named after the file names of the two paths.
 * Ports and mode do not apply to nginx and are ignored. An unknown or misspelled setting, or a
 * malformed value, is refused by every method, {@link #render} included.
 *
 * <p>Live state is read from the files themselves (no command runs). Apply writes each file
 * atomically (a path that is a symbolic link keeps its link; the new content goes to its target),
 * removes a leftover allow file in the same step, runs the test command against the configuration
 * that now includes them and reloads only when it passes. On any failure every file is put back
 * byte for byte; {@link ApplyFailedException#outcome()} says what was left behind (see {@link
 * #apply}). The target never overwrites or removes a file that lacks its header.
 *
 * <p><b>Interrupted runs.</b> nginx can only test a file in place, so a run killed between writing
 * and reloading (SIGKILL, or SIGTERM to a caller without the CLI's shutdown hook, while {@code
 * nginx -t} runs; a power cut) would leave a file nginx never tested nor loaded. So before any file
 * changes, apply writes a record of the change next to the real-IP file, {@code
 * .NAME.cf-allowlist-intent} (atomically, mode {@code 0600}, out of nginx's wildcards by its
 * leading dot), holding every file it touches as it was, and removes it only after the reload
 * passed or the files were put back. While a record is there, {@link #readLive} reads the files it
 * names as they were before (what nginx last tested and loaded) and {@link #leftovers} lists {@code
 * unfinished change PATH}, so a plan is never in sync over an untested file. The next apply (or
 * uninstall) finishes the change: it writes, tests and reloads whatever is on disk, and on any
 * failure puts the files back as they were before the interrupted run, reloading nginx again when
 * that run had got as far as its reload. It also removes the temporary files a killed write left. A
 * record that cannot be read stops every run, naming it, with nothing changed.
 *
 * <p><b>Drift.</b> A file with the header that was edited by hand shows in {@link #readLive} with
 * each line cf-allowlist did not write turned into a comment saying apply replaces it; the plan
 * then has changes and apply writes, tests and reloads the file as any other change.
 */
public final class NginxTarget implements Target {
  /** How {@link #leftovers} names the record of a change an interrupted run left unfinished. */
  static final String UNFINISHED = "unfinished change ";

  /** The target, configured by the options passed to each call. */
  public NginxTarget() {}

  /** {@return {@code nginx}} */
  @Override
  public String name() {
    return NginxSettings.OWNER;
  }

  /**
   * {@return {@code nginx-file}, {@code nginx-allow-file}, {@code nginx-test-command}, {@code
   * nginx-reload-command}}
   */
  @Override
  public List<Setting<?>> settings() {
    return NginxSettings.DECLARED;
  }

  /** {@return {@code nginx}, from the Debian package {@code nginx} (or {@code nginx-light})} */
  @Override
  public Map<String, String> packages() {
    return Map.of("nginx", "nginx");
  }

  /**
   * The real-IP file and, when {@code nginx-allow-file} is set, the allow file for the families in
   * {@code options}.
   *
   * @throws IllegalArgumentException for an unknown setting or a malformed value, or when a managed
   *     family has no range and the allow file would refuse all of it
   */
  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    NginxSettings settings = NginxSettings.of(options);
    RangeSet ranges = snapshot.ranges().restrictTo(options.families());
    List<Rendered.File> files = new ArrayList<>();
    files.add(
        new Rendered.File(
            settings.realIpName(),
            NginxConfig.renderRealIp(snapshot, ranges, settings.allowFile().map(Path::toString))));
    settings
        .allowName()
        .ifPresent(
            name ->
                files.add(
                    new Rendered.File(
                        name, NginxConfig.renderAllow(snapshot, ranges, options.families()))));
    return new Rendered(files);
  }

  /**
   * The ranges held by the real-IP file, or by the allow file when only that one is present. Files
   * are recognised by their configured names; a file with another name is read as whichever kind
   * its first directive shows.
   *
   * <p>A file is parsed strictly: any line cf-allowlist does not write is refused, drift notes
   * included; only {@link #parseLive} accepts those, in what {@link #readLive} returned.
   *
   * @throws ConfigParseException naming the file, line number and line it does not recognise
   */
  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    return parse(config, options, false);
  }

  /**
   * The ranges in a live reading: as {@link #parse}, but the drift notes {@link #readLive} writes
   * for lines cf-allowlist did not write, and lines missing from a hand-edited file, are accepted.
   *
   * @throws ConfigParseException naming the file, line number and line it does not recognise
   */
  @Override
  public RangeSet parseLive(Rendered live, TargetOptions options) {
    return parse(live, options, true);
  }

  private static RangeSet parse(Rendered config, TargetOptions options, boolean live) {
    NginxSettings settings = NginxSettings.of(options);
    Map<Kind, RangeSet> held = new EnumMap<>(Kind.class);
    for (Rendered.File file : config.files()) {
      Kind kind;
      if (file.name().equals(settings.realIpName())) {
        kind = Kind.REAL_IP;
      } else if (settings.allowName().filter(file.name()::equals).isPresent()) {
        kind = Kind.ALLOW;
      } else {
        kind = NginxConfig.guessKind(file.name(), file.content());
      }
      RangeSet ranges =
          (live
                  ? NginxConfig.parseLive(file.name(), file.content(), kind)
                  : NginxConfig.parse(file.name(), file.content(), kind))
              .ranges();
      if (held.put(kind, ranges) != null) {
        throw new ConfigParseException(
            file.name()
                + " is a second "
                + (kind == Kind.REAL_IP ? "real-IP" : "allow")
                + " file in the same configuration");
      }
    }
    return held.containsKey(Kind.REAL_IP) ? held.get(Kind.REAL_IP) : held.get(Kind.ALLOW);
  }

  /** {@return {@code true}: the files can be read and written in place} */
  @Override
  public boolean supportsLive() {
    return true;
  }

  /**
   * The files at the configured paths, or empty when none exists. When only one of the two
   * configured files exists, only that one is returned, so a plan shows the other must be written.
   * While an interrupted change is pending, the files it names are returned as they were before it.
   * Runs no command.
   *
   * <p>In a file that carries cf-allowlist's header, each line it did not write (a hand edit:
   * {@code real_ip_header X-Forwarded-For;} added, a range changed to something that is no CIDR, a
   * comment) is returned as a comment {@code # not written by cf-allowlist, apply replaces it:
   * LINE}, with LINE escaped when it holds anything but printable ASCII. Such a reading never
   * equals a rendering, so the plan shows the drift and apply writes the file again. A file without
   * the header is returned as it is, which {@link #parse} refuses: it is never overwritten.
   *
   * @throws IOException also when the record of an interrupted change cannot be read
   */
  @Override
  public Optional<Rendered> readLive(TargetContext context) throws IOException {
    return NginxLive.files(NginxSettings.of(context.options()));
  }

  /**
   * That the directory of the real-IP file or of the allow file does not exist (through a link, the
   * directory it points into); the change would fail.
   */
  @Override
  public Optional<String> obstacle(TargetContext context) throws IOException {
    NginxSettings settings = NginxSettings.of(context.options());
    Optional<String> missing = FileTarget.missingDirectory(settings.realIpFile());
    if (missing.isEmpty() && settings.allowFile().isPresent()) {
      missing = FileTarget.missingDirectory(settings.allowFile().get());
    }
    return missing;
  }

  /**
   * {@code file PATH} for the allow file the real-IP file records when it exists, was written by
   * cf-allowlist and is not the configured allow file; {@code unfinished change PATH} when an
   * interrupted run left its record of a change (see the class comment), which apply finishes. Runs
   * no command.
   */
  @Override
  public List<String> leftovers(TargetContext context) throws IOException {
    NginxSettings settings = NginxSettings.of(context.options());
    Optional<Intent> pending = NginxIntent.read(settings);
    List<String> out = new ArrayList<>();
    for (Path p : NginxLive.leftovers(settings, pending)) {
      out.add("file " + p);
    }
    pending.ifPresent(p -> out.add(UNFINISHED + p.file()));
    return out;
  }

  /**
   * Doctor's {@code nginx} findings, from the configuration nginx would load ({@code nginx -T}: the
   * test command with {@code -T} in place of {@code -t}): the real-IP file, and the allow file when
   * configured, is included ({@code fail} when not); {@code real_ip_header} is {@code
   * CF-Connecting-IP} ({@code fail} when set to another header); no {@code set_real_ip_from}
   * outside the real-IP file trusts an address outside Cloudflare's ranges ({@code fail}: any
   * client there could forge its address). A test command without {@code -t}, or nginx missing, is
   * a warning.
   */
  @Override
  public List<Finding> diagnose(Diagnosis diagnosis) throws IOException {
    return NginxDiagnosis.diagnose(NginxSettings.of(diagnosis.context().options()), diagnosis);
  }

  /**
   * Writes {@code plan}'s desired files (each atomically) and removes the leftover allow file, runs
   * the test command, and reloads nginx only when it passes. When no byte changes, nothing runs.
   *
   * <p>While a change an interrupted run left is pending, its files are tested and reloaded even
   * when no byte changes, and a failure puts them back as they were before that run (see the class
   * comment).
   *
   * <p>On failure every file is put back byte for byte and read again. The outcome is {@link
   * io.github.cfallowlist.Outcome#FAILED_RESTORED} when the test rejected the files or the test
   * command could not run or timed out; {@link io.github.cfallowlist.Outcome#FAILED_UNCHANGED} when
   * the very first write failed; when the reload failed or timed out (it may have signalled nginx
   * first, as a {@code systemctl reload} can), the files are put back and nginx reloaded once more
   * to load them, {@code FAILED_RESTORED} if that passes; {@link
   * io.github.cfallowlist.Outcome#STATE_UNKNOWN} whenever putting back or reloading again fails
   * (the record of the change then stays, for the next run). A test command killed by a signal
   * (systemd stopping the whole control group) counts as not passed: the files are put back.
   *
   * @throws ApplyFailedException saying what was left behind, with nginx's own first error line;
   *     {@code FAILED_UNCHANGED} also when a configured path holds a file cf-allowlist did not
   *     write
   */
  @Override
  public void apply(Plan plan, TargetContext context) throws IOException {
    NginxSettings settings = NginxSettings.of(context.options());
    Rendered desired = plan.desiredConfig();
    // Never write what this target could not read back as its own.
    parse(desired, context.options());
    new NginxApplier(settings, context.runner()).apply(desired);
  }

  /**
   * Removes the files this target wrote (the leftover allow file included), runs the test command
   * and reloads nginx. When the test fails (nginx's configuration still names one of the files in
   * an {@code include} without a wildcard, or a server still uses {@code $cloudflare_edge}), the
   * files are put back and nginx is not reloaded; outcomes as for {@link #apply}.
   *
   * @throws ApplyFailedException saying what was left behind; {@code FAILED_UNCHANGED} when a
   *     configured path holds a file cf-allowlist did not write (nothing is removed)
   */
  @Override
  public void uninstall(TargetContext context) throws IOException {
    new NginxApplier(NginxSettings.of(context.options()), context.runner()).uninstall();
  }
}
