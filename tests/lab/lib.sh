# shellcheck shell=bash
#
# Shared helpers of the lab tests (sourced by tests/lab/*.sh).
#
# A lab test reads like a Varnish .vtc: bring up a lab with a unique name
# (lab_up), start the appliance in it (start_appliance), act from the client
# or origin namespace, expect results (expect_*), check counters
# (expect_counter).  Cleanup runs on EXIT whatever happens: the appliances
# this test started are stopped by PID, its labs are taken down, and on
# failure the appliance logs are shown (meson --print-errorlogs prints them).
#
# Environment (set by tests/lab/meson.build): GH_SOURCE_ROOT, GH_BUILD.
# Everything the tests send stays inside 198.18.0.0/15.

set -euo pipefail

GH_SOURCE_ROOT=${GH_SOURCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
GH_BUILD=${GH_BUILD:-$GH_SOURCE_ROOT/build}
export GH_SOURCE_ROOT GH_BUILD
LAB_TOOL=$GH_SOURCE_ROOT/tools/lab
CTL_TOOL=$GH_SOURCE_ROOT/tools/gatehousectl
GATEHOUSE=$GH_BUILD/app/gatehouse/gatehouse
# shellcheck disable=SC2034 # used by the tests
LAB_TESTS_DIR=$GH_SOURCE_ROOT/tests/lab
# shellcheck disable=SC2034 # Debian's python: the one with python3-scapy
PY=/usr/bin/python3
TEST_NAME=${0##*/}
TEST_NAME=${TEST_NAME%.sh}
# Logs of this test's appliances are kept here (the lab state dir goes away).
TEST_LOG_DIR=$GH_BUILD/meson-logs/lab
APP_START_WAIT_S=${APP_START_WAIT_S:-20}

declare -a LABS_UP=()        # labs this test brought up
declare -A APP_PID=()        # lab -> appliance PID started by this test
declare -A APP_LOG=()        # lab -> appliance log file
declare -A APP_STATUS=()     # lab -> exit status once stopped
declare -A APP_STATE_DIR=()  # lab -> its state dir (holds gatehouse.pid)
TEST_FAILED=1                # cleared by pass()

# ------------------------------------------------------------ reporting ---

# vtc-style narration.
log() { printf '**** %s %s\n' "$TEST_NAME" "$*"; }

# Report a failure and exit (cleanup runs from the EXIT trap).
fail() {
	printf -- '---- %s FAIL: %s\n' "$TEST_NAME" "$*" >&2
	exit 1
}

# Mark success: the last line of a passing test.
pass() {
	TEST_FAILED=0
	printf '#    %s passed\n' "$TEST_NAME"
}

# Skip (meson counts exit 77 as SKIP).
skip() {
	printf '#    %s skipped: %s\n' "$TEST_NAME" "$*"
	TEST_FAILED=0
	exit 77
}

# ---------------------------------------------------------- processes ---

pid_alive() {
	local state
	[[ $1 =~ ^[0-9]+$ && -r /proc/$1/stat ]] || return 1
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $state && $state != Z && $state != X ]]
}

# ---------------------------------------------------------------- labs ---

# Bring up lab $1 (a fresh one: remains of an earlier run are torn down
# first) with the rest of the arguments passed to tools/lab up, and load its
# variables (LAB, CLIENT_NS, INSIDE_IP, CONF, CTL_SOCK, ...) into the shell.
lab_up() {
	local lab=$1
	shift
	"$LAB_TOOL" down "$lab" >/dev/null || fail "tools/lab down $lab failed"
	LABS_UP+=("$lab")
	"$LAB_TOOL" up "$lab" "$@" >/dev/null || fail "tools/lab up $lab failed"
	lab_use "$lab"
	log "lab $lab up: client $CLIENT_IP, inside $INSIDE_IP, outside $OUTSIDE_IP, origin $ORIGIN_IP"
}

# Load the variables of lab $1 into the shell (the current lab).
lab_use() {
	local env
	env=$("$LAB_TOOL" env "$1") || fail "tools/lab env $1 failed"
	eval "$env"
}

# Print variable $2 of lab $1 (without changing the current lab).
lab_var() {
	local line
	line=$("$LAB_TOOL" env "$1" | grep -m1 "^$2=") || fail "lab $1 has no $2"
	printf '%s\n' "${line#*=}"
}

