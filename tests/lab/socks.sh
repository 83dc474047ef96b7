#!/usr/bin/env bash
#
# lab-socks: the SOCKS5 server (issue 15 item 1).  Two socks listeners:
# :1080 without users (method 00), its rules denying one destination
# address and one domain; :1081 with auth-users (alice), method 02 only.
# Checks, each printing PASS or FAIL (the first FAIL ends the test, after
# cleanup):
#   hostname      curl --socks5-hostname to origin.lab.test (the name
#                 resolved by the appliance through the lab's dnsmasq)
#   by_ip         curl --socks5 to the origin's address (ATYP 1)
#   auth          :1081: curl with alice's password works; without
#                 credentials and with a wrong password curl fails; the
#                 raw sub-negotiation gets 01 01 and a close
#   denied        a dst acl and a dstdomain acl: reply 02 (raw probe), and
#                 curl fails
#   bulk_100m     100 MiB of random bytes through SOCKS, SHA-256 both ends
#   malformed     raw probes: bad version (closed, no reply), NMETHODS 0
#                 and no acceptable method (05 FF), RSV not 0 (01),
#                 unknown ATYP (08), IPv6 (08), BIND and UDP ASSOCIATE
#                 (07), a truncated greeting (closed); optimistic data
#                 behind the request reaches the origin
#   acl_test      gatehousectl acl test on the socks listeners: the
#                 denied address and name, the origin allowed, a name
#                 that depends on DNS, an unknown source, alice on the
#                 auth listener and no user there, an HTTP method refused
#   reload        a tunnel spliced before a reload that denies the
#                 origin's address (gatehousectl reload): acl test says
#                 deny, a new CONNECT gets reply 02, the old tunnel
#                 carries a second request; reloaded back to the first rules
#   access_log    SOCKS5 lines with the destination, the user and the
#                 reply code
#   counters      socks_* as the checks add them up
#   released      every client session and mbuf back to base
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

PORT=1080
AUTH_PORT=1081
ORIGIN_NAME=origin.lab.test
ALICE_PW='alice-Socks-1'
PROBE=$LAB_TESTS_DIR/socks_probe.py

need_lab_prereqs
for t in curl sha256sum openssl; do command -v "$t" >/dev/null || fail "$t not found: run tools/setup"; done

# socks_curl PORT ARGS...: curl in the client namespace (bounded).
socks_curl() {
	local port=$1
	shift
	timeout -k 2 60 ip netns exec "$CLIENT_NS" curl -sS --max-time 50 "$@"
}

# probe PORT HEX...: the raw probe from the client namespace.
probe() {
	local port=$1
	shift
	timeout -k 2 20 ip netns exec "$CLIENT_NS" "$PY" "$PROBE" "$INSIDE_IP" "$port" "$@"
}

# The hex of a CONNECT request to IPv4 $1, port $2, with command $3 (1).
req_ipv4() {
	local a b c d cmd=${3:-1}
	IFS=. read -r a b c d <<<"$1"
	printf '05%02x0001%02x%02x%02x%02x%04x' "$cmd" "$a" "$b" "$c" "$d" "$2"
}

# The hex of a CONNECT request to name $1, port $2.
req_name() {
	printf '05010003%02x%s%04x' "${#1}" "$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')" "$2"
}

start_proxy() {
	local conf=$STATE_DIR/socks.conf
	printf 'alice:%s\n' "$(openssl passwd -6 "$ALICE_PW")" >"$STATE_DIR/users"
	cp "${CONF:?}" "$conf"
	cat >>"$conf" <<CONF_EOF

acl lab src $CLIENT_IP/32
acl blocked_ip dst $BLOCKED_IP/32
acl blocked_name dstdomain blocked.lab.test

listen socks
	mode socks
	bind $INSIDE_IP:$PORT
	timeout-handshake-ms 2000
	http-access deny blocked_name
	http-access deny blocked_ip
	http-access allow lab

listen socks_auth
	mode socks
	bind $INSIDE_IP:$AUTH_PORT
	auth-users $STATE_DIR/users
	allow-src $CLIENT_IP/32
CONF_EOF
	conf_resolver_log "$conf"
	start_appliance "$conf"
}

