#!/usr/bin/env bash
# bench/audit.sh: nstrace audit against Unbound (iterator only, cold cache),
# both resolving every domain of a generated lab world served by real NSDs
# (one per level) on loopback. See bench/README.md.
#
#   sudo bench/audit.sh                 # 10,000 domains
#   sudo N=2000 RUNS=3 bench/audit.sh   # smaller
#
# Environment: N (domains, 10000), SEED (1), RUNS (3), CONC (the
# concurrencies tried for each resolver, "32 128 512"; the best is kept),
# MAXQPS (nstrace's --max-qps-per-server, 1000000: no limit), QMIN (no:
# neither resolver minimises; yes: both do), QTYPE (A), UB_ADDR
# (127.53.0.1), UB_PORT (5335), UB_THREADS (number of CPUs), KEEP (1:
# keep the work directory), WORK (the work directory, default a new one in
# /tmp).
set -euo pipefail

N=${N:-10000}
SEED=${SEED:-1}
RUNS=${RUNS:-3}
CONC=${CONC:-"32 128 512"}
MAXQPS=${MAXQPS:-1000000}
QMIN=${QMIN:-no}
QTYPE=${QTYPE:-A}
UB_ADDR=${UB_ADDR:-127.53.0.1}
UB_PORT=${UB_PORT:-5335}
UB_THREADS=${UB_THREADS:-$(nproc)}
KEEP=${KEEP:-0}

die() { echo "bench/audit.sh: $*" >&2; exit 2; }
say() { echo "== $*" >&2; }

# Unbound reads root hints without a port: the lab's servers must listen on
# port 53, which only root may bind.
if [ "$(id -u)" != 0 ]; then
	die "must run as root: Unbound's root hints carry no port, so the lab's NSDs listen on port 53 (try: sudo N=$N $0)"
fi
for tool in go nsd nsd-control unbound dnsperf ss; do
	command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install golang nsd unbound dnsperf iproute2)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is not installed (apt-get install time)"
case "$QMIN" in yes | no) ;; *) die "QMIN must be yes or no" ;; esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-$(mktemp -d /tmp/nstrace-bench.XXXXXX)}
mkdir -p "$WORK"
NSD_PIDS=()
UB_TIME_PID=

cleanup() {
	set +e
	declare -F stop_unbound >/dev/null && stop_unbound
	# NSD ends its children (server, xfrd) when it gets SIGTERM.
	for pid in "${NSD_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${NSD_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ "$KEEP" = 1 ]; then
		echo "work directory kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build, generate, export -----------------------------------------------
say "building nstrace"
(cd "$ROOT" && go build -o "$WORK/nstrace" ./cmd/nstrace)
NST="$WORK/nstrace"
LABHELP=$("$NST" lab --help 2>&1 || true)
for sub in generate export-levels; do
	grep -Eq "^ +$sub( |,)" <<<"$LABHELP" ||
		die "this nstrace has no 'lab $sub' command (register labGenerateCommand and labExportLevelsCommand in cmd/nstrace/lab.go)"
done
grep -Eq "^ +audit( |,)" <<<"$("$NST" --help 2>&1 || true)" || die "this nstrace has no 'audit' command"
say "generating a world of $N domains (seed $SEED)"
"$NST" lab generate --domains "$N" --seed "$SEED" "$WORK/world" >"$WORK/generate.txt"
NSDDIR="$WORK/nsd"
"$NST" lab export-levels --port 53 --out "$NSDDIR" "$WORK/world" >/dev/null
HINTS="$NSDDIR/named.root"
LEVELS=$(awk '{print $1}' "$NSDDIR/servers.txt")
conf_of() { awk -v l="$1" '$1 == l {print $3}' "$NSDDIR/servers.txt"; }
grep -v '^#' "$WORK/world/domains.txt" | awk -v t="$QTYPE" 'NF {print $1 ". " t}' >"$WORK/queries.txt"
EXPECT_FAIL=$(awk '$2 == "lame-all"' "$WORK/world/expected.txt" | wc -l)

# --- the NSDs ----------------------------------------------------------------
# Nothing else may hold port 53 on the lab's addresses.
if ss -Hlun 'sport = :53' | awk '{print $4}' | grep -Eq '^(127\.[123]\.|0\.0\.0\.0:|\*:)'; then
	die "something already listens on port 53 on 127.1-3.x.y or on every address: $(ss -Hlunp 'sport = :53' | head -3)"
fi
say "starting one NSD per level: $(echo $LEVELS)"
for level in $LEVELS; do
	nsd -d -c "$(conf_of "$level")" >"$WORK/nsd-$level.out" 2>&1 &
	NSD_PIDS+=($!)
done
for level in $LEVELS; do
	for i in $(seq 600); do
		nsd-control -c "$(conf_of "$level")" status >/dev/null 2>&1 && break
		[ "$i" = 600 ] && die "NSD of level $level did not come up: $(cat "$WORK/nsd-$level.out")"
		sleep 0.1
	done
done
# NSD answers on its control socket once the zones are loaded; make sure
# the last address of every level answers too.
sleep 0.5

nsd_reset() { for level in $LEVELS; do nsd-control -c "$(conf_of "$level")" stats >/dev/null; done; }
# nsd_counts: "level count" lines.
nsd_counts() {
	for level in $LEVELS; do
		echo "$level $(nsd-control -c "$(conf_of "$level")" stats_noreset | awk -F= '$1 == "num.queries" {print $2}')"
	done
}

# four_levels COUNTS: the query counts of the levels, always four columns
# (0 for a level the world lacks), so that the columns after them stay put.
four_levels() { awk '{print $2} END {for (i = NR; i < 4; i++) print 0}' "$1"; }

# udp_drops: the kernel's count of UDP datagrams dropped for a full
# receive buffer (RcvbufErrors in /proc/net/snmp), all sockets.
udp_drops() { awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) col[$i] = i; h = 1 } else print $col["RcvbufErrors"] }' /proc/net/snmp; }

