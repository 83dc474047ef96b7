#!/usr/bin/env bash
#
# lab-stats_json_telemetry: one set of counters, three views.  `stats`
# (text), `stats json` (one JSON object) and DPDK telemetry's
# /gatehouse/stats and /gatehouse/worker,N (read with dpdk-telemetry.py)
# name every counter alike, totals and per worker, and agree on its value;
# the control socket is mode 0600.
#
# All counters, not a sample: every group (net, worker, tcp, tcp_flow,
# proxy, dns, health, port.<name> with its device counters, access_log,
# process, management, config) must be on
# every surface with the same counter names.  An idle appliance still
# counts a few things (poll loops, cycles, a stray frame), so the text is
# read twice, before and after the other two: a counter equal in both text
# reads must have that value in JSON and telemetry too; one that moved must
# lie between the two reads there (gauges, *_in_use and ooo_mbufs, are
# only compared when they did not move).  Per worker, the text leaves out
# zeros: a counter missing there is 0.
. "$(dirname "$0")/lib.sh"
need_lab_prereqs

# Two workers, so that per-worker views and their sums mean something; an
# echo listener, so that TCP, the flow table and the services count; an
# access log, so that the writer's group (totals only) is there too.
lab_up lstats --workers 2
conf=$STATE_DIR/stats.conf
cp "${CONF:?}" "$conf"
cat >>"$conf" <<CONF_EOF

listen echo
	mode echo
	bind $INSIDE_IP:7

access-log
	path $STATE_DIR/access.log
	format squid
CONF_EOF
start_appliance "$conf"
expect_ping "$CLIENT_NS" "$INSIDE_IP" 4
expect_arping "$CLIENT_NS" "$INSIDE_IP" 1
reply=$(in_client timeout 5 bash -c \
	"exec 3<>/dev/tcp/$INSIDE_IP/7 && echo stats-probe >&3 && read -r -t 3 l <&3 && echo \$l") ||
	fail "no answer from the echo listener on $INSIDE_IP:7"
[[ $reply == stats-probe ]] || fail "echo listener answered '$reply', not 'stats-probe'"
log "ok: one echo connection answered"
sleep 0.5 # counters are summed by the control thread

mode=$(stat -c %a "$CTL_SOCK")
[[ $mode == 600 ]] || fail "control socket $CTL_SOCK has mode $mode, not 600"
log "ok: control socket mode 0600"

text1=$STATE_DIR/stats1.txt
text2=$STATE_DIR/stats2.txt
json=$STATE_DIR/stats.json
tele=$STATE_DIR/telemetry.out
telemetry=/usr/bin/dpdk-telemetry.py
[[ -r $telemetry ]] || fail "$telemetry not found (apt-get install dpdk)"

ctl stats >"$text1" || fail "gatehousectl stats failed"
ctl stats --json >"$json" || fail "gatehousectl stats --json failed"
workers=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["workers"])' "$json") ||
	fail "stats --json is not JSON or has no \"workers\": $(head -c 400 "$json")"
{
	printf '/gatehouse/stats\n'
	for ((k = 0; k < workers; k++)); do printf '/gatehouse/worker,%d\n' "$k"; done
} | timeout 20 "$PY" "$telemetry" -f "$FILE_PREFIX" >"$tele" 2>&1 ||
	fail "dpdk-telemetry.py -f $FILE_PREFIX failed: $(head -c 400 "$tele")"
ctl stats >"$text2" || fail "gatehousectl stats failed"

"$PY" - "$text1" "$json" "$tele" "$text2" <<'PYEOF' || fail "the three views of the counters disagree (above)"
import json
import re
import sys

text1_f, json_f, tele_f, text2_f = sys.argv[1:5]
GROUPS = {"net", "worker", "tcp", "tcp_flow", "proxy", "dns", "health",
          "access_log", "process", "management", "config"}
# groups of the process, not of the workers: totals only
PROCESS = ("access_log.", "process.", "management.", "config.")
PORT_SAMPLE = {"rx_pkts", "tx_drops", "dev_ipackets", "dev_imissed",
               "mbufs_in_use"}
bad = []


def flatten(obj, prefix=""):
    out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    else:
        out[prefix] = obj
    return out


def read_text(path):
    """-> (totals, {worker: {name: value}}) of one `stats` reply."""
    tot, per = {}, {}
    for ln in open(path):
        f = ln.split()
        if not f or f[0].startswith("#"):
            continue
        if len(f) != 2 or not f[1].isdigit():
            sys.exit(f"{path}: not \"name value\": {ln!r}")
        # "worker.loops" is the worker group; "worker0.net.x" a worker's.
        m = re.match(r"worker(\d+)\.(.*)", f[0])
        if m:
            d = per.setdefault(int(m.group(1)), {})
            name = m.group(2)
        else:
            d, name = tot, f[0]
        if name in d:
            bad.append(f"{path}: {f[0]} twice")
        d[name] = int(f[1])
    return tot, per


def tele_names(obj, ports):
    """Telemetry keys a port's group "port_<name>": back to port.<name>."""
    out = {}
    for k, v in obj.items():
        if k.startswith("port_") and k[5:] in ports:
            k = "port." + k[5:]
        out.update(flatten(v, k))
    return out


