#!/usr/bin/env bash
#
# lab-malformed: 10,000 malformed frames from the client, each wrong in
# exactly one way (tests/lab/malformed.py says which counter each must hit);
# every drop counter rises by exactly the number sent of its kind, nothing
# is answered, and ping still works afterwards.
. "$(dirname "$0")/lib.sh"
need_lab_prereqs
"$PY" -c 'import scapy' 2>/dev/null || fail "$PY cannot import scapy (apt-get install python3-scapy)"

COUNT=${MALFORMED_COUNT:-10000}
lab_up lmal
start_appliance

# Learn the appliance's inside MAC the way a host would: ping, then read the
# client's neighbour table (cross-checked with in0's address in its netns).
expect_ping "$CLIENT_NS" "$INSIDE_IP" 2
mac=$(ip -n "$CLIENT_NS" neigh show "$INSIDE_IP" dev eth0 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}')
[[ $mac =~ ^([0-9a-f]{2}:){5}[0-9a-f]{2}$ ]] || fail "no neighbour entry for $INSIDE_IP in $CLIENT_NS"
in0_mac=$(in_app cat /sys/class/net/in0/address)
[[ $mac == "$in0_mac" ]] || fail "the appliance answers ARP with $mac, but in0 is $in0_mac"
log "appliance inside MAC $mac"

before=$STATE_DIR/stats.before
after=$STATE_DIR/stats.after
expect=$STATE_DIR/malformed.expect
stats_snapshot "$before"
rx0=$(snap_value "$before" net.rx_frames)

log "sending $COUNT malformed frames from $CLIENT_NS"
in_client "$PY" "$LAB_TESTS_DIR/malformed.py" --iface eth0 --dst-mac "$mac" \
	--src-ip "$CLIENT_IP" --dst-ip "$INSIDE_IP" --count "$COUNT" --expect "$expect" ||
	fail "malformed.py failed"
total=$(awk '$1 == "total" {print $2}' "$expect")
((total == COUNT)) || fail "malformed.py sent $total frames, not $COUNT"

# Settle: until the appliance has seen them all, or rx_frames stops growing
# (bounded: 10 s).
prev=-1
for ((i = 0; i < 100; i++)); do
	rx=$(counter net.rx_frames)
	((rx - rx0 >= total)) && break
	if ((i % 10 == 9)); then
		((rx == prev)) && break
		prev=$rx
	fi
	sleep 0.1
done
stats_snapshot "$after"

bad=0
rx1=$(snap_value "$after" net.rx_frames)
if ((rx1 - rx0 < total)); then
	printf -- '---- net.rx_frames rose by %d, %d frames sent: frames lost before the network layer\n' \
		$((rx1 - rx0)) "$total" >&2
	bad=1
fi
while read -r name n; do
	[[ $name == total ]] && continue
	b=$(snap_value "$before" "net.$name")
	a=$(snap_value "$after" "net.$name")
	grep -q "^net\.$name " "$after" || {
		printf -- '---- counter net.%s missing from stats\n' "$name" >&2
		bad=1
		continue
	}
	if ((a - b != n)); then
		printf -- '---- net.%s rose by %d, expected exactly %d\n' "$name" $((a - b)) "$n" >&2
		bad=1
	else
		log "net.$name +$n"
	fi
done <"$expect"
# Nothing of it may have been answered.
for name in net.icmp_echo_replied net.arp_req_answered; do
	b=$(snap_value "$before" "$name")
	a=$(snap_value "$after" "$name")
	((a == b)) || {
		printf -- '---- %s rose by %d during the malformed burst\n' "$name" $((a - b)) >&2
		bad=1
	}
done
((bad == 0)) || {
	printf -- '---- counters before / after:\n' >&2
	paste "$before" "$after" | grep '^net\.' >&2 || true
	fail "drop counters do not match what was sent"
}

expect_ping "$CLIENT_NS" "$INSIDE_IP" 3
expect_counter net.icmp_echo_replied ">=" $(($(snap_value "$after" net.icmp_echo_replied) + 3))
pass