in_client() { ip netns exec "$CLIENT_NS" "$@"; }
in_app() { ip netns exec "$APP_NS" "$@"; }
in_origin() { ip netns exec "$ORIGIN_NS" "$@"; }

# --------------------------------------------------------- appliance ---

# The control client for lab $LAB.
ctl() { "$CTL_TOOL" -s "$CTL_SOCK" "$@"; }

# Start the appliance in the current lab with its CONF (or $1 when given)
# plus extra arguments; record its PID in the lab's state dir; wait
# (bounded) until it answers `ping` on its control socket.
start_appliance() {
	local conf=${1:-$CONF} pid i reply=""
	shift || true
	[[ -x $GATEHOUSE ]] || fail "no appliance binary at $GATEHOUSE (build first: ninja -C $GH_BUILD)"
	mkdir -p "$TEST_LOG_DIR"
	APP_LOG[$LAB]=$TEST_LOG_DIR/$TEST_NAME-$LAB-gatehouse.log
	: >"${APP_LOG[$LAB]}"
	rm -f "$CTL_SOCK"
	log "starting the appliance in $APP_NS: $GATEHOUSE -c $conf $*"
	# ip netns exec execs the command: $! is the appliance itself.
	ip netns exec "$APP_NS" "$GATEHOUSE" -c "$conf" "$@" \
		</dev/null >>"${APP_LOG[$LAB]}" 2>&1 &
	pid=$!
	APP_PID[$LAB]=$pid
	APP_STATE_DIR[$LAB]=$STATE_DIR
	echo "$pid" >"$STATE_DIR/gatehouse.pid"
	for ((i = 0; i < APP_START_WAIT_S * 10; i++)); do
		if ! pid_alive "$pid"; then
			wait "$pid" 2>/dev/null && APP_STATUS[$LAB]=0 || APP_STATUS[$LAB]=$?
			show_app_log "$LAB"
			fail "the appliance exited during start-up (status ${APP_STATUS[$LAB]})"
		fi
		if [[ -S $CTL_SOCK ]]; then
			reply=$(ctl -t 1 ping 2>/dev/null || true)
			[[ $reply == pong* ]] && break
		fi
		sleep 0.1
	done
	[[ $reply == pong* ]] || {
		show_app_log "$LAB"
		fail "the appliance did not answer ping on $CTL_SOCK within ${APP_START_WAIT_S}s"
	}
	log "appliance up in lab $LAB: PID $pid"
	# What each port's driver holds with no traffic (mbufs_base).
	MBUF_BASE=()
	if grep -q '^ *device net_af_xdp' "$conf"; then
		MBUF_BASE[inside]=$(counter port.inside.mbufs_in_use)
		MBUF_BASE[outside]=$(counter port.outside.mbufs_in_use)
	fi
}

# mbufs_base PORT: the mbufs port PORT's driver holds with no traffic, for
# "everything released" checks: 0 on net_af_packet; net_af_xdp keeps its
# fill ring stocked (2,048), read when the appliance started.
declare -A MBUF_BASE=()
mbufs_base() { printf '%s\n' "${MBUF_BASE[$1]:-0}"; }

# Stop the appliance of lab $1 (default: current) with signal $2 (TERM);
# wait up to $3 tenths of a second (default 30); set APP_STATUS[lab].
# Returns 1 when it did not stop in time (it is then killed).
stop_appliance() {
	local lab=${1:-$LAB} sig=${2:-TERM} tenths=${3:-30} pid i rc=0
	pid=${APP_PID[$lab]:-}
	[[ -n $pid ]] || return 0
	kill -s "$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < tenths; i++)); do
		pid_alive "$pid" || break
		sleep 0.1
	done
	if pid_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		rc=1
	fi
	wait "$pid" 2>/dev/null && APP_STATUS[$lab]=0 || APP_STATUS[$lab]=$?
	unset "APP_PID[$lab]"
	rm -f "${APP_STATE_DIR[$lab]}/gatehouse.pid"
	return "$rc"
}

# Print the last lines of the appliance log of lab $1.
show_app_log() {
	local f=${APP_LOG[$1]:-}
	[[ -n $f && -s $f ]] || return 0
	printf -- '---- appliance log of lab %s (%s), last 40 lines:\n' "$1" "$f" >&2
	tail -n 40 "$f" >&2
}