# nsd_cpu: the CPU seconds (user + system) used so far by every process of
# the lab's NSDs (main, server and xfrd processes). Their names hold
# spaces ("nsd: server 1"), so the fields are counted after the ")".
nsd_cpu() {
	local ticks=0 t pid
	for pid in $(pgrep -f "nsd -d -c $NSDDIR/" || true); do
		t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || continue
		ticks=$((ticks + ${t:-0}))
	done
	awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN {print t / hz}'
}

# timev FILE KEY: a value from the output of /usr/bin/time -v.
timev() { awk -F': ' -v k="$2" 'index($0, k) {print $2; exit}' "$1"; }
cpu_seconds() { awk -v u="$(timev "$1" 'User time')" -v s="$(timev "$1" 'System time')" 'BEGIN {print u + s}'; }

# --- one nstrace run ------------------------------------------------------
# run_nstrace CONC TAG RESULTS appends to RESULTS one line:
# "domains/s upstream-queries cpu-seconds peak-rss-kb failures udp-drops
# root tld sld sub nsd-cpu-seconds client-cpu-seconds" (the queries to each
# level, in the order of servers.txt; servers.txt has four levels).
run_nstrace() {
	local c=$1 tag=$2 res=$3 out="$WORK/audit-$2.jsonl"
	local qmin=()
	[ "$QMIN" = yes ] && qmin=(--qmin)
	nsd_reset
	local drops nsd0
	drops=$(udp_drops)
	nsd0=$(nsd_cpu)
	/usr/bin/time -v -o "$WORK/time-nstrace-$tag" "$NST" audit --hints "$HINTS" -4 --concurrency "$c" \
		--max-qps-per-server "$MAXQPS" --no-progress "${qmin[@]}" --out "$out" --summary "$WORK/summary-$tag" \
		"$WORK/world/domains.txt" 2>"$WORK/audit-$tag.err" || true # exit 1: some domains have errors, as designed
	local nsd1
	nsd1=$(nsd_cpu)
	nsd_counts >"$WORK/counts-nstrace-$tag"
	drops=$(($(udp_drops) - drops))
	local done
	done=$(wc -l <"$out")
	[ "$done" = "$N" ] || die "nstrace audit wrote $done results for $N domains: $(tail -3 "$WORK/audit-$tag.err")"
	local dps fails
	dps=$(awk '/^domains\/s/ {print $2}' "$WORK/summary-$tag")
	fails=$(grep -vc '"status":"answer"' "$out" || true)
	echo "$dps $(awk '{s += $2} END {print s}' "$WORK/counts-nstrace-$tag") $(cpu_seconds "$WORK/time-nstrace-$tag")" \
		"$(timev "$WORK/time-nstrace-$tag" 'Maximum resident')" "$fails" "$drops" $(four_levels "$WORK/counts-nstrace-$tag") \
		"$(awk -v a="$nsd0" -v b="$nsd1" 'BEGIN {print b - a}')" 0 >>"$res"
}

