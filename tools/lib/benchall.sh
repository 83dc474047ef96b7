# shellcheck shell=bash
#
# tools/bench all: every scenario of issue 16 on one lab, every system
# under test pinned to RELAY_CPU and the load generators and the origin to
# LOAD_CPU, the systems interleaved round by round (sourced by tools/bench
# after its helpers; it uses them: the lab, gh_start, the revproxy.sh and
# fwdproxy.sh writers, check_rev_hits, wrk_rev...).  See docs/benchmarks.md,
# "tools/bench all".
#
# Each round runs four groups, each over the systems that can do it, in an
# order that rotates from round to round:
#   miss   reverse proxy without a cache (gatehouse haproxy nginx varnish
#          squid ats): miss check (every request of a burst reaches the
#          origin), then miss-1k (wrk) and lat-miss (open loop)
#   hit    the same started again with a memory cache: hit check (no
#          request of a burst reaches the origin, the system's own hit mark
#          on every response: Cache-Status/Age, X-Cache-Status, X-Varnish,
#          X-Cache, Via), then hit-1k, hit-1m, hit-1k-close (wrk), lat-hit
#          (open loop), idle-10k and (Gatehouse) idle-100k
#   connect  forward proxies (gatehouse squid ats): one CONNECT tunnel
#          reading a tcpx source for SECONDS
#   relay  L4 relays (gatehouse haproxy): relay-bulk (tcpx down x1),
#          relay-rps (wrk keep-alive /1k.bin), relay-cps (wrk, a new
#          connection per request)
# then, with every system stopped, the testpmd ceiling (io forward on the
# same veths, net_af_packet and net_af_xdp).  Every measurement appends
# "round system scenario metric value" lines to a TSV file;
# tools/lib/bench_report.py turns it into docs/benchmarks.md's "Latest full
# run" and docs/bench/*.png.

BA_SYSTEMS=(gatehouse haproxy nginx varnish squid ats)
BA_ROUNDS=3
BA_QUICK=0
BA_ONLY=""            # --only GROUP,...: a subset of miss,hit,connect,relay,ceiling
BA_LAT_RATE=1000      # open-loop offered rate, requests/s (below every system's saturation here)
BA_LAT_CONNS=64
BA_IDLE=(10000)       # idle connections every system is asked to hold
BA_IDLE_BIG=100000    # and Gatehouse, which keeps no file descriptor per connection
BA_IDLE_PER_PROC=18000 # connections per bench_load.py idle process (RLIMIT_NOFILE 20000 here)
BA_IDLE_SRCS=20       # client addresses 198.18.N.10.. for the idle clients
BA_GH_VDEV=net_af_xdp # --gh-vdev: the vdev Gatehouse's ports use (net_af_xdp, the faster here, or net_af_packet)
BA_CONNECT_PORT=443   # tcpx source on DNS_IP:443: the port every forward proxy allows CONNECT to
BA_TSV=""
BA_META=""
BA_LOAD=$GH_ROOT/tools/lib/bench_load.py
BA_WRK_PCT=$GH_ROOT/tools/lib/wrk_pct.lua
BA_SYS=""             # the system being measured, its group, the round
BA_ROUND=0
BA_GH_STATS0=""

# ba_rec SCENARIO METRIC VALUE: one TSV line for the current system and round.
ba_rec() {
	[[ -n $3 ]] || return 0
	printf '%s\t%s\t%s\t%s\t%s\n' "$BA_ROUND" "$BA_SYS" "$1" "$2" "$3" >>"$BA_TSV"
}

# ba_meta KEY VALUE: one line of the run's description.
ba_meta() { printf '%s=%s\n' "$1" "$2" >>"$BA_META"; }

# core_busy_ticks CPU: the ticks CPU spent not idle (user nice system irq
# softirq steal) since boot, from /proc/stat.
core_busy_ticks() {
	awk -v c="cpu$1" '$1 == c {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat
}

# ba_gh_stats: the appliance's counters as "name value" lines (nothing for
# the kernel peers).
ba_gh_stats() {
	[[ $BA_SYS == gatehouse ]] || return 0
	"$GH_ROOT/tools/gatehousectl" -s "$CTL_SOCK" stats 2>/dev/null || true
}

# ba_gh_sum STATS0 STATS1 REGEX: the change of the counters whose names
# match REGEX, added up.
ba_gh_sum() {
	awk -v re="$3" 'NR == FNR {if ($1 ~ re) a[$1] = $2; next}
		$1 ~ re {s += $2 - a[$1]} END {printf "%.0f\n", s}' <(printf '%s\n' "$1") <(printf '%s\n' "$2")
}

# ba_begin / ba_end SCENARIO N UNIT_BYTES: around one measurement: the
# proxy's process-tree CPU time, its core's busy time, the appliance's own
# TSC accounting; ba_end records per N (requests, or MB for bulk) what they
# cost.
ba_begin() {
	BA_T0=$(proxy_ticks)
	BA_C0=$(core_busy_ticks "$RELAY_CPU")
	BA_W0=$(date +%s.%N)
	BA_GH_STATS0=$(ba_gh_stats)
}