# --------------------------------------------------------- counters ---

# Print the value of total counter $1 of the current lab's appliance.
counter() {
	local v
	v=$(ctl get "$1" 2>&1) || fail "cannot read counter $1: $v"
	[[ $v =~ ^[0-9]+$ ]] || fail "counter $1 is not a number: '$v'"
	printf '%s\n' "$v"
}

# Evaluate "$1 OP $2" for OP in == != >= > <= <.
compare() {
	case $2 in
	==) (($1 == $3)) ;;
	!=) (($1 != $3)) ;;
	">=") (($1 >= $3)) ;;
	">") (($1 > $3)) ;;
	"<=") (($1 <= $3)) ;;
	"<") (($1 < $3)) ;;
	*) fail "bad operator $2" ;;
	esac
}

# expect_counter NAME OP VALUE: like varnishtest's "expect NAME OP VALUE".
expect_counter() {
	local v
	v=$(counter "$1")
	compare "$v" "$2" "$3" || fail "expected counter $1 $2 $3, got $v"
	log "counter $1 = $v ($2 $3)"
}

# Snapshot all "NAME VALUE" counters into file $1.
stats_snapshot() {
	ctl stats >"$1" || fail "gatehousectl stats failed"
}

# Print counter $2 from snapshot file $1 (0 when absent).
snap_value() {
	awk -v n="$2" '$1 == n {print $2; f = 1} END {if (!f) print 0}' "$1"
}

# Wait up to $4 tenths of a second until counter $1 OP $3 holds.
wait_counter() {
	local name=$1 op=$2 want=$3 tenths=$4 i v
	for ((i = 0; i < tenths; i++)); do
		v=$(counter "$name")
		compare "$v" "$op" "$want" && return 0
		sleep 0.1
	done
	return 1
}

# ------------------------------------------------------------ expects ---

# expect_ok DESCRIPTION CMD...: the command must succeed.
expect_ok() {
	local what=$1 out
	shift
	out=$("$@" 2>&1) || {
		printf '%s\n' "$out" | tail -n 20 >&2
		fail "$what: '$*' failed"
	}
	log "ok: $what"
}

# expect_fail DESCRIPTION CMD...: the command must fail.
expect_fail() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		fail "$what: '$*' succeeded but must not"
	fi
	log "ok (refused as expected): $what"
}

# --------------------------------------------------------------- setup ---

need_lab_prereqs() {
	[[ $(id -u) -eq 0 ]] || fail "lab tests need root (network namespaces): run them with sudo"
	[[ -x $GATEHOUSE ]] || fail "no appliance binary at $GATEHOUSE"
}

# ------------------------------------------------------------- cleanup ---

lab_cleanup() {
	local rc=$? lab
	set +e
	((rc == 0 && TEST_FAILED == 0)) || [[ $rc == 77 ]] || {
		for lab in "${!APP_LOG[@]}"; do show_app_log "$lab"; done
	}
	for lab in "${!APP_PID[@]}"; do
		stop_appliance "$lab" TERM 20 >/dev/null 2>&1
	done
	for lab in "${LABS_UP[@]}"; do
		"$LAB_TOOL" down "$lab" >/dev/null 2>&1 || echo "warning: tools/lab down $lab failed" >&2
	done
	if ((rc == 0 && TEST_FAILED != 0)); then
		echo "---- $TEST_NAME FAIL: ended without pass" >&2
		rc=1
	fi
	exit "$rc"
}
trap lab_cleanup EXIT

# ----------------------------------------------------- ping and arping ---

# expect_ping NS DEST COUNT [ping args...]: all COUNT echoes from namespace
# NS to DEST are answered.
expect_ping() {
	local ns=$1 dst=$2 n=$3 out
	shift 3
	out=$(ip netns exec "$ns" ping -n -c "$n" -i 0.2 -W 2 "$@" "$dst" 2>&1) || true
	grep -qE "(^| )$n received" <<<"$out" || {
		printf '%s\n' "$out" >&2
		fail "ping $dst from $ns: not all $n echoes answered"
	}
	log "ok: $n/$n pings from $ns to $dst answered"
}

