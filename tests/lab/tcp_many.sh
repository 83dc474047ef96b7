#!/usr/bin/env bash
#
# lab-tcp_many: 10,000 connections open at once through the L4 relay with
# two workers on net_af_packet (no programmable RSS: software steering).
# tcpx.py `many` opens them all, waits until every one is established,
# then echoes 1 KiB on each (SHA-checked) and closes.  Then:
# - every connection completed, every relay session closed normally;
# - every TCP segment was processed by the worker owning its flow: the
#   segments the workers processed (tcp.seg_in) are exactly the segments
#   processed by their owner (worker.tcp_owned), the hand-over counters
#   balance (steer_out == steer_in) and none was lost (steer_drop == 0);
#   both workers owned some of the flows, and no session was reset or
#   failed to connect (a segment of a live connection on a worker without
#   its TCB would have been answered with a RST);
# - after close (TIME_WAIT shortened to 1 s by the config) the appliance is
#   back to its base: no TCB, no session and no mbuf in use beyond what it
#   held before the run.
. "$(dirname "$0")/lib.sh"
need_lab_prereqs

CONNS=${TCP_MANY_CONNS:-10000}
WORKERS=2
lab_up lmany --workers "$WORKERS"
cat >>"$CONF" <<CONF_EOF
tcp
    time-wait-ms 1000
listen bulk
    mode relay
    bind $INSIDE_IP:7000
    upstream $ORIGIN_IP:7000
CONF_EOF
start_appliance
start_tcpx_server echo 7000 echo
before=$STATE_DIR/many.before
after=$STATE_DIR/many.after
stats_snapshot "$before"

expect_tcpx "$CONNS concurrent connections through the relay, 1 KiB echo each" \
	120 many --connect "$INSIDE_IP:7000" --conns "$CONNS" --payload 1024
[[ " $TCPX_RESULT " == *" completed=$CONNS "* ]] ||
	fail "not every connection completed: $TCPX_RESULT"
[[ " $TCPX_RESULT " == *" max_open=$CONNS "* ]] ||
	fail "not all $CONNS connections were open at once: $TCPX_RESULT"

# Every session ends (both legs closed) and TIME_WAIT drains: bounded wait.
wait_counter proxy.relay_closed == "$CONNS" 300 ||
	fail "relay sessions closed: $(counter proxy.relay_closed) of $CONNS"
wait_counter tcp.conns_in_use == 0 100 ||
	fail "TCBs still in use after close: $(counter tcp.conns_in_use)"
stats_snapshot "$after"
delta() { echo $(($(snap_value "$after" "$1") - $(snap_value "$before" "$1"))); }

expect_counter proxy.relay_accepted == "$CONNS"
expect_counter proxy.relay_reset == 0
expect_counter proxy.relay_bytes_c2u == $((CONNS * 1024))
expect_counter proxy.relay_bytes_u2c == $((CONNS * 1024))
expect_counter proxy.sessions_in_use == 0

# Ownership: the hand-over counters prove every segment met its owner.
segs=$(delta tcp.seg_in)
owned=$(delta worker.tcp_owned)
((segs > 4 * CONNS)) || fail "only $segs TCP segments processed for $CONNS connections"
((owned == segs)) || fail "$segs segments processed but only $owned by their owner"
expect_counter worker.steer_drop == 0
# The legs the appliance opened got their return traffic on the worker that
# opened them: had a segment of a live connection reached another worker,
# that worker (no TCB) would have reset it, and the session with it.
expect_counter proxy.relay_upstream_failed == 0
expect_counter proxy.connect_error == 0
log "RSTs sent for segments that found no connection (not asserted: a late segment after release gets one too): $(delta tcp.rst_tx_no_conn)"
steer_out=$(delta worker.steer_out)
steer_in=$(delta worker.steer_in)
((steer_out == steer_in)) || fail "handed over $steer_out segments, $steer_in arrived"
((steer_out > 0)) || fail "no segment was handed over: is steering in use?"
for ((k = 0; k < WORKERS; k++)); do
	w=$(delta "worker$k.worker.tcp_owned")
	((w > segs / 10)) || fail "worker $k owned only $w of $segs segments"
	log "worker $k processed $w segments it owns"
done
log "$segs segments, $steer_out handed over between the workers, all processed by their owner"

# Memory back to base: TCBs and sessions (checked above), and mbufs.
for port in inside outside; do
	b=$(snap_value "$before" "port.$port.mbufs_in_use")
	a=$(snap_value "$after" "port.$port.mbufs_in_use")
	((a <= b)) || fail "port $port: $a mbufs in use after the run, $b before"
	log "port $port: $a mbufs in use after the run ($b before)"
done
pass
