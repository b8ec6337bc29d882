package io.github.cfallowlist;

import java.util.List;

/**
 * What a target's {@link Target#diagnose} looks at: the current ranges, the ports Cloudflare uses
 * to reach this origin, and how to reach the live system.
 *
 * @param ranges the validated list the target should hold
 * @param ports the TCP ports Cloudflare connects to (the TLS mode's port, or those given)
 * @param context the target's options and command runner
 */
public record Diagnosis(RangeSnapshot ranges, List<Integer> ports, TargetContext context) {
  /** Checks every component is present and copies the ports. */
  public Diagnosis {
    if (ranges == null || ports == null || context == null) {
      throw new IllegalArgumentException("ranges, ports and context must not be null");
    }
    ports = List.copyOf(ports);
  }
}
