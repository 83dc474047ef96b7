#!/usr/bin/env bash
#
# lab-http_proxy: the appliance as an HTTP forward proxy (issue 5) against
# real peers: curl and wrk in the client namespace, the lab origin's nginx
# (HTTP :80, TLS :443, /1k.bin, /1g.bin, /uri/, /upload), its silent
# listener (:8081) and its dnsmasq (origin/silent.lab.test, NXDOMAIN for
# the rest).  Checks, each a function printing PASS or FAIL (the first FAIL
# ends the test, after cleanup):
#   get_1k            GET http://origin.lab.test/1k.bin via the proxy: SHA-256
#   origin_sees_out   the origin's access log shows only OUTSIDE_IP as client
#   upstream_reuse    two URLs on one client connection: one client
#                     connection, and the upstream connection reused
#                     (counter REUSE_COUNTER > 0)
#   wrk               wrk + wrk_absolute.lua for 3 s: requests > 0, no
#                     non-2xx, no socket errors
#   connect_443       CONNECT origin.lab.test:443 (curl -k https://...): SHA-256
#   connect_25        CONNECT to port 25: refused, the proxy answered 403
#   chunked_upload    POST with Transfer-Encoding: chunked: 200, origin
#                     received every byte
#   pipelining        3 requests in one write, 3 responses in order
#   dns_failure       http://nx.lab.test/ -> 502
#   silent_origin     http://silent.lab.test:8081/ -> 504 after the upstream
#                     read timeout (2000 ms here), not much later
#   forbidden_client  a client address outside allow-src -> reset at accept
#                     (curl 000; Squid answers 403)
#   download_1g       1 GiB through the proxy: size and SHA-256 right, the
#                     proxy's VmRSS at most +64 MiB over its start value
#   access_log        one line per transaction, Squid format, a TCP_MISS/200
#                     line with the URL
#   acl_denied        (gatehouse only) http://x.denied.lab.test/ is denied by
#                     an http-access rule (dstdomain): 403 before any DNS,
#                     proxy.fwd_acl_denied counts it, TCP_DENIED logged
#   edges             (gatehouse only) http_edges.py: 400 smuggling / origin-
#                     form, 413 (Content-Length, and a chunked body, over
#                     max-request-body-bytes),
#                     414, 431, 405, 501, 505 with a Gatehouse page; 403 for
#                     the proxy's own, loopback, private, multicast targets; HEAD
#                     then GET pipelined; a half-closed client gets its whole
#                     answer; a download reset mid-way; then every session
#                     and mbuf is back to base
#
# The appliance runs with allow-src CLIENT_IP/32; the forbidden client is a
# second address 198.18.N.3 on the client's eth0 (curl --interface).
#
# HTTP_PROXY_CHECKS="NAME ..." runs only the checks named (for debugging).
# HTTP_PROXY_PEER=squid|ats runs the same checks against a kernel reference
# proxy (tools/lib/fwdproxy.sh, with the appliance's addresses on in0/out0)
# instead of the appliance: it proves the test itself.  Checks that need
# the appliance's counters are skipped there, and the status codes each peer
# gives for errors are its own (a name that does not resolve: Squid 502,
# ATS 500; a client outside the allowed net: Squid 403, ATS closes the
# connection; see expected_* below).
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

# The counter of upstream connections reused for a later request (name to
# be confirmed by the appliance's stats).
REUSE_COUNTER=${REUSE_COUNTER:-proxy.fwd_upstream_reused}
PEER=${HTTP_PROXY_PEER:-gatehouse}
PORT=3128
READ_TIMEOUT_MS=2000
RSS_SLACK_KIB=$((64 * 1024))
UPLOAD_BYTES=$((3 * 1024 * 1024 + 17))
PIPELINE_PY=$LAB_TESTS_DIR/http_pipeline.py
EDGES_PY=$LAB_TESTS_DIR/http_edges.py
WRK_LUA=$LAB_TESTS_DIR/wrk_absolute.lua
ORIGIN_URL=http://origin.lab.test

ALL_CHECKS="get_1k upstream_reuse wrk connect_443 connect_25 chunked_upload pipelining
	dns_failure silent_origin forbidden_client download_1g origin_sees_out access_log
	acl_denied edges"
# HTTP_PROXY_CHECKS="get_1k wrk" runs only those (in that order).
CHECK_LIST=${HTTP_PROXY_CHECKS:-$ALL_CHECKS}