ba_end() {
	local scen=$1 n=$2 t1 c1 w1 s1 secs cpu core busy io hz pk rx
	t1=$(proxy_ticks)
	c1=$(core_busy_ticks "$RELAY_CPU")
	w1=$(date +%s.%N)
	s1=$(ba_gh_stats)
	secs=$(awk -v a="$BA_W0" -v b="$w1" 'BEGIN {printf "%.3f", b - a}')
	cpu=$(cpu_s "$BA_T0" "$t1")
	core=$(cpu_s "$BA_C0" "$c1")
	ba_rec "$scen" proxy_cpu_s "$cpu"
	ba_rec "$scen" core_busy_s "$core"
	ba_rec "$scen" core_busy_share "$(awk -v c="$core" -v s="$secs" 'BEGIN {if (s > 0) printf "%.3f", c / s}')"
	ba_rec "$scen" per_proxy_cpu_s "$(awk -v n="$n" -v c="$cpu" 'BEGIN {if (c > 0) printf "%.0f", n / c}')"
	ba_rec "$scen" per_core_busy_s "$(awk -v n="$n" -v c="$core" 'BEGIN {if (c > 0) printf "%.0f", n / c}')"
	[[ $BA_SYS == gatehouse && -n $s1 ]] || return 0
	busy=$(ba_gh_sum "$BA_GH_STATS0" "$s1" '^worker\.busy_tsc$')
	io=$(ba_gh_sum "$BA_GH_STATS0" "$s1" '^worker\.busy_(rx|tx)_tsc$')
	hz=$(awk '$1 ~ /tsc_hz$/ {print $2; exit}' <<<"$s1")
	pk=$(ba_gh_sum "$BA_GH_STATS0" "$s1" '^port\.[a-z0-9_]+\.(rx|tx)_pkts$')
	rx=$(ba_gh_sum "$BA_GH_STATS0" "$s1" '^port\.[a-z0-9_]+\.rx_pkts$')
	ba_rec "$scen" gh_cycles_per_unit "$(awk -v b="$busy" -v n="$n" 'BEGIN {if (n > 0) printf "%.0f", b / n}')"
	ba_rec "$scen" gh_tsc_hz "$hz"
	ba_rec "$scen" gh_io_cycles_per_unit "$(awk -v b="$io" -v n="$n" 'BEGIN {if (n > 0) printf "%.0f", b / n}')"
	ba_rec "$scen" gh_per_busy_core_s "$(awk -v b="$busy" -v n="$n" -v h="$hz" 'BEGIN {if (b > 0 && h > 0) printf "%.0f", n / (b / h)}')"
	ba_rec "$scen" gh_busy_share "$(awk -v b="$busy" -v h="$hz" -v s="$secs" 'BEGIN {if (h > 0 && s > 0) printf "%.3f", b / h / s}')"
	ba_rec "$scen" gh_pps "$(awk -v p="$pk" -v s="$secs" 'BEGIN {if (s > 0) printf "%.0f", p / s}')"
	ba_rec "$scen" gh_rx_pps "$(awk -v p="$rx" -v s="$secs" 'BEGIN {if (s > 0) printf "%.0f", p / s}')"
}

# ba_wrk SCENARIO PATH PORT BODY_BYTES [WRK_ARG...]: a warm-up, then wrk for
# SECONDS_EACH (closed loop, saturation): req/s, Gbit/s of bodies, wrk's own
# p50/p99/p99.9 (tools/lib/wrk_pct.lua) and the costs (ba_end).
ba_wrk() {
	local scen=$1 path=$2 port=$3 body=$4 out n rps errs
	shift 4
	ba_wrk_run "$HTTP_WARMUP_S" "$path" "$port" "$@" >/dev/null || die "$BA_SYS $scen: wrk warm-up failed"
	ba_begin
	out=$(ba_wrk_run "$SECONDS_EACH" "$path" "$port" -s "$BA_WRK_PCT" "$@") || die "$BA_SYS $scen: wrk failed: $out"
	rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
	n=$(awk '$2 == "requests" && $3 == "in" {print $1; exit}' <<<"$out")
	[[ -n $rps && -n $n ]] || die "$BA_SYS $scen: no Requests/sec in wrk output: $out"
	ba_end "$scen" "$n"
	errs=$(awk '/Socket errors/ {gsub(/,/, ""); print $4 + $6 + $8 + $10} /Non-2xx/ {print $NF}' <<<"$out" |
		awk '{s += $1} END {print s + 0}')
	ba_rec "$scen" rps "$rps"
	ba_rec "$scen" gbps "$(awk -v r="$rps" -v b="$body" 'BEGIN {printf "%.3f", r * b * 8 / 1e9}')"
	ba_rec "$scen" errors "$errs"
	ba_rec "$scen" sat_p50_us "$(kv p50_us "$out")"
	ba_rec "$scen" sat_p99_us "$(kv p99_us "$out")"
	ba_rec "$scen" sat_p999_us "$(kv p999_us "$out")"
	say "$BA_SYS $scen: $rps req/s, p99 $(kv p99_us "$out") us, errors $errs"
}

