#!/usr/bin/env bash
#
# lab-reload: live reload of the forward proxy's configuration (issue 13
# items 2 and 4) under traffic.  The appliance runs with one config path;
# the test writes variants of the file over it (rename, atomic) and asks
# `gatehousectl reload`.  Variant A denies url_prefix /short/, B denies
# /swr/; they differ in timeouts and in the access log's format too.
# Checks, each printing PASS or FAIL (the first FAIL ends the test):
#   rules_change   A: /short/ 403 and /swr/ 200; reloaded to B: /short/
#                  200 and /swr/ 403, the access log written in B's format
#                  (combined); back to A by SIGHUP: /short/ 403 again;
#                  config.version counts each
#   reloads_wrk    20 reloads alternating B and A during a wrk run through
#                  the forward listener: every reload "reloaded (version
#                  N)", no non-2xx, no socket errors; every replaced version
#                  freed afterwards (config.versions_held 0)
#   broken         a file with a syntax error while wrk runs: the reply is
#                  "error: FILE:LINE: message" at the right line, wrk sees
#                  no error, A's rules still apply, config.reloads_failed 1
#   restart_only   B's rules with one worker more than the lab runs (2,
#                  RELOAD_WORKERS): reloaded, "restart needed: workers (file
#                  3, running 2)" in the reply and the log, B's rules apply,
#                  no third worker runs
#   big_rules      100,002 http-access rules (100,000 of one value each)
#                  over 250,000 acl values (about 6 MB) loaded, then
#                  reloaded, while wrk runs: no wrk error, a listed domain
#                  of either kind 403, the old versions freed
#   released       every forward session and inside mbuf back to base
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

need_lab_prereqs
for t in curl wrk; do command -v "$t" >/dev/null || fail "$t not found: run tools/setup"; done

PORT=$FWD_PORT
WRK_LUA=$LAB_TESTS_DIR/wrk_absolute.lua
ORIGIN_URL=http://origin.lab.test
WRK_PID=""

# Two workers: each keeps its own hold counts of a version.
WORKERS=${RELOAD_WORKERS:-2}
lab_up rl1 --workers "$WORKERS"
ACTIVE=$STATE_DIR/reload.conf
TMP=$STATE_DIR/reload.tmp
mkdir -p "$TMP"

# write_conf FILE DENY_PATH IDLE_MS READ_MS LOG_FORMAT [ACL_FILE]: the lab's
# CONF plus a forward listener that denies url_prefix DENY_PATH; with
# ACL_FILE, its acl lines (bigdom, bigsrc) and rules denying them first.
write_conf() {
	local f=$1 deny=$2 idle=$3 readms=$4 fmt=$5 big=${6:-}
	{
		cat "${CONF:?}"
		printf '\nacl labclient src %s/32\n' "$CLIENT_IP"
		printf 'acl denypath url_prefix %s%s\n' "$ORIGIN_URL" "$deny"
		[[ -z $big ]] || cat "$big"
		printf 'listen fwd\n\tmode forward\n\tbind %s:%s\n\tallow-src %s/32\n' \
			"$INSIDE_IP" "$PORT" "$CLIENT_IP"
		[[ -z $big ]] || cat "$big.rules"
		printf '\thttp-access deny denypath\n\thttp-access allow labclient\n'
		printf '\ttimeout-client-idle-ms %s\n\ttimeout-upstream-read-ms %s\n' "$idle" "$readms"
		printf '\nresolver\n\tnameserver %s\n' "$DNS_IP"
		printf '\naccess-log\n\tpath %s/access.log\n\tformat %s\n' "$STATE_DIR" "$fmt"
	} >"$f"
}

# use FILE: it becomes the config the appliance reads (one rename).
use() {
	cp "$1" "$ACTIVE.new"
	mv -f "$ACTIVE.new" "$ACTIVE"
}

# reload_ok WANT_VERSION: the reply must be "reloaded (version N)".
reload_ok() {
	local out
	out=$(ctl reload 2>&1) || fail_check reload "gatehousectl reload failed: $out"
	[[ $(head -n1 <<<"$out") == "reloaded (version $1)" ]] ||
		fail_check reload "want 'reloaded (version $1)', got: $(tr '\n' ';' <<<"$out")"
	printf '%s\n' "$out"
}

# code PATH: the status the proxy answers for ORIGIN_URL/PATH.
code() {
	fwd_curl -o /dev/null -w '%{http_code}' "$ORIGIN_URL$1" 2>/dev/null || true
}