check_hostname() {
	local want got
	want=$(sha256sum <"$STATE_DIR/www/1k.bin" | cut -d' ' -f1)
	got=$(socks_curl "$PORT" --socks5-hostname "$INSIDE_IP:$PORT" "http://$ORIGIN_NAME/1k.bin" | sha256sum | cut -d' ' -f1)
	[[ $got == "$want" ]] || fail_check hostname "SHA-256 $got, want $want"
	pass_check hostname "--socks5-hostname $ORIGIN_NAME: 1 KiB right"
}

check_by_ip() {
	local want got
	want=$(sha256sum <"$STATE_DIR/www/cache/100k.bin" | cut -d' ' -f1)
	got=$(socks_curl "$PORT" --socks5 "$INSIDE_IP:$PORT" "http://$ORIGIN_IP/cache/100k.bin" | sha256sum | cut -d' ' -f1)
	[[ $got == "$want" ]] || fail_check by_ip "SHA-256 $got, want $want"
	pass_check by_ip "--socks5 $ORIGIN_IP: 100 KiB right"
}

check_auth() {
	local want got out user
	want=$(sha256sum <"$STATE_DIR/www/1k.bin" | cut -d' ' -f1)
	got=$(socks_curl "$AUTH_PORT" --socks5-hostname "$INSIDE_IP:$AUTH_PORT" \
		--proxy-user "alice:$ALICE_PW" "http://$ORIGIN_NAME/1k.bin" | sha256sum | cut -d' ' -f1)
	[[ $got == "$want" ]] || fail_check auth "alice: SHA-256 $got, want $want"
	got=$(socks_curl "$AUTH_PORT" -x "socks5://alice:$ALICE_PW@$INSIDE_IP:$AUTH_PORT" \
		"http://$ORIGIN_IP/1k.bin" | sha256sum | cut -d' ' -f1)
	[[ $got == "$want" ]] || fail_check auth "alice (socks5:// URL, by IP): SHA-256 $got"
	expect_fail "no credentials on the auth listener" \
		socks_curl "$AUTH_PORT" --socks5-hostname "$INSIDE_IP:$AUTH_PORT" "http://$ORIGIN_NAME/1k.bin"
	expect_fail "a wrong password" \
		socks_curl "$AUTH_PORT" --socks5-hostname "$INSIDE_IP:$AUTH_PORT" \
		--proxy-user "alice:not-$ALICE_PW" "http://$ORIGIN_NAME/1k.bin"
	# raw: offered 00 only -> FF; wrong password -> 01 01 and a close
	out=$(probe "$AUTH_PORT" 050100)
	[[ $out == "05ff closed" ]] || fail_check auth "no-auth greeting: '$out', want '05ff closed'"
	user=$(printf 'alice' | od -An -tx1 | tr -d ' \n')
	out=$(probe "$AUTH_PORT" 050102 "0105${user}03626164")
	[[ $out == "05020101 closed" ]] || fail_check auth "wrong password: '$out', want '05020101 closed'"
	pass_check auth "alice 200 (hostname and IP); none and a wrong password refused (05 FF, 01 01)"
}

check_denied() {
	local out
	out=$(probe "$PORT" 050100 "$(req_ipv4 "$BLOCKED_IP" 80)")
	[[ $out == "050005020001000000000000 closed" ]] ||
		fail_check denied "dst acl: '$out', want reply 02 and a close"
	out=$(probe "$PORT" 050100 "$(req_name blocked.lab.test 80)")
	[[ $out == "050005020001000000000000 closed" ]] ||
		fail_check denied "dstdomain acl: '$out', want reply 02 and a close"
	expect_fail "curl to a denied destination" \
		socks_curl "$PORT" --socks5 "$INSIDE_IP:$PORT" "http://$BLOCKED_IP/1k.bin"
	pass_check denied "dst and dstdomain acls: reply 02, closed"
}

check_bulk() {
	local want got n=$((100 * 1024 * 1024)) size
	head -c "$n" /dev/urandom >"$STATE_DIR/www/100m.bin"
	want=$(sha256sum <"$STATE_DIR/www/100m.bin" | cut -d' ' -f1)
	got=$(socks_curl "$PORT" --socks5-hostname "$INSIDE_IP:$PORT" "http://$ORIGIN_NAME/100m.bin" |
		tee >(wc -c >"$STATE_DIR/100m.size") | sha256sum | cut -d' ' -f1)
	sleep 0.2
	size=$(cat "$STATE_DIR/100m.size")
	rm -f "$STATE_DIR/www/100m.bin"
	[[ $got == "$want" ]] || fail_check bulk_100m "SHA-256 $got ($size bytes), want $want"
	pass_check bulk_100m "100 MiB through SOCKS, SHA-256 right"
}