t1, w1 = read_text(text1_f)
t2, _ = read_text(text2_f)
j = json.load(open(json_f))
jt = flatten(j["total"])
ports = set(j["total"].get("port", {}))
nw = j["workers"]

replies = []
for ln in open(tele_f):
    ln = ln.strip()
    if ln.startswith("{"):
        try:
            replies.append(json.loads(ln))
        except ValueError:
            pass
tt = [r["/gatehouse/stats"] for r in replies if "/gatehouse/stats" in r]
tw = [r["/gatehouse/worker"] for r in replies if "/gatehouse/worker" in r]
if len(tt) != 1 or len(tw) != nw:
    sys.exit(f"telemetry: {len(tt)} /gatehouse/stats and {len(tw)} "
             f"/gatehouse/worker replies, want 1 and {nw}:\n"
             + open(tele_f).read()[:800])
tt = tele_names(tt[0], ports)
tw = [tele_names(x, ports) for x in tw]


def same_names(what, a_name, a, b_name, b):
    if set(a) != set(b):
        only_a = sorted(set(a) - set(b))[:10]
        only_b = sorted(set(b) - set(a))[:10]
        bad.append(f"{what}: names differ: only in {a_name} {only_a}, "
                   f"only in {b_name} {only_b}")


# 1. Names: exactly the same set on every surface, every group there.
same_names("totals", "text", t1, "json", jt)
same_names("totals", "text", t1, "telemetry", tt)
same_names("totals", "text (1st)", t1, "text (2nd)", t2)
groups = {n.rsplit(".", 1)[0] for n in t1}
want = GROUPS | {f"port.{p}" for p in ports}
if groups != want or not ports:
    bad.append(f"groups in the text: {sorted(groups)}, want {sorted(want)}")
for p in ports:
    for c in PORT_SAMPLE:
        if f"port.{p}.{c}" not in t1:
            bad.append(f"port.{p}.{c} missing from the text")
for k in range(nw):
    jw = flatten(j["per_worker"][k])
    same_names(f"worker {k}", "json", jw, "telemetry", tw[k])
    extra = sorted(set(w1.get(k, {})) - set(jw))
    if extra:
        bad.append(f"worker {k}: text names not in json: {extra[:10]}")
    for n in jw:
        if n.startswith(PROCESS) or ".dev_" in n or \
                n.endswith(".mbufs_in_use"):
            bad.append(f"worker {k}: {n} belongs to no worker")

# 2. Values.
def gauge(n):
    return n.endswith("_in_use") or n.endswith(".ooo_mbufs")


quiet = {n for n in t1 if n in t2 and t1[n] == t2[n]}
moved = sorted(set(t1) - quiet)
compared = 0
for n in sorted(t1):
    if n not in jt or n not in tt or n not in t2:
        continue
    jv, tv = jt[n], tt[n]
    if n in quiet:
        ok = t1[n] == jv == tv
    elif gauge(n):
        continue
    else:
        lo, hi = min(t1[n], t2[n]), max(t1[n], t2[n])
        ok = lo <= jv <= hi and lo <= tv <= hi
    compared += 1
    if not ok:
        bad.append(f"{n}: text {t1[n]}..{t2[n]} json {jv} telemetry {tv}")
for k in range(nw):
    jw = flatten(j["per_worker"][k])
    for n in sorted(jw):
        if n not in quiet or n not in tw[k]:
            continue
        tx = w1.get(k, {}).get(n, 0)
        if not tx == jw[n] == tw[k][n]:
            bad.append(f"worker {k} {n}: text {tx} json {jw[n]} "
                       f"telemetry {tw[k][n]}")
        compared += 1
# The totals are the workers' sums (device and writer counters aside).
for n in sorted(quiet):
    if n.startswith(PROCESS) or ".dev_" in n or \
            n.endswith(".mbufs_in_use"):
        continue
    s = sum(flatten(j["per_worker"][k]).get(n, 0) for k in range(nw))
    if s != jt.get(n):
        bad.append(f"{n}: total {jt.get(n)} but the workers sum to {s}")

print(f"{len(t1)} counters in {len(groups)} groups on all three surfaces, "
      f"{nw} workers; {compared} values compared, {len(moved)} moved "
      f"between the text reads: {', '.join(moved[:12])}")
for n in ["net.rx_frames", "net.icmp_echo_replied", "net.arp_req_answered",
          "tcp_flow.flow_inserted", "tcp_flow.flow_deleted",
          "access_log.lines", "access_log.dropped"]:
    print(f"  {n}: text {t1.get(n)} json {jt.get(n)} telemetry {tt.get(n)}")
if t1.get("net.icmp_echo_replied", 0) < 4:
    bad.append("net.icmp_echo_replied < 4 after 4 answered pings")
# A listener and one connection: the flow table has counted both.
if t1.get("tcp_flow.flow_inserted", 0) < 2:
    bad.append("tcp_flow.flow_inserted < 2 after a listener and a connection")
for b in bad[:40]:
    print("BAD", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
pass
