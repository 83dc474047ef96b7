#!/usr/bin/env bash
#
# lab-reverse_counters: the per-pool and per-server counters of a reverse
# listener (issue 14 item 6) on every surface, the idle keep-alive cap
# per server (item 2) and the round-robin of two workers.  Two workers, a
# reverse listener on INSIDE_IP:80 routing www.lab.test to pool web (the
# three nginx servers of reverse_lib.sh, TCP checks every 200 ms, fall 2,
# rise 2, server-idle-max 2), the management endpoint on 127.0.0.1:9298,
# and 14 more pools of 32 servers nobody routes to (448 servers in all,
# so that `stats` passes the control socket's first 256 KiB).  Checks,
# each printing PASS or FAIL (the first FAIL ends the test):
#   requests   N=30 GETs, each on a new connection: every one 200; in
#              `stats --json` the servers of web have requests summing to
#              N, pool.web.requests and proxy.rev_requests are N, every
#              server got some, each server's time_to_head count (le_inf)
#              equals its requests
#   metrics    /metrics: promtool accepts it; gatehouse_server_requests_total
#              {pool="web"} sums to N, the pool's to N, the histogram
#              gatehouse_server_time_to_head_seconds has 17 buckets per
#              server and _count equal to the server's requests
#   telemetry  /gatehouse/server,web,s1 and /gatehouse/pools give the
#              values `stats --json` has; /gatehouse/stats has no pool or
#              server group
#   idlecap    wrk -c8 (8 parallel keep-alive clients) for 2 s: afterwards
#              no server holds more than 2 idle connections (idle_conns in
#              stats, `pool show`), some were closed for the cap
#              (idle_closed_cap), and the requests still sum up
#   big        `stats --json` of 448 servers is over 256 KiB and whole
#              (valid JSON with the last pool's last server); `stats`
#              has its line too
#   down       s3 stopped: server.web.s3.state becomes 1 (down) in stats,
#              in /metrics (gatehouse_server_state) and in pool.web's
#              servers_down; restarted: 0 again
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

MPORT=9298
N=30

need_lab_prereqs
for t in curl promtool wrk; do
	command -v "$t" >/dev/null || fail "$t not found: run tools/setup"
done
lab_up revc --workers 2

# shellcheck source=tests/lab/reverse_lib.sh
. "$(dirname "$0")/reverse_lib.sh"
trap 'cleanup_servers; lab_cleanup' EXIT
servers_up

CONF_R=$STATE_DIR/revc.conf
sed "/^global\$/a\\    management-listen 127.0.0.1:$MPORT" "${CONF:?}" >"$CONF_R"
grep -q "management-listen 127.0.0.1:$MPORT" "$CONF_R" || fail "no global section in $CONF"
cat >>"$CONF_R" <<EOF

pool web
	server s1 ${SRV_IPS[0]}:80
	server s2 ${SRV_IPS[1]}:80
	server s3 ${SRV_IPS[2]}:80
	server-idle-max 2
	check tcp
	check-interval-ms 200
	check-timeout-ms 150
	rise 2
	fall 2
	eject-fails 0
EOF
for ((p = 0; p < 14; p++)); do
	printf '\npool m%d\n' "$p"
	for ((k = 0; k < 32; k++)); do
		printf '\tserver x%d %s:%d\n' "$k" "${SRV_IPS[k % 3]}" $((8000 + k))
	done
done >>"$CONF_R"
cat >>"$CONF_R" <<EOF

listen site
	mode reverse
	bind $INSIDE_IP:80
	route www.lab.test web
EOF
start_appliance "$CONF_R"
TMP=$STATE_DIR/revc
mkdir -p "$TMP"

# rstatus: the status of GET http://www.lab.test/ on a new connection.
rstatus() {
	timeout -k 2 30 ip netns exec "$CLIENT_NS" curl -sS --max-time 20 \
		--resolve "www.lab.test:80:$INSIDE_IP" -o /dev/null -w '%{http_code}' \
		"http://www.lab.test/"
}
scrape() {
	in_app timeout -k 2 20 curl -sS --max-time 15 -o "$1" -w '%{http_code}' \
		"http://127.0.0.1:$MPORT/metrics"
}
# telemetry CMD: the reply's object for CMD (one line of JSON).
telemetry() {
	printf '%s\n' "$1" | timeout 20 "$PY" /usr/bin/dpdk-telemetry.py -f "$FILE_PREFIX" 2>&1 |
		grep -F "{\"${1%%,*}\""
}
# wait until TCP checks found every server up (rise 2 at 200 ms)
for ((k = 0; k < 50; k++)); do
	[[ $(counter pool.web.servers_up) == 3 ]] && break
	sleep 0.1
