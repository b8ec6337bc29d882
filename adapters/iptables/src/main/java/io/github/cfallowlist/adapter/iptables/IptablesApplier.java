package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.ApplyFailedException;
import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.Outcome;
import io.github.cfallowlist.Printable;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.TargetContext;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Takes the live system from what it holds to another {@link IptablesConfig} with one atomic step
 * per family and object kind: {@code ipset restore} (fill a temporary set, swap it in), then {@code
 * iptables-restore --noflush} / {@code ip6tables-restore --noflush} (redeclaring the chain flushes
 * and refills it, and stale or foreign jumps are deleted, in the same commit), then destroying sets
 * nothing references any more.
 *
 * <p>When a step is refused, the steps already taken are put back from the state read before and a
 * re-read says whether that worked. When a command throws (it timed out, was killed, or its reply
 * was lost) it may or may not have committed, so the live state is read again before deciding what
 * to report.
 */
final class IptablesApplier {
  private static final System.Logger LOG = System.getLogger(IptablesApplier.class.getName());

  private final TargetContext context;
  private final IptablesSettings settings;

  /** Whether a command of the current run has changed the system (or may have). */
  private boolean changed;

  private IptablesApplier(TargetContext context) {
    this.context = context;
    this.settings = IptablesSettings.of(context.options());
  }

  /** Puts {@code ranges} in place as the context's options ask and removes leftovers. */
  static void apply(RangeSet ranges, TargetContext context) throws IOException {
    IptablesApplier applier = new IptablesApplier(context);
    applier.change(IptablesConfig.desired(ranges, applier.settings), "apply");
  }

  /** Removes every object of ours, leftovers included. */
  static void uninstall(TargetContext context) throws IOException {
    new IptablesApplier(context).change(IptablesConfig.empty(), "uninstall");
  }

  static String restoreCommand(IpFamily family) {
    return family == IpFamily.IPV4 ? "iptables-restore" : "ip6tables-restore";
  }

