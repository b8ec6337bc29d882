#!/usr/bin/env bash
# Measures what a cron run costs against a bare JVM, firewalld against nftables, and the
# one-transaction apply against the per-range loops of popular scripts; writes docs/benchmarks.md.
#
#   bash docs/benchmarks/run.sh                 # every part; after: mvn -q -B -DskipTests package
#   bash docs/benchmarks/run.sh --everyday      # only the cold starts and the in-sync runs
#   bash docs/benchmarks/run.sh --firewalld     # only firewalld in sync against nftables in sync
#   bash docs/benchmarks/run.sh --peers         # only the per-range scripts against one apply
#   bash docs/benchmarks/run.sh --engine --scale  # only docs/benchmarks/engine.sh and scale.sh
#
# Each part replaces its own section of docs/benchmarks.md (between <!-- NAME:begin --> and
# <!-- NAME:end -->) and leaves the others as they are. Timing uses hyperfine (Debian package
# hyperfine), peak memory /usr/bin/time. Everything that touches a firewall runs as root inside
# network namespaces (and, for firewalld, a private D-Bus and /etc/firewalld; for ufw, a private
# copy of its files) that the script creates and deletes: the host's firewall is never touched.
#
# Environment: RUNS (timed runs per case, default 10), PEER_BUDGET (seconds a per-range loop may
# take before it is stopped and its rate extrapolated, default 30).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$PWD/cli/target/cf-allowlist
runs=${RUNS:-10}
budget=${PEER_BUDGET:-30}
out=docs/benchmarks.md
work=$(mktemp -d)
namespaces=()
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/firewalld/dbus/pid" ] && kill "$(cat "$work/firewalld/dbus/pid")" 2>/dev/null
  for n in "${namespaces[@]}"; do ip netns delete "$n" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

everyday=false firewalld=false peers=false engine=false scale=false
if [ $# -eq 0 ]; then
  everyday=true firewalld=true peers=true engine=true scale=true
fi
for arg in "$@"; do
  case "$arg" in
    --everyday) everyday=true ;;
    --firewalld) firewalld=true ;;
    --peers) peers=true ;;
    --engine) engine=true ;;
    --scale) scale=true ;;
    *) echo "run.sh: unknown option $arg (--everyday, --firewalld, --peers, --engine, --scale)" >&2; exit 1 ;;
  esac
done

[ -x "$bin" ] || { echo "build first: mvn -q -B -DskipTests package" >&2; exit 1; }
root=false
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && command -v nft >/dev/null; then
  root=true