done

# ---- requests
for ((i = 0; i < N; i++)); do
	st=$(rstatus) || fail_check requests "request $i failed"
	[[ $st == 200 ]] || fail_check requests "request $i: $st"
done
ctl stats --json >"$TMP/stats1.json" || fail_check requests "stats --json failed"
"$PY" - "$TMP/stats1.json" "$N" <<'PYEOF' || fail_check requests "stats --json (above)"
import json
import sys

t = json.load(open(sys.argv[1]))["total"]
n = int(sys.argv[2])
srv = t["server"]["web"]
got = {s: v["requests"] for s, v in srv.items()}
bad = []
if sum(got.values()) != n:
    bad.append(f"servers' requests {got} sum to {sum(got.values())}, not {n}")
if min(got.values()) == 0:
    bad.append(f"a server got nothing: {got}")
if t["pool"]["web"]["requests"] != n or t["proxy"]["rev_requests"] != n:
    bad.append(f"pool.web.requests {t['pool']['web']['requests']}, "
               f"proxy.rev_requests {t['proxy']['rev_requests']}")
for s, v in srv.items():
    if v["time_to_head_le_inf"] != v["requests"]:
        bad.append(f"{s}: time_to_head count {v['time_to_head_le_inf']}")
    if v["state"] != 0 or v["connect_failures"] or v["responses_5xx"]:
        bad.append(f"{s}: state {v['state']}, errors")