  /**
   * A modifying command exited with a failure status. That does not prove it changed nothing (ipset
   * restore runs line by line; a restore killed after its commit exits 137), so a re-read decides.
   */
  private static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message);
    }
  }

  private void change(IptablesConfig want, String what) throws IOException {
    // Read afresh rather than trusting the plan: the rollback needs the exact lines.
    IptablesConfig before = IptablesLive.read(context, settings);
    changed = false;
    try {
      reconcile(before, want);
    } catch (Refused refused) {
      // A failure status does not prove nothing committed (a restore killed after its commit
      // exits 137): put back whatever a re-read shows changed, and report what it shows.
      putBack(before, "iptables: " + refused.getMessage());
    } catch (IOException e) {
      decideAfterLostReply(before, want, what, e);
    }
  }

  /**
   * After a command threw: it may have committed, so only a re-read says where the system is. The
   * new state means the change took; the old one means nothing changed; anything else is unknown
   * and left to the engine, which reads again and restores.
   */
  private void decideAfterLostReply(
      IptablesConfig before, IptablesConfig want, String what, IOException e) throws IOException {
    String error = "iptables: " + Printable.of(Printable.message(e));
    IptablesConfig now;
    try {
      now = IptablesLive.read(context, settings);
    } catch (IOException | RuntimeException reread) {
      e.addSuppressed(reread);
      throw new ApplyFailedException(
          error
              + "; reading the rules again also failed: "
              + Printable.of(Printable.message(reread)),
          Outcome.STATE_UNKNOWN,
          e);
    }
    if (now.equals(want)) {
      LOG.log(
          Level.WARNING,
          "iptables: {0} reported an error but a re-read shows it took: {1}",
          what,
          Printable.of(Printable.message(e)));
      return;
    }
    if (now.withoutScratch().equals(before.withoutScratch())) {
      throw new ApplyFailedException(error, Outcome.FAILED_UNCHANGED, e);
    }
    throw new ApplyFailedException(
        error + "; the rules are now neither the previous nor the new ones",
        Outcome.STATE_UNKNOWN,
        e);
  }

  /** Puts {@code before} back after a refused step and verifies it by reading back. */
  private void putBack(IptablesConfig before, String error) {
    boolean changedBefore = changed;
    Outcome outcome;
    String note;
    try {
      IptablesConfig now = IptablesLive.read(context, settings);
      boolean untouched = now.withoutScratch().equals(before.withoutScratch());
      if (!untouched) {
        reconcile(now, before);
      } else {
        // At most a half-filled scratch set from the refused ipset restore; it filters nothing.
        destroyScratch(now, List.of());
      }
      IptablesConfig after = IptablesLive.read(context, settings);
      if (!after.withoutScratch().equals(before.withoutScratch())) {
        outcome = Outcome.STATE_UNKNOWN;
        note = "; putting the previous rules back did not take";
      } else if (untouched && !changedBefore) {
        outcome = Outcome.FAILED_UNCHANGED;
        note = ""; // the engine says it, after its own re-read
      } else {
        outcome = Outcome.FAILED_RESTORED;
        note = "";
      }
    } catch (Refused | IOException | RuntimeException rollback) {
      throw new ApplyFailedException(
          error
              + "; putting the previous rules back also failed: "
              + Printable.of(Printable.message(rollback)),
          Outcome.STATE_UNKNOWN,
          rollback);
    }
    throw new ApplyFailedException(error + note, outcome);
  }

  private void reconcile(IptablesConfig have, IptablesConfig want) throws IOException, Refused {
    List<IpFamily> filled = new ArrayList<>();
    // Sets first: a rule cannot reference a set that does not exist yet.
    for (IpFamily family : IpFamily.values()) {
      Optional<IptablesConfig.SetEntries> entries = want.set(family);
      if (entries.isPresent()
          && (!entries.equals(have.set(family)) || have.scratch().contains(family))) {
        fillSet(
            family, entries.get(), have.set(family).isPresent(), have.scratch().contains(family));
        filled.add(family);
      }
    }
    for (IpFamily family : IpFamily.values()) {
      Optional<IptablesConfig.FamilyRules> now = have.family(family);
      Optional<IptablesConfig.FamilyRules> need = want.family(family);
      if (now.equals(need)) {
        continue;
      }
      String input = need.isPresent() ? replaceInput(now, need.get()) : removeInput(now.get());
      Command restore = Command.modify(restoreCommand(family), "--noflush").withStdin(input);
      CommandResult result = run(restore);
      if (!result.ok()) {
        throw new Refused(
            "'"
                + restore.display()
                + "' refused the "
                + family
                + " chain "
                + Rules.CHAIN
                + " (status "
                + result.exitCode()
                + "): "
                + Printable.of(result.firstErrorLine())
                + parentHint(need));
      }
      changed = true;
    }
    // Last, once no rule of ours matches them any more.
    for (IpFamily family : IpFamily.values()) {
      if (have.set(family).isPresent() && want.set(family).isEmpty()) {
        destroySet(Rules.setName(family));
      }
    }
    destroyScratch(have, filled);
  }

  /** Destroys the scratch sets in {@code have}, but those the fill of {@code filled} consumed. */
  private void destroyScratch(IptablesConfig have, List<IpFamily> filled)
      throws IOException, Refused {
    for (IpFamily family : have.scratch()) {
      if (!filled.contains(family)) {
        destroySet(Rules.tmpSetName(family));
      }
    }
  }

  /** A hint when the parent chain is one that may not exist, such as Docker's. */
  private static String parentHint(Optional<IptablesConfig.FamilyRules> need) {
    return need.stream()
        .flatMap(rules -> rules.jumps().stream())
        .map(IptablesConfig.Jump::parent)
        .filter(parent -> !List.of("INPUT", "FORWARD").contains(parent))
        .findFirst()
        .map(
            parent ->
                " (does chain "
                    + parent
                    + " exist? DOCKER-USER exists only once Docker has started)")
        .orElse("");
  }

  /**
   * Restore input that redeclares our chain (flushing it, foreign rules included) and refills it,
   * and adds or deletes only the jumps that differ: with {@code --noflush} an unconditional append
   * would add the jump again on every run. A jump from another parent chain, a duplicate or an
   * altered one is deleted in the same commit.
   */
  static String replaceInput(
      Optional<IptablesConfig.FamilyRules> have, IptablesConfig.FamilyRules need) {
    StringBuilder out = new StringBuilder("*filter\n");
    out.append(IptablesConfig.CHAIN_DECLARATION).append('\n');
    for (String spec : need.chain()) {
      out.append("-A ").append(Rules.CHAIN).append(' ').append(spec).append('\n');
    }
    List<IptablesConfig.Jump> toAdd = new ArrayList<>(need.jumps());
    for (IptablesConfig.Jump jump : have.map(IptablesConfig.FamilyRules::jumps).orElse(List.of())) {
      if (!toAdd.remove(jump)) {
        out.append("-D ").append(jump.parent()).append(' ').append(jump.spec()).append('\n');
      }
    }
    for (IptablesConfig.Jump jump : toAdd) {
      // Inserted at the top, so the user's own accepts cannot bypass a restriction and, in allow
      // mode, Cloudflare is accepted ahead of the user's own drops (and of Docker's rules).
      out.append(jump.line()).append('\n');
    }
    return out.append("COMMIT\n").toString();
  }

  /** Restore input that deletes our jumps, then empties and deletes our chain, in one commit. */
  static String removeInput(IptablesConfig.FamilyRules have) {
    StringBuilder out = new StringBuilder("*filter\n");
    for (IptablesConfig.Jump jump : have.jumps()) {
      out.append("-D ").append(jump.parent()).append(' ').append(jump.spec()).append('\n');
    }
    out.append(IptablesConfig.CHAIN_DECLARATION).append('\n');
    out.append("-X ").append(Rules.CHAIN).append('\n');
    return out.append("COMMIT\n").toString();
  }

  private void fillSet(
      IpFamily family, IptablesConfig.SetEntries entries, boolean setExists, boolean scratch)
      throws IOException, Refused {
    Command restore =
        Command.modify("ipset", "restore")
            .withStdin(IptablesConfig.ipsetSection(family, entries, !setExists, scratch));
    CommandResult result = run(restore);
    if (!result.ok()) {
      // ipset restore runs line by line: the sets may have been created before the refused line.
      throw new Refused(
          "'ipset restore' refused the set "
              + Rules.setName(family)
              + " (status "
              + result.exitCode()
              + "): "
              + Printable.of(result.firstErrorLine()));
    }
    changed = true;
  }

  private void destroySet(String name) throws IOException, Refused {
    Command destroy = Command.modify("ipset", "destroy", name);
    CommandResult result = run(destroy);
    if (!result.ok()) {
      throw new Refused(
          "'"
              + destroy.display()
              + "' failed (status "
              + result.exitCode()
              + "): "
              + Printable.of(result.firstErrorLine()));
    }
    changed = true;
  }

  private CommandResult run(Command command) throws IOException {
    return context.runner().run(command);
  }
}