fi
command -v hyperfine >/dev/null || { echo "run.sh needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }

# The launcher's JVM flags, so the bare JVM is measured with the same ones.
jvm_flags=$(sed -n 's/^flags="\(.*\)"$/\1/p' cli/src/main/launcher/cf-allowlist)
[ -n "$jvm_flags" ] || { echo "run.sh: no flags=\"...\" line in cli/src/main/launcher/cf-allowlist" >&2; exit 1; }
cat >"$work/Hello.java" <<'JAVA'
public class Hello { public static void main(String[] a) { System.out.println("hello"); } }
JAVA
javac -d "$work" "$work/Hello.java"
# shellcheck disable=SC2086
hello="java $jvm_flags -cp $work Hello"

# Creates the network namespace cfbench<pid>-NAME, deleted on exit, and sets $ns to its name.
newns() {
  ns=cfbench$$-$1
  ip netns add "$ns"
  namespaces+=("$ns")
}

# A network namespace with a private /run (so a root run's lock, /run/cf-allowlist.lock, is not
# shared with other runs on the machine), held by a sleeping process whose pid is printed; run
# commands in it with: nsenter --target $spid --mount --net -- COMMAND.
sandbox() {
  newns "$1"
  ip netns exec "$ns" unshare --mount --propagation private \
    sh -c 'mount -t tmpfs cfbench-run /run && exec sleep 3600' >/dev/null 2>&1 &
  spid=$!
  pids+=("$spid")
  sleep 0.3
}

# hyperfine's JSON (one file, or several rounds of the same commands) as table rows: "| name |
# median | min–max | ratio | CPU | CPU ratio |", the ratios to the first command; the rounds' times
# are pooled. CPU is user + system time (hyperfine's mean), which drifts less than wall time when
# other work shares the machine.
hyperfine_rows() {
  python3 - "$@" <<'PY'
import json, statistics, sys
rounds = [json.load(open(f))["results"] for f in sys.argv[1:]]
order = [r["command"] for r in rounds[0]]
pooled = {c: {"times": [], "cpu": []} for c in order}
for results in rounds:
    for r in results:
        pooled[r["command"]]["times"] += r["times"]
        pooled[r["command"]]["cpu"].append(r["user"] + r["system"])
base = statistics.median(pooled[order[0]]["times"])
base_cpu = statistics.mean(pooled[order[0]]["cpu"])
for c in order:
    t = sorted(pooled[c]["times"])
    m = statistics.median(t)
    cpu = statistics.mean(pooled[c]["cpu"])
    print(f"| {c} | {m*1000:.0f} ms | {t[0]*1000:.0f}–{t[-1]*1000:.0f} ms | {m/base:.2f}×"
          f" | {cpu*1000:.0f} ms | {cpu/base_cpu:.2f}× |")
PY
}

# Median of a column of numbers on stdin.
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

# Median peak RSS in MiB over 5 runs of "$@".
peak_rss() {
  local f="$work/rss"
  : >"$f"
  for _ in 1 2 3 4 5; do
    /usr/bin/time -f "%M" -a -o "$f" "$@" >/dev/null 2>&1 || true
  done
  median <"$f" | awk '{printf "%.0f MiB", $1/1024}'
}

# Replaces the section NAME of $out with the file $2 (appended when the section is new).
section() {
  local name=$1 body=$2
  [ -f "$out" ] || printf '# Benchmarks\n' >"$out"
  python3 - "$out" "$name" "$body" <<'PY'
import sys
path, name, body = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().rstrip("\n")
text = open(path).read()
begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
block = f"{begin}\n{body}\n{end}"
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    text = head + block + rest.split(end, 1)[1]
else:
    # Our own sections go before the engine and scale sections others write.
    marks = [text.find(m) for m in ("<!-- engine:begin -->", "<!-- scale:begin -->") if m in text]
    at = min(marks) if marks and name not in ("engine", "scale") else len(text)
    text = text[:at].rstrip("\n") + "\n\n" + block + "\n\n" + text[at:].lstrip("\n")
open(path, "w").write(text.rstrip("\n") + "\n")
PY
}

machine() {
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo),"
  echo "$(java -version 2>&1 | head -1), $(date -u +%Y-%m-%d); load average at the start:"
  echo "$(cut -d' ' -f1-3 /proc/loadavg) (other work shares the machine: compare ratios within a table)."
}

"$bin" render --source embedded --target nftables --output "$work/current.nft"

