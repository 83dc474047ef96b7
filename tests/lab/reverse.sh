#!/usr/bin/env bash
#
# lab-reverse: a reverse listener (issue 14) in front of three nginx servers
# in the origin namespace, on three extra addresses of the origin's subnet
# (ORIGIN_NET.21-.23 on its eth0, each nginx with its own config, pid and
# logs in the lab state dir, stopped by PID).  Each serves "/" naming
# itself, /hdr echoing the forwarding fields it got, /c with max-age=300,
# /slow after 2 s.  The appliance listens on INSIDE_IP:80:
#   route www.lab.test web          (roundrobin over s1 s2 s3)
#   route www.lab.test/h hash       (uri-hash over the same three)
#   route www.lab.test/slow slowp   (s3 only)
#   route only.lab.test/x web
# Checks, each printing PASS or FAIL (the first FAIL ends the test):
#   route        Host www.lab.test: 200 from one of s1..s3
#   misdirected  an unknown Host: 421; a known Host, no prefix: 404
#   roundrobin   30 requests: 10 to each server
#   urihash      10 GETs of one URL: one server; 3 URLs spread
#   forwarding   X-Forwarded-For, X-Forwarded-Proto, Forwarded as sent (the
#                client's own X-Forwarded-For and Forwarded replaced)
#   absolute     absolute-form: routed by its authority, Host ignored
#   reload       a reload that adds a pool and changes a route says
#                "restart needed" and keeps them; forwarded off is live
#   slow         /slow (2 s on s3) does not stall "/" on the others
#   malformed    reverse_edges.py: smuggling, Host errors, framing, limits,
#                methods, versions refused as on a forward listener, none
#                routed to a pool
#   stop_one     wrk 6 s; s2 stopped after 1 s: no non-2xx, no socket
#                error (retries and ejection); s2 restarted takes requests
#                again once its ejection expired
#   checks       pool chk (HTTP checks every 200 ms, fall 2, rise 2, no
#                passive ejection): s3 stopped is marked down by its checks
#                (pool show, the log line with the reason, health
#                counters) and gets no request, every request 200; s3
#                restarted is up again and takes requests
#   drain        server disable chk s1: draining, no new request to s1;
#                server enable: s1 takes requests again
#   cached       /c stored; every server stopped: /c still 200 from the
#                cache; listed as reverse:http://..., purged by its URL
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

need_lab_prereqs
lab_up reverse

# shellcheck source=tests/lab/reverse_lib.sh
. "$(dirname "$0")/reverse_lib.sh"
# the servers first, then lib.sh's EXIT work (appliance, lab)
trap 'cleanup_servers; lab_cleanup' EXIT
servers_up

CONF_R=$STATE_DIR/reverse.conf
cp "$CONF" "$CONF_R"
cat >>"$CONF_R" <<EOF

pool web
	server s1 ${SRV_IPS[0]}:80
	server s2 ${SRV_IPS[1]}:80
	server s3 ${SRV_IPS[2]}:80
	eject-fails 1
	eject-base-ms 1000
	eject-max-ms 2000

pool hash
	server s1 ${SRV_IPS[0]}:80
	server s2 ${SRV_IPS[1]}:80
	server s3 ${SRV_IPS[2]}:80
	balance uri-hash

pool slowp
	server s3 ${SRV_IPS[2]}:80

pool chk
	server s1 ${SRV_IPS[0]}:80
	server s2 ${SRV_IPS[1]}:80
	server s3 ${SRV_IPS[2]}:80
	check http
	check-path /
	check-interval-ms 200
	check-timeout-ms 150
	rise 2
	fall 2
	eject-fails 0

listen site
	mode reverse
	bind $INSIDE_IP:80
	route www.lab.test web
	route www.lab.test/h hash
	route www.lab.test/slow slowp
	route only.lab.test/x web
	route chk.lab.test chk
	forwarded on
	cache on
EOF
start_appliance "$CONF_R"

# rcurl HOST PATH [CURL ARGS...]: the body of http://HOST/PATH via the
# reverse listener (curl --resolve: Host as a browser sends it).
rcurl() {
	local host=$1 path=$2
	shift 2
	timeout -k 2 30 ip netns exec "$CLIENT_NS" curl -sS --max-time 20 \
		--resolve "$host:80:$INSIDE_IP" "$@" "http://$host$path"
}
rstatus() { rcurl "$1" "$2" -o /dev/null -w '%{http_code}'; }

# ---- route
body=$(rcurl www.lab.test /)
[[ $body =~ ^s[123]$ ]] || fail_check route "body '$body'"
pass_check route "www.lab.test/ -> $body"

# ---- misdirected
st=$(rstatus nobody.lab.test /)
[[ $st == 421 ]] || fail_check misdirected "unknown host: $st"
st=$(rstatus only.lab.test /y)
[[ $st == 404 ]] || fail_check misdirected "no prefix: $st"
st=$(rstatus only.lab.test /x/1)
[[ $st == 200 ]] || fail_check misdirected "the prefix: $st"
expect_counter proxy.rev_no_route_421 == 1
expect_counter proxy.rev_no_route_404 == 1
pass_check misdirected "421 and 404"

