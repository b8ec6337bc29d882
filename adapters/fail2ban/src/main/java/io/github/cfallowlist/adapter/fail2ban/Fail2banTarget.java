package io.github.cfallowlist.adapter.fail2ban;

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
import io.github.cfallowlist.kit.FileApplier;
import io.github.cfallowlist.kit.FileTarget;
import io.github.cfallowlist.kit.FoundFile;
import io.github.cfallowlist.kit.Intent;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code fail2ban} target: Cloudflare's ranges in the ignore list of fail2ban's jails, so that
 * no jail bans a Cloudflare edge (which would cut off every visitor behind it), and any such ban
 * that exists is lifted.
 *
 * <p>The file is a {@code jail.d} drop-in (see {@link Fail2banConfig}) with, for each jail, {@code
 * ignoreip = %(known/ignoreip)s} and the ranges: the jail keeps its own {@code ignoreip} and gets
 * Cloudflare's as well. fail2ban reads {@code jail.d/*.local} by itself, so nothing needs to be
 * included.
 *
 * <p>Settings ({@link #settings()}), set as {@code --set NAME=VALUE}:
 *
 * <ul>
 *   <li>{@code fail2ban-file} PATH: the drop-in, default {@code
 *       /etc/fail2ban/jail.d/cloudflare-ignoreip.local};
 *   <li>{@code fail2ban-jails} JAIL,…: the jails, default {@code sshd};
 *   <li>{@code fail2ban-socket} PATH: the server's socket, default {@code
 *       /var/run/fail2ban/fail2ban.sock};
 *   <li>{@code fail2ban-test-command} CMD: checks the whole configuration, default {@code
 *       fail2ban-client -t};
 *   <li>{@code fail2ban-reload-command} CMD: makes the server load it, default {@code
 *       fail2ban-client reload}.
 * </ul>
 *
 * <p>Live state is the file itself plus, when the server runs, one note for each address inside the
 * file's ranges that a jail has banned now ({@code fail2ban-client banned}), so such a ban counts
 * as a change and {@code status} is not in sync while it exists. Jails the server runs that {@code
 * fail2ban-jails} does not name are logged as a warning (once per target instance): they can still
 * ban Cloudflare's addresses. Apply goes through the kit's {@link FileApplier} (record, atomic
 * write, test, reload only when it passes, old file back on any failure), then lifts every ban
 * inside the ranges ({@code set JAIL unbanip ADDR}), logging each by address and jail.
 */
public final class Fail2banTarget implements Target {
  private static final System.Logger LOG = System.getLogger(Fail2banTarget.class.getName());

  /** How {@link #leftovers} names the record of a change an interrupted run left unfinished. */
  static final String UNFINISHED = "unfinished change ";

  /** The warnings already logged, so that the re-read after an apply does not repeat them. */
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  /** The target, configured by the options passed to each call. */
  public Fail2banTarget() {}

  /** {@return {@code fail2ban}} */
  @Override
  public String name() {
    return Fail2banSettings.OWNER;
  }

  /** {@return the file, jails, socket, test and reload command settings} */
  @Override
  public List<Setting<?>> settings() {
    return Fail2banSettings.DECLARED;
  }

  /** {@return {@code fail2ban-client}, from the Debian package {@code fail2ban}} */
  @Override
  public Map<String, String> packages() {
    return Map.of("fail2ban-client", "fail2ban");
  }

  /**
   * The drop-in for the families in {@code options}, named after the file name of {@code
   * fail2ban-file}.
   *
   * @throws IllegalArgumentException for an unknown setting or a malformed value, or when no range
   *     is left
   * @throws io.github.cfallowlist.CfAllowlistException when more than 10,000 ranges are left, more
   *     than fail2ban loads in reasonable time
   */
  @Override
  public Rendered render(RangeSnapshot snapshot, TargetOptions options) {
    Fail2banSettings settings = Fail2banSettings.of(options);
    RangeSet ranges = snapshot.ranges().restrictTo(options.families());
    return Rendered.single(
        settings.name(), Fail2banConfig.render(snapshot, ranges, settings.jails()));
  }

  /**
   * The ranges the drop-in holds, parsed strictly: any line cf-allowlist does not write is refused.
   *
   * @throws ConfigParseException naming the file, line number and line it does not recognise
   */
  @Override
  public RangeSet parse(Rendered config, TargetOptions options) {
    Fail2banSettings.of(options);
    return Fail2banConfig.parse(only(config).name(), only(config).content());
  }

  /**
   * As {@link #parse}, but the notes {@link #readLive} writes are accepted.
   *
   * @throws ConfigParseException naming the file, line number and line it does not recognise
   */
  @Override
  public RangeSet parseLive(Rendered live, TargetOptions options) {
    Fail2banSettings.of(options);
    return Fail2banConfig.parseLive(only(live).name(), only(live).content());
  }

  private static Rendered.File only(Rendered config) {
    if (config.files().size() != 1) {
      throw new ConfigParseException(
          "a fail2ban drop-in is one file, not " + config.files().size());
    }
    return config.files().get(0);
  }

  /** {@return {@code true}} */
  @Override
  public boolean supportsLive() {
    return true;
  }

  /**
   * The file at {@code fail2ban-file} (while an interrupted change is pending, as it was before
   * it), with a note for each address inside its ranges that a jail has banned now; empty when
   * there is neither. Runs only {@code fail2ban-client banned}.
   *
   * @throws IOException also when the server's socket is there but it does not answer
   */
  @Override
  public Optional<Rendered> readLive(TargetContext context) throws IOException {
    Fail2banSettings settings = Fail2banSettings.of(context.options());
    Optional<FoundFile> found =
        FoundFile.effective(settings.file(), Intent.read(settings.daemon()));
    String text =
        found
            .map(f -> f.ours() ? Fail2banConfig.live(f.path().toString(), f.text()) : f.text())
            .orElse("");
    RangeSet ranges = RangeSet.empty();
    if (found.isPresent() && found.get().ours()) {
      ranges = Fail2banConfig.parseLive(settings.name(), text);
    }
    StringBuilder out = new StringBuilder(text);
    for (Bans.Ban ban : Bans.inside(ranges, settings.socket(), context.runner())) {
      out.append(Fail2banConfig.note(ban));
    }
    warnUnlisted(settings, context);
    return found.isEmpty() && out.isEmpty()
        ? Optional.empty()
        : Optional.of(Rendered.single(settings.name(), out.toString()));
  }

  /** Logs, once, the running jails that fail2ban-jails does not name. */
  private void warnUnlisted(Fail2banSettings settings, TargetContext context) {
    List<String> unlisted;
    try {
      unlisted =
          Jails.running(settings.socket(), context.runner())
              .map(running -> Jails.unlisted(running, settings.jails()))
              .orElse(List.of());
    } catch (IOException e) {
      // Only a warning depends on it; a server that does not answer is for doctor to report.
      LOG.log(Level.DEBUG, "fail2ban: cannot list the running jails: {0}", e.getMessage());
      return;
    }
    if (!unlisted.isEmpty()) {
      String warning = Jails.unlistedWarning(unlisted, settings.jails());
      if (warned.add(warning)) {
        LOG.log(Level.WARNING, warning);
      }
    }
  }

  /**
   * Doctor's {@code fail2ban} findings: every running jail is in {@code fail2ban-jails}, each of
   * those jails' ignore list in the running server holds Cloudflare's ranges (the drop-in is
   * loaded), and an {@code ignoreip} under {@code [DEFAULT]} (or in each jail's own section) lets
   * the drop-in's {@code %(known/ignoreip)s} resolve. Runs only reads.
   */
  @Override
  public List<Finding> diagnose(Diagnosis diagnosis) throws IOException {
    return Fail2banDiagnosis.diagnose(
        Fail2banSettings.of(diagnosis.context().options()), diagnosis);
  }

  /** That the directory of the drop-in does not exist; the change would fail unchanged. */
  @Override
  public Optional<String> obstacle(TargetContext context) throws IOException {
    return FileTarget.missingDirectory(Fail2banSettings.of(context.options()).file());
  }

  /** {@code unfinished change PATH} when an interrupted run left its record. Runs no command. */
  @Override
  public List<String> leftovers(TargetContext context) throws IOException {
    Fail2banSettings settings = Fail2banSettings.of(context.options());
    List<String> out = new ArrayList<>();
    Intent.read(settings.daemon()).ifPresent(p -> out.add(UNFINISHED + p.file()));
    return out;
  }

  /**
   * Writes {@code plan}'s drop-in atomically, runs the test command and reloads fail2ban only when
   * it passes (nothing runs when no byte changes), then lifts every ban of an address inside the
   * ranges, logging each as {@code fail2ban: lifted the ban of ADDR in jail JAIL}.
   *
   * @throws ApplyFailedException saying what was left behind, with fail2ban's own error
   * @throws IOException when the file is in place but a ban could not be lifted: the engine reads
   *     the file and the bans again to say what was left behind
   */
  @Override
  public void apply(Plan plan, TargetContext context) throws IOException {
    Fail2banSettings settings = Fail2banSettings.of(context.options());
    Rendered desired = plan.desiredConfig();
    RangeSet ranges = parse(desired, context.options());
    String content =
        desired
            .file(settings.name())
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "the plan has no " + settings.name() + ", which fail2ban-file names"))
            .content();
    new FileApplier(settings.daemon(), context.runner())
        .apply(
            List.of(FileApplier.Desired.of(settings.file(), content)), FileApplier.Leftovers.NONE);
    List<Bans.Ban> bans;
    try {
      bans = Bans.inside(ranges, settings.socket(), context.runner());
      for (Bans.Ban ban : bans) {
        Bans.lift(ban, settings.socket(), context.runner());
        LOG.log(
            Level.WARNING,
            "fail2ban: lifted the ban of {0} in jail {1}: it is inside Cloudflare''s ranges",
            ban.address(),
            ban.jail());
      }
    } catch (IOException e) {
      // Not an ApplyFailedException: the file and the bans are both in the live reading, so the
      // engine reads them again and reports what it finds (the old file put back, with the ban
      // that was already there, is the old state).
      throw new IOException(
          "fail2ban loaded "
              + settings.file()
              + ", but a ban inside Cloudflare's ranges could not be lifted: "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Removes the drop-in, runs the test command and reloads fail2ban; on failure the file is put
   * back. Bans are left as they are.
   *
   * @throws ApplyFailedException saying what was left behind
   */
  @Override
  public void uninstall(TargetContext context) throws IOException {
    Fail2banSettings settings = Fail2banSettings.of(context.options());
    new FileApplier(settings.daemon(), context.runner())
        .uninstall(
            List.of(settings.file()), FileApplier.Leftovers.NONE, (removed, leftovers) -> "");
  }
}