case $PEER in
gatehouse) need_lab_prereqs ;;
squid | ats)
	[[ $(id -u) -eq 0 ]] || fail "lab tests need root (network namespaces): run them with sudo"
	;;
*) fail "HTTP_PROXY_PEER must be gatehouse, squid or ats, not '$PEER'" ;;
esac
for t in curl wrk sha256sum; do command -v "$t" >/dev/null || fail "$t not found: run tools/setup"; done
# shellcheck source=tools/lib/fwdproxy.sh
. "$GH_SOURCE_ROOT/tools/lib/fwdproxy.sh"

# Status codes each peer answers.  The appliance: issue 5.
expected_dns_failure() {
	case $PEER in
	ats) echo 500 ;; # ATS: "Cannot find server" is a 500
	*) echo 502 ;;
	esac
}

expected_forbidden() {
	case $PEER in
	# Gatehouse resets a client outside allow-src at accept (issue 10:
	# it may not make the proxy hold a head); ATS's ip_allow closes it.
	gatehouse | ats) echo 000 ;;
	*) echo 403 ;;
	esac
}

PROXY_PID=""    # the process whose RSS and counters are checked
ACCESS_LOG=""   # the proxy's access log
TMP=""          # scratch dir (in the state dir: goes with the lab)
NGINX_LOG_START=0
CHECKS=0

pass_check() {
	CHECKS=$((CHECKS + 1))
	printf 'PASS %s: %s\n' "$1" "$2"
}
fail_check() {
	printf 'FAIL %s: %s\n' "$1" "$2"
	fail "$1: $2"
}

# curl through the proxy from the client namespace, bounded.
pcurl() {
	timeout -k 2 60 ip netns exec "$CLIENT_NS" curl -sS --max-time 50 \
		-x "http://$INSIDE_IP:$PORT" "$@"
}

# ---------------------------------------------------------------- start ---

start_proxy() {
	local conf
	if [[ $PEER == gatehouse ]]; then
		conf=$STATE_DIR/http_proxy.conf
		cp "${CONF:?}" "$conf"
		cat >>"$conf" <<CONF_EOF

acl labclient src $CLIENT_IP/32
acl denied dstdomain .denied.lab.test
listen fwd
	mode forward
	bind $INSIDE_IP:$PORT
	allow-src $CLIENT_IP/32
	http-access deny denied
	http-access allow labclient
	connect-ports 443
	x-forwarded-for add
	anonymous off
	via on
	timeout-client-header-ms 10000
	timeout-client-idle-ms 60000
	timeout-connect-ms 5000
	timeout-upstream-read-ms $READ_TIMEOUT_MS
	upstream-idle-ms 30000
	upstream-idle-max 64
	max-request-body-bytes 104857600

resolver
	nameserver $DNS_IP
	timeout-ms 1000
	tries 3

access-log
	path $STATE_DIR/access.log
	format squid
CONF_EOF
		start_appliance "$conf"
		PROXY_PID=${APP_PID[$LAB]}
		ACCESS_LOG=$STATE_DIR/access.log
		return
	fi
	local dir=$STATE_DIR/$PEER
	relay_addrs_up "$APP_NS" "$INSIDE_IP" "$OUTSIDE_IP" || fail "cannot put kernel addresses on in0/out0"
	if [[ $PEER == squid ]]; then
		squid_write_conf "$dir" "$INSIDE_IP" "$PORT" "$OUTSIDE_IP" "$DNS_IP" "$CLIENT_IP/32" \
			$((READ_TIMEOUT_MS / 1000)) || fail "bad squid config"
		ACCESS_LOG=$dir/squid-access.log
	else
		ats_write_conf "$dir" "$INSIDE_IP" "$PORT" "$OUTSIDE_IP" "$DNS_IP" "$CLIENT_IP/32" \
			$((READ_TIMEOUT_MS / 1000)) || fail "bad ATS config"
		ACCESS_LOG=$dir/log/squid.log
	fi
	mkdir -p "$TEST_LOG_DIR"
	PROXY_PID=$(fwdproxy_start "$PEER" "$APP_NS" "$dir" "$STATE_DIR/$PEER.pid" \
		"$TEST_LOG_DIR/$TEST_NAME-$LAB-$PEER.log" 1 "$PORT") || fail "$PEER did not start"
	log "reference proxy $PEER: PID $PROXY_PID on $INSIDE_IP:$PORT"
}

