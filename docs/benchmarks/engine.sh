#!/usr/bin/env bash
# Benchmarks the engine (parse, validate, normalise, diff) with JMH at 22, 10,000 and 1,000,000
# mixed IPv4/IPv6 prefixes against a current state of the same size, times the whole engine on
# 1,000,000 prefixes at -Xmx512m, and writes the figures into docs/benchmarks.md between
# <!-- engine:begin --> and <!-- engine:end --> (the rest of the file is left as it is).
#
#   bash docs/benchmarks/engine.sh             # builds core and bench/, then measures
#   MVN_ARGS="-o" bash docs/benchmarks/engine.sh
#   SKIP_BUILD=1 bash docs/benchmarks/engine.sh    # bench/target/benchmarks.jar is already built
#
# One fork per benchmark, two warm-up and three measured iterations of one second: about four
# minutes on an idle 2-core machine. Needs java 17+, maven, python3 and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=docs/benchmarks.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -z "${SKIP_BUILD:-}" ]; then
  # shellcheck disable=SC2086
  mvn -q -B ${MVN_ARGS:-} -DskipTests package -pl bench -am
fi
jar=bench/target/benchmarks.jar
load=$(cut -d' ' -f1-3 /proc/loadavg)

java -jar "$jar" EngineBenchmark -f 1 -wi 2 -w 1 -i 3 -r 1 -tu ms \
  -rf json -rff "$work/jmh.json" >"$work/jmh.txt"
/usr/bin/time -f "%M" -o "$work/rss" \
  java -Xmx512m -cp "$jar" io.github.cfallowlist.bench.EndToEnd 1000000 5 >"$work/e2e.txt"
java -Xmx512m -cp "$jar" io.github.cfallowlist.bench.StageCpu 3 >"$work/cpu.txt"

python3 - "$work" "$out" "$load" "$(java -version 2>&1 | head -1)" "$(nproc)" <<'PY'
import json, math, re, sys, datetime
work, out, load, jvm, cores = sys.argv[1:6]
results = json.load(open(work + "/jmh.json"))
stages = ["parse", "validate", "normalise", "diff", "endToEnd"]
sizes = [22, 10000, 1000000]
score = {}
for r in results:
    stage = r["benchmark"].rsplit(".", 1)[1]
    size = int(r["params"]["size"])
    m = r["primaryMetric"]
    score[(stage, size)] = (m["score"], m["scoreError"])

def fmt(v):
    return f"{v:.3g}" if v < 100 else f"{v:.0f}"

bound = 100 * math.log(1e6) / math.log(1e4)
rows = []
for s in stages:
    cells = []
    for n in sizes:
        v = score.get((s, n))
        cells.append("–" if v is None else f"{fmt(v[0])} ± {fmt(v[1]) if v[1] == v[1] else '?'}")
    a, b = score.get((s, 10000)), score.get((s, 1000000))
    growth = f"{b[0] / a[0]:.0f}×" if a and b and a[0] > 0 else "–"
    rows.append(f"| {s} | " + " | ".join(cells) + f" | {growth} |")

cpu = {}
for line in open(work + "/cpu.txt"):
    kv = dict(p.split("=") for p in line.split())
    cpu[(kv["stage"], int(kv["size"]))] = float(kv["cpu_median_ms"])
cpu_rows = []
for s in stages:
    cells = [fmt(cpu[(s, n)]) if (s, n) in cpu else "–" for n in sizes]
    a, b = cpu.get((s, 10000)), cpu.get((s, 1000000))
    growth = f"{b / a:.0f}×" if a and b else "–"
    cpu_rows.append(f"| {s} | " + " | ".join(cells) + f" | {growth} |")

e2e = dict(kv.split("=") for kv in open(work + "/e2e.txt").read().split())
rss = int(open(work + "/rss").read().split()[-1]) // 1024
mem = round(int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1)) / 2**20)
text = f"""## Engine at scale

Written by `bash docs/benchmarks/engine.sh` on {datetime.date.today()}: {cores} cores, {mem} GiB,
{jvm}.
Load average when it started: {load}. Figures taken while other work loads the machine are
slower and noisier (the error columns say how much); compare ratios within one run, and the
main thread's CPU time below, which load does not inflate.

JMH, milliseconds per operation (score ± 99.9% error; one fork, three one-second iterations after
two of warm-up, `-Xmx512m`), each desired list against a current state of the same size that
differs in one entry of twenty. *parse* reads each entry to a prefix; *validate* is what a run
does to a source's lists (parse, every guard, normalise); *normalise* sorts and drops repeated and
covered prefixes; *diff* builds the plan against the parsed current state and lists what it adds,
removes and keeps; *endToEnd* is all of it, the current state parsed from its text.

| stage | 22 | 10,000 | 1,000,000 | 1M ÷ 10k |
|---|---|---|---|---|
""" + "\n".join(rows) + f"""

The same stages as the main thread's CPU milliseconds (`StageCpu`: median of three runs after
three more, one JVM at `-Xmx512m`), which load on the machine does not inflate:

| stage | 22 | 10,000 | 1,000,000 | 1M ÷ 10k |
|---|---|---|---|---|
""" + "\n".join(cpu_rows) + f"""

The last columns are the growth from 10,000 to 1,000,000 prefixes (100× as many); linear growth
is 100×, n log n is {bound:.0f}×.

The whole engine on 1,000,000 prefixes against 1,000,000 in one JVM at `-Xmx512m`
(`EndToEnd`): first run {e2e['cold_ms']} ms, then median {e2e['warm_median_ms']} ms
({e2e['warm_min_ms']}–{e2e['warm_max_ms']} ms over 5 runs; the main thread's CPU time
{e2e['warm_median_cpu_ms']} ms); peak heap {e2e['peak_heap_mib']} MiB, peak RSS {rss} MiB;
{e2e['changes']} prefixes added or removed.
"""
doc = open(out).read()
begin, end = "<!-- engine:begin -->", "<!-- engine:end -->"
if begin in doc and end in doc:
    doc = doc[: doc.index(begin) + len(begin)] + "\n" + text + doc[doc.index(end):]
else:
    doc = doc.rstrip("\n") + "\n\n" + begin + "\n" + text + end + "\n"
open(out, "w").write(doc)
PY
echo "wrote the engine section of $out"