# ba_wrk_run SECONDS PATH PORT [WRK_ARG...]: wrk -t1 -c WRK_CONNS GET PATH
# on INSIDE_IP:PORT with Host REV_HOST, on the load CPU.
ba_wrk_run() {
	local s=$1 path=$2 port=$3
	shift 3
	timeout -k 5 $((s + 30)) ip netns exec "$CLIENT_NS" taskset -c "$LOAD_CPU" \
		wrk -t1 -c"$WRK_CONNS" -d"${s}s" --timeout 5s -H "Host: $REV_HOST" "$@" \
		"http://$INSIDE_IP:$port$path" 2>&1
}

# ba_openloop SCENARIO PATH: BA_LAT_RATE requests/s on a fixed timetable for
# SECONDS_EACH (tools/lib/bench_load.py openloop): p50/p99/p99.9 from each
# request's due time.
ba_openloop() {
	local scen=$1 path=$2 out
	ba_begin
	out=$(timeout -k 5 $((SECONDS_EACH + 60)) ip netns exec "$CLIENT_NS" taskset -c "$LOAD_CPU" \
		"$GH_PY" "$BA_LOAD" openloop "$INSIDE_IP:$REV_PORT" "$path" --host "$REV_HOST" \
		--rate "$BA_LAT_RATE" --seconds "$SECONDS_EACH" --conns "$BA_LAT_CONNS" 2>&1) ||
		die "$BA_SYS $scen: open-loop client failed: $out"
	ba_end "$scen" "$(kv "done" "$out")"
	ba_rec "$scen" rps "$(kv rate "$out")"
	ba_rec "$scen" errors "$(kv errors "$out")"
	ba_rec "$scen" p50_us "$(kv p50_us "$out")"
	ba_rec "$scen" p99_us "$(kv p99_us "$out")"
	ba_rec "$scen" p999_us "$(kv p999_us "$out")"
	ba_rec "$scen" gen_late_ms "$(kv late_ms_max "$out")"
	say "$BA_SYS $scen: $BA_LAT_RATE req/s offered: $out"
}

# ba_idle_srcs_up: BA_IDLE_SRCS more client addresses (198.18.N.10..) on
# the client's eth0, for the idle clients' source ports.
ba_idle_srcs_up() {
	local i
	for ((i = 10; i < 10 + BA_IDLE_SRCS; i++)); do
		ip -n "$CLIENT_NS" addr replace "198.18.$LAB_INDEX.$i/24" dev eth0 || return 1
	done
}

ba_idle_srcs() {
	local i list=""
	for ((i = 10; i < 10 + BA_IDLE_SRCS; i++)); do list+="${list:+,}198.18.$LAB_INDEX.$i"; done
	printf '%s\n' "$list"
}

# ba_proxy_conns: established TCP connections the system holds on
# INSIDE_IP:REV_PORT (the kernel's for the peers; for the appliance its
# gauge of client sessions open now: tcp.conns_in_use would count the
# TIME-WAIT left by the close scenarios too).
ba_proxy_conns() {
	if [[ $BA_SYS == gatehouse ]]; then
		"$GH_ROOT/tools/gatehousectl" -s "$CTL_SOCK" stats 2>/dev/null |
			awk '$1 == "proxy.fwd_sessions_in_use" {print $2; f = 1; exit} END {if (!f) print "?"}'
	else
		ip netns exec "$APP_NS" ss -Htn state established "sport = :$REV_PORT" 2>/dev/null | wc -l
	fi
}

# ba_hugetlb_kb PID: HugetlbPages (kB) of PID.
ba_hugetlb_kb() { awk '$1 == "HugetlbPages:" {print $2; f = 1} END {if (!f) print 0}' "/proc/$1/status" 2>/dev/null; }