stop_reference() {
	[[ $PEER == gatehouse ]] && return 0
	fwdproxy_stop "$STATE_DIR/$PEER.pid"
	relay_addrs_down "$APP_NS" "$INSIDE_IP" "$OUTSIDE_IP"
}

# ---------------------------------------------------------------- checks ---

check_get_1k() {
	local want got
	want=$(sha256sum <"$STATE_DIR/www/1k.bin" | cut -d' ' -f1)
	got=$(pcurl "$ORIGIN_URL/1k.bin" | sha256sum | cut -d' ' -f1)
	[[ $got == "$want" ]] || fail_check get_1k "SHA-256 $got, want $want"
	pass_check get_1k "GET $ORIGIN_URL/1k.bin via $INSIDE_IP:$PORT, SHA-256 matches"
}

check_origin_sees_out() {
	local others n
	n=$(tail -n +$((NGINX_LOG_START + 1)) "$STATE_DIR/nginx-access.log" | wc -l)
	((n > 0)) || fail_check origin_sees_out "the origin logged no request"
	others=$(tail -n +$((NGINX_LOG_START + 1)) "$STATE_DIR/nginx-access.log" |
		awk -v out="$OUTSIDE_IP" '$1 != out {print $1}' | sort -u | tr '\n' ' ')
	[[ -z $others ]] || fail_check origin_sees_out "the origin saw clients other than $OUTSIDE_IP: $others"
	pass_check origin_sees_out "all $n origin requests came from $OUTSIDE_IP"
}

check_upstream_reuse() {
	local out before=0 after
	[[ $PEER == gatehouse ]] && before=$(counter "$REUSE_COUNTER")
	# One curl, two URLs: curl keeps its proxy connection for the second.
	out=$(pcurl -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
		"$ORIGIN_URL/1k.bin" "$ORIGIN_URL/index.html") || fail_check upstream_reuse "curl failed: $out"
	[[ $(sed -n 1p <<<"$out") == "200 1" && $(sed -n 2p <<<"$out") == "200 0" ]] ||
		fail_check upstream_reuse "want '200 1' then '200 0' (code, new connections), got: $(tr '\n' ';' <<<"$out")"
	if [[ $PEER != gatehouse ]]; then
		pass_check upstream_reuse "two requests on one client connection (counter check skipped for $PEER)"
		return
	fi
	after=$(counter "$REUSE_COUNTER")
	((after > before)) || fail_check upstream_reuse "$REUSE_COUNTER did not rise ($before -> $after)"
	pass_check upstream_reuse "two requests on one client connection, $REUSE_COUNTER $before -> $after"
}

check_wrk() {
	local out reqs
	out=$(timeout -k 5 30 ip netns exec "$CLIENT_NS" wrk -t1 -c10 -d3s --timeout 5s \
		-s "$WRK_LUA" "http://$INSIDE_IP:$PORT/" -- "$ORIGIN_URL/1k.bin" 2>&1) ||
		fail_check wrk "wrk failed: $out"
	reqs=$(awk '/requests in/ {print $1; exit}' <<<"$out")
	if ! [[ $reqs =~ ^[0-9]+$ ]] || ((reqs == 0)); then fail_check wrk "no requests done: $out"; fi
	if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
		fail_check wrk "$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' | tr '\n' ';')"
	fi
	pass_check wrk "$reqs requests in 3 s, all 2xx, no socket errors"
}

check_connect_443() {
	local want got
	want=$(sha256sum <"$STATE_DIR/www/1k.bin" | cut -d' ' -f1)
	got=$(pcurl -k "https://origin.lab.test/1k.bin" | sha256sum | cut -d' ' -f1)
	[[ $got == "$want" ]] || fail_check connect_443 "SHA-256 $got, want $want"
	pass_check connect_443 "CONNECT origin.lab.test:443, TLS to the origin, SHA-256 matches"
}

check_connect_25() {
	local out rc=0
	out=$(pcurl -k -o /dev/null -w '%{http_connect}' "https://origin.lab.test:25/" 2>/dev/null) || rc=$?
	((rc != 0)) || fail_check connect_25 "curl succeeded through a CONNECT to port 25"
	[[ $out == 403 ]] || fail_check connect_25 "CONNECT answered '$out', want 403 (curl exit $rc)"
	pass_check connect_25 "CONNECT origin.lab.test:25 refused with 403 (curl exit $rc)"
}