check_malformed() {
	local out origin_req
	out=$(probe "$PORT" 040100)
	[[ $out == " closed" ]] || fail_check malformed "SOCKS4 greeting: '$out', want no reply and a close"
	out=$(probe "$PORT" 0500)
	[[ $out == "05ff closed" ]] || fail_check malformed "NMETHODS 0: '$out'"
	out=$(probe "$PORT" 050101)
	[[ $out == "05ff closed" ]] || fail_check malformed "GSSAPI only: '$out'"
	out=$(probe "$PORT" 050100 "05010101$(req_ipv4 "$ORIGIN_IP" 80 | cut -c9-)")
	[[ $out == "050005010001000000000000 closed" ]] || fail_check malformed "RSV 1: '$out'"
	out=$(probe "$PORT" 050100 05010005c61201010050)
	[[ $out == "050005080001000000000000 closed" ]] || fail_check malformed "ATYP 5: '$out'"
	out=$(probe "$PORT" 050100 0501000420010db80000000000000000000000010050)
	[[ $out == "050005080001000000000000 closed" ]] || fail_check malformed "IPv6: '$out'"
	out=$(probe "$PORT" 050100 "$(req_ipv4 "$ORIGIN_IP" 80 2)")
	[[ $out == "050005070001000000000000 closed" ]] || fail_check malformed "BIND: '$out'"
	out=$(probe "$PORT" 050100 "$(req_ipv4 "$ORIGIN_IP" 80 3)")
	[[ $out == "050005070001000000000000 closed" ]] || fail_check malformed "UDP ASSOCIATE: '$out'"
	# half a greeting, then FIN: closed (counted as truncated)
	out=$(probe "$PORT" 0502)
	[[ $out == " open" ]] || fail_check malformed "half a greeting: '$out', want nothing yet"
	# greeting, request and an HTTP request in one segment: the
	# optimistic bytes reach the origin once connected; the success
	# reply's BND.ADDR is the upstream leg's local address
	local outside_hex
	outside_hex=01$(printf '%02x' ${OUTSIDE_IP//./ })
	origin_req=$(printf 'GET /1k.bin HTTP/1.0\r\nHost: %s\r\n\r\n' "$ORIGIN_NAME" | od -An -tx1 | tr -d ' \n')
	out=$(probe "$PORT" "050100$(req_ipv4 "$ORIGIN_IP" 80)$origin_req")
	[[ $out == 0500050000${outside_hex}* ]] || fail_check malformed "optimistic data: no success reply from $OUTSIDE_IP: '${out:0:80}'"
	[[ $out == *"$(printf 'HTTP/1.1 200' | od -An -tx1 | tr -d ' \n')"* ]] ||
		fail_check malformed "optimistic data: no HTTP response behind the reply: '${out:0:120}'"
	pass_check malformed "SOCKS4 closed; FF for no method; 01 RSV; 08 ATYP 5 and IPv6; 07 BIND/UDP; optimistic data went"
}

check_timeout() {
	local out
	# a greeting that never completes: the 2 s handshake timeout cuts it
	out=$(timeout -k 2 20 ip netns exec "$CLIENT_NS" "$PY" -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=6)
s.sendall(b"\x05\x02\x00")
t = time.monotonic()
try:
    b = s.recv(10)
except (ConnectionResetError, socket.timeout):
    b = b"x"
print("%s %.1f" % ("closed" if b == b"" else "got %r" % b, time.monotonic() - t))
' "$INSIDE_IP" "$PORT")
	[[ $out == closed* ]] || fail_check timeout "slow greeting: $out"
	pass_check timeout "a greeting cut short was closed after ${out#closed }s (timeout-handshake-ms 2000)"
}

# acl_want WANT ARGS...: `gatehousectl acl test ARGS` says WANT (a grep
# -E pattern) on its verdict line.
acl_want() {
	local want=$1 out
	shift
	out=$(ctl acl test "$@" 2>&1) || fail_check acl_test "acl test $*: failed: $out"
	grep -qE -- "$want" <<<"$out" || fail_check acl_test "acl test $*: '$(tr '\n' ';' <<<"$out")', want '$want'"
}

check_acl_test() {
	local out
	acl_want '^deny: line [0-9]+: http-access deny blocked_ip$' \
		"$CLIENT_IP" CONNECT "$BLOCKED_IP:80" --listener socks
	acl_want '^deny: line [0-9]+: http-access deny blocked_name$' \
		"$CLIENT_IP" CONNECT "BLOCKED.lab.test:443" --listener socks
	acl_want '^allow: line [0-9]+: http-access allow lab$' \
		"$CLIENT_IP" CONNECT "$ORIGIN_IP:80" --listener socks
	acl_want '^depends on DNS: line [0-9]+ has a dst acl' \
		"$CLIENT_IP" CONNECT "$ORIGIN_NAME:80" --listener socks
	acl_want '^deny: no rule matched' \
		"${CLIENT_IP%.*}.77" CONNECT "$ORIGIN_IP:80" --listener socks
	acl_want '^allow: line [0-9]+: implicit' \
		"$CLIENT_IP" CONNECT "$ORIGIN_IP:80" alice --listener socks_auth
	acl_want '^deny: 01 01 .*no USER given' \
		"$CLIENT_IP" CONNECT "$ORIGIN_IP:80" --listener socks_auth
	acl_want '^deny: implicit:allow-src' \
		"${CLIENT_IP%.*}.77" CONNECT "$ORIGIN_IP:80" alice --listener socks_auth
	out=$(ctl acl test "$CLIENT_IP" GET "http://$ORIGIN_IP/" --listener socks 2>&1) &&
		fail_check acl_test "GET on a socks listener was judged: $out"
	pass_check acl_test "socks listeners: dst and dstdomain denies, allow, DNS, default deny, users, allow-src"
}

# The tunnel of check_reload: CONNECT to $ORIGIN_IP:80 and one GET, then
# "up" in $1.up; waits for $1.go and sends a second GET on the same
# tunnel.  Prints each response's status line.
reload_tunnel() {
	timeout -k 2 60 ip netns exec "$CLIENT_NS" "$PY" - "$INSIDE_IP" "$PORT" "$ORIGIN_IP" "$1" <<'PYEOF'
import os, socket, struct, sys, time
host, port, origin, sync = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.create_connection((host, port), timeout=20)

def read(n):
    b = b""
    while len(b) < n:
        k = s.recv(n - len(b))
        if not k:
            sys.exit("closed after %r" % b)
        b += k
    return b

s.sendall(b"\x05\x01\x00")
read(2)
s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton(origin) + struct.pack("!H", 80))
rep = read(10)
if rep[1] != 0:
    sys.exit("reply %02x" % rep[1])

def get():
    s.sendall(b"GET /1k.bin HTTP/1.1\r\nHost: origin.lab.test\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += read(1)
    n = [int(l.split(b":")[1]) for l in head.split(b"\r\n")
         if l.lower().startswith(b"content-length:")][0]
    read(n)
    return head.split(b"\r\n")[0].decode()

print("before", get(), flush=True)
open(sync + ".up", "w").close()
for _ in range(600):
    if os.path.exists(sync + ".go"):
        break
    time.sleep(0.05)
print("after", get(), flush=True)
PYEOF
}

check_reload() {
	local conf=$STATE_DIR/socks.conf sync=$STATE_DIR/reload_tunnel out pid i
	rm -f "$sync".*
	reload_tunnel "$sync" >"$sync.out" 2>&1 &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		[[ -e $sync.up ]] && break
		sleep 0.1
	done
	[[ -e $sync.up ]] || fail_check reload "the tunnel did not come up: $(cat "$sync.out")"
	cp "$conf" "$STATE_DIR/socks.conf.first"
	# the origin's address denied, before the rule that allows the client
	sed -e "s|^acl lab src .*|&\nacl reload_denied dst $ORIGIN_IP/32|" \
		-e "s|^\thttp-access allow lab|\thttp-access deny reload_denied\n&|" \
		"$STATE_DIR/socks.conf.first" >"$conf.new"
	mv -f "$conf.new" "$conf"
	out=$(ctl reload 2>&1) || fail_check reload "gatehousectl reload failed: $out"
	[[ $out == reloaded* ]] || fail_check reload "reload said: $(tr '\n' ';' <<<"$out")"
	acl_want '^deny: line [0-9]+: http-access deny reload_denied$' \
		"$CLIENT_IP" CONNECT "$ORIGIN_IP:80" --listener socks
	out=$(probe "$PORT" 050100 "$(req_ipv4 "$ORIGIN_IP" 80)")
	[[ $out == "050005020001000000000000 closed" ]] ||
		fail_check reload "CONNECT after the reload: '$out', want reply 02 and a close"
	touch "$sync.go"
	wait "$pid" || fail_check reload "the tunnel of before the reload failed: $(tr '\n' ';' <"$sync.out")"
	grep -q '^after HTTP/1.1 200' "$sync.out" ||
		fail_check reload "the old tunnel after the reload: $(tr '\n' ';' <"$sync.out")"
	cp "$STATE_DIR/socks.conf.first" "$conf"
	out=$(ctl reload 2>&1) || fail_check reload "reload to the first rules failed: $out"
	acl_want '^allow: line [0-9]+: http-access allow lab$' \
		"$CLIENT_IP" CONNECT "$ORIGIN_IP:80" --listener socks
	pass_check reload "denied by the reloaded rules (acl test and reply 02); the tunnel spliced before carried on"
}

check_access_log() {
	local log=$STATE_DIR/access.log i
	# the 100 MiB session's line: its bytes to the client (field 5) and
	# its elapsed ms (field 2) as Squid's format writes them
	for ((i = 0; i < 50; i++)); do
		awk '$6 == "SOCKS5" && $5 >= 104857600 && $2 > 0 { f = 1 } END { exit !f }' \
			"$log" 2>/dev/null && break
		sleep 0.1
	done
	((i < 50)) || fail_check access_log "no SOCKS5 line with >= 100 MiB and an elapsed time: $(grep SOCKS5 "$log" | tail -3)"
	grep -q "TCP_TUNNEL/000 .* SOCKS5 $ORIGIN_NAME:80 - HIER_DIRECT/" "$log" ||
		fail_check access_log "no TCP_TUNNEL/000 SOCKS5 line for $ORIGIN_NAME:80: $(tail -5 "$log")"
	grep -q "TCP_TUNNEL/000 .* SOCKS5 $ORIGIN_NAME:80 alice HIER_DIRECT/" "$log" ||
		fail_check access_log "no SOCKS5 line with user alice"
	grep -q "TCP_DENIED/002 .* SOCKS5 $BLOCKED_IP:80 " "$log" ||
		fail_check access_log "no TCP_DENIED/002 line for $BLOCKED_IP:80"
	! grep -qF -- "$ALICE_PW" "$log" || fail_check access_log "the password is in the log"
	pass_check access_log "SOCKS5 lines: destination, user, reply code, bytes, elapsed; no password"
}

check_counters() {
	expect_counter proxy.socks_connected ">=" 6
	expect_counter proxy.socks_auth_ok ">=" 2
	expect_counter proxy.socks_auth_failed ">=" 2
	expect_counter proxy.socks_no_method ">=" 3
	expect_counter proxy.socks_bad_version == 1
	expect_counter proxy.socks_bad_greeting == 1
	expect_counter proxy.socks_bad_request == 2
	expect_counter proxy.socks_rep_not_allowed == 4 # 3 + reload's
	expect_counter proxy.socks_rep_cmd == 2
	expect_counter proxy.socks_rep_atyp == 2
	expect_counter proxy.socks_rep_general == 1
	expect_counter proxy.socks_handshake_timeout == 1
	wait_counter proxy.socks_truncated ">=" 1 20 || fail_check counters "socks_truncated did not move"
	pass_check counters "socks counters moved as the checks add up"
}

lab_up socks
# an address in the origin's subnet that nothing answers: denied first
BLOCKED_IP=${ORIGIN_IP%.*}.99
start_proxy
check_hostname
check_by_ip
check_auth
check_denied
check_bulk
check_malformed
check_timeout
check_acl_test
check_reload
check_access_log
check_counters
check_fwd_released
pass
