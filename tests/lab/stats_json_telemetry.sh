#!/usr/bin/env bash
#
# lab-stats_json_telemetry: one set of counters, three views.  `stats`
# (text), `stats json` (one JSON object) and DPDK telemetry's
# /gatehouse/stats (read with dpdk-telemetry.py) agree; the control socket
# is mode 0600.
. "$(dirname "$0")/lib.sh"
need_lab_prereqs

lab_up lstats
start_appliance
expect_ping "$CLIENT_NS" "$INSIDE_IP" 4
expect_arping "$CLIENT_NS" "$INSIDE_IP" 1
sleep 0.3 # counters are summed by the control thread

mode=$(stat -c %a "$CTL_SOCK")
[[ $mode == 600 ]] || fail "control socket $CTL_SOCK has mode $mode, not 600"
log "ok: control socket mode 0600"

text=$STATE_DIR/stats.txt
json=$STATE_DIR/stats.json
tele=$STATE_DIR/telemetry.out
ctl stats >"$text" || fail "gatehousectl stats failed"
ctl stats --json >"$json" || fail "gatehousectl stats --json failed"
telemetry=/usr/bin/dpdk-telemetry.py
[[ -r $telemetry ]] || fail "$telemetry not found (apt-get install dpdk)"
printf '/gatehouse/stats\n' | timeout 10 "$PY" "$telemetry" -f "$FILE_PREFIX" >"$tele" 2>&1 ||
	fail "dpdk-telemetry.py -f $FILE_PREFIX failed: $(head -c 400 "$tele")"

# Compare: every named counter must be in all three views with one value
# (no traffic runs meanwhile).  JSON objects may be flat ("net.rx_frames")
# or nested ({"net": {"rx_frames": ...}}): both flatten to dotted names.
"$PY" - "$text" "$json" "$tele" <<'PYEOF' || fail "the three views of the counters disagree (above)"
import json
import sys

text_f, json_f, tele_f = sys.argv[1:4]
names = ["net.rx_frames", "net.icmp_echo_replied", "net.arp_req_answered",
         "net.ip_bad_csum", "net.ip_not_for_us", "net.eth_unknown_type"]


def flatten(obj, prefix=""):
    out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    else:
        out[prefix] = obj
    return out


def lookup(flat, name):
    """name, or name under some prefix (e.g. "total.net.rx_frames")."""
    if name in flat:
        return flat[name]
    hits = [v for k, v in flat.items()
            if k.endswith("." + name) and "worker" not in k]
    return hits[0] if len(hits) == 1 else None


text = {}
for ln in open(text_f):
    ln = ln.strip()
    if ln and not ln.startswith("#") and len(ln.split()) >= 2:
        text[ln.split()[0]] = ln.split()[1]

try:
    j = flatten(json.load(open(json_f)))
except ValueError as e:
    sys.exit(f"stats --json is not JSON: {e}")

tele = None
for ln in open(tele_f):
    ln = ln.strip()
    if not ln.startswith("{"):
        continue
    try:
        obj = json.loads(ln)
    except ValueError:
        continue
    if "/gatehouse/stats" in obj:
        tele = flatten(obj["/gatehouse/stats"])
if tele is None:
    sys.exit("no /gatehouse/stats reply from telemetry:\n" + open(tele_f).read()[:800])

bad = 0
for n in names:
    t, jv, tv = text.get(n), lookup(j, n), lookup(tele, n)
    ok = t is not None and jv is not None and tv is not None and \
        str(t) == str(jv) == str(tv)
    print(f"{'ok ' if ok else 'BAD'} {n}: text {t} json {jv} telemetry {tv}",
          file=sys.stdout if ok else sys.stderr)
    bad += not ok
if int(text.get("net.icmp_echo_replied", 0)) < 4:
    sys.exit("net.icmp_echo_replied < 4 after 4 answered pings")
sys.exit(1 if bad else 0)
PYEOF
pass