# ba_idle N: open N idle connections to the system (several bench_load.py
# idle processes, BA_IDLE_PER_PROC each, from the client addresses above),
# hold them, and record how many the system holds and what they cost in
# memory: RSS of its process tree and hugepages in use, per connection.
ba_idle() {
	local want=$1 scen="idle-$(($1 / 1000))k" procs i per rss0 rss1 hp0 hp1 held est=0 log pid hold n
	local -a pids=() logs=()
	procs=$(((want + BA_IDLE_PER_PROC - 1) / BA_IDLE_PER_PROC))
	per=$(((want + procs - 1) / procs))
	hold=$((SECONDS_EACH + 60))
	rss0=$(proc_tree_rss_kb "$RELAY_PID")
	hp0=$(ba_hugetlb_kb "$RELAY_PID")
	for ((i = 0; i < procs; i++)); do
		((i < procs - 1)) || per=$((want - per * (procs - 1)))
		log=$STATE_DIR/bench-idle-$i.log
		: >"$log"
		ip netns exec "$CLIENT_NS" taskset -c "$LOAD_CPU" "$GH_PY" "$BA_LOAD" idle \
			"$INSIDE_IP:$REV_PORT" --conns "$per" --src "$(ba_idle_srcs)" --hold "$hold" \
			--connect-timeout 60 </dev/null >"$log" 2>&1 &
		pid=$!
		STARTED+=("$pid")
		pids+=("$pid")
		logs+=("$log")
	done
	for log in "${logs[@]}"; do
		wait_until 900 grep -q '^established=' "$log" || warn "$BA_SYS $scen: an idle client did not report"
		n=$(kv established "$(cat "$log")" || true)
		est=$((est + ${n:-0}))
	done
	sleep 1
	held=$(ba_proxy_conns)
	rss1=$(proc_tree_rss_kb "$RELAY_PID")
	hp1=$(ba_hugetlb_kb "$RELAY_PID")
	for pid in "${pids[@]}"; do stop_pid "$pid" 50 || warn "idle client $pid did not stop"; done
	ba_rec "$scen" conns_wanted "$want"
	ba_rec "$scen" conns_established "$est"
	ba_rec "$scen" conns_held "$held"
	ba_rec "$scen" rss_mib "$(awk -v a="$rss1" 'BEGIN {printf "%.1f", a / 1024}')"
	ba_rec "$scen" rss_bytes_per_conn "$(awk -v a="$rss0" -v b="$rss1" -v n="$est" 'BEGIN {if (n > 0) printf "%.0f", (b - a) * 1024 / n}')"
	ba_rec "$scen" hugetlb_mib "$(awk -v a="$hp1" 'BEGIN {printf "%.0f", a / 1024}')"
	ba_rec "$scen" hugetlb_bytes_per_conn "$(awk -v a="$hp0" -v b="$hp1" -v n="$est" 'BEGIN {if (n > 0) printf "%.0f", (b - a) * 1024 / n}')"
	say "$BA_SYS $scen: $est of $want established, the system holds $held; RSS $((rss0 / 1024)) -> $((rss1 / 1024)) MiB, hugepages $((hp0 / 1024)) -> $((hp1 / 1024)) MiB"
	# Let the system see the closes before the next scenario.
	sleep 2
}

# --------------------------------------------------------------- systems ---

# ba_version SYSTEM: "Name version".
ba_version() {
	case $1 in
	gatehouse) printf 'Gatehouse %s' "$("$GH_APP" --version 2>/dev/null | head -n1)" ;;
	haproxy | nginx | varnish) rev_kind_version "$1" ;;
	squid) printf 'Squid %s' "$(squid -v | awk 'NR == 1 {print $4}')" ;;
	ats) printf 'ATS %s' "$(traffic_server -V 2>/dev/null | awk '/^Traffic Server/ {print $3; exit}')" ;;
	esac
}

# ba_gh_tune FILE: what a Gatehouse config needs for bench all: room for
# BA_IDLE_BIG connections on its one worker (tcp max-conns) and the
# hugepage memory for their TCBs; with --gh-vdev net_af_xdp (the default)
# its ports on net_af_xdp (one queue each) instead of the lab's
# net_af_packet.
ba_gh_tune() {
	sed -i 's/^\(    memory-mb\) .*/\1 768/' "$1"
	if [[ $BA_GH_VDEV == net_af_xdp ]]; then
		sed -i -E 's/^(    device )net_af_packet([0-9]+),iface=([a-z0-9]+)$/\1net_af_xdp\2,iface=\3,start_queue=0,queue_count=1/' "$1"
	fi
	printf '\ntcp\n    max-conns 131072\n' >>"$1"
}

