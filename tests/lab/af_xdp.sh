#!/usr/bin/env bash
#
# lab-af_xdp: the appliance with its ports on net_af_xdp (GH_LAB_VDEV, see
# tools/lab) instead of net_af_packet.  net_af_xdp cannot send chained mbufs
# (it copies pkt_len bytes from the first segment alone, and has no
# MULTI_SEGS TX offload), where every data segment of lib/tcp is a header
# mbuf with the payload chained behind: before the worker flattened such
# chains (port.*.tx_flattened; lib/tcp now builds its segments whole for
# such ports, tcp.tx_linear) the appliance carried no payload at all on
# net_af_xdp (a relayed echo timed out with nothing back).  Checks, each
# printing PASS or FAIL:
# The appliance runs with `hugepages off` (--no-huge, 4 KiB pages): the PMD
# registers the mbuf pool as the AF_XDP UMEM assuming evenly spaced objects,
# and a pool populated one object per 4 KiB page (objects kept inside pages)
# had a third of its mbufs outside it, so the relay stalled after a few MB
# (port_pool_create makes such pools one run of objects).
#   drivers     both ports came up on net_af_xdp
#   relay       16 MiB each way through the L4 relay, SHA-256 checked, on a
#               clean link and under 1% loss both ways; 64 MiB downloaded
#               from a source through it
#   forward     through the forward proxy with its cache: a 100 KiB miss
#               then a hit (the hit's payload is the cache's external
#               buffers, another kind of chain), both bodies right, the
#               origin asked once
#   linear      tcp.tx_linear > 20000 (lib/tcp builds data segments in one
#               mbuf for such ports), port.*.tx_flattened 0 (no chain left
#               for the worker to copy), tx_drops 0
#   released    every session closed and the inside pool's mbufs back to
#               what they were before the traffic
# About 15 s.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
need_lab_prereqs
for t in curl sha256sum; do command -v "$t" >/dev/null || fail "$t not found: run tools/setup"; done

MIB=$((1024 * 1024))
BYTES=$((16 * MIB))
OBJ=/cache/100k.bin

export GH_LAB_VDEV=net_af_xdp
lab_up lxdp
conf=$STATE_DIR/af_xdp.conf
# --no-huge: 4 KiB pages, where a pool kept inside pages had a third of
# its mbufs outside the UMEM (the kernel rejected every frame in them)
sed 's/^    hugepages .*/    hugepages off/' "$CONF" >"$conf"
cat >>"$conf" <<CONF_EOF

listen bulk
    mode relay
    bind $INSIDE_IP:7000
    upstream $ORIGIN_IP:7000

listen down
    mode relay
    bind $INSIDE_IP:7001
    upstream $ORIGIN_IP:7001

listen fwd
    mode forward
    bind $INSIDE_IP:$FWD_PORT
    allow-src $CLIENT_IP/32
    cache on
    cache-mb 16
CONF_EOF
conf_resolver_log "$conf"
start_appliance "$conf"
start_tcpx_server echo 7000 echo
start_tcpx_server source 7001 source --bytes $((4 * BYTES))

n=$(grep -c 'driver net_af_xdp' "${APP_LOG[$LAB]}" || true)
[[ $n == 2 ]] || fail_check drivers "$n of 2 ports on net_af_xdp: $(grep 'driver' "${APP_LOG[$LAB]}")"
pass_check drivers "both ports on net_af_xdp"
mbufs0=$(counter port.inside.mbufs_in_use)

expect_tcpx "clean, relay" 60 client --connect "$INSIDE_IP:7000" --send "$BYTES" \
	--recv "$BYTES" --expect echo
expect_tcpx "clean, relay download" 60 client --connect "$INSIDE_IP:7001" \
	--recv $((4 * BYTES)) --expect source
netem_link "loss 1%"
expect_tcpx "1% loss, relay" 60 client --connect "$INSIDE_IP:7000" --send "$BYTES" \
	--recv "$BYTES" --expect echo
netem_link_clear
pass_check relay "16 MiB each way byte-exact, clean and under 1% loss; 64 MiB down"

want=$(sha256sum <"$STATE_DIR/www$OBJ" | cut -d' ' -f1)
log0=$(wc -l <"$STATE_DIR/nginx-access.log")
for i in 1 2; do
	got=$(fwd_curl "http://origin.lab.test$OBJ" | sha256sum | cut -d' ' -f1)
	[[ $got == "$want" ]] || fail_check forward "body $i SHA-256 $got, want $want"
done
sleep 0.5 # nginx writes its log line after the response
n=$(tail -n +$((log0 + 1)) "$STATE_DIR/nginx-access.log" | grep -c -- "GET $OBJ " || true)
[[ $n == 1 ]] || fail_check forward "the origin logged $n requests for $OBJ, want 1"
expect_counter proxy.fwd_cache_hits == 1
pass_check forward "a miss and a hit of $OBJ, bodies right, the origin asked once"

# lib/tcp builds each data segment in one mbuf for these ports (tx_linear);
# the worker's flattening is left with nothing to do
expect_counter tcp.tx_linear ">" 20000
for p in inside outside; do
	expect_counter "port.$p.tx_flattened" == 0
	expect_counter "port.$p.tx_drops" == 0
done
pass_check linear "data segments built in one mbuf, no chain left to flatten, no TX drop"

wait_counter proxy.relay_closed == 3 50 || fail_check released "relay sessions closed: $(counter proxy.relay_closed) of 3"
wait_counter proxy.fwd_sessions_in_use == 0 50 || fail_check released "forward sessions still open"
wait_counter port.inside.mbufs_in_use "<=" "$mbufs0" 50 ||
	fail_check released "inside mbufs in use $(counter port.inside.mbufs_in_use), $mbufs0 before the traffic"
pass_check released "sessions closed, inside mbufs back to $mbufs0 or fewer"
pass
