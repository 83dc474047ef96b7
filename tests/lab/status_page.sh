#!/usr/bin/env bash
#
# lab-status_page: the live views (issue 16 item 7).  The appliance runs
# two workers, a forward listener "fwd" with the cache on, and the
# management endpoint on 127.0.0.1:9298 in its namespace.  Checks, each
# printing PASS or FAIL (the first FAIL ends the test, after cleanup):
#   json_idle    GET /status.json: 200, application/json, no-store; the
#                history of two workers, rates 0 while nothing runs
#   traffic      wrk on the cached /cache/1k.bin for 4 s (hits), 20 misses
#                (/cache/1k.bin?m=I), 5 names that do not resolve (502s:
#                error answers of our own)
#   json_moves   GET /status.json: seconds 1 s apart (dt_ms 900..1600,
#                t_ms rising), requests/s > 50 in some second, hits/s > 0,
#                a hit ratio over 0.5, bytes in and out, errors/s > 0, a
#                busy share for each worker, one of them > 0; the sum of
#                req_s * dt over the history within 10% of the listener's
#                requests counter (the rates are the counter's)
#   top_once     `gatehousectl top -1` to a pipe: one plain frame (no
#                escape byte) with the rates, both workers' busy shares
#                and the counters that changed
#   top_frames   `gatehousectl top -n 2` under wrk: two frames, each with
#                requests/s > 0 now and listener.fwd.requests changing
#   page         GET /status: 200, text/html, the CSP and no-store fields,
#                the bytes of app/gatehouse/status_page.html exactly
#   chromium     headless Chromium loads /status in the appliance's
#                namespace (virtual time for the script): the DOM has the
#                six charts, the requests chart's line has >= 5 points,
#                a line per worker in the busy chart, no error shown; a
#                screenshot (PNG) in the build's lab log folder, copied to
#                $GH_STATUS_SCREENSHOT when set (docs/status-page.png)
# Without chromium the test is skipped (77).
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

PORT=$FWD_PORT
MPORT=9298
ORIGIN_URL=http://origin.lab.test
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}

need_lab_prereqs
[[ -n $CHROMIUM ]] || skip "chromium not found (tools/setup installs it)"
for t in curl wrk; do
	command -v "$t" >/dev/null || fail "$t not found: run tools/setup"
done

# mget PATH FILE [CURL ARGS...]: GET PATH of the management endpoint from
# inside the appliance's namespace into FILE; prints the HTTP status.
mget() {
	local path=$1 out=$2
	shift 2
	in_app timeout -k 2 10 curl -sS --max-time 8 -o "$out" -w '%{http_code}' "$@" \
		"http://127.0.0.1:$MPORT$path"
}

# wrk_hits SECONDS: wrk on the cached 1 KiB object through the proxy.
wrk_hits() {
	timeout -k 5 30 ip netns exec "$CLIENT_NS" wrk -t1 -c4 -d"$1"s --timeout 5s \
		-s "$LAB_TESTS_DIR/wrk_absolute.lua" "http://$INSIDE_IP:$PORT/" -- \
		"$ORIGIN_URL/cache/1k.bin"
}

lab_up sp1 --workers 2
# the lab's configuration with the management endpoint in its global
# section, then the forward listener "fwd" on FWD_PORT with the cache on
mconf=$STATE_DIR/status_page.base.conf
sed "/^global\$/a\\    management-listen 127.0.0.1:$MPORT" "${CONF:?}" >"$mconf"
grep -q "management-listen 127.0.0.1:$MPORT" "$mconf" || fail "no global section in $CONF"
CONF=$mconf start_fwd_proxy "$STATE_DIR/status_page.conf" "cache on" "cache-mb 16"
TMP=$STATE_DIR/status_page
mkdir -p "$TMP" "$TEST_LOG_DIR"

# ---- json_idle: two seconds of history, nothing running
sleep 2.5
code=$(mget /status.json "$TMP/idle.json" -D "$TMP/idle.hdr") || fail_check json_idle "curl failed ($code)"
[[ $code == 200 ]] || fail_check json_idle "GET /status.json answered $code"
grep -qi '^Content-Type: application/json' "$TMP/idle.hdr" || fail_check json_idle "$(grep -i '^content-type' "$TMP/idle.hdr")"
grep -qi '^Cache-Control: no-store' "$TMP/idle.hdr" || fail_check json_idle "no Cache-Control: no-store"
"$PY" - "$TMP/idle.json" <<'PYEOF' || fail_check json_idle "the idle history is wrong (above)"
import json
import sys