print(got)
for b in bad:
    print("BAD", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
pass_check requests "$N requests: the servers' counts sum to $N ($(counter server.web.s1.requests) $(counter server.web.s2.requests) $(counter server.web.s3.requests))"

# ---- metrics
prom=$TMP/metrics.txt
code=$(scrape "$prom") || fail_check metrics "curl failed ($code)"
[[ $code == 200 ]] || fail_check metrics "GET /metrics answered $code"
out=$(promtool check metrics <"$prom" 2>&1) || {
	printf '%s\n' "$out" | head -n 20 >&2
	fail_check metrics "promtool refused the scrape (above)"
}
"$PY" - "$prom" "$N" <<'PYEOF' || fail_check metrics "the scrape's values (above)"
import re
import sys

n = int(sys.argv[2])
samples = []
for ln in open(sys.argv[1]):
    m = re.match(r"([a-z_:][a-z0-9_:]*)(\{(.*)\})? (\S+)$", ln.rstrip("\n"))
    if m and not ln.startswith("#"):
        lab = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        samples.append((m.group(1), lab, float(m.group(4))))


def vals(name, **want):
    return {l.get("server", l.get("pool")): v for s, l, v in samples
            if s == name and all(l.get(k) == x for k, x in want.items())}


bad = []
req = vals("gatehouse_server_requests_total", pool="web")
if sorted(req) != ["s1", "s2", "s3"] or sum(req.values()) != n:
    bad.append(f"server requests {req}")
if vals("gatehouse_pool_requests_total", pool="web") != {"web": n}:
    bad.append(f"pool requests {vals('gatehouse_pool_requests_total')}")
cnt = vals("gatehouse_server_time_to_head_seconds_count", pool="web")
if cnt != req:
    bad.append(f"time_to_head _count {cnt} != requests {req}")
for s in ("s1", "s2", "s3"):
    b = [v for x, l, v in samples
         if x == "gatehouse_server_time_to_head_seconds_bucket"
         and l.get("pool") == "web" and l.get("server") == s]
    if len(b) != 17 or b != sorted(b) or b[-1] != req.get(s):
        bad.append(f"{s}: buckets {b}")
if vals("gatehouse_server_state", pool="web") != {"s1": 0, "s2": 0, "s3": 0}:
    bad.append(f"states {vals('gatehouse_server_state', pool='web')}")
if sum(1 for s, l, v in samples if s == "gatehouse_server_requests_total") != 3 + 14 * 32:
    bad.append("not one series per server")
for b in bad:
    print("BAD", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
pass_check metrics "promtool ok; server requests sum to $N, time_to_head histograms whole, $(wc -c <"$prom") bytes"

# ---- telemetry
t1=$(telemetry /gatehouse/server,web,s1) || fail_check telemetry "no reply to /gatehouse/server"
t2=$(telemetry /gatehouse/pools) || fail_check telemetry "no reply to /gatehouse/pools"
t3=$(telemetry /gatehouse/stats) || fail_check telemetry "no reply to /gatehouse/stats"
"$PY" - "$TMP/stats1.json" "$t1" "$t2" "$t3" <<'PYEOF' || fail_check telemetry "telemetry disagrees (above)"
import json
import sys

t = json.load(open(sys.argv[1]))["total"]
s1 = json.loads(sys.argv[2])["/gatehouse/server"]["server_web_s1"]
pools = json.loads(sys.argv[3])["/gatehouse/pools"]
stats = json.loads(sys.argv[4])["/gatehouse/stats"]
bad = []
want = t["server"]["web"]["s1"]
for k in ("requests", "time_to_head_le_inf", "time_to_head_sum_us", "state"):
    if s1.get(k) != want[k]:
        bad.append(f"server_web_s1.{k}: {s1.get(k)}, json {want[k]}")
if set(s1) != set(want):
    bad.append("server_web_s1 has other counters than stats --json")
if pools.get("pool_web", {}).get("requests") != t["pool"]["web"]["requests"]:
    bad.append(f"pool_web: {pools.get('pool_web')}")
if len(pools) != 15:
    bad.append(f"{len(pools)} pools in /gatehouse/pools")
if any(k.startswith(("pool_", "server_")) for k in stats) or "proxy" not in stats:
    bad.append("/gatehouse/stats has pool or server groups, or no proxy")
for b in bad:
    print("BAD", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
pass_check telemetry "/gatehouse/server,web,s1 and /gatehouse/pools agree with stats --json"

# ---- idlecap
WRK_OUT=$TMP/wrk.out
ip netns exec "$CLIENT_NS" wrk -t1 -c8 -d2s -H "Host: www.lab.test" \
	"http://$INSIDE_IP/" >"$WRK_OUT" 2>&1 || fail_check idlecap "wrk: $(cat "$WRK_OUT")"
grep -q "Non-2xx\|Socket errors" "$WRK_OUT" && fail_check idlecap "$(cat "$WRK_OUT")"
sleep 0.5
stats_snapshot "$TMP/after.txt"
idle="" capped=0 sum=0
for s in s1 s2 s3; do
	v=$(snap_value "$TMP/after.txt" "server.web.$s.idle_conns")
	((v <= 2)) || fail_check idlecap "$s holds $v idle connections: $(ctl pool show)"
	idle+=" $s:$v"
	capped=$((capped + $(snap_value "$TMP/after.txt" "server.web.$s.idle_closed_cap")))
	sum=$((sum + $(snap_value "$TMP/after.txt" "server.web.$s.requests")))
done
((capped > 0)) || fail_check idlecap "no connection was closed for the cap"
k=$(ctl pool show | grep -A3 '^pool web' | grep -c 'idle-max 2: up, in flight 0, idle [0-2],')
[[ $k == 3 ]] || fail_check idlecap "pool show: $(ctl pool show | grep -A3 '^pool web')"
pool_req=$(snap_value "$TMP/after.txt" pool.web.requests)
((sum == pool_req)) || fail_check idlecap "servers' requests $sum, pool's $pool_req"
pass_check idlecap "idle after 8 keep-alive clients:$idle; $capped closed for the cap; $sum requests sum up"

# ---- big
ctl stats --json >"$TMP/big.json" || fail_check big "stats --json failed"
size=$(wc -c <"$TMP/big.json")
((size > 262144)) || fail_check big "stats --json is only $size bytes: not a test of the 256 KiB limit"
"$PY" -c 'import json,sys; t=json.load(open(sys.argv[1]))["total"]; assert t["server"]["m13"]["x31"]["state"] == 0; assert "management" in t' \
	"$TMP/big.json" || fail_check big "stats --json of $size bytes is not whole"
v=$(counter server.m13.x31.requests) || fail_check big "no server.m13.x31 in stats"
[[ $v == 0 ]] || fail_check big "server.m13.x31.requests $v"
pass_check big "stats --json $size bytes, whole; stats text has the last server"

# ---- down
stop_server 2
wait_counter server.web.s3.state == 1 50 || fail_check down "s3 not down: $(ctl pool show)"
expect_counter pool.web.servers_down == 1
code=$(scrape "$prom") || fail_check down "scrape failed"
grep -q '^gatehouse_server_state{pool="web",server="s3"} 1$' "$prom" ||
	fail_check down "metrics: $(grep 'gatehouse_server_state{pool="web"' "$prom")"
start_server 2
wait_counter server.web.s3.state == 0 50 || fail_check down "s3 not up again: $(ctl pool show)"
pass_check down "s3 stopped: state 1 in stats and metrics; restarted: 0"

pass