# ---- the everyday run
if $everyday; then
  cmds=(-n "bare JVM: java $jvm_flags Hello" "$hello"
        -n "plan --target nftables --current FILE (in sync)"
        "$bin plan --source embedded --target nftables --current $work/current.nft")
  if $root; then
    sandbox everyday
    apply="nsenter --target $spid --mount --net -- $bin apply --source embedded --target nftables --state-dir $work/state"
    # shellcheck disable=SC2086
    $apply >/dev/null
    cmds+=(-n "apply --target nftables --source embedded (in sync, in a namespace)" "$apply")
  fi
  # hyperfine runs one command's runs before the next command's: in rounds, the commands take
  # turns, so load that comes and goes while the script runs falls on all of them alike.
  rounds=4
  per_round=$(((runs + rounds - 1) / rounds))
  for round in $(seq 1 "$rounds"); do
    hyperfine -N --style none --warmup 2 --runs "$per_round" \
      --export-json "$work/everyday-$round.json" "${cmds[@]}" >/dev/null
  done
  {
    echo "## The everyday run"
    echo
    echo "A cron or timer run finds everything in sync. Median and min–max of $((per_round * rounds)) runs (hyperfine, in $rounds"
    echo "rounds of $per_round that take turns, each after 2 warm-up runs), and the ratio to a bare JVM printing"
    echo "\"hello\" with the launcher's flags (\`$jvm_flags\`), measured in the same rounds."
    echo
    machine
    echo
    echo "| case | median | min–max | ratio to the bare JVM | CPU | CPU ratio |"
    echo "|---|---|---|---|---|---|"
    hyperfine_rows "$work"/everyday-*.json
    echo
    echo "Peak RSS (median of 5 runs, \`/usr/bin/time\`): bare JVM $(peak_rss java $jvm_flags -cp "$work" Hello);"
    echo -n "in-sync plan $(peak_rss "$bin" plan --source embedded --target nftables --current "$work/current.nft")"
    if $root; then
      # shellcheck disable=SC2086
      echo "; in-sync apply $(peak_rss $apply)."
    else
      echo "; the apply needs root, nft and iproute2 (not measured)."
    fi
    echo
    echo "An in-sync apply reads the kernel once (\`nft -j list table\`) and writes nothing. Both commands"
    echo "start from the class-data archive \`cf-allowlist.jsa\` built at package time (and by the"
    echo "Debian package at install), trained on an in-sync plan of each target and an in-sync apply."
    CF_ALLOWLIST_JAVA_OPTS="-Xlog:class+load=info:file=$work/classes.txt" \
      "$bin" plan --source embedded --target nftables --current "$work/current.nft" >/dev/null
    echo "The in-sync plan loads $(grep -vc 'shared objects file' "$work/classes.txt") of its"
    echo "$(wc -l <"$work/classes.txt") classes from outside the archive."
    echo
    echo "What bounds the ratio. A class-load timeline of an in-sync apply (\`-Xlog:class+load\`, medians"
    echo "of 5 runs on a quiet machine): 35 ms until \`main\` (the bare JVM's share), 24 ms for picocli's own"
    echo "start, 15 ms to declare the command's options and read them, 6 ms for the JDK to find the tool's"
    echo "\`System.LoggerFinder\` (a service lookup, which also reads the JDK's security properties; a run"
    echo "pays it at its first log record, so an in-sync plan, which logs nothing, never does), 12 ms to"
    echo "take the lock and read the embedded list, 8 ms to start \`nft\` and read its JSON, 7 ms to compare"
    echo "and print. A cold-JVM probe of picocli alone: its first command model 11 ms, its first command line"
    echo "11 ms (4 ms of that the java.time and java.sql converters it registers by reflection; the run's own"
    echo "time handling loads most of those classes anyway, and leaving them out saved 1 ms end to end), then"
    echo "0.17 ms per option. What was cut, in alternating runs of the builds before and after (40 each,"
    echo "medians): the commands are declared through picocli's programmatic model, not its annotations"
    echo "(reading annotations generated a proxy class per annotation type and parsed each annotated member:"
    echo "in-sync apply 346 → 258 ms, plan 309 → 228 ms on a busier machine); the library's log records reach"
    echo "stderr through a \`System.LoggerFinder\` of the tool's own, so java.util.logging (about 30 ms in a cold"
    echo "JVM) starts only when OkHttp logs (apply 296 → 282 ms, plan 234 → 220 ms); lists and nft's JSON are"
    echo "read with jackson-core's streaming parser alone, since starting jackson-jr's object mapper (its"
    echo "writer loads the time-zone data) cost more than the parse, and picocli's handlers are a class that"
    echo "the archive holds (apply 129 → 123 ms, plan 113 → 109 ms); the launcher starts one compiler thread,"
    echo "not two that compete with the run on two cores (apply 115 → 112 ms, plan 108 → 102 ms, the bare"
    echo "JVM 33 ms either way); the library looks its loggers up at the first record, not when a class"
    echo "loads (plan 102 → 99 ms, apply unchanged: it logs each command it starts); the launcher names"
    echo "the main class instead of \`-jar\` (which read the jar's directory of 4,300 entries, 400 KB, a"
    echo "second time), finds its directory without starting \`readlink\` when called by its own path (not"
    echo "through a symlink such as the package's \`/usr/bin/cf-allowlist\`), and starts the young"
    echo "generation at 5 MiB, which holds the 3 MiB an in-sync run allocates, so the run ends before its"
    echo "first collection (2.5–3 ms before; 100 alternating runs: apply 119.9 → 116.0 ms, plan"
    echo "101.9 → 97.0 ms). The"
    echo "rounds above replace one hyperfine call per table, whose commands ran one after another and so"
    echo "met different load; without \`--verbose\` the tool runs its commands through the library's"
    echo "unlogged system runner, so an in-sync apply asks for no logger and the JDK's first lookup (the"
    echo "service search and the security properties above) never happens (100 alternating runs: apply"
    echo "115.8 → 112.5 ms); picocli is told to skip the java.time and java.sql converters it builds by"
    echo "reflection, which no option uses, and the embedded snapshot's recording time is read field by"
    echo "field rather than with \`Instant.parse\`, so an in-sync run with text output starts no java.time formatter (apply"
    echo "110.9 → 107.0 ms, plan 98.1 → 94.6 ms; skipping the converters alone had saved 1 ms, since the"
    echo "parse started the formatters anyway); the run reads the target's live state on a thread of its"
    echo "own while it loads the list, and renders the target's configuration while that reading runs"
    echo "(40 alternating runs: apply 112.5 → 108.1 ms). Tried without gain: looking the logger up while \`nft\` runs,"
    echo "\`-Djdk.lang.Process.launchMechanism=VFORK\`, \`-Xint\` (slower by a fifth), a jar without the"
    echo "annotation-only libraries (500 fewer entries: 0.5 ms). An ahead-of-time cache (JDK 24 and"
    echo "later keep classes loaded and linked between runs) could not be tried: Temurin 25.0.3 stops with an"
    echo "internal error (archiveHeapWriter.cpp:757) creating one from this jar."
  } >"$work/everyday.md"
  section everyday "$work/everyday.md"