# ---- roundrobin
declare -A seen=()
for ((i = 0; i < 30; i++)); do
	b=$(rcurl www.lab.test /)
	seen[$b]=$((${seen[$b]:-0} + 1))
done
for s in s1 s2 s3; do
	# one worker: exactly 10 each; more workers: each has its own turn
	((${seen[$s]:-0} >= 5)) || fail_check roundrobin "$s got ${seen[$s]:-0} of 30"
done
pass_check roundrobin "s1 ${seen[s1]} s2 ${seen[s2]} s3 ${seen[s3]}"

# ---- urihash
first=$(rcurl www.lab.test /h/one)
for ((i = 0; i < 9; i++)); do
	b=$(rcurl www.lab.test /h/one)
	[[ $b == "$first" ]] || fail_check urihash "/h/one went to $first then $b"
done
pass_check urihash "/h/one always on $first"

# ---- forwarding
b=$(rcurl www.lab.test /hdr -H 'Forwarded: for=6.6.6.6' -H 'X-Forwarded-For: 5.5.5.5')
[[ $b == *"xff=$CLIENT_IP "* ]] || fail_check forwarding "$b"
[[ $b == *"xfp=http "* ]] || fail_check forwarding "$b"
[[ $b == *"fwd=for=$CLIENT_IP;proto=http;host=\"www.lab.test\" "* ]] ||
	fail_check forwarding "$b"
[[ $b != *6.6.6.6* ]] || fail_check forwarding "the client's Forwarded passed: $b"
[[ $b != *5.5.5.5* ]] || fail_check forwarding "the client's X-Forwarded-For passed: $b"
pass_check forwarding "$b"

# ---- absolute
b=$(timeout -k 2 30 ip netns exec "$CLIENT_NS" curl -sS --max-time 20 \
	--request-target "http://www.lab.test/hdr" -H "Host: bogus.lab.test" \
	"http://$INSIDE_IP/")
[[ $b == *"host=www.lab.test"* ]] || fail_check absolute "$b"
pass_check absolute "routed by the target's authority: $b"

# ---- reload: pools and routes restart-only, the rest live
cp "$CONF_R" "$CONF_R.orig"
sed -i -e 's/^\tforwarded on$/\tforwarded off/' \
	-e 's|^\troute only.lab.test/x web$|\troute only.lab.test/x solo|' "$CONF_R"
printf '\npool solo\n\tserver s1 %s:80\n' "${SRV_IPS[0]}" >>"$CONF_R"
out=$(ctl reload 2>&1) || fail_check reload "gatehousectl reload failed: $out"
grep -q "^restart needed: pools" <<<"$out" || fail_check reload "no pools line: $out"
grep -q "^restart needed: listen site: routes" <<<"$out" || fail_check reload "no routes line: $out"
b=$(rcurl www.lab.test /hdr)
[[ $b == *"fwd= "* ]] || fail_check reload "forwarded off is not live: $b"
st=$(rstatus only.lab.test /x/1)
[[ $st == 200 ]] || fail_check reload "the running routes: $st"
cp "$CONF_R.orig" "$CONF_R"
ctl reload >/dev/null 2>&1 || fail_check reload "reload back failed"
pass_check reload "pools and routes kept (restart needed), forwarded off live"

# ---- slow
t0=$(date +%s%N)
rcurl www.lab.test /slow >/dev/null &
slow_pid=$!
sleep 0.2
for ((i = 0; i < 5; i++)); do
	b=$(rcurl www.lab.test / --max-time 1) || fail_check slow "a request stalled"
done
wait "$slow_pid" || fail_check slow "/slow failed"
pass_check slow "5 fast requests while /slow took $((($(date +%s%N) - t0) / 1000000)) ms"

# ---- malformed
EDGES=$STATE_DIR/edges.out
before=$(counter proxy.rev_requests)
in_client "$PY" "$LAB_TESTS_DIR/reverse_edges.py" --site "$INSIDE_IP:80" \
	--host www.lab.test >"$EDGES" 2>&1 || fail_check malformed "$(cat "$EDGES")"
after=$(counter proxy.rev_requests)
((after == before)) || fail_check malformed "$((after - before)) of them were routed to a pool"
pass_check malformed "$(grep -c '^ok' "$EDGES") malformed requests refused, none routed"

# ---- stop_one
WRK_OUT=$STATE_DIR/wrk.out
ip netns exec "$CLIENT_NS" wrk -t1 -c8 -d6s -H "Host: www.lab.test" \
	"http://$INSIDE_IP/" >"$WRK_OUT" 2>&1 &