# --- one Unbound run: a fresh Unbound (cold cache) and dnsperf --------------
write_unbound_conf() {
	local d="$WORK/unbound"
	mkdir -p "$d"
	# Caches big enough for the run: nothing is evicted.
	local mb=$((N / 1000 * 2 + 32))
	cat >"$d/unbound.conf" <<EOF
# Unbound as a plain iterative resolver for bench/audit.sh: no validator,
# no cache module tricks, cold cache at every start.
server:
	interface: $UB_ADDR@$UB_PORT
	port: $UB_PORT
	do-ip4: yes
	do-ip6: no
	do-udp: yes
	do-tcp: yes
	access-control: 127.0.0.0/8 allow
	username: ""
	chroot: ""
	directory: "$d"
	pidfile: "$d/unbound.pid"
	use-syslog: no
	logfile: ""
	verbosity: 0
	log-queries: no
	log-replies: no
	log-servfail: no
	statistics-interval: 0
	module-config: "iterator"
	root-hints: "$HINTS"
	do-not-query-localhost: no
	qname-minimisation: $QMIN
	prefetch: no
	num-threads: $UB_THREADS
	so-reuseport: yes
	outgoing-range: 8192
	num-queries-per-thread: 4096
	msg-cache-size: ${mb}m
	rrset-cache-size: $((2 * mb))m
	infra-cache-numhosts: 100000
	key-cache-size: 1m
	neg-cache-size: 4m
	# dnsperf sends hundreds of queries at once: with the default
	# buffers the kernel drops some (RcvbufErrors) and dnsperf counts
	# them lost. As root, Unbound forces these sizes.
	so-rcvbuf: 8m
	so-sndbuf: 8m
	ratelimit: 0
	ip-ratelimit: 0
	unwanted-reply-threshold: 0
remote-control:
	control-enable: no
EOF
	unbound-checkconf "$d/unbound.conf" >/dev/null || die "unbound-checkconf $d/unbound.conf failed"
}

start_unbound() { # tag
	ss -Hlun "sport = :$UB_PORT" | grep -q "$UB_ADDR:$UB_PORT" && die "something already listens on $UB_ADDR@$UB_PORT"
	/usr/bin/time -v -o "$WORK/time-unbound-$1" unbound -d -c "$WORK/unbound/unbound.conf" >"$WORK/unbound-$1.out" 2>&1 &
	UB_TIME_PID=$!
	for i in $(seq 100); do
		ss -Hlun "sport = :$UB_PORT" | grep -q "$UB_ADDR:$UB_PORT" && [ -s "$WORK/unbound/unbound.pid" ] && return 0
		kill -0 "$UB_TIME_PID" 2>/dev/null || die "unbound exited: $(cat "$WORK/unbound-$1.out")"
		sleep 0.1
	done
	die "unbound did not come up on $UB_ADDR@$UB_PORT"
}

stop_unbound() {
	[ -n "$UB_TIME_PID" ] || return 0
	local pid
	# $UB_TIME_PID is /usr/bin/time; Unbound is its only child.
	pid=$(cat "$WORK/unbound/unbound.pid" 2>/dev/null || pgrep -P "$UB_TIME_PID" || true)
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$UB_TIME_PID" 2>/dev/null || break; sleep 0.1; done
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
	wait "$UB_TIME_PID" 2>/dev/null || true
	rm -f "$WORK/unbound/unbound.pid"
	UB_TIME_PID=
}

