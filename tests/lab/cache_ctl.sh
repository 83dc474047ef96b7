#!/usr/bin/env bash
#
# lab-cache_ctl: the shared cache's operations surface (issue 12 item 9):
# `gatehousectl cache stats|list|purge` and the index's counters on every
# stats surface, against the lab origin's nginx (/cache/100k.bin is 100 KiB
# with Cache-Control: max-age=60, tools/lab).  The appliance runs two
# workers with `cache on`.  Checks, each printing PASS or FAIL (the first
# FAIL ends the test, after cleanup):
#   no_cache   an appliance without `cache on`: every `cache` command is an
#              error, no cache.* in `stats`
#   empty      before any request: `cache list` lists nothing,
#              cache.objects 0, cache.budget_bytes 16 MiB
#   fetch      two GETs of the object, one with a query: two origin requests
#   list       `cache list` shows both URLs, complete, 102400 body bytes;
#              a PREFIX selects, --limit 1 says "... 1 more"
#   surfaces   cache.objects 2 and cache.bytes > 200 KiB in `cache stats`,
#              `cache stats --json`, `stats`, `stats --json` and DPDK
#              telemetry /gatehouse/stats; every cache.* name everywhere
#   purge      `cache purge URL` says purged (exit 0), cache.objects 1,
#              the URL is gone from `cache list`, the object is freed a
#              grace period later (cache.live_objects 1: the control
#              thread does not hold grace periods up), the next GET reaches
#              the origin again (nginx's access log); the other stays a hit
#   purge_case the URL with scheme and host in upper case and ":80" is the
#              same key: purged
#   not_found  purging an absent URL says "not found", exit status 0
#   bad_url    https, userinfo, no scheme, a fragment, a bad port, a URL
#              over 4 KiB, a command line over the socket's limit (refused
#              whole, not cut short): exit status 1 and the reason; nothing
#              purged
#   stop       SIGTERM: the appliance frees the cache and exits 0 (the
#              control thread's QSBR registration ends cleanly)
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

PORT=3128
ORIGIN_URL=http://origin.lab.test
OBJ=/cache/100k.bin
URL1=$ORIGIN_URL$OBJ
URL2="$ORIGIN_URL$OBJ?v=2"
NGINX_LOG_START=0
WANT_SHA=""
CACHE_NAMES="inserts insert_collisions removes evictions evict_stuck over_budget objects bytes budget_bytes live_objects live_bytes arena_bytes mem_region_bytes mem_used_bytes mem_exhausted hit_ratio_permille"

need_lab_prereqs
for t in curl sha256sum; do command -v "$t" >/dev/null || fail "$t not found: run tools/setup"; done

# Requests the origin logged since the start for path $1 (with its query).
origin_hits() {
	sleep 0.5 # nginx writes its log line after the response
	tail -n +$((NGINX_LOG_START + 1)) "$STATE_DIR/nginx-access.log" | grep -c -F -- "GET $1 " || true
}

# GET $1 through the proxy; its body must be the file.
get_ok() {
	local sha
	sha=$(proxy_curl "$PORT" "$1" | sha256sum | cut -d' ' -f1)
	[[ $sha == "$WANT_SHA" ]] || fail_check "$2" "GET $1: body SHA-256 $sha, want $WANT_SHA"
}

# The value of cache.$1 in `gatehousectl cache stats`.
cache_stat() {
	ctl cache stats | awk -v n="cache.$1" '$1 == n {print $2}'
}

start_proxy() {
	local conf=$STATE_DIR/cache_ctl.conf
	cp "${CONF:?}" "$conf"
	cat >>"$conf" <<CONF_EOF

listen fwd
	mode forward
	bind $INSIDE_IP:$PORT
	allow-src $CLIENT_IP/32
	cache on
	cache-mb 16
	cache-max-object-kb 1024

resolver
	nameserver $DNS_IP
CONF_EOF
	start_appliance "$conf"
}

check_no_cache() {
	local out cmd
	start_appliance "$CONF"
	for cmd in "cache stats" "cache list" "cache purge $URL1"; do
		# shellcheck disable=SC2086 # the words of the command
		out=$(ctl $cmd 2>&1) && fail_check no_cache "'$cmd' succeeded: $out"
		[[ $out == *"error: no cache"* ]] || fail_check no_cache "'$cmd': $out"
	done
	out=$(ctl stats) || fail_check no_cache "stats failed"
	! grep -q '^cache\.' <<<"$out" || fail_check no_cache "cache.* in stats without a cache"
	stop_appliance || fail_check no_cache "the appliance did not stop"
	pass_check no_cache "without cache on: cache stats|list|purge are errors, no cache.* counters"
}

check_empty() {
	local out
	out=$(ctl cache list) || fail_check empty "cache list failed: $out"
	[[ $(grep -vc '^#' <<<"$out") == 0 ]] || fail_check empty "cache list of an empty cache: $out"
	[[ $(cache_stat objects) == 0 ]] || fail_check empty "cache.objects $(cache_stat objects)"
	[[ $(cache_stat budget_bytes) == $((16 << 20)) ]] ||
		fail_check empty "cache.budget_bytes $(cache_stat budget_bytes), want $((16 << 20))"
	pass_check empty "nothing listed, cache.objects 0, budget 16 MiB"
}

