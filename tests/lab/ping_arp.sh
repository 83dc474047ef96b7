#!/usr/bin/env bash
#
# lab-ping_arp: the appliance answers ARP and ping on both of its addresses:
# from the client to INSIDE_IP and from the origin to OUTSIDE_IP.
. "$(dirname "$0")/lib.sh"
need_lab_prereqs

lab_up lping
start_appliance

before_echo=$(counter net.icmp_echo_replied)
before_arp=$(counter net.arp_req_answered)

expect_arping "$CLIENT_NS" "$INSIDE_IP" 3
expect_ping "$CLIENT_NS" "$INSIDE_IP" 3
expect_arping "$ORIGIN_NS" "$OUTSIDE_IP" 3 -s "$ORIGIN_IP"
expect_ping "$ORIGIN_NS" "$OUTSIDE_IP" 3 -I "$ORIGIN_IP"

# 3 + 3 echoes; ARP: the two arpings alone bring 6 answers (the issue asks
# for >= 1, all were checked answered above).
expect_counter net.icmp_echo_replied ">=" $((before_echo + 6))
expect_counter net.arp_req_answered ">=" $((before_arp + 1))
expect_counter net.arp_req_answered ">=" $((before_arp + 6))
expect_counter port.inside.rx_pkts ">" 0
expect_counter port.outside.tx_pkts ">" 0

pass
