package io.github.cfallowlist.doctor;

import io.github.cfallowlist.CommandRunner;
import io.github.cfallowlist.Finding;
import io.github.cfallowlist.Guards;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RangeSource;
import io.github.cfallowlist.RawRanges;
import io.github.cfallowlist.StateDir;
import io.github.cfallowlist.Target;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.TargetOptions;
import io.github.cfallowlist.Targets;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Finds why Cloudflare cannot reach this origin (errors 521, 522, 525, 526): runs every {@link
 * Check} against the live host and returns what each found. Doctor only reads; it never changes the
 * firewall, a file or a daemon.
 *
 * <pre>{@code
 * DoctorReport report =
 *     Doctor.builder().origin(Origin.of(TlsMode.STRICT)).build().run();
 * report.findings().forEach(f -> System.out.println(f.status() + " " + f.check()));
 * }</pre>
 */
public final class Doctor {
  private static final System.Logger LOG = System.getLogger(Doctor.class.getName());

  /** How long doctor waits for the source's list, all its attempts together. */
  static final Duration FETCH_LIMIT = Duration.ofSeconds(15);

  private final Builder b;

  private Doctor(Builder b) {
    this.b = b;
  }

  /** A builder with the defaults: the Cloudflare API, Full mode on 443, every check. */
  public static Builder builder() {
    return new Builder();
  }

  /** Every check, in the order doctor runs them. */
  public static List<Check> defaultChecks() {
    return List.of(
        new ListCheck(),
        new ListenCheck(),
        new TargetsCheck(),
        new BanCheck(),
        new RouteCheck(),
        new ConntrackCheck(),
        new TlsCheck(),
        new DnsCheck());
  }

  /**
   * Runs every check. A check that throws becomes a warning naming it; the others still run.
   *
   * @throws IOException when not even a list to compare against can be loaded
   */
  public DoctorReport run() throws IOException {
    DoctorContext context = context();
    List<Finding> findings = new ArrayList<>();
    for (Check check : b.checks) {
      findings.addAll(run(check, context));
    }
    return new DoctorReport(context, findings);
  }