fi

# ---- firewalld in sync against nftables in sync
if $firewalld; then
  if $root && command -v firewalld >/dev/null && command -v dbus-daemon >/dev/null; then
    newns firewalld
    fns=$ns
    fdir=$work/firewalld
    mkdir -p "$fdir/dbus" "$fdir/etc"
    cp -a /etc/firewalld/. "$fdir/etc/"
    # A private firewalld: its own /run, D-Bus and /etc/firewalld, in its own mount namespace.
    ip netns exec "$fns" unshare --mount --propagation private sh -c '
      set -e
      mount -t tmpfs -o mode=0755 cfbench-run /run
      mkdir -p /run/dbus
      mount --bind "$0/dbus" /run/dbus
      mount --bind "$0/etc" /etc/firewalld
      dbus-daemon --system --fork
      exec firewalld --nofork --nopid --log-target=file --log-file="$0/firewalld.log"' "$fdir" \
      >"$fdir/start.log" 2>&1 &
    pids+=($!)
    # ip netns exec, unshare and sh each exec the next: the pid is firewalld's.
    target_pid=${pids[-1]}
    inside() { nsenter --target "$target_pid" --mount --net -- "$@"; }
    sleep 0.5
    for _ in $(seq 400); do
      [ "$(inside firewall-cmd --state 2>/dev/null)" = running ] && break
      sleep 0.1
    done
    inside "$bin" apply --source embedded --target firewalld --state-dir "$work/fstate" >/dev/null
    sandbox nft-vs-firewalld
    napply="nsenter --target $spid --mount --net -- $bin apply --source embedded --target nftables --state-dir $work/nstate"
    # shellcheck disable=SC2086
    $napply >/dev/null
    # The one read an in-sync run makes, on its own: the script from the jar, the same six queries,
    # the PATH the tool runs commands with.
    python3 -c 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())' \
      "$(dirname "$bin")/cf-allowlist.jar" io/github/cfallowlist/adapter/firewalld/read-state.py \
      >"$work/read-state.py"
    queries=""
    for where in runtime permanent; do
      for what in zone=cloudflare ipset=cloudflare-v4 ipset=cloudflare-v6; do
        queries="$queries '$where --info-$what'"
      done
    done
    hyperfine -N --style none --warmup 2 --runs "$runs" --export-json "$work/firewalld.json" \
      -n "apply --target nftables (in sync)" "$napply" \
      -n "apply --target firewalld (in sync)" \
      "nsenter --target $target_pid --mount --net -- $bin apply --source embedded --target firewalld --state-dir $work/fstate" \
      -n "its read of firewalld alone (python3, six queries over D-Bus)" \
      "nsenter --target $target_pid --mount --net -- env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin python3 -I $work/read-state.py$queries" \
      -n "firewall-cmd --state (one firewall-cmd start, for scale)" \
      "nsenter --target $target_pid --mount --net -- firewall-cmd --state" >/dev/null
    {
      echo "## firewalld in sync"
      echo
      echo "An in-sync firewalld run reads the zone and both ipsets of the runtime and the permanent"
      echo "configuration in one Python process over D-Bus (firewall-cmd would take six), against the"
      echo "in-sync nftables run. Median and min–max of $runs runs, ratio to the nftables run. The"
      echo "read imports only python3-dbus and writes firewall-cmd's text itself: importing"
      echo "firewalld's own modules, as firewall-cmd does, takes longer than the six calls."
      echo
      machine
      echo
      echo "| case | median | min–max | ratio to nftables | CPU | CPU ratio |"
      echo "|---|---|---|---|---|---|"
      hyperfine_rows "$work/firewalld.json"
    } >"$work/firewalld.md"
    section firewalld "$work/firewalld.md"
    kill "$target_pid" 2>/dev/null || true
    kill "$(cat "$fdir/dbus/pid" 2>/dev/null)" 2>/dev/null || true
  else
    echo "run.sh: the firewalld part needs root, firewalld and dbus-daemon; skipped" >&2
  fi
