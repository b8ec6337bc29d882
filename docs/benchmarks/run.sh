#!/usr/bin/env bash
# Measures what a cron run costs, with /usr/bin/time, and writes docs/benchmarks.md.
#
#   bash docs/benchmarks/run.sh            # after: mvn -q -B -DskipTests package
#
# Cold starts of the launcher need nothing else. The nftables cases need root, nft and
# iproute2: they run inside a network namespace the script creates and deletes.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=cli/target/cf-allowlist
runs=${RUNS:-10}
out=docs/benchmarks.md
work=$(mktemp -d)
ns=cfbench$$
cleanup() {
  ip netns delete "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

[ -x "$bin" ] || { echo "build first: mvn -q -B -DskipTests package" >&2; exit 1; }

# median and max of wall seconds, median of max RSS, over $runs runs of "$@"
measure() {
  local f="$work/times"
  : >"$f"
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -a -o "$f" "$@" >/dev/null 2>&1 || true
  done
  local rss
  rss=$(awk '{print $2}' "$f" | sort -n | awk '{m[NR]=$1} END {print (NR%2)? m[(NR+1)/2] : (m[NR/2]+m[NR/2+1])/2}')
  awk '{print $1}' "$f" | sort -n | awk -v rss="$rss" '{w[NR]=$1} END {
    n=NR; med=(n%2)? w[(n+1)/2] : (w[n/2]+w[n/2+1])/2;
    printf "%.0f ms | %.0f ms | %.0f MiB", med*1000, w[n]*1000, rss/1024 }'
}

"$bin" render --source embedded --target nftables --output "$work/current.nft"
rows=()
rows+=("| \`fetch --source embedded\` (class-data archive) | $(measure "$bin" fetch --source embedded) |")
mv cli/target/cf-allowlist.jsa "$work/archive.jsa"
rows+=("| \`fetch --source embedded\` (the JDK's default archive only) | $(measure "$bin" fetch --source embedded) |")
mv "$work/archive.jsa" cli/target/cf-allowlist.jsa
rows+=("| \`--version\` (class-data archive) | $(measure "$bin" --version) |")
rows+=("| \`plan --target nftables --current FILE\` (in sync) | $(measure "$bin" plan --source embedded --target nftables --current "$work/current.nft") |")

if [ "$(id -u)" -eq 0 ] && command -v nft >/dev/null && command -v ip >/dev/null; then
  ip netns add "$ns"
  in_ns=(ip netns exec "$ns")
  "${in_ns[@]}" "$bin" apply --source embedded --target nftables --state-dir "$work/state" >/dev/null
  rows+=("| \`apply --target nftables\` (in sync: reads only) | $(measure "${in_ns[@]}" "$bin" apply --source embedded --target nftables --state-dir "$work/state") |")
  "${in_ns[@]}" "$bin" apply --uninstall --target nftables --state-dir "$work/state" >/dev/null

  # A list far larger than Cloudflare's, to show it goes in as one transaction. List files are
  # read with the 1 MiB cap of HTTP bodies: 60000 /24s is about as many as fit.
  n=${LARGE:-60000}
  python3 - "$n" >"$work/large.txt" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    print(f"{11 + i // 65536}.{(i // 256) % 256}.{i % 256}.0/24")
PY
  large=(--source "file:$work/large.txt" --family ipv4 --target nftables --state-dir "$work/state")
  /usr/bin/time -f "%e %M" -o "$work/large-install" "${in_ns[@]}" "$bin" apply --fallback none "${large[@]}" >/dev/null
  rows+=("| \`apply\` of $n IPv4 ranges, first install (one \`nft -f\`) | $(awk '{printf "%.0f ms | %.0f ms | %.0f MiB", $1*1000, $1*1000, $2/1024}' "$work/large-install") |")
  cold_runs=$runs
  runs=3
  rows+=("| \`apply\` of $n IPv4 ranges, in sync (reads only; 3 runs) | $(measure "${in_ns[@]}" "$bin" apply "${large[@]}") |")
  runs=$cold_runs
  count=$("${in_ns[@]}" nft -j list set inet cf_allowlist cloudflare_v4 | grep -o '"prefix"' | wc -l)
  if [ "$count" -ne "$n" ]; then
    echo "the large apply did not install $n ranges (found $count)" >&2
    exit 1
  fi
  rows+=("| elements read back from the kernel after that apply | $count | | |")
else
  rows+=("| nftables cases | skipped: need root, nft and iproute2 | | |")
fi

{
  echo "# Benchmarks"
  echo
  echo "What a cron run costs. Written by \`bash docs/benchmarks/run.sh\` (median and slowest of"
  echo "$runs runs for the cold starts, wall time from \`/usr/bin/time\`, and the median peak RSS)."
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo),"
  echo "$(java -version 2>&1 | head -1), $(date -u +%Y-%m-%d)."
  echo
  echo "| case | median | slowest | peak RSS |"
  echo "|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Reading the figures: a bare JVM printing a line takes about 50 ms here; the rest of a cold"
  echo "start is class loading and picocli's model (only the subcommand that runs is built; \`--version\`"
  echo "builds all of them), which the class-data archive built at package"
  echo "time (trained on an in-sync \`plan\`) cuts. An in-sync \`apply\` adds one \`nft -j list\`"
  echo "and writes nothing. The $n-range cases (about as many as a 1 MiB list file holds) show that a"
  echo "large list goes in as a single"
  echo "\`nft -f\` transaction and is read back whole; most of their time is nft itself and"
  echo "validating every entry."
} >"$out"
cat "$out"