check_fetch() {
	local n1 n2
	get_ok "$URL1" fetch
	get_ok "$URL2" fetch
	get_ok "$URL1" fetch # a hit
	n1=$(origin_hits "$OBJ")
	n2=$(origin_hits "$OBJ?v=2")
	[[ $n1 == 1 && $n2 == 1 ]] || fail_check fetch "origin requests: $n1 for $OBJ, $n2 for $OBJ?v=2, want 1 and 1"
	pass_check fetch "$URL1 and $URL2 fetched once each"
}

check_list() {
	local out line
	out=$(ctl cache list) || fail_check list "cache list failed: $out"
	printf '%s\n' "$out"
	for u in "$URL1" "$URL2"; do
		line=$(awk -v u="$u" '$4 == u' <<<"$out")
		[[ -n $line ]] || fail_check list "$u not listed: $out"
		read -r st body obj _ <<<"$line"
		[[ $st == complete && $body == 102400 ]] || fail_check list "$u: '$line'"
		((obj > body)) || fail_check list "$u: object bytes $obj <= body bytes $body"
	done
	out=$(ctl cache list "$ORIGIN_URL/cache/100k.bin?") || fail_check list "cache list PREFIX failed"
	[[ $(grep -vc '^#' <<<"$out") == 1 && $out == *"$URL2"* ]] || fail_check list "PREFIX ...?: $out"
	out=$(ctl cache list http://elsewhere.test/) || fail_check list "cache list PREFIX failed"
	[[ $(grep -vc '^#' <<<"$out") == 0 ]] || fail_check list "PREFIX elsewhere: $out"
	out=$(ctl cache list --limit 1) || fail_check list "cache list --limit 1 failed"
	[[ $(grep -vc '^#' <<<"$out") == 2 && $(tail -n1 <<<"$out") == "... 1 more" ]] ||
		fail_check list "--limit 1: $out"
	pass_check list "both URLs complete with 102400 body bytes; PREFIX and --limit select"
}

# cache.* in every view: `cache stats` (text, JSON), `stats` (text, JSON)
# and telemetry, all with the same names and, for these gauges, values.
check_surfaces() {
	local cj=$STATE_DIR/cache.json sj=$STATE_DIR/stats.json st=$STATE_DIR/stats.txt
	local tele=$STATE_DIR/cache.tele
	ctl cache stats || fail_check surfaces "cache stats failed"
	ctl cache stats --json >"$cj" || fail_check surfaces "cache stats --json failed"
	ctl stats >"$st" || fail_check surfaces "stats failed"
	ctl stats --json >"$sj" || fail_check surfaces "stats --json failed"
	printf '/gatehouse/stats\n' | timeout 20 "$PY" /usr/bin/dpdk-telemetry.py -f "$FILE_PREFIX" >"$tele" 2>&1 ||
		fail_check surfaces "dpdk-telemetry.py failed: $(head -c 300 "$tele")"
	"$PY" - "$cj" "$sj" "$st" "$tele" "$CACHE_NAMES" <<'PYEOF' || fail_check surfaces "the views disagree (above)"
import json
import sys

cj, sj, st, tele, names = sys.argv[1:6]
names = names.split()
views = {"cache stats --json": json.load(open(cj))["cache"],
         "stats --json": json.load(open(sj))["total"]["cache"]}
text = {}
for ln in open(st):
    p = ln.split()
    if len(p) == 2 and p[0].startswith("cache."):
        text[p[0][6:]] = int(p[1])
views["stats"] = text
for ln in open(tele):
    ln = ln.strip()
    if ln.startswith("{") and "/gatehouse/stats" in ln:
        views["telemetry"] = json.loads(ln)["/gatehouse/stats"]["cache"]
if "telemetry" not in views:
    sys.exit("no /gatehouse/stats reply with a cache group in telemetry")
bad = []
for v, d in views.items():
    if sorted(d) != sorted(names):
        bad.append(f"{v}: names {sorted(d)}")
        continue
    if d["objects"] != 2 or d["bytes"] <= 2 * 102400 or d["inserts"] != 2:
        bad.append(f"{v}: objects {d['objects']} bytes {d['bytes']} inserts {d['inserts']}")
    if d["budget_bytes"] != 16 << 20 or d["live_objects"] != 2:
        bad.append(f"{v}: budget {d['budget_bytes']} live {d['live_objects']}")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PYEOF
	[[ $(ctl get cache.objects) == 2 ]] || fail_check surfaces "gatehousectl get cache.objects: $(ctl get cache.objects)"
	pass_check surfaces "cache.objects 2 and all ${CACHE_NAMES// /, } alike in cache stats, stats (text, JSON) and telemetry"
}

check_purge() {
	local out n0 n i
	n0=$(origin_hits "$OBJ")
	out=$(ctl cache purge "$URL1") || fail_check purge "exit status $?: $out"
	[[ $out == "purged $URL1" ]] || fail_check purge "reply '$out'"
	[[ $(cache_stat objects) == 1 && $(cache_stat removes) == 1 ]] ||
		fail_check purge "cache.objects $(cache_stat objects), removes $(cache_stat removes)"
	out=$(ctl cache list)
	[[ $(awk -v u="$URL1" '$4 == u' <<<"$out") == "" ]] || fail_check purge "still listed: $out"
	# The index drops its reference a grace period after the purge: it
	# comes only if every registered QSBR thread, the control thread among
	# them, lets it (offline between commands).
	for ((i = 0; i < 50; i++)); do
		[[ $(cache_stat live_objects) == 1 ]] && break
		sleep 0.1
	done
	[[ $(cache_stat live_objects) == 1 ]] ||
		fail_check purge "cache.live_objects $(cache_stat live_objects) 5 s after the purge, want 1: no grace period"
	get_ok "$URL1" purge
	n=$(origin_hits "$OBJ")
	((n == n0 + 1)) || fail_check purge "the origin saw $((n - n0)) requests for $OBJ after the purge, want 1"
	n0=$(origin_hits "$OBJ?v=2")
	get_ok "$URL2" purge
	n=$(origin_hits "$OBJ?v=2")
	((n == n0)) || fail_check purge "$URL2 went to the origin: the purge took more than its URL"
	[[ $(cache_stat objects) == 2 ]] || fail_check purge "cache.objects $(cache_stat objects) after the refetch"
	pass_check purge "purged $URL1; the next GET reached the origin and was stored again; $URL2 still a hit"
}

check_purge_case() {
	local out u=HTTP://ORIGIN.Lab.Test:80$OBJ
	out=$(ctl cache purge "$u") || fail_check purge_case "exit status $?: $out"
	[[ $out == "purged $URL1" ]] || fail_check purge_case "reply '$out'"
	pass_check purge_case "$u is $URL1"
}

check_not_found() {
	local out
	out=$(ctl cache purge "$URL1") || fail_check not_found "exit status $?: $out"
	[[ $out == "not found $URL1" ]] || fail_check not_found "reply '$out'"
	out=$(ctl cache purge "$ORIGIN_URL/never/fetched") || fail_check not_found "exit status $?: $out"
	[[ $out == "not found $ORIGIN_URL/never/fetched" ]] || fail_check not_found "reply '$out'"
	pass_check not_found "absent URLs: 'not found', exit status 0"
}

check_bad_url() {
	local u out rc objects
	objects=$(cache_stat objects)
	for u in "https://origin.lab.test$OBJ" "http://user@origin.lab.test$OBJ" "origin.lab.test$OBJ" \
		"$URL2#x" "http://origin.lab.test:99999/"; do
		rc=0
		out=$(ctl cache purge "$u" 2>&1) || rc=$?
		[[ $rc == 1 && $out == *"error: bad URL"* ]] || fail_check bad_url "$u: exit status $rc, '$out'"
		log "$u: $out"
	done
	u="$ORIGIN_URL/$(head -c 4100 /dev/zero | tr '\0' a)"
	rc=0
	out=$(ctl cache purge "$u" 2>&1) || rc=$?
	[[ $rc == 1 && $out == *"URL too long"* ]] || fail_check bad_url "4 KiB URL: exit status $rc, '${out:0:200}'"
	u="$URL2$(head -c 5000 /dev/zero | tr '\0' a)"
	rc=0
	out=$(ctl raw cache purge "$u" 2>&1) || rc=$?
	[[ $rc == 1 && $out == *"error: command line over"* ]] ||
		fail_check bad_url "overlong line: exit status $rc, '${out:0:200}'"
	[[ $(cache_stat objects) == "$objects" ]] || fail_check bad_url "cache.objects went from $objects to $(cache_stat objects)"
	pass_check bad_url "https, userinfo, no scheme, fragment, bad port, URL too long, line too long: exit status 1 with the reason"
}

check_stop() {
	local lg=${APP_LOG[$LAB]}
	stop_appliance || fail_check stop "the appliance did not stop on SIGTERM"
	[[ ${APP_STATUS[$LAB]} == 0 ]] || fail_check stop "exit status ${APP_STATUS[$LAB]}"
	! grep -q "cache not freed" "$lg" || fail_check stop "$(grep "cache not freed" "$lg")"
	grep -q "gatehouse: stopped" "$lg" || fail_check stop "no 'stopped' in $lg"
	pass_check stop "exit status 0, cache freed"
}

lab_up lcctl --workers 2
NGINX_LOG_START=$(wc -l <"$STATE_DIR/nginx-access.log")
WANT_SHA=$(sha256sum <"$STATE_DIR/www$OBJ" | cut -d' ' -f1)
check_no_cache
start_proxy
for c in empty fetch list surfaces purge purge_case not_found bad_url stop; do
	"check_$c"
done
log "all $CHECKS checks passed"
pass