# run_unbound CONC TAG RESULTS: as run_nstrace, for Unbound driven by dnsperf.
run_unbound() {
	local c=$1 tag=$2 res=$3
	start_unbound "$tag"
	nsd_reset
	local drops nsd0 nsd1
	drops=$(udp_drops)
	nsd0=$(nsd_cpu)
	/usr/bin/time -v -o "$WORK/time-dnsperf-$tag" dnsperf -s "$UB_ADDR" -p "$UB_PORT" -d "$WORK/queries.txt" -c "$((c < 64 ? c : 64))" -q "$c" -t 10 \
		>"$WORK/dnsperf-$tag" 2>&1 || die "dnsperf failed: $(tail -5 "$WORK/dnsperf-$tag")"
	nsd1=$(nsd_cpu)
	nsd_counts >"$WORK/counts-unbound-$tag"
	drops=$(($(udp_drops) - drops))
	stop_unbound
	local qps sent noerror
	qps=$(awk '/Queries per second:/ {print $4}' "$WORK/dnsperf-$tag")
	sent=$(awk '/Queries sent:/ {print $3}' "$WORK/dnsperf-$tag")
	noerror=$(awk '/Response codes:/ {for (i = 1; i <= NF; i++) if ($i == "NOERROR") print $(i+1)}' "$WORK/dnsperf-$tag")
	echo "$qps $(awk '{s += $2} END {print s}' "$WORK/counts-unbound-$tag") $(cpu_seconds "$WORK/time-unbound-$tag")" \
		"$(timev "$WORK/time-unbound-$tag" 'Maximum resident')" "$((sent - ${noerror:-0}))" "$drops" $(four_levels "$WORK/counts-unbound-$tag") \
		"$(awk -v a="$nsd0" -v b="$nsd1" 'BEGIN {print b - a}')" "$(cpu_seconds "$WORK/time-dnsperf-$tag")" >>"$res"
}

write_unbound_conf

# --- find the best concurrency of each, then measure RUNS times ------------
# best RESOLVER sets BEST to the concurrency with the most domains/s.
best() {
	local r=$1 bestv=-1 v
	BEST=
	for c in $CONC; do
		"run_$r" "$c" "try-$c" "$WORK/tries-$r"
		v=$(tail -1 "$WORK/tries-$r" | awk '{print $1}')
		say "$r: concurrency $c: $v domains/s"
		if awk -v a="$v" -v b="$bestv" 'BEGIN {exit !(a > b)}'; then BEST=$c bestv=$v; fi
	done
}
say "nstrace audit: trying concurrency $CONC"
best nstrace
NST_C=$BEST
say "unbound + dnsperf: trying concurrency $CONC"
best unbound
UB_C=$BEST

for r in $(seq "$RUNS"); do
	say "run $r/$RUNS: nstrace (concurrency $NST_C)"
	run_nstrace "$NST_C" "run$r" "$WORK/results-nstrace"
	say "run $r/$RUNS: unbound (concurrency $UB_C)"
	run_unbound "$UB_C" "run$r" "$WORK/results-unbound"
done

