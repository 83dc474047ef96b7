# shellcheck shell=bash
#
# Helpers shared by the tools/ scripts (sourced, never run).  Nothing here
# starts or stops processes; it only prints, checks and locates things.

# The repository root: tools/lib/.. /..
GH_ROOT=${GH_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# The meson build directory (GH_BUILD overrides; relative paths are taken
# from the repository root).
GH_BUILD=${GH_BUILD:-$GH_ROOT/build}
case $GH_BUILD in
/*) ;;
*) GH_BUILD=$GH_ROOT/$GH_BUILD ;;
esac
# shellcheck disable=SC2034 # used by the scripts that source this
GH_APP=$GH_BUILD/app/gatehouse/gatehouse
# Where labs keep their state, one folder per lab.
GH_LAB_RUN=${GH_LAB_RUN:-/run/gatehouse-lab}
# Debian's python: the one that sees python3-scapy (PATH's may be pyenv's).
# shellcheck disable=SC2034
GH_PY=/usr/bin/python3

# "==> what happens now", on stdout.
say() { printf '==> %s\n' "$*"; }

# A warning on stderr.
warn() { printf '%s: warning: %s\n' "${0##*/}" "$*" >&2; }

# An error on stderr, then exit 1.
die() {
	printf '%s: error: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

# Exit unless running as root; $1 says what for.
need_root() {
	[[ $(id -u) -eq 0 ]] || die "${1:-this} needs root (network namespaces, hugepages): run it with sudo"
}

# Succeed when $1 is a valid lab name: [a-z0-9]{1,8}.
lab_name_ok() { [[ $1 =~ ^[a-z0-9]{1,8}$ ]]; }

# Succeed when $1 is the PID of a live process (zombies count as dead).
pid_alive() {
	local pid=$1 state
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -r /proc/$pid/stat ]] || return 1
	state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
	[[ -n $state && $state != Z && $state != X ]]
}

# Read a PID from file $1 (prints nothing when missing or malformed).
pid_from_file() {
	local pid=""
	if [[ -r $1 ]]; then read -r pid <"$1" 2>/dev/null || true; fi
	[[ $pid =~ ^[0-9]+$ ]] && printf '%s\n' "$pid"
	return 0
}

# Stop process $1 (by PID only): SIGTERM, wait up to $2 tenths of a second
# (default 30), then SIGKILL and wait up to 2 s more.  Returns 0 once gone.
stop_pid() {
	local pid=$1 tenths=${2:-30} i
	pid_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < tenths; i++)); do
		pid_alive "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 20; i++)); do
		pid_alive "$pid" || return 0
		sleep 0.1
	done
	return 1
}

# Run "$@" up to $1 tenths of a second until it succeeds (quietly).
wait_until() {
	local tenths=$1 i
	shift
	for ((i = 0; i < tenths; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