  /** One check's findings, or a warning saying it could not judge. */
  static List<Finding> run(Check check, DoctorContext context) {
    try {
      List<Finding> found = check.run(context);
      if (found.isEmpty()) {
        throw new IllegalStateException(check.name() + " found nothing to report");
      }
      return found;
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, () -> check.name() + " failed", e);
      return List.of(
          Finding.warn(
              check.name(),
              "could not be checked: " + Printable.message(e),
              "run doctor with --verbose and check by hand"));
    }
  }

  private DoctorContext context() throws IOException {
    RangeSnapshot ranges;
    Optional<String> failure = Optional.empty();
    try {
      ranges = b.guards.validate(fetch());
    } catch (IOException | RuntimeException e) {
      failure = Optional.of(Printable.message(e));
      ranges = fallbackRanges();
    }
    Map<String, String> unreadable = new LinkedHashMap<>();
    List<Target> targets = b.targets.isEmpty() ? detectTargets(unreadable) : b.targets;
    return new DoctorContext(
        ranges,
        failure,
        b.source,
        b.origin,
        targets,
        b.options,
        b.guards,
        b.runner,
        b.state,
        b.clock,
        unreadable);
  }

  /**
   * The source's list, within {@link #FETCH_LIMIT} in all: doctor is run by someone waiting, and a
   * source that accepts connections but never answers would otherwise hold every check back for
   * each of its attempts.
   */
  private RawRanges fetch() throws IOException {
    ExecutorService one =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "cf-allowlist-doctor-fetch");
              t.setDaemon(true);
              return t;
            });
    try {
      Future<RawRanges> answer = one.submit(b.source::fetch);
      try {
        return answer.get(b.fetchLimit.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        answer.cancel(true);
        throw new IOException(
            "no answer within " + b.fetchLimit.toSeconds() + " s, the limit doctor waits", e);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        throw new IOException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        answer.cancel(true);
        throw new IOException("interrupted while fetching the list", e);
      }
    } finally {
      one.shutdownNow();
    }
  }

  /** The last good list, or else the embedded one, for checks to compare against. */
  private RangeSnapshot fallbackRanges() throws IOException {
    try {
      if (b.state.loadLastGood().isPresent()) {
        return b.guards.validate(RangeSource.lastGood(b.state).fetch());
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "the last good list cannot be used: {0}", e.getMessage());
    }
    return b.guards.validate(RangeSource.embedded().fetch());
  }

  /**
   * The targets that hold any of cf-allowlist's objects on this host; those that refused to be read
   * to this user go into {@code unreadable}, so that their absence is not taken for a fact.
   */
  private List<Target> detectTargets(Map<String, String> unreadable) {
    List<Target> found = new ArrayList<>();
    for (String name : Targets.names()) {
      Target t = Targets.byName(name);
      if (!t.supportsLive()) {
        continue;
      }
      TargetContext context = new TargetContext(b.options.forTarget(t), b.runner);
      try {
        if (t.readLive(context).isPresent() || !t.leftovers(context).isEmpty()) {
          found.add(t);
        }
      } catch (IOException | RuntimeException e) {
        LOG.log(Level.DEBUG, "{0}: not detected: {1}", name, e.getMessage());
        if (Root.denied(e)) {
          unreadable.put(name, Printable.message(e));
        }
      }
    }
    return found;
  }

  /** Builds a {@link Doctor}. */
  public static final class Builder {
    private RangeSource source = RangeSource.cloudflare();
    private Guards guards = Guards.defaults();
    private List<Target> targets = List.of();
    private TargetOptions options = TargetOptions.defaults();
    private CommandRunner runner = CommandRunner.system();
    private StateDir state = StateDir.at(StateDir.defaultLocation());
    private Clock clock = Clock.systemUTC();
    private Origin origin = Origin.of(TlsMode.FULL);
    private List<Check> checks = defaultChecks();
    private Duration fetchLimit = FETCH_LIMIT;

    private Builder() {}

    /** Where the current list comes from (default: Cloudflare's API). */
    public Builder source(RangeSource value) {
      source = require(value, "source");
      return this;
    }

    /** The guards the list is validated with. */
    public Builder guards(Guards value) {
      guards = require(value, "guards");
      return this;
    }

    /**
     * The targets to check; none (the default) checks every target holding cf-allowlist's objects.
     */
    public Builder targets(List<Target> values) {
      targets = List.copyOf(require(values, "targets"));
      return this;
    }

    /** The target options, as a run would use them. */
    public Builder options(TargetOptions value) {
      options = require(value, "options");
      return this;
    }

    /** Runs the read commands (default: the real system). */
    public Builder runner(CommandRunner value) {
      runner = require(value, "runner");
      return this;
    }

    /** The state directory holding the last good list. */
    public Builder stateDir(StateDir value) {
      state = require(value, "state");
      return this;
    }

    /** The clock for ages and certificate expiry. */
    public Builder clock(Clock value) {
      clock = require(value, "clock");
      return this;
    }

    /** How Cloudflare reaches this origin (default: Full mode, port 443). */
    public Builder origin(Origin value) {
      origin = require(value, "origin");
      return this;
    }

    /** The checks to run (default: {@link #defaultChecks()}). */
    public Builder checks(List<Check> values) {
      checks = List.copyOf(require(values, "checks"));
      return this;
    }

    /** How long the source may take in all (default {@link Doctor#FETCH_LIMIT}). */
    Builder fetchLimit(Duration value) {
      fetchLimit = require(value, "fetchLimit");
      return this;
    }

    /** The doctor. */
    public Doctor build() {
      return new Doctor(this);
    }

    private static <T> T require(T value, String what) {
      if (value == null) {
        throw new IllegalArgumentException(what + " == null");
      }
      return value;
    }
  }
}
