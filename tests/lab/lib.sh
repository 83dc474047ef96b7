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
}

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
