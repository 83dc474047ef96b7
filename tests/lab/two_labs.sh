#!/usr/bin/env bash
#
# lab-two_labs: two labs side by side, an appliance running in each at the
# same time (own namespaces, file-prefix, control socket); each client
# reaches its own appliance, and the counters of the two are independent.
. "$(dirname "$0")/lib.sh"
need_lab_prereqs

lab_up l2a
start_appliance
lab_up l2b
start_appliance

a_sock=$(lab_var l2a CTL_SOCK)
b_sock=$(lab_var l2b CTL_SOCK)
[[ $a_sock != "$b_sock" ]] || fail "both labs use control socket $a_sock"
[[ $(lab_var l2a INSIDE_IP) != $(lab_var l2b INSIDE_IP) ]] || fail "both labs use the same addresses"
if ! pid_alive "${APP_PID[l2a]}" || ! pid_alive "${APP_PID[l2b]}"; then
	fail "both appliances must run at once"
fi

lab_use l2a
a0=$(counter net.icmp_echo_replied)
lab_use l2b
b0=$(counter net.icmp_echo_replied)

lab_use l2a
expect_ping "$CLIENT_NS" "$INSIDE_IP" 5
lab_use l2b
expect_ping "$CLIENT_NS" "$INSIDE_IP" 2
# Lab a's client cannot reach lab b's appliance (separate wires).
expect_no_ping "$(lab_var l2a CLIENT_NS)" "$(lab_var l2b INSIDE_IP)" 2

lab_use l2a
expect_counter net.icmp_echo_replied == $((a0 + 5))
lab_use l2b
expect_counter net.icmp_echo_replied == $((b0 + 2))

# Stopping one leaves the other serving.
stop_appliance l2a || fail "the appliance of lab l2a did not stop on SIGTERM"
lab_use l2b
expect_ping "$CLIENT_NS" "$INSIDE_IP" 2
expect_counter net.icmp_echo_replied == $((b0 + 4))
pass
