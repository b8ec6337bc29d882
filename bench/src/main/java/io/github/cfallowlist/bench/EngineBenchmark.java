package io.github.cfallowlist.bench;

import io.github.cfallowlist.Cidr;
import io.github.cfallowlist.RangeSet;
import io.github.cfallowlist.RangeSnapshot;
import io.github.cfallowlist.RawRanges;
import io.github.cfallowlist.Rendered;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Each engine stage at 22 (Cloudflare's own list), 10,000 and 1,000,000 mixed IPv4/IPv6 prefixes,
 * against a current state of the same size. Defaults are for a quick run; {@code
 * docs/benchmarks/engine.sh} sets forks and iterations.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx512m")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class EngineBenchmark {

  /** How many prefixes the desired list and the current state each hold. */
  @Param({"22", "10000", "1000000"})
  public int size;

  private List<String> desired;
  private RawRanges raw;
  private List<Cidr> parsed;
  private RangeSnapshot snapshot;
  private RangeSet current;
  private Rendered currentConfig;

  /** Builds the inputs of every stage once per fork. */
  @Setup(Level.Trial)
  public void setUp() {
    desired = Prefixes.desired(size);
    raw = Engine.raw(desired);
    parsed = Engine.parse(desired);
    snapshot = Engine.validate(raw);
    List<String> now = Prefixes.current(size);
    current = Engine.normalise(Engine.parse(now));
    currentConfig = LineTarget.config(now);
  }

  /** Text to typed prefixes. */
  @Benchmark
  public List<Cidr> parse() {
    return Engine.parse(desired);
  }

  /** Parse, every guard, normalise: what a run does to what a source read. */
  @Benchmark
  public RangeSnapshot validate() {
    return Engine.validate(raw);
  }

  /** Sort, drop duplicates and covered prefixes. */
  @Benchmark
  public RangeSet normalise() {
    return Engine.normalise(parsed);
  }

  /** The plan against the current state, and its additions, removals and kept prefixes. */
  @Benchmark
  public int diff() {
    return Engine.diff(snapshot, current);
  }

  /** All of it, the current state parsed from its configuration text. */
  @Benchmark
  public int endToEnd() {
    return Engine.endToEnd(raw, currentConfig);
  }
}
