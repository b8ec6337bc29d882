package io.github.cfallowlist.adapter.iptables;

import io.github.cfallowlist.Command;
import io.github.cfallowlist.CommandResult;
import io.github.cfallowlist.IpFamily;
import io.github.cfallowlist.TargetContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Takes the live system from one {@link State} to another with one atomic restore per family and
 * object kind: {@code ipset restore} (fill a temporary set, swap it in), then {@code
 * iptables-restore --noflush} / {@code ip6tables-restore --noflush} (redeclaring the chain flushes
 * and refills it in the same commit), then destroying sets nothing references any more.
 */
final class Reconciler {
  private Reconciler() {}

  static String restoreCommand(IpFamily family) {
    return family == IpFamily.IPV4 ? "iptables-restore" : "ip6tables-restore";
  }

  static void reconcile(State before, State want, TargetContext context) throws IOException {
    // Sets first: a rule cannot reference a set that does not exist yet.
    for (IpFamily family : IpFamily.values()) {
      Optional<List<String>> entries = want.set(family);
      if (entries.isPresent() && !entries.equals(before.set(family))) {
        fillSet(family, entries.get(), context);
      }
    }
    for (IpFamily family : IpFamily.values()) {
      Optional<State.FamilyRules> have = before.family(family);
      Optional<State.FamilyRules> need = want.family(family);
      if (have.equals(need)) {
        continue;
      }
      String input =
          need.isPresent() ? replaceInput(have, need.get()) : removeInput(have.orElseThrow());
      Command restore = Command.modify(restoreCommand(family), "--noflush").withStdin(input);
      CommandResult result = context.runner().run(restore);
      if (!result.ok()) {
        throw new IOException(
            "'"
                + restore.display()
                + "' refused the "
                + family
                + " chain "
                + Rules.CHAIN
                + " (status "
                + result.exitCode()
                + "): "
                + result.firstErrorLine()
                + parentHint(need));
      }
    }
    // Last, once no rule of ours matches them any more.
    for (IpFamily family : IpFamily.values()) {
      if (before.set(family).isPresent() && want.set(family).isEmpty()) {
        destroySet(Rules.setName(family), context);
      }
    }
  }

  /** A hint when the parent chain is one that may not exist, such as Docker's. */
  private static String parentHint(Optional<State.FamilyRules> need) {
    return need.stream()
        .flatMap(rules -> rules.jumps().stream())
        .map(State.Jump::parent)
        .filter(parent -> !List.of("INPUT", "FORWARD").contains(parent))
        .findFirst()
        .map(
            parent ->
                " (does chain "
                    + parent
                    + " exist? DOCKER-USER exists only once Docker"
                    + " has started)")
        .orElse("");
  }

  /**
   * Restore input that redeclares our chain (flushing it) and refills it, and adds or deletes only
   * the jumps that differ: with {@code --noflush} an unconditional append would add the jump again
   * on every run.
   */
  static String replaceInput(Optional<State.FamilyRules> have, State.FamilyRules need) {
    StringBuilder out = new StringBuilder("*filter\n");
    out.append(ConfigText.CHAIN_DECLARATION).append('\n');
    for (String spec : need.chain()) {
      out.append("-A ").append(Rules.CHAIN).append(' ').append(spec).append('\n');
    }
    List<State.Jump> toAdd = new ArrayList<>(need.jumps());
    for (State.Jump jump : have.map(State.FamilyRules::jumps).orElse(List.of())) {
      if (!toAdd.remove(jump)) {
        out.append("-D ").append(jump.parent()).append(' ').append(jump.spec()).append('\n');
      }
    }
    for (State.Jump jump : toAdd) {
      // Inserted at the top, so the user's own accepts cannot bypass a restriction and, in allow
      // mode, Cloudflare is accepted ahead of the user's own drops (and of Docker's rules).
      out.append(jump.line()).append('\n');
    }
    return out.append("COMMIT\n").toString();
  }

  /** Restore input that deletes our jumps, then empties and deletes our chain, in one commit. */
  static String removeInput(State.FamilyRules have) {
    StringBuilder out = new StringBuilder("*filter\n");
    for (State.Jump jump : have.jumps()) {
      out.append("-D ").append(jump.parent()).append(' ').append(jump.spec()).append('\n');
    }
    out.append(ConfigText.CHAIN_DECLARATION).append('\n');
    out.append("-X ").append(Rules.CHAIN).append('\n');
    return out.append("COMMIT\n").toString();
  }

  private static void fillSet(IpFamily family, List<String> entries, TargetContext context)
      throws IOException {
    Command restore =
        Command.modify("ipset", "restore").withStdin(ConfigText.ipsetSection(family, entries));
    CommandResult result = context.runner().run(restore);
    if (!result.ok()) {
      // Until the swap the live set is untouched; drop the half-filled scratch set.
      try {
        context.runner().run(Command.modify("ipset", "destroy", Rules.tmpSetName(family)));
      } catch (IOException ignored) {
        // best effort: the next run flushes and reuses it
      }
      throw new IOException(
          "'ipset restore' refused the set "
              + Rules.setName(family)
              + " (status "
              + result.exitCode()
              + "): "
              + result.firstErrorLine());
    }
  }

  static void destroySet(String name, TargetContext context) throws IOException {
    Command destroy = Command.modify("ipset", "destroy", name);
    CommandResult result = context.runner().run(destroy);
    if (!result.ok()) {
      throw new IOException(
          "'"
              + destroy.display()
              + "' failed (status "
              + result.exitCode()
              + "): "
              + result.firstErrorLine());
    }
  }
}