# expect_no_ping NS DEST COUNT: none of COUNT echoes is answered.
expect_no_ping() {
	local ns=$1 dst=$2 n=$3 out
	out=$(ip netns exec "$ns" ping -n -c "$n" -i 0.2 -W 1 "$dst" 2>&1) || true
	grep -qE "(^| )0 received" <<<"$out" || {
		printf '%s\n' "$out" >&2
		fail "ping $dst from $ns got an answer but must not"
	}
	log "ok: no answer from $dst to $ns (as expected)"
}

# expect_arping NS DEST COUNT [arping args...]: all COUNT ARP requests from
# namespace NS (interface eth0) for DEST are answered.
expect_arping() {
	local ns=$1 dst=$2 n=$3 out
	shift 3
	out=$(ip netns exec "$ns" arping -c "$n" -w $((n + 3)) -I eth0 "$@" "$dst" 2>&1) || true
	grep -qE "Received $n response" <<<"$out" || {
		printf '%s\n' "$out" >&2
		fail "arping $dst from $ns: not all $n requests answered"
	}
	log "ok: $n/$n ARP requests from $ns for $dst answered"
}

# ======================================================= TCP and netem ===
#
# Helpers of the TCP lab tests (tests/lab/tcp_*.sh).  Every process started
# here records its PID in the lab's state dir and names the state dir on its
# command line, so the EXIT cleanup (tools/lab down) stops it whatever
# happens; the stop_* helpers below stop them earlier, by PID.

TCPX=$LAB_TESTS_DIR/tcpx.py
NETEM_EMU=$LAB_TESTS_DIR/tcp_netem.py
# shellcheck source=tools/lib/relay.sh
. "$GH_SOURCE_ROOT/tools/lib/relay.sh"
NETEM_QUEUE=7         # NFQUEUE number used by the emulator (queues are per namespace)
NETEM_MARK=0x6e6d     # packets the emulator injects carry this mark
GH_NETEM=${GH_NETEM:-auto} # auto | tc (kernel sch_netem) | emu (tests/lab/tcp_netem.py)

# ------------------------------------------------------------- netem ---

# netem_backend: "tc" when the kernel has sch_netem (and GH_NETEM allows it),
# else "emu" (the NFQUEUE emulator: this project's lab kernel has no netem).
netem_backend() {
	case $GH_NETEM in
	tc | emu)
		printf '%s\n' "$GH_NETEM"
		return 0
		;;
	esac
	local ns=gh-netemprobe-$$ b=emu
	ip netns add "$ns" 2>/dev/null || {
		echo emu
		return 0
	}
	ip -n "$ns" link set lo up
	if ip netns exec "$ns" tc qdisc add dev lo root netem delay 1ms >/dev/null 2>&1; then b=tc; fi
	ip netns del "$ns" 2>/dev/null || true
	printf '%s\n' "$b"
}

# File name part for namespace $1 device $2.
netem_key() { printf '%s-%s\n' "${1//[^a-zA-Z0-9]/_}" "$2"; }

