#!/usr/bin/env bash
#
# lab-steer: with 2 workers on net_af_packet (no programmable RSS), every
# TCP segment is processed by the worker that owns its flow.  2,000 SYNs
# with known 4-tuples are sent; steer.py computes each flow's owner on its
# own (Toeplitz, the appliance's key and redirection table), and each
# worker's worker.tcp_owned must rise by exactly its share.  The hand-over
# counters must balance (steer_out == steer_in) with nothing lost.
. "$(dirname "$0")/lib.sh"
need_lab_prereqs

WORKERS=2
lab_up lsteer --workers "$WORKERS"
start_appliance

expect_ping "$CLIENT_NS" "$INSIDE_IP" 2
mac=$(ip -n "$CLIENT_NS" neigh show "$INSIDE_IP" dev eth0 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}')
[[ $mac =~ ^([0-9a-f]{2}:){5}[0-9a-f]{2}$ ]] || fail "no neighbour entry for $INSIDE_IP in $CLIENT_NS"

before=$STATE_DIR/steer.before
after=$STATE_DIR/steer.after
expect=$STATE_DIR/steer.expect
stats_snapshot "$before"
in_client "$PY" "$LAB_TESTS_DIR/steer.py" --iface eth0 --dst-mac "$mac" \
	--src-ip "$CLIENT_IP" --dst-ip "$INSIDE_IP" --workers "$WORKERS" \
	--count 2000 --expect "$expect" || fail "steer.py failed"
total=$(awk '$1 == "total" {print $2}' "$expect")

# Settle (bounded: 10 s) until every SYN was processed by some worker.
owned0=$(snap_value "$before" worker.tcp_owned)
wait_counter worker.tcp_owned ">=" $((owned0 + total)) 100 ||
	fail "only $(($(counter worker.tcp_owned) - owned0)) of $total SYNs were processed"
stats_snapshot "$after"

delta() { echo $(($(snap_value "$after" "$1") - $(snap_value "$before" "$1"))); }
bad=0
for ((k = 0; k < WORKERS; k++)); do
	want=$(awk -v w="worker$k" '$1 == w {print $2}' "$expect")
	got=$(delta "worker$k.worker.tcp_owned")
	if ((got != want)); then
		printf -- '---- worker%d processed %d segments, owns %d of the flows\n' "$k" "$got" "$want" >&2
		bad=1
	else
		log "worker$k processed exactly its $want flows"
	fi
done
out=$(delta worker.steer_out)
in=$(delta worker.steer_in)
drop=$(delta worker.steer_drop)
log "handed over: $out out, $in in, $drop lost"
((drop == 0)) || { echo "---- $drop segments lost in hand-over" >&2; bad=1; }
((out == in)) || { echo "---- steer_out $out != steer_in $in" >&2; bad=1; }
# af_packet's fanout hash is not ours: some flows must have been handed over.
((out > 0)) || { echo "---- no segment was handed over: steering not exercised" >&2; bad=1; }
((bad == 0)) || fail "segments were not all processed by their owner"
pass
