package io.github.cfallowlist.adapter.nftables;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Plan;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.TargetContext;
import io.github.cfallowlist.ToolNotFoundException;
import io.github.cfallowlist.adapter.nftables.NftablesLive.State;
import java.io.IOException;
import java.io.Writer;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Changes the ruleset, always with one {@code nft -f FILE} transaction: nft commits the whole file
 * or nothing, so a refused script is {@link Outcome#FAILED_UNCHANGED}. When nft times out, is
 * killed or cannot be waited for, the transaction may or may not have committed: the ruleset is
 * read again, and the outcome is {@link Outcome#FAILED_UNCHANGED} only when it is exactly as
 * before, otherwise {@link Outcome#STATE_UNKNOWN} for the engine to settle.
 */
final class NftablesApplier {
  private static final System.Logger LOG = System.getLogger(NftablesApplier.class.getName());

  private final TargetContext context;
  private final Layout layout;
  private final NftablesLive live;

  NftablesApplier(TargetContext context, Layout layout) {
    this.context = context;
    this.layout = layout;
    this.live = new NftablesLive(context.runner(), layout);
  }

  /**
   * Puts {@code plan}'s configuration in place: the sets are flushed and refilled and the chain's
   * rules replaced in one transaction, so no packet sees a half-updated state. In the own table,
   * objects the new configuration does not hold (a set of a family no longer in use, anything
   * cf-allowlist did not write) go in the same transaction; in a user table, a set of a family no
   * longer in use is deleted, and a leftover own table {@code inet cf_allowlist} too.
   *
   * @param planned the state the plan was read from, when it was read just now (the own table);
   *     otherwise empty, and the layout's objects are listed first
   * @throws ApplyFailedException when the user's table does not exist or nft refuses the script
   *     (both {@link Outcome#FAILED_UNCHANGED}), or when nft's outcome is unknown
   */
  void apply(Plan plan, Optional<State> planned) throws IOException {
    if (plan.isRemoval()) {
      uninstall();
      return;
    }
    NftablesConfig.requireSupportedMode(layout, context.options());
    // Built from the plan's validated ranges, as the plan's own text was: only this target's
    // grammar reaches nft, and a large list is not rendered and parsed again on the way.
    NftablesConfig desired = NftablesConfig.desired(plan.snapshot(), context.options(), layout);
    State before = planned.isPresent() ? planned.get() : live.state();
    StringBuilder script = new StringBuilder();
    if (layout.ownTable()) {
      if (before.config().isPresent() && !holdsOnly(desired, before.config().get())) {
        // Deleting and redeclaring in one transaction replaces the table atomically.
        script.append("delete table ").append(layout.ref()).append('\n');
      }
    } else if (!before.tables().contains(layout.ref())) {
      throw new ApplyFailedException(missingTable(layout), Outcome.FAILED_UNCHANGED);
    }
    StringBuilder tail = new StringBuilder();
    if (!layout.ownTable()) {
      before
          .config()
          .ifPresent(
              now -> {
                for (IpFamily family : now.sets().keySet()) {
                  if (!desired.sets().containsKey(family)) {
                    tail.append(deleteSet(family));
                  }
                }
              });
      if (before.ownTableLeftOver(layout)) {
        // The own table's drop chain goes in the same commit that fills the user's sets.
        tail.append("delete table ").append(Layout.OWN.ref()).append('\n');
      }
    }
    run(
        out -> {
          out.append(script);
          desired.renderTo("", out);
          out.append(tail);
        },
        before,
        "nft -f refused the " + NftablesConfig.FILE_NAME + " transaction for table " + layout.ref(),
        "");
  }

  /**
   * Deletes the table {@code inet cf_allowlist}, or with {@code nft-table} the two sets in the
   * user's table and a leftover own table, in one transaction. Does nothing when none exists.
   *
   * @throws ApplyFailedException when nft refuses ({@link Outcome#FAILED_UNCHANGED}), for example
   *     because the user's rules still use a set, or when nft's outcome is unknown
   */
  void uninstall() throws IOException {
    State before = live.state();
    StringBuilder script = new StringBuilder();
    if (layout.ownTable()) {
      if (before.config().isPresent()) {
        script.append("delete table ").append(layout.ref()).append('\n');
      }
    } else {
      before
          .config()
          .ifPresent(now -> now.sets().keySet().forEach(f -> script.append(deleteSet(f))));
      if (before.ownTableLeftOver(layout)) {
        script.append("delete table ").append(Layout.OWN.ref()).append('\n');
      }
    }
    if (script.length() == 0) {
      return;
    }
    run(
        out -> out.append(script),
        before,
        "nft refused to remove cf-allowlist's "
            + (layout.ownTable() ? "table " : "sets from table ")
            + layout.ref(),
        layout.ownTable() ? "" : " (remove your rules using @cloudflare_v4/v6 first)");
  }

  private String deleteSet(IpFamily family) {
    return "delete set " + layout.ref() + " " + Layout.setName(family) + "\n";
  }

  /**
   * Runs {@code script} as one {@code nft -f} transaction and reports a failure with its outcome.
   * {@code refused} starts the message when nft refuses the script; {@code hint} follows it.
   */
  /** A script, written straight to the file nft reads. */
  private interface Script {
    void writeTo(Writer out) throws IOException;
  }

  private void run(Script script, State before, String refused, String hint) throws IOException {
    // nft commits whatever it parsed by end of input, so a run killed halfway through writing to
    // nft's standard input could commit a prefix of the script (a flushed set without its
    // elements). A half-written file is never handed to nft.
    Path file;
    try {
      file = Files.createTempFile("cf-allowlist-", ".nft");
    } catch (IOException e) {
      throw new ApplyFailedException(
          "cannot write the nft script: " + e.getMessage(), Outcome.FAILED_UNCHANGED, e);
    }
    try {
      try {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
          script.writeTo(out);
        }
      } catch (IOException e) {
        throw new ApplyFailedException(
            "cannot write the nft script: " + e.getMessage(), Outcome.FAILED_UNCHANGED, e);
      }
      Command command = Command.modify("nft", "-f", file.toString());
      CommandResult result;
      try {
        result = context.runner().run(command);
      } catch (ToolNotFoundException e) {
        throw new ApplyFailedException(e.getMessage(), Outcome.FAILED_UNCHANGED, e);
      } catch (IOException e) {
        throw afterUnknownOutcome(before, e);
      }
      if (!result.ok()) {
        throw new ApplyFailedException(
            refused + hint + ": " + nftError(result), Outcome.FAILED_UNCHANGED);
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /**
   * After nft ended without a status (timed out, killed, interrupted): the transaction may have
   * committed or not, so the ruleset is read again before saying which.
   */
  private ApplyFailedException afterUnknownOutcome(State before, IOException cause) {
    String what = Printable.message(cause);
    LOG.log(Level.WARNING, "{0}; reading the ruleset again", what);
    State after;
    try {
      after = live.state();
    } catch (IOException | RuntimeException e) {
      cause.addSuppressed(e);
      return new ApplyFailedException(
          what + "; reading the ruleset again failed too: " + Printable.message(e),
          Outcome.STATE_UNKNOWN,
          cause);
    }
    if (after.equals(before)) {
      return new ApplyFailedException(
          what + "; the ruleset read again is as before", Outcome.FAILED_UNCHANGED, cause);
    }
    return new ApplyFailedException(
        what
            + "; the ruleset read again differs from before, so the transaction may have committed",
        Outcome.STATE_UNKNOWN,
        cause);
  }

  /** Why sets cannot be added to the user's table {@code layout} names: it does not exist. */
  static String missingTable(Layout layout) {
    return "table "
        + layout.ref()
        + " named by --nft-table does not exist; create it with your own rules first"
        + " (cf-allowlist only adds the sets to it)";
  }

  /**
   * nft's error without its location prefix ({@code /tmp/cf-allowlist-NNN.nft:12:1-40: }), which
   * names a file already deleted and would crowd the reason out of a one-line message.
   */
  private static String nftError(CommandResult result) {
    String line = result.firstErrorLine();
    int at = line.indexOf("Error: ");
    return Printable.of(at > 0 ? line.substring(at) : line);
  }

  /** Whether {@code live} holds nothing {@code desired} does not declare. */
  private static boolean holdsOnly(NftablesConfig desired, NftablesConfig live) {
    return live.notes().isEmpty()
        && desired.sets().keySet().containsAll(live.sets().keySet())
        && (live.chain().isEmpty() || desired.chain().isPresent());
  }
}