# ba_start SYSTEM GROUP: start SYSTEM configured for GROUP (miss, hit,
# connect, relay); RELAY_PID is its PID.
ba_start() {
	local sys=$1 group=$2 cmb=0 dir=$STATE_DIR/ba-$1-$2 conf
	[[ $group != hit ]] || cmb=$CACHE_MB
	rm -rf "$dir" "${REV_SCRATCH:?}/$sys"
	mkdir -p "$dir" "$REV_SCRATCH/$sys"
	say "$sys: $group, CPU $RELAY_CPU (round $BA_ROUND)"
	if [[ $sys == gatehouse ]]; then
		conf=$dir/gatehouse.conf
		case $group in
		miss) write_gatehouse_rev_conf "$conf" 0 ;;
		hit) write_gatehouse_rev_conf "$conf" 1 ;;
		connect) CACHE=0 write_gatehouse_fwd_conf "$conf" ;;
		relay) write_gatehouse_conf "$conf" ;;
		esac
		ba_gh_tune "$conf"
		"$GH_APP" -c "$conf" --check >"$dir/check.log" 2>&1 || die "gatehouse rejects $conf: $(cat "$dir/check.log")"
		gh_start "$conf" "$dir/gatehouse.log"
		return
	fi
	case $group in
	miss | hit)
		case $sys in
		haproxy) revproxy_haproxy_conf "$dir/haproxy-rev.cfg" "$INSIDE_IP" "$REV_PORT" "$ORIGIN_IP" "$cmb" ;;
		nginx) revproxy_nginx_conf "$dir" "$REV_SCRATCH/$sys" "$INSIDE_IP" "$REV_PORT" "$ORIGIN_IP" "$cmb" ;;
		varnish) revproxy_varnish_vcl "$dir/varnish-rev.vcl" "$ORIGIN_IP" "$cmb" ;;
		squid) revproxy_squid_conf "$dir" "$INSIDE_IP" "$REV_PORT" "$ORIGIN_IP" "$REV_HOST" \
			"198.18.$LAB_INDEX.0/24" "$cmb" ;;
		ats) revproxy_ats_conf "$dir" "$INSIDE_IP" "$REV_PORT" "$OUTSIDE_IP" "$ORIGIN_IP" "$REV_HOST" \
			"198.18.$LAB_INDEX.0/24" "$cmb" ;;
		esac || die "bad $sys config"
		;;
	connect)
		case $sys in
		squid) squid_write_conf "$dir" "$INSIDE_IP" "$HTTP_PORT" "$OUTSIDE_IP" "$DNS_IP" "198.18.$LAB_INDEX.0/24" 30 0 ;;
		ats) ats_write_conf "$dir" "$INSIDE_IP" "$HTTP_PORT" "$OUTSIDE_IP" "$DNS_IP" "198.18.$LAB_INDEX.0/24" 30 0 ;;
		esac || die "bad $sys config"
		;;
	relay)
		haproxy_write_conf "$dir/haproxy.cfg" "$OUTSIDE_IP" \
			"$INSIDE_IP:$PORT_SOURCE=$ORIGIN_IP:$PORT_SOURCE" \
			"$INSIDE_IP:$PORT_HTTP=$ORIGIN_IP:80" \
			"$INSIDE_IP:$PORT_ECHO=$ORIGIN_IP:$PORT_ECHO" || die "bad haproxy config"
		;;
	esac
	relay_addrs_up "$APP_NS" "$INSIDE_IP" "$OUTSIDE_IP" || die "cannot put kernel addresses on in0/out0"
	case $sys in
	haproxy | nginx | varnish)
		if [[ $group == relay ]]; then
			RELAY_PID=$(haproxy_start "$APP_NS" "$dir/haproxy.cfg" "$dir/proxy.pid" "$dir/proxy.log" "$RELAY_CPU")
		else
			RELAY_PID=$(revproxy_start "$sys" "$APP_NS" "$dir" "$REV_SCRATCH/$sys" "$dir/proxy.pid" "$dir/proxy.log" \
				"$RELAY_CPU" "$INSIDE_IP" "$REV_PORT" "$cmb")
		fi
		;;
	squid | ats)
		local port=$REV_PORT
		[[ $group != connect ]] || port=$HTTP_PORT
		RELAY_PID=$(fwdproxy_start "$sys" "$APP_NS" "$dir" "$dir/proxy.pid" "$dir/proxy.log" "$RELAY_CPU" "$port")
		;;
	esac
	[[ -n $RELAY_PID ]] || die "$sys did not start ($group); logs in $dir"
	STARTED+=("$RELAY_PID")
}

# ba_stop SYSTEM GROUP: stop it (by PID), check it stayed on its CPU.
ba_stop() {
	if [[ $1 == gatehouse ]]; then
		gh_stop
		return
	fi
	proc_tree_pinned "$RELAY_PID" "$RELAY_CPU" || die "$1: threads off CPU $RELAY_CPU after the $2 runs"
	fwdproxy_stop "$STATE_DIR/ba-$1-$2/proxy.pid"
	RELAY_PID=""
	relay_addrs_down "$APP_NS" "$INSIDE_IP" "$OUTSIDE_IP"
}

# ------------------------------------------------------------------ groups ---

ba_group_miss() {
	check_rev_misses "$BA_SYS" "$REV_MISS"
	ba_wrk miss-1k "$REV_MISS" "$REV_PORT" 1024
	ba_openloop lat-miss "$REV_MISS"
}

