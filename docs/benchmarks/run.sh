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
  sort -n "$f" | awk '{w[NR]=$1; m[NR]=$2} END {
    n=NR; med=(n%2)? w[(n+1)/2] : (w[n/2]+w[n/2+1])/2;
    asort(m); mm=(n%2)? m[(n+1)/2] : (m[n/2]+m[n/2+1])/2;
    printf "%.0f ms | %.0f ms | %.0f MiB", med*1000, w[n]*1000, mm/1024 }'
}

"$bin" render --source embedded --target nftables --output "$work/current.nft"
rows=()
rows+=("| \`fetch --source embedded\` (class-data archive) | $(measure "$bin" fetch --source embedded) |")
rows+=("| \`fetch --source embedded\` (no archive, \`-Xshare:off\`) | $(CF_ALLOWLIST_JAVA_OPTS=-Xshare:off measure "$bin" fetch --source embedded) |")
rows+=("| \`plan --target nftables --current FILE\` (in sync) | $(measure "$bin" plan --source embedded --target nftables --current "$work/current.nft") |")

if [ "$(id -u)" -eq 0 ] && command -v nft >/dev/null && command -v ip >/dev/null; then
  ip netns add "$ns"
  in_ns=(ip netns exec "$ns")
  "${in_ns[@]}" "$bin" apply --source embedded --target nftables --state-dir "$work/state" >/dev/null
  rows+=("| \`apply --target nftables\` (in sync: reads only) | $(measure "${in_ns[@]}" "$bin" apply --source embedded --target nftables --state-dir "$work/state") |")
  "${in_ns[@]}" "$bin" apply --uninstall --target nftables --state-dir "$work/state" >/dev/null

  # A list far larger than Cloudflare's, to show it goes in as one transaction.
  n=${LARGE:-100000}
  python3 - "$n" >"$work/large.txt" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    print(f"{11 + i // 65536}.{(i // 256) % 256}.{i % 256}.0/24")
PY
  large=(--source "file:$work/large.txt" --family ipv4 --target nftables --state-dir "$work/state")
  start=$(date +%s.%N)
  /usr/bin/time -f "%e %M" -o "$work/large-install" "${in_ns[@]}" "$bin" apply "${large[@]}" >/dev/null
  rows+=("| \`apply\` of $n IPv4 ranges, first install (one \`nft -f\`) | $(awk '{printf "%.0f ms | %.0f ms | %.0f MiB", $1*1000, $1*1000, $2/1024}' "$work/large-install") |")
  RUNS=3
  runs=3
  rows+=("| \`apply\` of $n IPv4 ranges, in sync (reads only) | $(measure "${in_ns[@]}" "$bin" apply "${large[@]}") |")
  count=$("${in_ns[@]}" nft -j list set inet cf_allowlist cloudflare_v4 | grep -o '"prefix"' | wc -l)
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
} >"$out"
cat "$out"