# expect_codes NAME SHORT SWR: /short/10k.bin answers SHORT, /swr/10k.bin SWR.
expect_codes() {
	local s w
	s=$(code /short/10k.bin)
	w=$(code /swr/10k.bin)
	[[ $s == "$2" && $w == "$3" ]] ||
		fail_check "$1" "/short/ answered $s (want $2), /swr/ $w (want $3)"
}

# wrk_start SECONDS: wrk through the proxy in the background, output in
# TMP/wrk.out.
wrk_start() {
	timeout -k 5 $(($1 + 20)) ip netns exec "$CLIENT_NS" wrk -t1 -c8 -d"$1"s --timeout 5s \
		-s "$WRK_LUA" "http://$INSIDE_IP:$PORT/" -- "$ORIGIN_URL/1k.bin" >"$TMP/wrk.out" 2>&1 &
	WRK_PID=$!
	sleep 1 # connections open and requests flowing before the first reload
}

# wrk_check NAME: wrk ended well, made requests, all 2xx, no socket error.
wrk_check() {
	local reqs
	wait "$WRK_PID" || fail_check "$1" "wrk failed: $(cat "$TMP/wrk.out")"
	WRK_PID=""
	reqs=$(awk '/requests in/ {print $1; exit}' "$TMP/wrk.out")
	if ! [[ $reqs =~ ^[0-9]+$ ]] || ((reqs == 0)); then
		fail_check "$1" "wrk made no request: $(cat "$TMP/wrk.out")"
	fi
	if grep -qE 'Non-2xx|Socket errors' "$TMP/wrk.out"; then
		fail_check "$1" "wrk: $(grep -E 'Non-2xx|Socket errors' "$TMP/wrk.out" | tr -s ' ' | tr '\n' ';')"
	fi
	WRK_REQS=$reqs
}

write_conf "$TMP/a.conf" /short/ 60000 5000 squid
write_conf "$TMP/b.conf" /swr/ 30000 4000 combined
use "$TMP/a.conf"
start_appliance "$ACTIVE"
VERSION=1
expect_counter config.version == 1

check_rules_change() {
	local i
	expect_codes rules_change 403 200
	use "$TMP/b.conf"
	reload_ok $((++VERSION)) >/dev/null
	expect_codes rules_change 200 403
	for ((i = 0; i < 50; i++)); do
		grep -q "\"GET $ORIGIN_URL/short/10k.bin HTTP/1.1\" 200" "$STATE_DIR/access.log" && break
		sleep 0.1
	done
	((i < 50)) || fail_check rules_change "no combined-format line in the access log after the reload: $(tail -n 2 "$STATE_DIR/access.log")"
	use "$TMP/a.conf"
	kill -HUP "${APP_PID[$LAB]}" # SIGHUP: the same as gatehousectl reload
	wait_counter config.version == $((++VERSION)) 50 ||
		fail_check rules_change "SIGHUP: config.version $(counter config.version), want $VERSION"
	expect_codes rules_change 403 200
	pass_check rules_change "A: /short/ 403, /swr/ 200; B: 200, 403 and combined log lines; A again (SIGHUP): 403, 200"
}

check_reloads_wrk() {
	local i
	wrk_start 12
	for ((i = 1; i <= 20; i++)); do
		if ((i % 2)); then use "$TMP/b.conf"; else use "$TMP/a.conf"; fi
		reload_ok $((++VERSION)) >/dev/null
		sleep 0.4
	done
	wrk_check reloads_wrk
	expect_codes reloads_wrk 403 200 # the 20th was A
	wait_counter config.versions_held == 0 50 ||
		fail_check reloads_wrk "replaced versions not freed: config.versions_held $(counter config.versions_held)"
	expect_counter config.reloads_ok == $((VERSION - 1))
	pass_check reloads_wrk "20 reloads during $WRK_REQS wrk requests: all 2xx, no socket error; every old version freed"
}

check_broken() {
	local out line want
	{
		cat "$TMP/b.conf"
		printf 'listen fwd2\n\tmode forward\n\tbind %s:3129\n\tno-such-directive 1\n' "$INSIDE_IP"
	} >"$TMP/broken.conf"
	line=$(wc -l <"$TMP/broken.conf")
	want="error: $ACTIVE:$line: unknown directive \"no-such-directive\" in listen section"
	wrk_start 4
	use "$TMP/broken.conf"
	out=$(ctl reload 2>&1) && fail_check broken "gatehousectl reload succeeded on a broken file: $out"
	[[ $out == "gatehousectl: $want" ]] || fail_check broken "want 'gatehousectl: $want', got '$out'"
	wrk_check broken
	expect_codes broken 403 200 # still A's rules
	expect_counter config.reloads_failed == 1
	expect_counter config.version == "$VERSION"
	use "$TMP/a.conf"
	pass_check broken "refused as '$out' while $WRK_REQS wrk requests went through; A's rules still apply"
}