fi

# ---- the per-range loops of popular scripts against one apply
# Runs "$@" once per line of $1 until the list ends or $budget seconds pass; prints
# "seconds done" (wall time of the lines that ran).
per_range() {
  local list=$1
  shift
  python3 - "$list" "$budget" "$@" <<'PY'
import subprocess, sys, time
lines = [l.strip() for l in open(sys.argv[1]) if l.strip()]
budget = float(sys.argv[2])
argv = sys.argv[3:]
start = time.monotonic()
done = 0
for cidr in lines:
    subprocess.run([a.replace("CIDR", cidr) for a in argv], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done += 1
    if time.monotonic() - start > budget:
        break
print(f"{time.monotonic() - start:.3f} {done}")
PY
}

# A table row for a loop that added $4 of $1 ranges in $3 seconds, against ours ($5 seconds).
peer_row() {
  local n=$1 label=$2 t=$3 done=$4 ours=$5
  if [ "$done" -eq "$n" ]; then
    printf '| %s | %s | %.2f s | %.0f× |\n' "$n" "$label" "$t" "$(echo "$t / $ours" | bc -l)"
  else
    local whole
    whole=$(echo "$t * $n / $done" | bc -l)
    printf '| %s | %s | ≈ %.0f s (stopped after %s ranges in %.0f s) | ≈ %.0f× |\n' \
      "$n" "$label" "$whole" "$done" "$t" "$(echo "$whole / $ours" | bc -l)"
  fi
}

if $peers; then
  if $root && command -v iptables >/dev/null; then
    rows=()
    for n in 1000 10000; do
      python3 - "$n" >"$work/list-$n.txt" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print(f"{11 + i // 65536}.{(i // 256) % 256}.{i % 256}.0/24")
PY
      # Ours: one apply of the whole list into a fresh namespace (first install).
      sandbox "ours-$n"
      s=$(date +%s.%N)
      nsenter --target "$spid" --mount --net -- "$bin" apply \
        --source "file:$work/list-$n.txt" --family ipv4 --target nftables --fallback none \
        --state-dir "$work/peers-$n" >/dev/null
      ours=$(echo "$(date +%s.%N) - $s" | bc)
      rows+=("| $n | cf-allowlist: one \`apply\` (one \`nft -f\` transaction, read back) | $(printf '%.2f s' "$ours") | 1 |")

      # One `nft add element` per range.
      newns "nft-$n"
      ip netns exec "$ns" nft 'add table inet peer; add set inet peer cf { type ipv4_addr; flags interval; }'
      read -r t done < <(per_range "$work/list-$n.txt" ip netns exec "$ns" nft add element inet peer cf '{ CIDR }')
      rows+=("$(peer_row "$n" "one \`nft add element\` per range" "$t" "$done" "$ours")")
      ip netns delete "$ns"

      # One `iptables -A` per range.
      newns "ipt-$n"
      read -r t done < <(per_range "$work/list-$n.txt" ip netns exec "$ns" iptables -w -A INPUT -s CIDR -p tcp -m multiport --dports 80,443 -j ACCEPT)
      rows+=("$(peer_row "$n" "one \`iptables -A\` per range" "$t" "$done" "$ours")")
      ip netns delete "$ns"

      # One `ufw allow` per range, ufw enabled in a namespace with a private copy of its files.
      if command -v ufw >/dev/null; then
        newns "ufw-$n"
        u=$work/ufw-$n
        mkdir -p "$u/etc/default" "$u/lib" "$u/usr/share"
        cp -a /etc/ufw "$u/etc/"; cp -a /lib/ufw "$u/lib/"; cp -a /usr/share/ufw "$u/usr/share/"
        sed "s|^IPT_SYSCTL=.*|IPT_SYSCTL=$u/etc/ufw/sysctl.conf|" /etc/default/ufw >"$u/etc/default/ufw"
        ufw=(ip netns exec "$ns" ufw --rootdir="$u" --datadir="$u")
        "${ufw[@]}" --force enable >/dev/null
        read -r t done < <(per_range "$work/list-$n.txt" "${ufw[@]}" allow proto tcp from CIDR to any port 443)
        rows+=("$(peer_row "$n" "one \`ufw allow\` per range (ufw enabled)" "$t" "$done" "$ours")")
        ip netns delete "$ns"
      fi
    done
    {
      echo "## Side by side with per-range scripts"
      echo
      echo "Popular scripts add Cloudflare's ranges one command per range. Here each loop installs a"
      echo "list of N IPv4 /24s into an empty network namespace, against one \`cf-allowlist apply\` of"
      echo "the same list (first install: render, one \`nft -f\` transaction, read back). A loop that"
      echo "would run longer than ${budget} s is stopped there and its time for the whole list"
      echo "extrapolated from the ranges it added (marked ≈; each of these commands rereads the rules"
      echo "it appends to, so the real time only grows faster)."
      echo
      machine
      echo
      echo "| ranges | approach | time | ratio to one apply |"
      echo "|---|---|---|---|"
      printf '%s\n' "${rows[@]}"
    } >"$work/peers.md"
    section peers "$work/peers.md"
  else
    echo "run.sh: the peers part needs root, nft, iptables and iproute2; skipped" >&2
  fi
fi

# ---- the parts other scripts measure
for part in engine scale; do
  if ${!part}; then
    script=docs/benchmarks/$part.sh
    if [ -x "$script" ]; then
      "$script"
    else
      echo "run.sh: $script is missing or not executable; its section is left as it is" >&2
    fi
  fi
done
cat "$out"
