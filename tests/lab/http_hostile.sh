#!/usr/bin/env bash
#
# lab-http_hostile: the forward proxy against a hostile origin and a
# hostile client (issue 10), on the real appliance.  tests/lab/hostile.py
# plays both: an origin on ORIGIN_IP:8082 that sends nine 100 Continue, a
# chunked 200 with a bad chunk line and FIN (this aborted the whole
# appliance), 300 interim heads, a response whose Connection names
# Content-Length; and a client that smuggles a request behind
# "Connection: Content-Length" (400, and nothing reaches the origin) and
# drips a head one byte a segment (the appliance's mbufs in use must stay
# nearly flat).  Then: the appliance is alive, every session is gone, the
# mbufs are back, and the counters say what happened.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

need_lab_prereqs
PORT=3128
HOSTILE_PORT=8082
HOSTILE_PY=$LAB_TESTS_DIR/hostile.py

# The mbufs in use in every port's pool of the current lab's appliance.
mbufs_in_use() {
	ctl stats | awk '$1 ~ /mbufs_in_use$/ {n += $2} END {print n + 0}'
}

lab_up lhost
conf=$STATE_DIR/http_hostile.conf
cp "${CONF:?}" "$conf"
cat >>"$conf" <<CONF_EOF

listen fwd
	mode forward
	bind $INSIDE_IP:$PORT
	allow-src $CLIENT_IP/32
	timeout-upstream-read-ms 5000

resolver
	nameserver $DNS_IP
CONF_EOF
start_appliance "$conf"

origin_log=$STATE_DIR/hostile-origin.bytes
: >"$origin_log"
mkdir -p "$TEST_LOG_DIR"
hlog=$TEST_LOG_DIR/$TEST_NAME-$LAB-origin.log
ip netns exec "$ORIGIN_NS" "$PY" "$HOSTILE_PY" origin --listen "$ORIGIN_IP:$HOSTILE_PORT" \
	--log "$origin_log" --lifetime 120 </dev/null >"$hlog" 2>&1 &
echo $! >"$STATE_DIR/hostile.pid" # tools/lab down stops it by this PID
for ((i = 0; i < 50; i++)); do
	grep -q '^hostile_origin listening' "$hlog" && break
	sleep 0.1
done
grep -q '^hostile_origin listening' "$hlog" || fail "the hostile origin did not start: $(cat "$hlog")"

base=$(mbufs_in_use)
log "mbufs in use before: $base"
out=$(timeout -k 5 120 ip netns exec "$CLIENT_NS" "$PY" "$HOSTILE_PY" client \
	--proxy "$INSIDE_IP:$PORT" --origin "$ORIGIN_IP:$HOSTILE_PORT" \
	--mbufs-cmd "$CTL_TOOL -s $CTL_SOCK stats | awk '\$1 ~ /mbufs_in_use\$/ {n += \$2} END {print n + 0}'" \
	2>&1) || fail "hostile client: $out"
printf '%s\n' "$out"

pid_alive "${APP_PID[$LAB]}" || fail "the appliance is gone"
grep -q '/admin' "$origin_log" && fail "a smuggled request reached the origin: $(grep -a -m1 -B2 admin "$origin_log")"
log "no smuggled request reached the origin"
wait_counter proxy.fwd_sessions_in_use == 0 50 || fail "sessions left: $(counter proxy.fwd_sessions_in_use)"
expect_counter proxy.fwd_err_400 ">=" 1
expect_counter proxy.fwd_err_502_response ">=" 1
expect_counter proxy.fwd_continue ">=" 300
sleep 1
now=$(mbufs_in_use)
log "mbufs in use after: $now (before: $base)"
((now <= base + 64)) || fail "mbufs in use $base -> $now after the hostile cases"
pass