# netem_set NS DEV "SPEC" [in|out|both]: impair the IPv4 packets of device
# DEV in namespace NS (a peer's veth end: client or origin eth0) with a netem
# SPEC ("loss 1%", "delay 1ms reorder 5% duplicate 1%", "delay 20ms loss
# 0.5%").  "out" is what the peer sends, "in" what it receives, "both"
# (default) each direction independently (so a delay adds twice to the RTT).
# Replaces an earlier netem_set on the same device.
netem_set() {
	local ns=$1 dev=$2 spec=$3 dir=${4:-both} be key pidf log pid i
	[[ $dir == in || $dir == out || $dir == both ]] || fail "netem_set: direction in|out|both, got '$dir'"
	netem_clear "$ns" "$dev"
	be=$(netem_backend)
	key=$(netem_key "$ns" "$dev")
	if [[ $be == tc ]]; then
		# shellcheck disable=SC2086 # SPEC is words
		if [[ $dir != in ]]; then
			ip netns exec "$ns" tc qdisc replace dev "$dev" root netem $spec ||
				fail "tc netem '$spec' on $ns/$dev refused"
		fi
		if [[ $dir != out ]]; then
			ip -n "$ns" link add "ifb-$dev" type ifb || fail "cannot create ifb-$dev in $ns"
			ip -n "$ns" link set "ifb-$dev" up
			ip netns exec "$ns" tc qdisc add dev "$dev" handle ffff: ingress
			ip netns exec "$ns" tc filter add dev "$dev" parent ffff: protocol ip u32 \
				match u32 0 0 action mirred egress redirect dev "ifb-$dev" ||
				fail "cannot redirect $ns/$dev ingress to ifb-$dev"
			# shellcheck disable=SC2086
			ip netns exec "$ns" tc qdisc replace dev "ifb-$dev" root netem $spec ||
				fail "tc netem '$spec' on $ns/ifb-$dev refused"
		fi
		echo tc >"$STATE_DIR/netem-$key.backend"
		log "netem ($be) on $ns/$dev $dir: $spec"
		return 0
	fi
	command -v iptables >/dev/null || fail "netem emulation needs iptables (run tools/setup)"
	mkdir -p "$TEST_LOG_DIR"
	pidf=$STATE_DIR/netem-$key.pid
	log=$TEST_LOG_DIR/$TEST_NAME-$LAB-netem-$key.log
	: >"$log"
	# shellcheck disable=SC2086 # SPEC is words
	ip netns exec "$ns" "$PY" "$NETEM_EMU" --queue "$NETEM_QUEUE" --mark "$NETEM_MARK" \
		--lifetime 3600 $spec --state-dir "$STATE_DIR" </dev/null >>"$log" 2>&1 &
	pid=$!
	echo "$pid" >"$pidf"
	echo emu >"$STATE_DIR/netem-$key.backend"
	for ((i = 0; i < 50; i++)); do
		grep -q '^tcp_netem queue' "$log" && break
		pid_alive "$pid" || {
			cat "$log" >&2
			fail "netem emulator for $ns/$dev exited at start"
		}
		sleep 0.1
	done
	grep -q '^tcp_netem queue' "$log" || fail "netem emulator for $ns/$dev did not start"
	local ipt=(ip netns exec "$ns" iptables -w 5 -t mangle)
	"${ipt[@]}" -N GH_NETEM 2>/dev/null || "${ipt[@]}" -F GH_NETEM
	"${ipt[@]}" -A GH_NETEM -m mark --mark "$NETEM_MARK" -j RETURN
	"${ipt[@]}" -A GH_NETEM -j NFQUEUE --queue-num "$NETEM_QUEUE" --queue-bypass
	if [[ $dir != out ]]; then "${ipt[@]}" -A PREROUTING -i "$dev" -j GH_NETEM; fi
	if [[ $dir != in ]]; then "${ipt[@]}" -A POSTROUTING -o "$dev" -j GH_NETEM; fi
	log "netem ($be, PID $pid) on $ns/$dev $dir: $spec"
}

# netem_clear NS DEV: remove what netem_set put on NS/DEV (harmless when none).
netem_clear() {
	local ns=$1 dev=$2 key pidf pid ipt
	key=$(netem_key "$ns" "$dev")
	[[ -e /run/netns/$ns ]] || return 0
	ip netns exec "$ns" tc qdisc del dev "$dev" root >/dev/null 2>&1 || true
	ip netns exec "$ns" tc qdisc del dev "$dev" ingress >/dev/null 2>&1 || true
	ip -n "$ns" link del "ifb-$dev" >/dev/null 2>&1 || true
	if command -v iptables >/dev/null; then
		ipt=(ip netns exec "$ns" iptables -w 5 -t mangle)
		while "${ipt[@]}" -D PREROUTING -i "$dev" -j GH_NETEM >/dev/null 2>&1; do :; done
		while "${ipt[@]}" -D POSTROUTING -o "$dev" -j GH_NETEM >/dev/null 2>&1; do :; done
		"${ipt[@]}" -F GH_NETEM >/dev/null 2>&1 || true
		"${ipt[@]}" -X GH_NETEM >/dev/null 2>&1 || true
	fi
	pidf=${STATE_DIR:-/nonexistent}/netem-$key.pid
	pid=$(cat "$pidf" 2>/dev/null || true)
	if [[ $pid =~ ^[0-9]+$ ]] && pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		local i
		for ((i = 0; i < 30; i++)); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || true
	fi
	rm -f "$pidf" "${STATE_DIR:-/nonexistent}/netem-$key.backend"
	return 0
}