d = json.load(open(sys.argv[1]))
bad = []
if d["workers"] != 2 or len(d["busy"]) != 2:
    bad.append(f"workers {d['workers']}, busy columns {len(d['busy'])}")
if not 1 <= d["samples"] <= 4 or d["capacity"] != 300:
    bad.append(f"samples {d['samples']}, capacity {d['capacity']}")
for c in ("req_s", "hit_s", "err_s", "conns"):
    if len(d[c]) != d["samples"] or any(v != 0 for v in d[c]):
        bad.append(f"{c} {d[c]} while idle")
if any(v is not None for v in d["hit_ratio"]):
    bad.append(f"hit_ratio {d['hit_ratio']} without a cacheable request")
for b in bad:
    print("BAD", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
pass_check json_idle "200 application/json no-store; $(grep -o '"samples":[0-9]*' "$TMP/idle.json"), 2 workers, rates 0"

# ---- traffic
wrk_hits 4 >"$TMP/wrk1.out" 2>&1 &
wrk_pid=$!
for ((i = 1; i <= 20; i++)); do
	proxy_curl "$PORT" -o /dev/null "$ORIGIN_URL/cache/1k.bin?m=$i" || fail_check traffic "miss $i failed"
done
codes=""
for ((i = 1; i <= 5; i++)); do
	codes+=" $(proxy_curl "$PORT" -o /dev/null -w '%{http_code}' "http://no-such-host-$i.lab.test/")"
done
wait "$wrk_pid" || fail_check traffic "wrk failed: $(cat "$TMP/wrk1.out")"
reqs=$(awk '/requests in/ {print $1}' "$TMP/wrk1.out")
[[ $reqs =~ ^[0-9]+$ ]] && ((reqs >= 200)) || fail_check traffic "wrk: $(cat "$TMP/wrk1.out")"
[[ $codes == " 502 502 502 502 502" ]] || fail_check traffic "unresolvable names answered$codes, want 502s"
pass_check traffic "wrk $reqs hits in 4 s, 20 misses, 5 x 502"
sleep 1.2 # the second in which the traffic ended is sampled

# ---- json_moves
code=$(mget /status.json "$TMP/moved.json") || fail_check json_moves "curl failed ($code)"
[[ $code == 200 ]] || fail_check json_moves "GET /status.json answered $code"
listener_requests=$(counter listener.fwd.requests)
summary=$("$PY" - "$TMP/moved.json" "$listener_requests" <<'PYEOF'
import json
import sys

d = json.load(open(sys.argv[1]))
want_req = int(sys.argv[2])
bad = []
n = d["samples"]
cols = ("t_ms", "dt_ms", "req_s", "hit_s", "miss_s", "hit_ratio",
        "in_bytes_s", "out_bytes_s", "err_s", "conns")
for c in cols:
    if len(d[c]) != n:
        bad.append(f"column {c}: {len(d[c])} values for {n} samples")
if n < 6:
    bad.append(f"only {n} samples")
if any(not 900 <= v <= 1600 for v in d["dt_ms"]):
    bad.append(f"dt_ms {d['dt_ms']}")
if any(b <= a for a, b in zip(d["t_ms"], d["t_ms"][1:])):
    bad.append("t_ms not rising")
if max(d["req_s"]) <= 50:
    bad.append(f"req_s at most {max(d['req_s'])}")
if max(d["hit_s"]) <= 0:
    bad.append("no hit in any second")
if max((v for v in d["hit_ratio"] if v is not None), default=0) <= 0.5:
    bad.append(f"hit_ratio {d['hit_ratio']}")
if max(d["in_bytes_s"]) <= 0 or max(d["out_bytes_s"]) <= 0:
    bad.append("no bytes in or out")
if max(d["err_s"]) <= 0:
    bad.append("no error in any second (5 x 502)")
busy = d["busy"]
if len(busy) != 2 or any(len(b) != n for b in busy):
    bad.append(f"busy: {len(busy)} workers")
elif max(v for b in busy for v in b if v is not None) <= 0:
    bad.append("no worker ever busy")
elif any(v is not None and not 0 <= v <= 1 for b in busy for v in b):
    bad.append("a busy share outside 0..1")
# the rates integrate back to the counter (the history is under 300 s)
total = sum(r * t / 1000 for r, t in zip(d["req_s"], d["dt_ms"]))
if abs(total - want_req) > 0.1 * want_req + 2:
    bad.append(f"req_s * dt sums to {total:.0f}, listener requests {want_req}")
for b in bad:
    print("BAD", b, file=sys.stderr)
if bad:
    sys.exit(1)
print(f"{n} s, req/s max {max(d['req_s']):.0f}, hit ratio max "
      f"{max(v for v in d['hit_ratio'] if v is not None):.2f}, err/s max "
      f"{max(d['err_s']):.1f}, busy max "
      f"{max(v for b in busy for v in b if v is not None):.3f}, "
      f"sum {total:.0f} of {want_req} requests")
PYEOF
) || fail_check json_moves "the history did not follow the traffic (above)"
pass_check json_moves "$summary"

# ---- top_once
t0=$(date +%s%N)
ctl top -1 >"$TMP/top1.out" 2>&1 || fail_check top_once "top -1 failed: $(cat "$TMP/top1.out")"
t1=$(date +%s%N)
grep -q $'\x1b' "$TMP/top1.out" && fail_check top_once "escape bytes in the output to a pipe"
[[ $(grep -c '^gatehouse ' "$TMP/top1.out") == 1 ]] || fail_check top_once "not one frame: $(cat "$TMP/top1.out")"
for want in '^requests/s ' '^cache hit ratio ' '^bytes out/s ' '^connections open ' \
	'^worker 0 busy ' '^worker 1 busy ' '^counters changing '; do
	grep -q "$want" "$TMP/top1.out" || fail_check top_once "no line '$want': $(cat "$TMP/top1.out")"
done
# the 5-minute mean of requests/s is over 0 (the traffic is in the history)
awk '$1 == "requests/s" {exit !($4 > 0)}' "$TMP/top1.out" ||
	fail_check top_once "requests/s: $(grep '^requests/s' "$TMP/top1.out")"
(((t1 - t0) / 1000000 < 5000)) || fail_check top_once "took $(((t1 - t0) / 1000000)) ms"
pass_check top_once "one plain frame in $(((t1 - t0) / 1000000)) ms: $(grep '^requests/s' "$TMP/top1.out" | tr -s ' ')"

# ---- top_frames
wrk_hits 4 >"$TMP/wrk2.out" 2>&1 &
wrk_pid=$!
sleep 0.5
ctl top -n 2 --rows 1000 >"$TMP/top2.out" 2>&1 || fail_check top_frames "top -n 2 failed: $(cat "$TMP/top2.out")"
wait "$wrk_pid" || fail_check top_frames "wrk failed: $(cat "$TMP/wrk2.out")"
[[ $(grep -c '^gatehouse ' "$TMP/top2.out") == 2 ]] || fail_check top_frames "not two frames: $(cat "$TMP/top2.out")"
n=$(awk '$1 == "requests/s" && $2 > 0 {n++} END {print n + 0}' "$TMP/top2.out")
[[ $n == 2 ]] || fail_check top_frames "requests/s now > 0 in $n of 2 frames: $(grep '^requests/s' "$TMP/top2.out")"
n=$(awk '$1 == "listener.fwd.requests" && $2 > 0 {n++} END {print n + 0}' "$TMP/top2.out")
[[ $n == 2 ]] || fail_check top_frames "listener.fwd.requests changing in $n of 2 frames: $(cat "$TMP/top2.out")"
pass_check top_frames "2 frames, requests/s: $(awk '$1 == "requests/s" {printf "%s ", $2}' "$TMP/top2.out")"

# ---- page
code=$(mget /status "$TMP/page.html" -D "$TMP/page.hdr") || fail_check page "curl failed ($code)"
[[ $code == 200 ]] || fail_check page "GET /status answered $code"
grep -qi '^Content-Type: text/html; charset=utf-8' "$TMP/page.hdr" || fail_check page "$(grep -i '^content-type' "$TMP/page.hdr")"
grep -qi "^Content-Security-Policy: default-src 'none'" "$TMP/page.hdr" || fail_check page "no CSP: $(cat "$TMP/page.hdr")"
grep -qi '^X-Content-Type-Options: nosniff' "$TMP/page.hdr" || fail_check page "no nosniff"
cmp -s "$TMP/page.html" "$GH_SOURCE_ROOT/app/gatehouse/status_page.html" ||
	fail_check page "the page served is not app/gatehouse/status_page.html"
pass_check page "200 text/html with a CSP, $(wc -c <"$TMP/page.html") bytes, the built-in page"

# ---- chromium: the script ran and drew the charts (under load, so that
# the screenshot shows a working appliance)
wrk_hits 8 >"$TMP/wrk3.out" 2>&1 &
wrk_pid=$!
chrome() {
	in_app timeout -k 5 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--no-first-run --disable-extensions --user-data-dir="$TMP/chrome" \
		--virtual-time-budget=5000 "$@" "http://127.0.0.1:$MPORT/status" 2>>"$TMP/chrome.err"
}
chrome --dump-dom >"$TMP/dom.html" || fail_check chromium "chromium --dump-dom failed: $(tail -n 5 "$TMP/chrome.err")"
dom=$("$PY" - "$TMP/dom.html" <<'PYEOF'
import re
import sys
from html.parser import HTMLParser


class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.figures, self.lines, self.state, self.error = [], {}, {}, ""
        self.fig = None
        self.in_error = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure":
            self.fig = a.get("id")
            self.figures.append(self.fig)
        elif tag == "polyline":
            pts = (a.get("points") or "").split()
            if not all(re.fullmatch(r"-?[0-9.]+,-?[0-9.]+", p) for p in pts):
                sys.exit(f"bad points in {self.fig}")
            if str(len(pts)) != a.get("data-points"):
                sys.exit(f"{self.fig}: {len(pts)} points, data-points "
                         f"{a.get('data-points')}")
            self.lines.setdefault(self.fig, []).append(len(pts))
        elif a.get("id") == "state":
            self.state = a
        self.in_error = a.get("id") == "error"

    def handle_data(self, data):
        if self.in_error:
            self.error += data.strip()


p = Dom()
p.feed(open(sys.argv[1]).read())
bad = []
want = ["chart-requests", "chart-hit_ratio", "chart-bytes", "chart-conns",
        "chart-busy", "chart-errors"]
if p.figures != want:
    bad.append(f"figures {p.figures}")
if not p.lines.get("chart-requests") or max(p.lines["chart-requests"]) < 5:
    bad.append(f"requests chart lines {p.lines.get('chart-requests')}")
if len(p.lines.get("chart-busy", [])) != 2:
    bad.append(f"busy chart lines {p.lines.get('chart-busy')}")
if int(p.state.get("data-draws", "0")) < 1 or int(p.state.get("data-samples", "0")) < 5:
    bad.append(f"state {p.state}")
if p.error:
    bad.append(f"the page shows an error: {p.error}")
for b in bad:
    print("BAD", b, file=sys.stderr)
if bad:
    sys.exit(1)
print(f"{len(p.figures)} charts, {sum(len(v) for v in p.lines.values())} lines, "
      f"requests line {max(p.lines['chart-requests'])} points, "
      f"{p.state.get('data-draws')} draw(s)")
PYEOF
) || fail_check chromium "the page's charts were not drawn (above; DOM in $TMP/dom.html)"
sleep 3
shot=$TEST_LOG_DIR/status-page.png
rm -f "$shot"
chrome --hide-scrollbars --window-size=1280,1000 --screenshot="$shot" >/dev/null ||
	fail_check chromium "chromium --screenshot failed: $(tail -n 5 "$TMP/chrome.err")"
[[ -s $shot && $(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
	fail_check chromium "no PNG screenshot at $shot"
(($(stat -c %s "$shot") > 20000)) || fail_check chromium "the screenshot is $(stat -c %s "$shot") bytes: blank?"
wait "$wrk_pid" || fail_check chromium "wrk failed: $(cat "$TMP/wrk3.out")"
if [[ -n ${GH_STATUS_SCREENSHOT:-} ]]; then cp "$shot" "$GH_STATUS_SCREENSHOT"; fi
pass_check chromium "$dom; screenshot $shot ($(stat -c %s "$shot") bytes)"

stop_appliance || fail "the appliance did not stop on SIGTERM"
[[ ${APP_STATUS[$LAB]} == 0 ]] || fail "the appliance exited with status ${APP_STATUS[$LAB]}"
log "$CHECKS checks passed"
pass