check_chunked_upload() {
	local f=$TMP/upload.bin out code body
	head -c "$UPLOAD_BYTES" /dev/urandom >"$f"
	out=$(pcurl -H 'Transfer-Encoding: chunked' --data-binary @"$f" -w '\n%{http_code}' \
		"$ORIGIN_URL/upload") || fail_check chunked_upload "curl failed: $out"
	code=$(tail -n 1 <<<"$out")
	body=$(head -n 1 <<<"$out")
	[[ $code == 200 ]] || fail_check chunked_upload "status $code, want 200"
	# The origin says how many bytes it got when its nginx has the echo
	# module (tools/lab); then they must all have arrived.
	if [[ $body == "received "* && $body != "received $UPLOAD_BYTES" ]]; then
		fail_check chunked_upload "origin: '$body', want 'received $UPLOAD_BYTES'"
	fi
	pass_check chunked_upload "chunked POST of $UPLOAD_BYTES bytes: 200, origin: '$body'"
}

check_edges() {
	local out
	if [[ $PEER != gatehouse ]]; then
		pass_check edges "skipped for $PEER (the statuses and counters are Gatehouse's)"
		return
	fi
	out=$(timeout -k 5 60 ip netns exec "$CLIENT_NS" python3 "$EDGES_PY" \
		--proxy "$INSIDE_IP:$PORT" --own "$OUTSIDE_IP" --timeout 10 2>&1) || fail_check edges "$out"
	# Everything the cases used is released: no client session, no mbuf
	# held (TCBs may linger in TIME-WAIT, the proxy closes first).
	wait_counter proxy.fwd_sessions_in_use == 0 50
	wait_counter port.inside.mbufs_in_use "<=" "$(mbufs_base inside)" 50 ||
		fail_check edges "inside mbufs in use: $(counter port.inside.mbufs_in_use), $(mbufs_base inside) with no traffic"
	wait_counter port.outside.mbufs_in_use "<=" "$(mbufs_base outside)" 50 ||
		fail_check edges "outside mbufs in use: $(counter port.outside.mbufs_in_use), $(mbufs_base outside) with no traffic"
	pass_check edges "$(tr '\n' ';' <<<"$out")"
}

check_pipelining() {
	local out
	out=$(timeout -k 2 20 ip netns exec "$CLIENT_NS" "$PY" "$PIPELINE_PY" \
		--proxy "$INSIDE_IP:$PORT" --count 3 --timeout 10 2>&1) || fail_check pipelining "$out"
	pass_check pipelining "3 requests in one write, 3 responses in order ($out)"
}

check_dns_failure() {
	local code want
	want=$(expected_dns_failure)
	code=$(pcurl -o /dev/null -w '%{http_code}' "http://nx.lab.test/" 2>/dev/null) || true
	[[ $code == "$want" ]] || fail_check dns_failure "http://nx.lab.test/ answered '$code', want $want"
	pass_check dns_failure "http://nx.lab.test/ (NXDOMAIN) -> $code"
}