# netem_link "SPEC": the same SPEC on both peers' links (client eth0 and
# origin eth0), both directions; netem_link_clear undoes it.
netem_link() {
	netem_set "$CLIENT_NS" eth0 "$1" both
	netem_set "$ORIGIN_NS" eth0 "$1" both
}
netem_link_clear() {
	netem_clear "$CLIENT_NS" eth0
	netem_clear "$ORIGIN_NS" eth0
}

# ------------------------------------------------ congestion control ---

TCPX_CC="" # when set, tcpx servers and clients use it on their sockets (--cc)

# tcp_cc_use ALGO: the kernel peers use TCP congestion control ALGO: tcpx
# sockets get it with TCP_CONGESTION, and it becomes the default of the lab's
# three namespaces when the kernel allows that (outside the root namespace
# only the algorithms of net.ipv4.tcp_allowed_congestion_control can be a
# default: "reno bbr" here, so not cubic; the appliance namespace's default
# is what HAProxy uses).  Fails when ALGO is not available at all.
tcp_cc_use() {
	local cc=$1 ns where=""
	grep -qw -- "$cc" /proc/sys/net/ipv4/tcp_available_congestion_control ||
		fail "congestion control $cc not available: $(cat /proc/sys/net/ipv4/tcp_available_congestion_control)"
	TCPX_CC=$cc
	for ns in "$CLIENT_NS" "$APP_NS" "$ORIGIN_NS"; do
		if ip netns exec "$ns" sysctl -qw "net.ipv4.tcp_congestion_control=$cc" 2>/dev/null; then
			where+=" ${ns##*-}"
		fi
	done
	log "congestion control $cc on tcpx sockets; namespace default in:${where:- none (not allowed)}"
}

# -------------------------------------------------------- tcpx servers ---

declare -A TCPX_PID=() # name -> PID of a tcpx server this test started

# start_tcpx_server NAME PORT MODE [serve args...]: a tcpx.py server in the
# origin namespace on ORIGIN_IP:PORT (modes echo, sink, source, sha), PID in
# the state dir (tcpx-NAME.pid), log in the test log dir.  Waits (at most
# 5 s) until it listens.
start_tcpx_server() {
	local name=$1 port=$2 mode=$3 log pid i
	shift 3
	mkdir -p "$TEST_LOG_DIR"
	log=$TEST_LOG_DIR/$TEST_NAME-$LAB-tcpx-$name.log
	: >"$log"
	in_origin sysctl -qw net.core.somaxconn=65535
	ip netns exec "$ORIGIN_NS" "$PY" "$TCPX" serve --listen "$ORIGIN_IP:$port" --mode "$mode" \
		--lifetime 3600 ${TCPX_CC:+--cc "$TCPX_CC"} "$@" --tag "$STATE_DIR" </dev/null >>"$log" 2>&1 &
	pid=$!
	TCPX_PID[$name]=$pid
	echo "$pid" >"$STATE_DIR/tcpx-$name.pid"
	for ((i = 0; i < 50; i++)); do
		grep -q '^tcpx listening' "$log" && break
		pid_alive "$pid" || {
			cat "$log" >&2
			fail "tcpx server $name exited at start"
		}
		sleep 0.1
	done
	grep -q '^tcpx listening' "$log" || fail "tcpx server $name did not listen within 5 s"
	log "tcpx server $name ($mode) on $ORIGIN_IP:$port, PID $pid"
}

# stop_tcpx_server NAME: stop it by its PID.
stop_tcpx_server() {
	local name=$1 pid
	pid=${TCPX_PID[$name]:-}
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	local i
	for ((i = 0; i < 30; i++)); do
		pid_alive "$pid" || break
		sleep 0.1
	done
	pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	unset "TCPX_PID[$name]"
	rm -f "$STATE_DIR/tcpx-$name.pid"
}

