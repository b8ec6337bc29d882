package io.github.cfallowlist.bench;

import io.github.cfallowlist.RawRanges;
import io.github.cfallowlist.Rendered;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The whole engine once cold and then warm, in one JVM, on {@code size} prefixes (default
 * 1,000,000) against a current state of the same size; prints the wall times, the peak heap and the
 * peak RSS as one line of {@code key=value} pairs.
 */
public final class EndToEnd {
  private EndToEnd() {}

  /**
   * Runs it.
   *
   * @param args the size, and how many warm runs (default 5)
   */
  public static void main(String[] args) throws IOException {
    int size = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int warm = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    RawRanges raw = Engine.raw(Prefixes.desired(size));
    Rendered current = LineTarget.config(Prefixes.current(size));
    long start = System.nanoTime();
    int changes = Engine.endToEnd(raw, current);
    long cold = System.nanoTime() - start;
    long[] times = new long[warm];
    long[] cpu = new long[warm];
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    for (int i = 0; i < warm; i++) {
      long c = threads.getCurrentThreadCpuTime();
      long s = System.nanoTime();
      Engine.endToEnd(raw, current);
      times[i] = System.nanoTime() - s;
      cpu[i] = threads.getCurrentThreadCpuTime() - c;
    }
    Arrays.sort(times);
    Arrays.sort(cpu);
    long peakHeap = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peakHeap += pool.getPeakUsage().getUsed();
      }
    }
    System.out.printf(
        Locale.ROOT,
        "size=%d changes=%d cold_ms=%d warm_median_ms=%d warm_min_ms=%d warm_max_ms=%d"
            + " warm_median_cpu_ms=%d peak_heap_mib=%d peak_rss_mib=%d max_heap_mib=%d%n",
        size,
        changes,
        cold / 1_000_000,
        warm == 0 ? -1 : times[warm / 2] / 1_000_000,
        warm == 0 ? -1 : times[0] / 1_000_000,
        warm == 0 ? -1 : times[warm - 1] / 1_000_000,
        warm == 0 ? -1 : cpu[warm / 2] / 1_000_000,
        peakHeap >> 20,
        peakRssKib() >> 10,
        Runtime.getRuntime().maxMemory() >> 20);
  }

  private static long peakRssKib() throws IOException {
    List<String> status = Files.readAllLines(Path.of("/proc/self/status"));
    for (String line : status) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