ba_group_hit() {
	local n
	check_rev_hits "$BA_SYS" "$REV_HIT_1K"
	check_rev_hits "$BA_SYS" "$REV_HIT_1M"
	ba_wrk hit-1k "$REV_HIT_1K" "$REV_PORT" 1024
	ba_wrk hit-1m "$REV_HIT_1M" "$REV_PORT" 1048576
	ba_wrk hit-1k-close "$REV_HIT_1K" "$REV_PORT" 1024 -H "Connection: close"
	ba_openloop lat-hit "$REV_HIT_1K"
	for n in "${BA_IDLE[@]}"; do ba_idle "$n"; done
	[[ $BA_SYS != gatehouse ]] || ba_idle "$BA_IDLE_BIG"
}

ba_group_connect() {
	local out
	ba_begin
	out=$(timeout -k 5 $((SECONDS_EACH + 30)) ip netns exec "$CLIENT_NS" taskset -c "$LOAD_CPU" \
		"$GH_PY" "$BA_LOAD" connect "$INSIDE_IP:$HTTP_PORT" "$DNS_IP:$BA_CONNECT_PORT" \
		--seconds "$SECONDS_EACH" 2>&1) || die "$BA_SYS: CONNECT tunnel failed: $out"
	ba_end connect-bulk "$(awk -v b="$(kv bytes "$out")" 'BEGIN {printf "%.0f", b / 1e6}')"
	ba_rec connect-bulk mbps "$(kv MBps "$out")"
	ba_rec connect-bulk gbps "$(awk -v m="$(kv MBps "$out")" 'BEGIN {printf "%.3f", m * 8 / 1000}')"
	say "$BA_SYS connect-bulk: $out"
}

ba_group_relay() {
	local out
	probe_relay "$BA_SYS" || die "$BA_SYS does not relay"
	ba_begin
	out=$(timeout -k 5 $((SECONDS_EACH + 30)) ip netns exec "$CLIENT_NS" taskset -c "$LOAD_CPU" \
		"$GH_PY" "$TCPX" client --connect "$INSIDE_IP:$PORT_SOURCE" --streams 1 \
		--duration "$SECONDS_EACH" --timeout $((SECONDS_EACH + 20)) --pattern repeat --recv 1 2>&1) ||
		die "$BA_SYS relay-bulk: tcpx failed: $(tail -n 3 <<<"$out")"
	ba_end relay-bulk "$(awk -v m="$(kv recv_MBps "$out")" -v s="$(kv seconds "$out")" 'BEGIN {printf "%.0f", m * s}')"
	ba_rec relay-bulk mbps "$(kv recv_MBps "$out")"
	ba_rec relay-bulk gbps "$(awk -v m="$(kv recv_MBps "$out")" 'BEGIN {printf "%.3f", m * 8 / 1000}')"
	say "$BA_SYS relay-bulk: $(kv recv_MBps "$out") MB/s"
	ba_wrk relay-rps /1k.bin "$PORT_HTTP" 1024
	ba_wrk relay-cps /1k.bin "$PORT_HTTP" 1024 -H "Connection: close"
}

# ba_group_systems GROUP: the systems of BA_SYSTEMS that can do GROUP.
ba_group_systems() {
	local s
	for s in "${BA_SYSTEMS[@]}"; do
		case $1:$s in
		connect:haproxy | connect:nginx | connect:varnish) ;;
		relay:nginx | relay:varnish | relay:squid | relay:ats) ;;
		*) printf '%s\n' "$s" ;;
		esac
	done
}

ba_want() { [[ -z $BA_ONLY ]] || [[ ,$BA_ONLY, == *,$1,* ]]; }