# expect_tcpx DESCRIPTION MAX_SECONDS tcpx-client-args...: run tcpx.py
# client (or many, when the first argument is "many") in the client
# namespace with --timeout MAX_SECONDS; it must print "tcpx ok" and exit 0
# within that bound.  Sets TCPX_RESULT (the result line) and TCPX_SECONDS
# (wall time).
TCPX_RESULT=""
TCPX_SECONDS=0
expect_tcpx() {
	local what=$1 max=$2 cmd=client out rc t0 t1
	shift 2
	if [[ ${1:-} == many || ${1:-} == client ]]; then
		cmd=$1
		shift
	fi
	t0=$(date +%s.%N)
	rc=0
	local cc=()
	[[ $cmd == client && -n $TCPX_CC ]] && cc=(--cc "$TCPX_CC")
	out=$(timeout -k 5 $((${max%.*} + 15)) ip netns exec "$CLIENT_NS" "$PY" "$TCPX" "$cmd" \
		--timeout "$max" "${cc[@]}" "$@" 2>&1) || rc=$?
	t1=$(date +%s.%N)
	TCPX_SECONDS=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
	TCPX_RESULT=$(grep -m1 '^tcpx ' <<<"$out" || true)
	if ((rc != 0)) || [[ $TCPX_RESULT != "tcpx ok "* ]]; then
		printf '%s\n' "$out" | tail -n 20 >&2
		fail "$what: tcpx $cmd exited $rc within ${max}s bound (${TCPX_SECONDS}s): ${TCPX_RESULT:-no result line}"
	fi
	log "ok: $what in ${TCPX_SECONDS}s (bound ${max}s): ${TCPX_RESULT#tcpx ok }"
}

# ------------------------------------------------ kernel reference relay ---

HAPROXY_CPU=${HAPROXY_CPU:-1}

# start_kernel_relay PORT [UPSTREAM_PORT]: instead of the appliance, HAProxy
# (mode tcp, one thread, pinned to CPU HAPROXY_CPU) in the appliance
# namespace, with the appliance's addresses put on in0/out0 for the while:
# INSIDE_IP:PORT -> ORIGIN_IP:UPSTREAM_PORT (default PORT), from OUTSIDE_IP.
# Sets HAPROXY_PID.  Never together with start_appliance in the same lab.
HAPROXY_PID=""
start_kernel_relay() {
	local port=$1 up=${2:-$1} cpu=$HAPROXY_CPU
	[[ -z ${APP_PID[$LAB]:-} ]] || fail "start_kernel_relay: the appliance runs in lab $LAB"
	command -v haproxy >/dev/null || fail "haproxy is not installed: run tools/setup"
	(($(nproc) >= 2)) || cpu=0
	mkdir -p "$TEST_LOG_DIR"
	relay_addrs_up "$APP_NS" "$INSIDE_IP" "$OUTSIDE_IP" || fail "cannot put kernel addresses on in0/out0"
	haproxy_write_conf "$STATE_DIR/haproxy.cfg" "$OUTSIDE_IP" "$INSIDE_IP:$port=$ORIGIN_IP:$up" ||
		fail "bad haproxy config"
	HAPROXY_PID=$(haproxy_start "$APP_NS" "$STATE_DIR/haproxy.cfg" "$STATE_DIR/haproxy.pid" \
		"$TEST_LOG_DIR/$TEST_NAME-$LAB-haproxy.log" "$cpu") || fail "haproxy did not start"
	log "kernel relay: haproxy PID $HAPROXY_PID on CPU $cpu, $INSIDE_IP:$port -> $ORIGIN_IP:$up"
}

# stop_kernel_relay: stop HAProxy and take the kernel addresses off again.
stop_kernel_relay() {
	haproxy_stop "$STATE_DIR/haproxy.pid"
	HAPROXY_PID=""
	relay_addrs_down "$APP_NS" "$INSIDE_IP" "$OUTSIDE_IP"
}

# ------------------------------------------------------ big download ---

