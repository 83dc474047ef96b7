#!/usr/bin/env bash
#
# lab-no_forward: the appliance never forwards.  The client's default route
# points at it, yet a ping and an HTTP request to the origin fail, nothing
# from the client range reaches the origin namespace, and the appliance
# counts the packets as ip_not_ours.
. "$(dirname "$0")/lib.sh"
need_lab_prereqs

lab_up lnofwd
start_appliance
expect_ping "$CLIENT_NS" "$INSIDE_IP" 1 # the client now knows the gateway's MAC

before=$(counter net.ip_not_ours)
pcap=$STATE_DIR/origin.pcap
tcpdump_log=$STATE_DIR/tcpdump.log
# Capture in the origin namespace whatever arrives from the client range.
in_origin tcpdump -n -i eth0 -U -w "$pcap" 'ip and src net 198.18.0.0/15' \
	>"$tcpdump_log" 2>&1 &
tcpdump_pid=$!
for ((i = 0; i < 50; i++)); do
	grep -q 'listening on' "$tcpdump_log" 2>/dev/null && break
	sleep 0.1
done
grep -q 'listening on' "$tcpdump_log" || fail "tcpdump did not start in $ORIGIN_NS"

expect_no_ping "$CLIENT_NS" "$ORIGIN_IP" 3
# Strong host: the outside address is not reachable from the inside port.
expect_no_ping "$CLIENT_NS" "$OUTSIDE_IP" 2
expect_fail "curl from the client to http://$ORIGIN_IP/" \
	in_client curl -sS --max-time 3 -o /dev/null "http://$ORIGIN_IP/"

sleep 0.5
kill -TERM "$tcpdump_pid" 2>/dev/null || true
for ((i = 0; i < 30; i++)); do
	pid_alive "$tcpdump_pid" || break
	sleep 0.1
done
pid_alive "$tcpdump_pid" && kill -KILL "$tcpdump_pid" 2>/dev/null
wait "$tcpdump_pid" 2>/dev/null || true
captured=$(tcpdump -n -r "$pcap" 2>/dev/null | wc -l)
((captured == 0)) || {
	tcpdump -n -r "$pcap" 2>/dev/null | head -n 10 >&2
	fail "$captured packets from the client range reached the origin"
}
log "ok: no packet from 198.18.0.0/15 reached the origin"

# 3 + 2 echoes plus at least the curl's SYN went to the appliance's MAC
# for addresses that are not the inside port's.
expect_counter net.ip_not_ours ">=" $((before + 6))
pass
