package io.github.cfallowlist.bench;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RawRanges;
import io.github.cfallowlist.Rendered;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntSupplier;

/**
 * The main thread's CPU time per stage and size (median of {@code runs} after as many warm-up
 * runs), which other processes' load does not inflate as it does wall time; prints one line per
 * stage and size.
 */
public final class StageCpu {
  private StageCpu() {}

  /**
   * Runs it.
   *
   * @param args how many runs per stage and size (default 5), then the sizes (default 22, 10000 and
   *     1000000)
   */
  public static void main(String[] args) {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int[] sizes =
        args.length > 1
            ? Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray()
            : new int[] {22, 10_000, 1_000_000};
    for (int size : sizes) {
      List<String> desired = Prefixes.desired(size);
      RawRanges raw = Engine.raw(desired);
      List<Cidr> parsed = Engine.parse(desired);
      RangeSnapshot snapshot = Engine.validate(raw);
      List<String> now = Prefixes.current(size);
      RangeSet current = Engine.normalise(Engine.parse(now));
      Rendered config = LineTarget.config(now);
      report("parse", size, runs, () -> Engine.parse(desired).size());
      report("validate", size, runs, () -> Engine.validate(raw).ranges().size());
      report("normalise", size, runs, () -> Engine.normalise(parsed).size());
      report("diff", size, runs, () -> Engine.diff(snapshot, current));
      report("endToEnd", size, runs, () -> Engine.endToEnd(raw, config));
    }
  }

  private static void report(String stage, int size, int runs, IntSupplier work) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long[] cpu = new long[runs];
    int sink = 0;
    for (int i = 0; i < 2 * runs; i++) {
      long start = threads.getCurrentThreadCpuTime();
      sink += work.getAsInt();
      if (i >= runs) {
        cpu[i - runs] = threads.getCurrentThreadCpuTime() - start;
      }
    }
    Arrays.sort(cpu);
    System.out.printf(
        Locale.ROOT,
        "stage=%s size=%d cpu_median_ms=%.3f cpu_min_ms=%.3f cpu_max_ms=%.3f sink=%d%n",
        stage,
        size,
        cpu[runs / 2] / 1e6,
        cpu[0] / 1e6,
        cpu[runs - 1] / 1e6,
        sink);
  }
}
