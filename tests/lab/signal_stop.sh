#!/usr/bin/env bash
#
# lab-signal_stop: SIGTERM (and SIGINT) stop the appliance within 1 s with
# exit status 0, and what the first run leaves in its EAL runtime dir
# (same file-prefix) does not stop a second start.
. "$(dirname "$0")/lib.sh"
need_lab_prereqs

lab_up lsig
start_appliance
expect_ping "$CLIENT_NS" "$INSIDE_IP" 1

pid=${APP_PID[$LAB]}
t0=$(date +%s%N)
stop_appliance "$LAB" TERM 10 || fail "the appliance did not stop within 1 s of SIGTERM (killed)"
ms=$((($(date +%s%N) - t0) / 1000000))
((${APP_STATUS[$LAB]} == 0)) || fail "the appliance exited with status ${APP_STATUS[$LAB]} after SIGTERM"
log "ok: stopped ${ms} ms after SIGTERM, status 0"
[[ ! -S $CTL_SOCK ]] || log "note: control socket file left behind after stop"

# Second start with the same config and file-prefix.
start_appliance
[[ ${APP_PID[$LAB]} != "$pid" ]] || fail "second start reused PID $pid?"
expect_ping "$CLIENT_NS" "$INSIDE_IP" 2
expect_counter net.icmp_echo_replied ">=" 2

stop_appliance "$LAB" INT 10 || fail "the appliance did not stop within 1 s of SIGINT (killed)"
((${APP_STATUS[$LAB]} == 0)) || fail "the appliance exited with status ${APP_STATUS[$LAB]} after SIGINT"
log "ok: stopped after SIGINT, status 0"
pass
