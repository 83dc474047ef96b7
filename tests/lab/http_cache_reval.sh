#!/usr/bin/env bash
#
# lab-http_cache_reval: the forward proxy cache's hit side (issue 12:
# validation, clients' conditionals, ranges, Cache-Status) against the lab
# origin's nginx, whose static files carry ETag and Last-Modified;
# /short/10k.bin has Cache-Control: max-age=1, /cache/100k.bin max-age=60
# (tools/lab).  The appliance runs two workers with `cache on` and
# `cache-status on`.  Checks, each printing PASS or FAIL (the first FAIL
# ends the test, after cleanup):
#   revalidate   /short/10k.bin fetched, then again after 2 s: nginx logs
#                a 304 for the second request (our If-None-Match), the
#                client gets the whole file (SHA-256) with a 200 and
#                Cache-Status fwd=stale; fwd-status=304;
#                proxy.fwd_cache_revalidated_304 1
#   inm_304      /cache/100k.bin fetched, then asked with If-None-Match:
#                its ETag: a 304 with that ETag, no new origin request
#   range_206    Range: bytes=1000-1999 of it: 206, Content-Range
#                bytes 1000-1999/102400, the file's bytes 1000..1999
#   range_416    Range: bytes=200000-: 416, Content-Range: bytes */102400
#   swr          /swr/10k.bin (max-age=1, stale-while-revalidate=30)
#                fetched, then three times at once after 2 s: each client
#                gets the whole file with a 200 within 0.5 s, the first
#                with Cache-Status fwd=stale; nginx logs exactly one 304
#                (the background validation); TCP_STALE_HIT/200 and one
#                TCP_REFRESH_UNMODIFIED/304 in the access log;
#                proxy.fwd_cache_bg_started 1, fwd_cache_bg_304 1; the
#                304 says max-age=60 (tools/lab), so 1.5 s later a fourth
#                request is a fresh hit and starts no validation (with
#                max-age=1 on the 304 the entry went stale again during
#                the check: a second validation, the check flaked)
#   access_log   TCP_REFRESH_UNMODIFIED/200 for the revalidated URL;
#                TCP_INM_HIT/304, TCP_MEM_HIT/206, TCP_MEM_HIT/416 for the
#                other; the counters not_modified, ranges, range_416 at 1
#   released     every client session and mbuf back to base afterwards
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

PORT=3128
ORIGIN_URL=http://origin.lab.test
SHORT=/short/10k.bin
SWR=/swr/10k.bin
OBJ=/cache/100k.bin
NGINX_LOG_START=0

need_lab_prereqs
for t in curl sha256sum cmp; do command -v "$t" >/dev/null || fail "$t not found: run tools/setup"; done

pcurl() {
	timeout -k 2 60 ip netns exec "$CLIENT_NS" curl -sS --max-time 50 \
		-x "http://$INSIDE_IP:$PORT" "$@"
}

# The origin's log lines for path $1 since the start.
origin_lines() {
	tail -n +$((NGINX_LOG_START + 1)) "$STATE_DIR/nginx-access.log" | grep -- "GET $1 " || true
}

# The status of the last line of header file $1.
status_of() { head -n 1 "$1" | awk '{print $2}'; }

start_proxy() {
	local conf=$STATE_DIR/http_cache_reval.conf
	cp "${CONF:?}" "$conf"
	cat >>"$conf" <<CONF_EOF

listen fwd
	mode forward
	bind $INSIDE_IP:$PORT
	allow-src $CLIENT_IP/32
	cache on
	cache-status on
	cache-mb 16
CONF_EOF
	conf_resolver_log "$conf"
	start_appliance "$conf"
}

check_revalidate() {
	local h=$STATE_DIR/reval.head want got n
	want=$(sha256sum <"$STATE_DIR/www$SHORT" | cut -d' ' -f1)
	got=$(pcurl "$ORIGIN_URL$SHORT" | sha256sum | cut -d' ' -f1)
	[[ $got == "$want" ]] || fail_check revalidate "miss body SHA-256 $got, want $want"
	sleep 2 # max-age=1: stale now
	got=$(pcurl -D "$h" "$ORIGIN_URL$SHORT" | sha256sum | cut -d' ' -f1)
	[[ $(status_of "$h") == 200 ]] || fail_check revalidate "status $(status_of "$h"), want 200"
	[[ $got == "$want" ]] || fail_check revalidate "revalidated body SHA-256 $got, want $want"
	grep -qi '^Cache-Status: fwd; fwd=stale; fwd-status=304' "$h" ||
		fail_check revalidate "no Cache-Status fwd=stale; fwd-status=304: $(tr '\r\n' '  ' <"$h")"
	sleep 0.5 # nginx writes its log line after the response
	n=$(origin_lines "$SHORT" | awk '{print $9}' | tr '\n' ' ')
	[[ $n == "200 304 " ]] || fail_check revalidate "the origin's statuses for $SHORT: '$n', want '200 304 '"
	expect_counter proxy.fwd_cache_revalidated_304 == 1
	pass_check revalidate "expired, nginx answered 304, the client got the stored body"
}

