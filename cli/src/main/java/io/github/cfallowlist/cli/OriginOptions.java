package io.github.cfallowlist.cli;

import io.github.cfallowlist.OriginCheck;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.Run;
import io.github.cfallowlist.StateDir;
import java.time.Clock;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code --verify-origin-as}: check the fetched list against the route objects a route registry
 * holds for the AS, shared by {@code fetch}, {@code plan}, {@code status} and {@code apply}.
 */
final class OriginOptions {
  private final String asn;
  private final String whoisServer;
  private final boolean optional;

  private OriginOptions(String asn, String whoisServer, boolean optional) {
    this.asn = asn;
    this.whoisServer = whoisServer;
    this.optional = optional;
  }

  /** Adds the options to {@code spec}. */
  static void declare(CommandSpec spec) {
    spec.addOption(
        Declared.option(
                "--verify-origin-as",
                String.class,
                "ASN",
                "Refuse the whole list unless every range is equal to or inside a route object of"
                    + " this AS (13335 or AS13335) at the --whois-server; the answer is kept in"
                    + " the state directory and used for 24 hours.")
            .build());
    spec.addOption(
        Declared.option(
                "--whois-server",
                String.class,
                "HOST[:PORT]",
                "The route registry --verify-origin-as asks (default: ${DEFAULT-VALUE}).")
            .defaultValue(OriginCheck.DEFAULT_SERVER)
            .build());
    spec.addOption(
        Declared.flag(
            "--verify-origin-as-optional",
            "When the whois server cannot be asked, warn and use the list unchecked; a range"
                + " outside the route objects is still refused."));
  }

  /** The options as {@code spec} holds them. */
  static OriginOptions of(CommandSpec spec) {
    return new OriginOptions(
        Declared.value(spec, "--verify-origin-as"),
        Declared.value(spec, "--whois-server"),
        Declared.given(spec, "--verify-origin-as-optional"));
  }

  /**
   * The check the options ask for, if any.
   *
   * @throws IllegalArgumentException naming the option whose value is wrong
   */
  Optional<OriginCheck> check() {
    if (asn == null) {
      return Optional.empty();
    }
    OriginCheck check;
    try {
      check = OriginCheck.of(asn);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--verify-origin-as " + e.getMessage(), e);
    }
    try {
      check = check.withServer(whoisServer);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--whois-server: " + e.getMessage(), e);
    }
    return Optional.of(check.withOptional(optional));
  }

  /** {@code run} with the check, when one is asked for. */
  Run.Builder applyTo(Run.Builder run) {
    check().ifPresent(run::originCheck);
    return run;
  }

  /**
   * Checks {@code snapshot} for the commands that only show it; the warnings go to stderr.
   *
   * @param save whether a fresh whois answer is kept in {@code state}
   */
  void verify(RangeSnapshot snapshot, StateDir state, boolean save) {
    Optional<OriginCheck> check = check();
    if (check.isPresent()) {
      for (String w : check.get().verify(snapshot.ranges(), state, Clock.systemUTC(), save)) {
        System.getLogger(OriginOptions.class.getName()).log(System.Logger.Level.WARNING, w);
      }
    }
  }
}
