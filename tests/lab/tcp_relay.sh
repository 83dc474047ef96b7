#!/usr/bin/env bash
#
# lab-tcp_relay: the appliance's own TCP against Linux peers.  100 MiB each
# way (SHA-256 checked by tcpx.py) through the echo service and through the
# L4 relay (kernel client -> appliance -> kernel echo server in the origin
# namespace), on a clean link and under tc netem on both peers' links:
# 1% loss; 5% reordering + 1% duplication; 40 ms delay + 0.5% loss.  Each
# transfer must be byte-exact within the bound stated next to it, and every
# relay session must end with both legs closed normally.
#
# The link conditions are this lab's netem substitute (tests/lab/tcp_netem.py)
# on both peers' links, both directions.  Times here (100 MiB each way, echo
# service / relay): clean ~1 / ~1 s, 1% loss ~5 / ~6 s, reordering ~12 /
# ~13 s.  Under 40 ms RTT + 0.5% loss (the same SPEC as lab-tcp_kernel_ref)
# CUBIC runs at the Mathis bound, as Linux's cubic: 100 MiB took ~160 /
# ~175 s (Linux ~190 s; bbr ~5 s), so that condition moves 12 MiB each way
# (TCP_RELAY_WAN_MIB; still some 40 losses each way), ~20 s each, to keep
# the CI suite under 20 minutes; the byte-exact check and the clean closes
# are the same.  The whole test takes about 90 s.
. "$(dirname "$0")/lib.sh"
need_lab_prereqs

MIB=$((1024 * 1024))
SIZE=${TCP_RELAY_MIB:-100}
BYTES=$((SIZE * MIB))
WAN_BYTES=$((${TCP_RELAY_WAN_MIB:-12} * MIB))

lab_up ltcp
cat >>"$CONF" <<CONF_EOF
listen echo
    mode echo
    bind $INSIDE_IP:7
listen bulk
    mode relay
    bind $INSIDE_IP:7000
    upstream $ORIGIN_IP:7000
CONF_EOF
start_appliance
start_tcpx_server echo 7000 echo

# transfer NAME BOUND_S TARGET [BYTES]: one echo round trip of BYTES
# (default 100 MiB) each way.
transfer() {
	local n=${4:-$BYTES}
	expect_tcpx "$1" "$2" client --connect "$3" --send "$n" \
		--recv "$n" --expect echo
}

transfer "clean, echo service" 60 "$INSIDE_IP:7"
transfer "clean, relay" 60 "$INSIDE_IP:7000"

netem_link "loss 1%"
transfer "1% loss, echo service" 60 "$INSIDE_IP:7"
transfer "1% loss, relay" 60 "$INSIDE_IP:7000"
netem_link_clear

netem_link "delay 1ms reorder 5% duplicate 1%"
transfer "5% reorder + 1% duplication, echo service" 90 "$INSIDE_IP:7"
transfer "5% reorder + 1% duplication, relay" 90 "$INSIDE_IP:7000"
netem_link_clear

netem_link "delay 20ms loss 0.5%"
transfer "40 ms RTT + 0.5% loss, echo service" 150 "$INSIDE_IP:7" "$WAN_BYTES"
transfer "40 ms RTT + 0.5% loss, relay" 150 "$INSIDE_IP:7000" "$WAN_BYTES"
netem_link_clear

# Every relay session closed normally on both legs; nothing reset.
relays=4
expect_counter proxy.relay_accepted == "$relays"
wait_counter proxy.relay_closed == "$relays" 50 ||
	fail "relay sessions closed: $(counter proxy.relay_closed) of $relays"
expect_counter proxy.relay_reset == 0
expect_counter proxy.relay_bytes_c2u == $(((relays - 1) * BYTES + WAN_BYTES))
expect_counter proxy.relay_bytes_u2c == $(((relays - 1) * BYTES + WAN_BYTES))
expect_counter proxy.svc_bytes_out == $((3 * BYTES + WAN_BYTES))
pass