check_inm_304() {
	local h=$STATE_DIR/inm.head etag n0 n
	pcurl -D "$h" -o /dev/null "$ORIGIN_URL$OBJ" || fail_check inm_304 "curl failed"
	etag=$(grep -i '^ETag:' "$h" | head -n 1 | cut -d' ' -f2- | tr -d '\r')
	[[ -n $etag ]] || fail_check inm_304 "no ETag from the origin: $(tr '\r\n' '  ' <"$h")"
	sleep 0.5
	n0=$(origin_lines "$OBJ" | wc -l)
	pcurl -D "$h" -o /dev/null -H "If-None-Match: $etag" "$ORIGIN_URL$OBJ" || fail_check inm_304 "curl failed"
	[[ $(status_of "$h") == 304 ]] || fail_check inm_304 "status $(status_of "$h"), want 304"
	grep -qi "^ETag: $etag" "$h" || fail_check inm_304 "the 304 has no ETag $etag"
	sleep 0.5
	n=$(origin_lines "$OBJ" | wc -l)
	((n == n0)) || fail_check inm_304 "the origin saw $((n - n0)) more requests"
	pass_check inm_304 "If-None-Match: $etag answered 304 by the cache"
}

check_range_206() {
	local h=$STATE_DIR/range.head b=$STATE_DIR/range.body want=$STATE_DIR/range.want
	pcurl -D "$h" -o "$b" -H 'Range: bytes=1000-1999' "$ORIGIN_URL$OBJ" || fail_check range_206 "curl failed"
	[[ $(status_of "$h") == 206 ]] || fail_check range_206 "status $(status_of "$h"), want 206"
	grep -qi '^Content-Range: bytes 1000-1999/102400' "$h" ||
		fail_check range_206 "Content-Range: $(grep -i '^Content-Range' "$h" | tr -d '\r')"
	dd if="$STATE_DIR/www$OBJ" of="$want" bs=1000 skip=1 count=1 status=none
	cmp -s "$b" "$want" || fail_check range_206 "the body is not bytes 1000..1999 ($(stat -c %s "$b") bytes)"
	pass_check range_206 "bytes 1000-1999 right"
}

check_range_416() {
	local h=$STATE_DIR/r416.head
	pcurl -D "$h" -o /dev/null -H 'Range: bytes=200000-' "$ORIGIN_URL$OBJ" || fail_check range_416 "curl failed"
	[[ $(status_of "$h") == 416 ]] || fail_check range_416 "status $(status_of "$h"), want 416"
	grep -qi '^Content-Range: bytes \*/102400' "$h" ||
		fail_check range_416 "Content-Range: $(grep -i '^Content-Range' "$h" | tr -d '\r')"
	pass_check range_416 "416 with Content-Range: bytes */102400"
}