# median COLUMN FILE
median() { awk -v c="$1" '{print $c}' "$2" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# --- the table ---------------------------------------------------------------
levels_line=$(echo $LEVELS)
awk -v n="$N" -v runs="$RUNS" -v nc="$NST_C" -v uc="$UB_C" -v expect="$EXPECT_FAIL" -v levels="$levels_line" -v qmin="$QMIN" -v qtype="$QTYPE" \
	-v ndps="$(median 1 "$WORK/results-nstrace")" -v udps="$(median 1 "$WORK/results-unbound")" \
	-v nq="$(median 2 "$WORK/results-nstrace")" -v uq="$(median 2 "$WORK/results-unbound")" \
	-v ncpu="$(median 3 "$WORK/results-nstrace")" -v ucpu="$(median 3 "$WORK/results-unbound")" \
	-v nrss="$(median 4 "$WORK/results-nstrace")" -v urss="$(median 4 "$WORK/results-unbound")" \
	-v nf="$(median 5 "$WORK/results-nstrace")" -v uf="$(median 5 "$WORK/results-unbound")" \
	-v nd="$(median 6 "$WORK/results-nstrace")" -v ud="$(median 6 "$WORK/results-unbound")" \
	-v nl1="$(median 7 "$WORK/results-nstrace")" -v ul1="$(median 7 "$WORK/results-unbound")" \
	-v nl2="$(median 8 "$WORK/results-nstrace")" -v ul2="$(median 8 "$WORK/results-unbound")" \
	-v nl3="$(median 9 "$WORK/results-nstrace")" -v ul3="$(median 9 "$WORK/results-unbound")" \
	-v nl4="$(median 10 "$WORK/results-nstrace")" -v ul4="$(median 10 "$WORK/results-unbound")" \
	-v nnsd="$(median 11 "$WORK/results-nstrace")" -v unsd="$(median 11 "$WORK/results-unbound")" \
	-v ncli="$(median 12 "$WORK/results-nstrace")" -v ucli="$(median 12 "$WORK/results-unbound")" -v cpus="$(nproc)" '
function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
function row(name, fmt, a, b) { printf "%-34s %12s %12s %10s\n", name, sprintf(fmt, a), sprintf(fmt, b), ratio(a, b) }
BEGIN {
	split(levels, L, " ")
	printf "\nnstrace audit vs Unbound (iterator only, cold cache): %d domains, medians of %d runs\n", n, runs
	printf "concurrency: nstrace --concurrency %d, dnsperf -q %d; QNAME minimisation: %s; one %s query per domain\n\n", nc, uc, qmin, qtype
	printf "%-34s %12s %12s %10s\n", "", "nstrace", "unbound", "ratio"
	row("domains/s", "%.0f", ndps, udps)
	row("upstream queries per domain", "%.2f", nq / n, uq / n)
	row("CPU us per domain", "%.0f", ncpu * 1e6 / n, ucpu * 1e6 / n)
	row("CPU us per upstream query", "%.1f", nq > 0 ? ncpu * 1e6 / nq : 0, uq > 0 ? ucpu * 1e6 / uq : 0)
	row("NSD CPU us per upstream query", "%.1f", nq > 0 ? nnsd * 1e6 / nq : 0, uq > 0 ? unsd * 1e6 / uq : 0)
	row("CPU us per domain, all processes", "%.0f", (ncpu + nnsd + ncli) * 1e6 / n, (ucpu + unsd + ucli) * 1e6 / n)
	row("  domains/s if " cpus " CPUs were all busy", "%.0f", cpus * n / (ncpu + nnsd + ncli), cpus * n / (ucpu + unsd + ucli))
	row("peak RSS MB", "%.1f", nrss / 1024, urss / 1024)
	row("failures (expected: " expect " lame-all)", "%d", nf, uf)
	row("kernel UDP drops (RcvbufErrors)", "%d", nd, ud)
	row("upstream queries, total", "%d", nq, uq)
	row("  to the " L[1] " level", "%d", nl1, ul1)
	row("  to the " L[2] " level", "%d", nl2, ul2)
	row("  to the " L[3] " level", "%d", nl3, ul3)
	if (L[4] != "") row("  to the " L[4] " level", "%d", nl4, ul4)
	# What the target of half of Unbound'"'"'s rate asks of nstrace: the run is
	# CPU-bound (the "if all busy" row), so the rate is the CPUs divided
	# by the CPU of every process per domain.
	if (udps > 0 && nq > 0) {
		budget = cpus * 1e6 / (0.5 * udps)
		others = (nnsd + ncli) * 1e6 / n
		printf "\nhalf of Unbound'"'"'s rate leaves %.0f CPU us per domain for all processes;\n", budget
		printf "NSD and the client take %.0f of them at %.2f queries per domain,\n", others, nq / n
		printf "so nstrace would have %.1f CPU us per upstream query (it used %.1f)\n", (budget - others) / (nq / n), ncpu * 1e6 / nq
	}
}'
echo
echo "per run (domains/s, upstream queries, CPU s, peak RSS KB, failures, UDP drops, queries per level: $levels_line, NSD CPU s, dnsperf CPU s):"
sed 's/^/  nstrace  /' "$WORK/results-nstrace"
sed 's/^/  unbound  /' "$WORK/results-unbound"
