#!/usr/bin/env bash
#
# lab-check_config: `gatehouse -c FILE --check` validates without starting
# EAL: bad configs give "FILE:LINE: reason" and a non-zero exit, good ones
# "ok" and 0.  The lab's generated config (and config/gatehouse.conf when
# present, and config/examples/*.conf) must pass.
. "$(dirname "$0")/lib.sh"
need_lab_prereqs

lab_up lcfg
dir=$STATE_DIR/check
mkdir -p "$dir"

# run_check FILE: sets CHECK_RC and CHECK_OUT (stdout + stderr).
run_check() {
	CHECK_RC=0
	CHECK_OUT=$(timeout 10 "$GATEHOUSE" -c "$1" --check 2>&1) || CHECK_RC=$?
}

# expect_good FILE
expect_good() {
	run_check "$1"
	((CHECK_RC == 0)) || {
		printf '%s\n' "$CHECK_OUT" >&2
		fail "--check rejects the good config $1 (exit $CHECK_RC)"
	}
	grep -qiE '(^|[^a-z])ok([^a-z]|$)' <<<"$CHECK_OUT" ||
		fail "--check accepted $1 but did not print ok: '$CHECK_OUT'"
	log "ok: $1 passes --check"
}

# expect_bad FILE LINE: rejected with a message naming FILE:LINE (LINE may
# be empty for whole-file errors: then "FILE:" is enough).
expect_bad() {
	local f=$1 line=$2
	run_check "$f"
	((CHECK_RC != 0)) || fail "--check accepted the bad config $f: '$CHECK_OUT'"
	((CHECK_RC != 124)) || fail "--check on $f did not finish within 10 s"
	grep -qF -- "$f:$line${line:+:}" <<<"$CHECK_OUT" || {
		printf '%s\n' "$CHECK_OUT" >&2
		fail "--check on $f: no '$f:$line${line:+:}' in its message"
	}
	log "ok: $f refused: $(grep -F -- "$f:" <<<"$CHECK_OUT" | head -n 1)"
}

# A good config of our own, with a file-prefix nobody uses: --check must not
# create its EAL runtime dir.
prefix=ghchk$$
cat >"$dir/good.conf" <<CONF
# a comment line
global
    workers 1
    file-prefix $prefix
    control-socket $dir/ctl.sock

port inside
    role inside
    device net_af_packet0,iface=in0
    address 198.18.$LAB_INDEX.1/24   # trailing comment
port outside
    role outside
    device net_af_packet1,iface=out0
    address 198.19.$LAB_INDEX.1/24
CONF
expect_good "$dir/good.conf"
[[ ! -e /var/run/dpdk/$prefix ]] || {
	rm -rf "/var/run/dpdk/$prefix"
	fail "--check initialised EAL (created /var/run/dpdk/$prefix)"
}
expect_good "$CONF"
if [[ -f $GH_SOURCE_ROOT/config/gatehouse.conf ]]; then
	expect_good "$GH_SOURCE_ROOT/config/gatehouse.conf"
fi
# The reverse proxy's commented example (issue 14).
expect_good "$GH_SOURCE_ROOT/config/reverse.conf"
# The worked examples of docs/configuration.md ("Access control").
for f in "$GH_SOURCE_ROOT"/config/examples/*.conf; do
	[[ -e $f ]] && expect_good "$f"
done

# Bad ones: each wrong on one known line.
ports_good='port inside
    role inside
    device net_af_packet0,iface=in0
    address 198.18.1.1/24
port outside
    role outside
    device net_af_packet1,iface=out0
    address 198.19.1.1/24'

printf 'global\n    workers 1\n    frobnicate yes\n%s\n' "$ports_good" >"$dir/unknown-directive.conf"
expect_bad "$dir/unknown-directive.conf" 3

printf 'global\n    workers 0\n%s\n' "$ports_good" >"$dir/workers-zero.conf"
expect_bad "$dir/workers-zero.conf" 2

printf 'global\n    workers many\n%s\n' "$ports_good" >"$dir/workers-nan.conf"
expect_bad "$dir/workers-nan.conf" 2

printf 'global\n    workers 1\nport inside\n    role inside\n    device net_af_packet0,iface=in0\n    address 300.18.1.1/24\n' >"$dir/bad-address.conf"
expect_bad "$dir/bad-address.conf" 6

printf 'global\n    workers 1\nport inside\n    role sideways\n    device net_af_packet0,iface=in0\n    address 198.18.1.1/24\n' >"$dir/bad-role.conf"
expect_bad "$dir/bad-role.conf" 4

printf '# comment\nbogus-section\n    workers 1\n%s\n' "$ports_good" >"$dir/bad-section.conf"
expect_bad "$dir/bad-section.conf" 2

printf 'global\n    workers 1\n' >"$dir/no-port.conf"
expect_bad "$dir/no-port.conf" ""

run_check "$dir/does-not-exist.conf"
((CHECK_RC != 0)) || fail "--check accepted a missing file"
log "ok: a missing file is refused"

pass