# ba_round R: one round: each group, its systems rotated by R.
ba_round() {
	local g k n
	local -a list
	BA_ROUND=$1
	for g in miss hit connect relay; do
		ba_want "$g" || continue
		mapfile -t list < <(ba_group_systems "$g")
		n=${#list[@]}
		((n > 0)) || continue
		for ((k = 0; k < n; k++)); do
			BA_SYS=${list[(k + BA_ROUND - 1) % n]}
			ba_start "$BA_SYS" "$g"
			"ba_group_$g"
			ba_stop "$BA_SYS" "$g"
		done
	done
	BA_SYS=""
}

# ---------------------------------------------------------------- ceiling ---

# ba_testpmd VDEV MODE: DPDK testpmd on the appliance namespace's in0 and
# out0 through VDEV (net_af_packet or net_af_xdp), its forwarding lcore on
# RELAY_CPU, for SECONDS_EACH.  MODE io: io forward between the two ports;
# the client and the origin get on-link routes to each other for the while
# (the lab's own design has none) and one tcpx stream runs from the
# origin's source to the client through it: frames forwarded per second.
# MODE txonly: testpmd sends 64-byte frames out of both ports as fast as
# the vdev takes them (the kernel peers drop them): the send ceiling in
# frames per second.  Records ceiling-VDEV-MODE pps (and mbps for io), or
# the reason testpmd could not run.
ba_testpmd() {
	local vdev=$1 mode=$2 prefix="gh-$LAB-tp" log=$STATE_DIR/testpmd-$1-$2.log pid out="" fwd secs
	local args0="iface=in0" args1="iface=out0"
	local -a txargs=()
	BA_SYS=testpmd
	# busy_budget=0 as the appliance's ports have it (drivers/net/port.c): no
	# recvfrom() per RX burst
	[[ $vdev != net_af_xdp ]] || {
		args0+=",start_queue=0,queue_count=1,busy_budget=0"
		args1+=",start_queue=0,queue_count=1,busy_budget=0"
	}
	[[ $mode != txonly ]] || txargs=(--txpkts=64)
	relay_addrs_down "$APP_NS" "$INSIDE_IP" "$OUTSIDE_IP"
	ip netns exec "$APP_NS" dpdk-testpmd --no-pci --file-prefix "$prefix" -m 256 \
		--lcores "0@$LOAD_CPU,1@$RELAY_CPU" --vdev "${vdev}0,$args0" --vdev "${vdev}1,$args1" -- \
		--forward-mode="$mode" --nb-cores=1 --stats-period 1 "${txargs[@]}" </dev/null >"$log" 2>&1 &
	pid=$!
	STARTED+=("$pid")
	if ! wait_until 150 grep -q 'Rx-pps' "$log"; then
		out=$(grep -m1 -iE 'error|fail|cannot|refus' "$log" | tr -s ' ' | cut -c1-200)
		stop_pid "$pid" 30 || true
		ba_meta "ceiling_${vdev}_${mode}_error" "${out:-testpmd did not start (see $log)}"
		warn "testpmd $mode on $vdev did not run: ${out:-see $log}"
		rm -rf "/dev/hugepages/${prefix}"* "/var/run/dpdk/$prefix"
		return 0
	fi
	if [[ $mode == io ]]; then
		ip -n "$CLIENT_NS" route replace "198.19.$LAB_INDEX.0/24" dev eth0
		ip -n "$ORIGIN_NS" route replace "198.18.$LAB_INDEX.0/24" dev eth0
		out=$(timeout -k 5 $((SECONDS_EACH + 40)) ip netns exec "$CLIENT_NS" taskset -c "$LOAD_CPU" \
			"$GH_PY" "$TCPX" client --connect "$ORIGIN_IP:$PORT_SOURCE" --streams 1 \
			--duration "$SECONDS_EACH" --timeout $((SECONDS_EACH + 30)) --pattern repeat --recv 1 2>&1) || true
	else
		sleep "$SECONDS_EACH"
	fi
	kill -INT "$pid" 2>/dev/null || true
	wait_until 100 grep -q 'Bye' "$log" || true
	stop_pid "$pid" 30 || warn "testpmd $pid did not stop"
	ip -n "$CLIENT_NS" route del "198.19.$LAB_INDEX.0/24" dev eth0 2>/dev/null || true
	ip -n "$ORIGIN_NS" route del "198.18.$LAB_INDEX.0/24" dev eth0 2>/dev/null || true
	rm -rf "/dev/hugepages/${prefix}"* "/var/run/dpdk/$prefix"
	if [[ $mode == txonly ]]; then
		# Per-second Tx-pps of the two ports, added up per period; the
		# median of the periods (the first and last are partial).
		fwd=$(awk '/Tx-pps:/ {v[n++] = $2} END {
			for (i = 0; i + 1 < n; i += 2) s[m++] = v[i] + v[i + 1]
			if (m > 2) {delete s[0]; delete s[m - 1]}
			k = 0; for (i in s) t[++k] = s[i]
			for (i = 2; i <= k; i++) for (j = i; j > 1 && t[j - 1] > t[j]; j--) {x = t[j]; t[j] = t[j - 1]; t[j - 1] = x}
			if (k) print t[int((k + 1) / 2)]}' "$log")
		[[ -n $fwd && $fwd != 0 ]] || { ba_meta "ceiling_${vdev}_${mode}_error" "no Tx-pps in $log"; return 0; }
		ba_rec "ceiling-$vdev-txonly" pps "$fwd"
		say "testpmd txonly $vdev: $fwd frames/s sent (64 bytes, both ports)"
		return 0
	fi
	secs=$(kv seconds "$out" || true)
	# The totals testpmd prints on exit ("Accumulated forward statistics
	# for all ports"): TX-packets, the frames it forwarded.
	fwd=$(awk '/Accumulated forward statistics for all ports/ {f = 1} f && /TX-packets:/ {print $2; exit}' "$log")
	if [[ -z $secs || -z $fwd || $fwd == 0 ]]; then
		ba_meta "ceiling_${vdev}_${mode}_error" "no traffic through testpmd: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
		return 0
	fi
	ba_rec "ceiling-$vdev-io" pps "$(awk -v f="$fwd" -v s="$secs" 'BEGIN {printf "%.0f", f / s}')"
	ba_rec "ceiling-$vdev-io" mbps "$(kv recv_MBps "$out")"
	say "testpmd io $vdev: $fwd frames forwarded in $secs s, $(kv recv_MBps "$out") MB/s through it"
}

# --------------------------------------------------------------------- main ---

# ba_rps_on: every veth end steers its receive work to LOAD_CPU (RPS), as
# a NIC interrupt on another core would: the client's and origin's eth0
# and the appliance namespace's in0/out0, for every system alike (issue 16,
# item 4).
ba_rps_on() {
	local mask dev
	mask=$(printf '%x' $((1 << LOAD_CPU)))
	for dev in "$CLIENT_NS:eth0" "$APP_NS:in0" "$APP_NS:out0" "$ORIGIN_NS:eth0"; do
		ip netns exec "${dev%%:*}" sh -c "echo $mask > /sys/class/net/${dev#*:}/queues/rx-0/rps_cpus" ||
			die "cannot set RPS on ${dev#*:} in ${dev%%:*}"
	done
	ba_meta rps "rps_cpus $mask (CPU $LOAD_CPU) on client eth0, appliance in0/out0, origin eth0"
}

main_all() {
	local r sys s out commit pid
	BA_TSV=$STATE_DIR/bench-all.tsv
	BA_META=$STATE_DIR/bench-all.meta
	: >"$BA_TSV"
	: >"$BA_META"
	REV_SCRATCH=$(rev_scratch_dir)
	mkdir -p "$REV_SCRATCH"
	# Varnish closes a connection without a request after 5 s by default:
	# the idle scenarios hold theirs longer.
	# shellcheck disable=SC2034 # read by revproxy_start
	REV_VARNISH_ARGS=(-p timeout_idle=120)
	ba_rps_on
	ba_idle_srcs_up || die "cannot add the idle clients' addresses"
	start_origin_tcpx source "$PORT_SOURCE" source --bytes 0 --pattern repeat
	start_origin_tcpx echo "$PORT_ECHO" echo
	pid=$(bg_start "$STATE_DIR/bench-tcpx-connect.log" ip netns exec "$ORIGIN_NS" taskset -c "$LOAD_CPU" \
		"$GH_PY" "$TCPX" serve --listen "$DNS_IP:$BA_CONNECT_PORT" --mode source --bytes 0 \
		--pattern repeat --lifetime 7200 --tag "$STATE_DIR")
	STARTED+=("$pid")
	wait_until 50 grep -q '^tcpx listening' "$STATE_DIR/bench-tcpx-connect.log" || die "tcpx on :$BA_CONNECT_PORT did not start"
	commit=$(git -C "$GH_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	ba_meta date "$(date -u +%Y-%m-%dT%H:%MZ)"
	ba_meta quick "$BA_QUICK"
	ba_meta rounds "$BA_ROUNDS"
	ba_meta seconds "$SECONDS_EACH"
	ba_meta warmup "$HTTP_WARMUP_S"
	ba_meta commit "$commit"
	ba_meta machine "$(machine_line)"
	ba_meta load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
	ba_meta cpus "systems under test on CPU $RELAY_CPU; wrk, bench_load.py, tcpx and the origin on CPU $LOAD_CPU"
	ba_meta lat "$BA_LAT_RATE req/s, $BA_LAT_CONNS connections"
	ba_meta wrk "wrk -t1 -c$WRK_CONNS"
	ba_meta gh_vdev "$BA_GH_VDEV"
	ba_meta cc "$(cat /proc/sys/net/ipv4/tcp_congestion_control)"
	ba_meta nofile "$(ulimit -Hn)"
	for sys in "${BA_SYSTEMS[@]}"; do ba_meta "version_$sys" "$(ba_version "$sys")"; done
	ba_meta start_s "$SECONDS"
	for ((r = 1; r <= BA_ROUNDS; r++)); do
		say "round $r of $BA_ROUNDS"
		ba_round "$r"
	done
	if ba_want ceiling; then
		BA_ROUND=1
		for s in net_af_packet net_af_xdp; do
			ba_testpmd "$s" io
			ba_testpmd "$s" txonly
		done
	fi
	ba_meta load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
	ba_meta duration_s "$SECONDS"
	# Kept after the lab goes down (BA_OUT_DIR, default BUILD/bench-all).
	mkdir -p "${BA_OUT_DIR:=$GH_BUILD/bench-all}"
	cp "$BA_TSV" "$BA_META" "$BA_OUT_DIR/" || warn "cannot copy the results to $BA_OUT_DIR"
	say "results: $BA_OUT_DIR/bench-all.tsv and bench-all.meta"
	((NO_DOCS)) && return 0
	out=$("$GH_PY" "$GH_ROOT/tools/lib/bench_report.py" --tsv "$BA_TSV" --meta "$BA_META" \
		--doc "$DOC" --plots "$GH_ROOT/docs/bench" 2>&1) || die "bench_report.py failed: $out"
	say "$out"
}