wrk_pid=$!
sleep 1
stop_server 1
wait "$wrk_pid" || fail_check stop_one "wrk failed: $(cat "$WRK_OUT")"
grep -q "Non-2xx" "$WRK_OUT" && fail_check stop_one "$(cat "$WRK_OUT")"
grep -q "Socket errors" "$WRK_OUT" && fail_check stop_one "$(cat "$WRK_OUT")"
reqs=$(awk '/requests in/ {print $1}' "$WRK_OUT")
log "wrk: $reqs requests, ejections $(counter proxy.rev_ejections), retries $(counter proxy.rev_retries)"
start_server 1
sleep 2.5 # the ejection (1 s, doubled once at most: 2 s) expires
declare -A back=()
for ((i = 0; i < 12; i++)); do
	b=$(rcurl www.lab.test /)
	back[$b]=1
done
[[ -n ${back[s2]:-} ]] || fail_check stop_one "s2 took no request after its restart"
pass_check stop_one "$reqs requests, no error with s2 stopped; s2 back after restart"

# spread CASE N: N requests to chk.lab.test, each must be 200; prints the
# servers that answered, sorted and counted ("4 s1 4 s2 ...").
spread() {
	local i b
	for ((i = 0; i < $2; i++)); do
		b=$(rcurl chk.lab.test /) || fail_check "$1" "request $i failed"
		[[ $b =~ ^s[123]$ ]] || fail_check "$1" "request $i: '$b'"
		printf '%s\n' "$b"
	done | sort | uniq -c | tr -s ' \n' ' '
}

# wait_state SERVER STATE: pool show says chk's SERVER is STATE within 5 s.
wait_state() {
	local k
	for ((k = 0; k < 50; k++)); do
		ctl pool show | grep -A3 '^pool chk' | grep -q "server $1 .*: $2," && return 0
		sleep 0.1
	done
	fail_check checks "chk $1 not $2 within 5 s: $(ctl pool show)"
}

# ---- checks
[[ $(counter health.passed) -gt 0 ]] || fail_check checks "no check passed yet"
wait_state s3 up
stop_server 2
wait_state s3 down
grep -q "pool chk server s3: up -> down (active check: refused)" "${APP_LOG[$LAB]}" ||
	fail_check checks "no state-change line in the log"
[[ $(counter health.failed_refused) -gt 0 ]] || fail_check checks "health.failed_refused 0"
got=$(spread checks 12)
[[ $got != *s3* ]] || fail_check checks "s3 down took requests: $got"
start_server 2
wait_state s3 up
grep -q "pool chk server s3: down -> up (active checks pass)" "${APP_LOG[$LAB]}" ||
	fail_check checks "no line for s3 back up"
got=$(spread checks 12)
[[ $got == *s3* ]] || fail_check checks "s3 up again took no request: $got"
[[ $(counter pools.state_changes) -ge 2 ]] || fail_check checks "pools.state_changes < 2"
pass_check checks "s3 down by its checks, no request to it, every answer 200; up again: $got"

# ---- drain
ctl server disable chk s1 | grep -q "disabled" || fail_check drain "server disable refused"
wait_state s1 draining
got=$(spread drain 12)
[[ $got != *s1* ]] || fail_check drain "a draining s1 took requests: $got"
[[ $(counter pools.servers_draining) -eq 1 ]] || fail_check drain "pools.servers_draining not 1"
ctl server enable chk s1 | grep -q "enabled" || fail_check drain "server enable refused"
wait_state s1 up
got=$(spread drain 12)
[[ $got == *s1* ]] || fail_check drain "s1 enabled took no request: $got"
out=$(ctl server disable chk nosuch 2>&1 || true)
[[ $out == *"error: pool chk has no server"* ]] ||
	fail_check drain "an unknown server was not refused: $out"
pass_check drain "s1 drained and back: $got"

# ---- cached
b1=$(rcurl www.lab.test /c)
[[ $b1 == cached-s* ]] || fail_check cached "first: $b1"
for i in 0 1 2; do stop_server "$i"; done
b2=$(rcurl www.lab.test /c)
[[ $b2 == "$b1" ]] || fail_check cached "with the servers stopped: '$b2'"
st=$(rstatus www.lab.test /)
[[ $st == 503 || $st == 502 ]] || fail_check cached "uncached with no server: $st"
# a reverse listener's objects are apart from a forward listener's: listed
# as reverse:http://..., purged by the URL all the same
out=$(ctl cache list reverse:)
[[ $out == *"reverse:http://www.lab.test/c"* ]] ||
	fail_check cached "cache list reverse: does not show /c: $out"
out=$(ctl cache purge http://www.lab.test/c)
[[ $out == "purged http://www.lab.test/c" ]] || fail_check cached "purge: $out"
st=$(rstatus www.lab.test /c)
[[ $st == 503 || $st == 502 ]] || fail_check cached "purged /c still served: $st"
pass_check cached "$b2 from the cache with every server stopped, then purged"

pass