check_silent_origin() {
	local out code secs min max
	out=$(pcurl -o /dev/null -w '%{http_code} %{time_total}' "http://silent.lab.test:8081/" 2>/dev/null) || true
	code=${out%% *}
	secs=${out##* }
	min=$(awk -v t="$READ_TIMEOUT_MS" 'BEGIN {print t / 1000 * 0.9}')
	max=$(awk -v t="$READ_TIMEOUT_MS" 'BEGIN {print t / 1000 + 1.5}')
	[[ $code == 504 ]] || fail_check silent_origin "status '$code' after ${secs}s, want 504"
	awk -v s="$secs" -v a="$min" -v b="$max" 'BEGIN {exit !(s >= a && s <= b)}' ||
		fail_check silent_origin "504 after ${secs}s, want between ${min}s and ${max}s (read timeout ${READ_TIMEOUT_MS} ms)"
	pass_check silent_origin "silent origin -> 504 after ${secs}s (read timeout ${READ_TIMEOUT_MS} ms)"
}

check_forbidden_client() {
	local other code want
	want=$(expected_forbidden)
	other=198.18.$LAB_INDEX.3
	ip -n "$CLIENT_NS" addr add "$other/24" dev eth0 2>/dev/null || true
	code=$(pcurl --interface "$other" -o /dev/null -w '%{http_code}' "$ORIGIN_URL/1k.bin" 2>/dev/null) || true
	ip -n "$CLIENT_NS" addr del "$other/24" dev eth0 2>/dev/null || true
	[[ $code == "$want" ]] || fail_check forbidden_client "a client at $other answered '$code', want $want"
	pass_check forbidden_client "client $other outside allow-src $CLIENT_IP/32 -> $code"
}

check_acl_denied() {
	local code before i
	if [[ $PEER != gatehouse ]]; then
		pass_check acl_denied "skipped for $PEER (the rules are Gatehouse's)"
		return
	fi
	before=$(counter proxy.fwd_acl_denied)
	code=$(pcurl -o /dev/null -w '%{http_code}' "http://x.denied.lab.test/acl-denied" 2>/dev/null) || true
	[[ $code == 403 ]] || fail_check acl_denied "http://x.denied.lab.test/ answered '$code', want 403"
	(($(counter proxy.fwd_acl_denied) == before + 1)) ||
		fail_check acl_denied "proxy.fwd_acl_denied did not count it"
	for ((i = 0; i < 50; i++)); do
		grep -q "TCP_DENIED/403 .*acl-denied" "$ACCESS_LOG" 2>/dev/null && break
		sleep 0.1
	done
	grep -q "TCP_DENIED/403 .*acl-denied" "$ACCESS_LOG" ||
		fail_check acl_denied "no TCP_DENIED/403 line in the access log"
	pass_check acl_denied "denied domain -> 403, counted, TCP_DENIED/403 logged"
}

check_download_1g() {
	download_1g_check download_1g "$PROXY_PID" "$TMP" "$RSS_SLACK_KIB"
}

# One access-log line per transaction: N requests with URLs of their own
# -> each URL on exactly one line (the log may be written a little later:
# wait up to 5 s), in Squid's native format with the client, TCP_MISS/200
# and the URL.
check_access_log() {
	local i n=3 re line tag=$$ cnt
	for ((i = 0; i < n; i++)); do
		pcurl -o /dev/null "$ORIGIN_URL/1k.bin?log=$tag-$i" || fail_check access_log "request $i failed"
	done
	for ((i = 0; i < 50; i++)); do
		grep -q -- "?log=$tag-$((n - 1)) " "$ACCESS_LOG" 2>/dev/null && break
		sleep 0.1
	done
	[[ -e $ACCESS_LOG ]] || fail_check access_log "no access log at $ACCESS_LOG"
	sleep 0.5
	for ((i = 0; i < n; i++)); do
		cnt=$(grep -c -- "?log=$tag-$i " "$ACCESS_LOG" || true)
		[[ $cnt == 1 ]] || fail_check access_log "request $i (?log=$tag-$i) is on $cnt lines, want 1"
	done
	# time.ms elapsed client code/status bytes method URL ident hierarchy/peer type
	re="^[0-9]+\.[0-9]{3} +[0-9]+ ${CLIENT_IP//./\\.} TCP_MISS/200 [0-9]+ GET http://origin\.lab\.test/1k\.bin\?log=$tag-0 "
	line=$(grep -E "$re" "$ACCESS_LOG" | head -n 1 || true)
	[[ -n $line ]] || fail_check access_log "no Squid-format TCP_MISS/200 line for the URL; last lines:
$(tail -n 3 "$ACCESS_LOG")"
	if [[ $PEER == gatehouse ]]; then
		# The writer's counters: in the text and in valid JSON.
		(($(counter access_log.lines) >= n)) ||
			fail_check access_log "access_log.lines $(counter access_log.lines) < $n"
		ctl stats --json >/dev/null || fail_check access_log "stats --json is not valid JSON"
	fi
	pass_check access_log "$n requests, one line each; e.g. $line"
}

# ------------------------------------------------------------------ main ---

lab_up lhttp
TMP=$STATE_DIR/http_proxy.tmp
mkdir -p "$TMP"
NGINX_LOG_START=$(wc -l <"$STATE_DIR/nginx-access.log")
start_proxy
log "proxy $PEER at $INSIDE_IP:$PORT, allow-src $CLIENT_IP/32, upstream read timeout ${READ_TIMEOUT_MS} ms"

for c in $CHECK_LIST; do
	declare -F "check_$c" >/dev/null || fail "no check '$c' (checks: $ALL_CHECKS)"
	"check_$c"
done

stop_reference
log "all $CHECKS checks passed ($PEER)"
pass