check_restart_only() {
	local out
	local more=$((WORKERS + 1)) note
	note="restart needed: workers (file $more, running $WORKERS)"
	sed -E "s/^([[:space:]]*)workers [0-9]+/\\1workers $more/" "$TMP/b.conf" >"$TMP/b2.conf"
	grep -qE "^[[:space:]]*workers $more\$" "$TMP/b2.conf" || fail_check restart_only "no workers line to change"
	use "$TMP/b2.conf"
	VERSION=$((VERSION + 1)) # reload_ok runs in a subshell here
	out=$(reload_ok "$VERSION")
	grep -qx "$note" <<<"$out" ||
		fail_check restart_only "no '$note' line in: $(tr '\n' ';' <<<"$out")"
	grep -q "reload: $note" "${APP_LOG[$LAB]}" ||
		fail_check restart_only "the appliance log does not name the restart-only change"
	expect_codes restart_only 200 403 # B's rules are live
	if ctl stats | grep -q "^worker$WORKERS\."; then fail_check restart_only "worker $WORKERS runs"; fi
	pass_check restart_only "'$note', still $WORKERS worker(s), B's rules live"
}

# FILE: 100,000 names and 50,000 /32s (198.18.128.0/17 and
# 198.19.128.0/17: clients of no lab) as acl lines of 40 values each, then
# 100,000 acls of one value each (50,000 /32s of the same ranges, 50,000
# names); FILE.rules: the listener's rules denying all of them, 100,002
# http-access lines.
write_big_acls() {
	awk -v rules="$1.rules" 'BEGIN {
		for (i = 0; i < 100000; i++) {
			if (i % 40 == 0) printf "%sacl bigdom dstdomain", (i ? "\n" : "")
			printf " .d%d.blocked.test", i
		}
		printf "\n"
		for (i = 0; i < 50000; i++) {
			if (i % 40 == 0) printf "%sacl bigsrc src", (i ? "\n" : "")
			printf " 198.%d.%d.%d", 18 + int(i / 32768), 128 + int(i % 32768 / 256), i % 256
		}
		printf "\n"
		printf "\thttp-access deny bigdom\n\thttp-access deny bigsrc\n" >rules
		for (i = 0; i < 50000; i++) {
			printf "acl s%d src 198.%d.%d.%d\n", i, 18 + int(i / 32768), 128 + int(i % 32768 / 256), i % 256
			printf "\thttp-access deny s%d\n", i >rules
			printf "acl n%d dstdomain .r%d.blocked.test\n", i, i
			printf "\thttp-access deny n%d\n", i >rules
		}
	}' >"$1"
}

check_big_rules() {
	local t0 t1 c
	write_big_acls "$TMP/big.acl"
	write_conf "$TMP/big.conf" /short/ 60000 5000 squid "$TMP/big.acl"
	wrk_start 10
	use "$TMP/big.conf"
	t0=$(date +%s%N)
	reload_ok $((++VERSION)) >/dev/null
	t1=$(date +%s%N)
	c=$(fwd_curl -o /dev/null -w '%{http_code}' "http://x.d77777.blocked.test/" 2>/dev/null || true)
	[[ $c == 403 ]] || fail_check big_rules "a listed domain answered $c, want 403"
	c=$(fwd_curl -o /dev/null -w '%{http_code}' "http://x.r44444.blocked.test/" 2>/dev/null || true)
	[[ $c == 403 ]] || fail_check big_rules "a domain of a one-value rule answered $c, want 403"
	sleep 1
	reload_ok $((++VERSION)) >/dev/null
	wrk_check big_rules
	expect_codes big_rules 403 200
	wait_counter config.versions_held == 0 50 ||
		fail_check big_rules "replaced versions not freed: config.versions_held $(counter config.versions_held)"
	pass_check big_rules "$(wc -c <"$TMP/big.conf") bytes of config, 100,002 rules over 250,000 acl values: loaded in $(((t1 - t0) / 1000000)) ms and reloaded during $WRK_REQS wrk requests, no error, a listed domain 403"
}

check_rules_change
check_reloads_wrk
check_broken
check_restart_only
check_big_rules
check_fwd_released
pid_alive "${APP_PID[$LAB]}" || fail "the appliance died"
log "all $CHECKS checks passed"
pass