# download_1g_check NAME PID DIR SLACK_KIB: GET the origin's /1g.bin through
# the proxy with the caller's pcurl, its SHA-256 computed as it streams
# (nothing on disk), sampling process PID's VmRSS every 0.1 s: the body
# must be right and the VmRSS never more than SLACK_KIB over its start
# value.  Reports with the caller's pass_check / fail_check NAME.
download_1g_check() {
	local name=$1 ppid=$2 dir=$3 slack=$4 gib=$((1024 * 1024 * 1024))
	local want size got code rss0 rss max=0 pid f=$3/1g.out i
	want=$(head -c "$gib" /dev/zero | sha256sum | cut -d' ' -f1)
	rss0=$(proc_rss_kb "$ppid") || fail_check "$name" "cannot read VmRSS of $ppid"
	(pcurl -o >(sha256sum | cut -d' ' -f1 >"$f.sha") -w '%{http_code} %{size_download}' \
		"$ORIGIN_URL/1g.bin" >"$f" 2>"$f.err") &
	pid=$!
	for ((i = 0; i < 1200; i++)); do # sampled every 0.1 s, 120 s at most
		rss=$(proc_rss_kb "$ppid" 2>/dev/null || echo 0)
		((rss > max)) && max=$rss
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null
		fail_check "$name" "not done within 120 s"
	fi
	wait "$pid" || fail_check "$name" "curl failed: $(cat "$f.err")"
	for ((i = 0; i < 50; i++)); do [[ -s $f.sha ]] && break; sleep 0.1; done
	read -r code size <"$f" || true # no newline after curl's -w
	got=$(cat "$f.sha")
	[[ $code == 200 && $size == "$gib" ]] || fail_check "$name" "status $code, $size bytes, want 200 and $gib"
	[[ $got == "$want" ]] || fail_check "$name" "SHA-256 $got, want $want"
	((max - rss0 <= slack)) ||
		fail_check "$name" "VmRSS rose from $rss0 to $max KiB (more than +$slack KiB)"
	pass_check "$name" "1 GiB, SHA-256 right, VmRSS $rss0 -> max $max KiB (+$(((max - rss0) / 1024)) MiB)"
}

# ------------------------------------------------- named checks, proxy ---

# A test made of named checks prints one line per check: pass_check NAME
# TEXT (counted in CHECKS), fail_check NAME TEXT (ends the test, after
# cleanup).
CHECKS=0
pass_check() {
	CHECKS=$((CHECKS + 1))
	printf 'PASS %s: %s\n' "$1" "$2"
}
fail_check() {
	printf 'FAIL %s: %s\n' "$1" "$2"
	fail "$1: $2"
}

# proxy_curl PORT ARGS...: curl from the client namespace through the
# forward proxy listening on INSIDE_IP:PORT (bounded to 60 s).
proxy_curl() {
	local port=$1
	shift
	timeout -k 2 60 ip netns exec "$CLIENT_NS" curl -sS --max-time 50 \
		-x "http://$INSIDE_IP:$port" "$@"
}

# ------------------------------------------------- forward-proxy checks ---

FWD_PORT=3128

# fwd_curl ARGS...: curl in the client namespace through the forward proxy
# on INSIDE_IP:FWD_PORT.
fwd_curl() {
	proxy_curl "$FWD_PORT" "$@"
}

# start_fwd_proxy FILE [LINE...]: the appliance with the lab's CONF (copied
# to FILE) plus a forward listener on INSIDE_IP:FWD_PORT for the client,
# with the listener lines LINE ("cache on", ...), and the lab's resolver.
start_fwd_proxy() {
	local conf=$1 line
	shift
	cp "${CONF:?}" "$conf"
	{
		printf '\nlisten fwd\n\tmode forward\n\tbind %s:%s\n\tallow-src %s/32\n' \
			"$INSIDE_IP" "$FWD_PORT" "$CLIENT_IP"
		for line in "$@"; do printf '\t%s\n' "$line"; done
		printf '\nresolver\n\tnameserver %s\n' "$DNS_IP"
	} >>"$conf"
	start_appliance "$conf"
}

# conf_resolver_log FILE: append the lab's resolver and an access log in
# Squid's format at STATE_DIR/access.log to the config FILE.
conf_resolver_log() {
	printf '\nresolver\n\tnameserver %s\n\naccess-log\n\tpath %s\n\tformat squid\n' \
		"$DNS_IP" "$STATE_DIR/access.log" >>"$1"
}

# check_fwd_released: every forward session and inside mbuf back to base.
check_fwd_released() {
	wait_counter proxy.fwd_sessions_in_use == 0 50 || fail_check released "sessions still open"
	wait_counter port.inside.mbufs_in_use "<=" "$(mbufs_base inside)" 50 ||
		fail_check released "inside mbufs in use: $(counter port.inside.mbufs_in_use)"
	pass_check released "no session, no inside mbuf held"
}