check_swr() {
	local h=$STATE_DIR/swr.head want got n i t pids=()
	want=$(sha256sum <"$STATE_DIR/www$SWR" | cut -d' ' -f1)
	got=$(pcurl "$ORIGIN_URL$SWR" | sha256sum | cut -d' ' -f1)
	[[ $got == "$want" ]] || fail_check swr "miss body SHA-256 $got, want $want"
	sleep 2 # stale now, 30 s of stale-while-revalidate
	for i in 1 2 3; do
		pcurl -D "$h.$i" -o "$STATE_DIR/swr.body.$i" -w '%{time_total}\n' \
			"$ORIGIN_URL$SWR" >"$STATE_DIR/swr.time.$i" &
		pids+=($!)
	done
	wait "${pids[@]}" # not the appliance's
	for i in 1 2 3; do
		[[ $(status_of "$h.$i") == 200 ]] || fail_check swr "status $(status_of "$h.$i"), want 200"
		got=$(sha256sum <"$STATE_DIR/swr.body.$i" | cut -d' ' -f1)
		[[ $got == "$want" ]] || fail_check swr "body $i SHA-256 $got, want $want"
		t=$(cat "$STATE_DIR/swr.time.$i")
		awk -v t="$t" 'BEGIN { exit !(t < 0.5) }' || fail_check swr "answer $i took $t s"
	done
	grep -qi '^Cache-Status: fwd; fwd=stale; ttl=-[0-9]*; detail=revalidating' "$h".* ||
		fail_check swr "no Cache-Status fwd=stale: $(cat "$h".* | tr '\r\n' '  ')"
	wait_counter proxy.fwd_cache_bg_304 == 1 50 || fail_check swr "no background 304"
	expect_counter proxy.fwd_cache_bg_started == 1
	sleep 0.5 # nginx writes its log line after the response
	n=$(origin_lines "$SWR" | awk '{print $9}' | tr '\n' ' ')
	[[ $n == "200 304 " ]] || fail_check swr "the origin's statuses for $SWR: '$n', want '200 304 '"
	for ((i = 0; i < 50; i++)); do
		grep -q -- " $ORIGIN_URL$SWR .*TCP_REFRESH_UNMODIFIED/304\| TCP_REFRESH_UNMODIFIED/304 .*$ORIGIN_URL$SWR " \
			"$STATE_DIR/access.log" 2>/dev/null && break
		sleep 0.1
	done
	n=$(grep -- " $ORIGIN_URL$SWR " "$STATE_DIR/access.log" | awk '{print $4}' | sort | uniq -c | tr -s ' \n' '  ')
	[[ $n == *" TCP_STALE_HIT/200 "* && $n == *" 1 TCP_REFRESH_UNMODIFIED/304 "* ]] ||
		fail_check swr "access-log codes for $SWR: '$n'"
	sleep 1.5 # past the 200's max-age=1; the 304's max-age=60 holds
	pcurl -D "$h.4" -o /dev/null "$ORIGIN_URL$SWR" || fail_check swr "curl failed"
	grep -qi '^Cache-Status: fwd; hit; ttl=' "$h.4" ||
		fail_check swr "not a fresh hit after the 304: $(tr '\r\n' '  ' <"$h.4")"
	expect_counter proxy.fwd_cache_bg_started == 1
	pass_check swr "three answers at once from the stale copy, one background 304 at nginx"
}

check_access_log() {
	local lines i
	for ((i = 0; i < 50; i++)); do
		(($(grep -c -- " $ORIGIN_URL$OBJ " "$STATE_DIR/access.log" 2>/dev/null || echo 0) >= 4)) && break
		sleep 0.1
	done
	lines=$(grep -- " $ORIGIN_URL$SHORT " "$STATE_DIR/access.log" | sort -s -n -k1,1 | awk '{print $4}' | tr '\n' ' ')
	[[ $lines == "TCP_MISS/200 TCP_REFRESH_UNMODIFIED/200 " ]] ||
		fail_check access_log "result codes of $SHORT: '$lines'"
	lines=$(grep -- " $ORIGIN_URL$OBJ " "$STATE_DIR/access.log" | sort -s -n -k1,1 | awk '{print $4}' | tr '\n' ' ')
	[[ $lines == "TCP_MISS/200 TCP_INM_HIT/304 TCP_MEM_HIT/206 TCP_MEM_HIT/416 " ]] ||
		fail_check access_log "result codes of $OBJ: '$lines'"
	expect_counter proxy.fwd_cache_not_modified == 1
	expect_counter proxy.fwd_cache_ranges == 1
	expect_counter proxy.fwd_cache_range_416 == 1
	pass_check access_log "$lines"
}

check_released() {
	wait_counter proxy.fwd_sessions_in_use == 0 50 || fail_check released "sessions still open"
	wait_counter port.inside.mbufs_in_use "<=" "$(mbufs_base inside)" 50 ||
		fail_check released "inside mbufs in use: $(counter port.inside.mbufs_in_use)"
	pass_check released "no session, no inside mbuf held"
}

lab_up "${LAB_NAME:-lcrev}" --workers 2
NGINX_LOG_START=$(wc -l <"$STATE_DIR/nginx-access.log")
start_proxy
for c in revalidate inm_304 range_206 range_416 swr access_log released; do
	"check_$c"
done
log "all $CHECKS checks passed"
pass
