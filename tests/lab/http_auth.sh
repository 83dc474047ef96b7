#!/usr/bin/env bash
#
# lab-http_auth: proxy authentication (issue 13 item 3).  The forward
# listener has auth-users (alice yescrypt, bob sha512-crypt, carol bcrypt)
# and auth-groups (staff: alice), and rules that deny user bob and keep
# /cache/ for group staff.  Checks, each printing PASS or FAIL (the first
# FAIL ends the test, after cleanup):
#   no_credentials  curl without credentials: 407 with
#                   Proxy-Authenticate: Basic realm="Gatehouse lab"
#   good_password   alice: 200 and the origin's /1k.bin byte-exact, three
#                   times (the verifier once, then the worker's cache)
#   wrong_password  alice with a wrong password: 407, twice (the second
#                   from the cache: a refused credential costs one crypt)
#   malformed       Proxy-Authorization: Basic with bad base64: 400
#   user_acl        bob (good password): 403 by the `deny` rule on his user
#   group_acl       /cache/100k.bin: alice (group staff) 200, carol 403
#   not_forwarded   alice to an origin that echoes request heads: no
#                   Proxy-Authorization reached it
#   access_log      alice's and bob's lines carry their user names
#                   (TCP_MISS/200 ... alice, TCP_DENIED/403 ... bob), the
#                   refusals TCP_DENIED/407 with "-", and no password or
#                   base64 credential anywhere in the log
#   counters        fwd_auth_ok, _failed, _407, _invalid, _cache_hits,
#                   _cache_misses as the checks above add them up
#   released        every client session and mbuf back to base
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

PORT=3128
ORIGIN_URL=http://origin.lab.test
ECHO_PORT=8089
ECHO_PID=""
ALICE_PW='alice-Secret-1'
BOB_PW='bob-Secret-2'
CAROL_PW='carol-Secret-3'

need_lab_prereqs
for t in curl sha256sum openssl base64; do command -v "$t" >/dev/null || fail "$t not found: run tools/setup"; done

pcurl() {
	timeout -k 2 60 ip netns exec "$CLIENT_NS" curl -sS --max-time 50 \
		-x "http://$INSIDE_IP:$PORT" "$@"
}

# The status of a GET of URL $1 with the remaining curl arguments.
status_of() {
	local url=$1
	shift
	pcurl -o /dev/null -w '%{http_code}' "$@" "$url" || true
}

# crypt(3) of password $2 with method $1 (yescrypt, bcrypt) by libcrypt,
# through Python's crypt module (Debian's python3.11 has it).
crypt_of() {
	"$PY" -W ignore -c '
import crypt, sys
m = {"yescrypt": "$y$j9T$", "bcrypt": "$2b$05$"}[sys.argv[1]]
if m.startswith("$2b$"):
    salt = crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32)
else:
    salt = m + crypt.mksalt(crypt.METHOD_SHA512)[3:19] + "$"
print(crypt.crypt(sys.argv[2], salt))' "$1" "$2"
}

write_users() {
	local h
	h=$(crypt_of yescrypt "$ALICE_PW") || fail "no yescrypt hash"
	[[ $h == '$y$'* ]] || fail "yescrypt hash looks wrong: $h"
	printf '# lab users\nalice:%s\n' "$h" >"$STATE_DIR/users"
	printf 'bob:%s\n' "$(openssl passwd -6 "$BOB_PW")" >>"$STATE_DIR/users"
	h=$(crypt_of bcrypt "$CAROL_PW") || fail "no bcrypt hash"
	[[ $h == '$2b$'* ]] || fail "bcrypt hash looks wrong: $h"
	printf 'carol:%s\n' "$h" >>"$STATE_DIR/users"
	printf 'staff: alice\n' >"$STATE_DIR/groups"
}

start_proxy() {
	local conf=$STATE_DIR/http_auth.conf
	cp "${CONF:?}" "$conf"
	cat >>"$conf" <<CONF_EOF

acl lab src $CLIENT_IP/32
acl blocked user bob
acl staff group staff
acl staff_only url_prefix $ORIGIN_URL/cache/

listen fwd
	mode forward
	bind $INSIDE_IP:$PORT
	auth-users $STATE_DIR/users
	auth-groups $STATE_DIR/groups
	auth-realm "Gatehouse lab"
	http-access deny blocked
	http-access allow lab staff staff_only
	http-access deny staff_only
	http-access allow lab
CONF_EOF
	conf_resolver_log "$conf"
	start_appliance "$conf"
}

# An origin on ORIGIN_IP:ECHO_PORT that answers every GET with the request
# head it got, and appends the heads to echo.log (bounded by timeout).
start_echo_origin() {
	in_origin timeout 120 "$PY" -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = (self.requestline + "\n" + str(self.headers)).encode()
        with open(sys.argv[1], "ab") as f:
            f.write(b)
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
http.server.HTTPServer((sys.argv[2], int(sys.argv[3])), H).serve_forever()
' "$STATE_DIR/echo.log" "$ORIGIN_IP" "$ECHO_PORT" </dev/null >"$STATE_DIR/echo.err" 2>&1 &
	ECHO_PID=$!
	local i
	for ((i = 0; i < 50; i++)); do
		in_origin bash -c "exec 3<>/dev/tcp/$ORIGIN_IP/$ECHO_PORT" 2>/dev/null && return
		sleep 0.1
	done
	fail "the echo origin did not start: $(cat "$STATE_DIR/echo.err")"
}

stop_echo_origin() {
	[[ -n $ECHO_PID ]] || return 0
	kill "$ECHO_PID" 2>/dev/null || true
	wait "$ECHO_PID" 2>/dev/null || true # its status: killed
	ECHO_PID=""
}

check_no_credentials() {
	local h=$STATE_DIR/noauth.head code
	code=$(pcurl -o /dev/null -D "$h" -w '%{http_code}' "$ORIGIN_URL/1k.bin") || true
	[[ $code == 407 ]] || fail_check no_credentials "status $code, want 407"
	grep -qi '^Proxy-Authenticate: Basic realm="Gatehouse lab"' "$h" ||
		fail_check no_credentials "no Proxy-Authenticate: $(tr '\r\n' '  ' <"$h")"
	pass_check no_credentials "407, $(grep -i '^Proxy-Authenticate:' "$h" | tr -d '\r')"
}

check_good_password() {
	local want got i
	want=$(sha256sum <"$STATE_DIR/www/1k.bin" | cut -d' ' -f1)
	for i in 1 2 3; do
		got=$(pcurl --proxy-user "alice:$ALICE_PW" "$ORIGIN_URL/1k.bin" | sha256sum | cut -d' ' -f1)
		[[ $got == "$want" ]] || fail_check good_password "fetch $i: SHA-256 $got, want $want"
	done
	pass_check good_password "alice (yescrypt): three 200s, body right"
}

check_wrong_password() {
	local code i
	for i in 1 2; do
		code=$(status_of "$ORIGIN_URL/1k.bin" --proxy-user "alice:not-$ALICE_PW")
		[[ $code == 407 ]] || fail_check wrong_password "try $i: status $code, want 407"
	done
	pass_check wrong_password "two 407s"
}

check_malformed() {
	local code
	code=$(status_of "$ORIGIN_URL/1k.bin" -H 'Proxy-Authorization: Basic YWxpY2U6*bad*')
	[[ $code == 400 ]] || fail_check malformed "status $code, want 400"
	pass_check malformed "bad base64: 400"
}

check_user_acl() {
	local code
	code=$(status_of "$ORIGIN_URL/1k.bin" --proxy-user "bob:$BOB_PW")
	[[ $code == 403 ]] || fail_check user_acl "bob: status $code, want 403"
	pass_check user_acl "bob (sha512-crypt, verified): 403 by 'http-access deny blocked'"
}

check_group_acl() {
	local a c
	a=$(status_of "$ORIGIN_URL/cache/100k.bin" --proxy-user "alice:$ALICE_PW")
	c=$(status_of "$ORIGIN_URL/cache/100k.bin" --proxy-user "carol:$CAROL_PW")
	[[ $a == 200 ]] || fail_check group_acl "alice (staff): status $a, want 200"
	[[ $c == 403 ]] || fail_check group_acl "carol (bcrypt, not staff): status $c, want 403"
	c=$(status_of "$ORIGIN_URL/1k.bin" --proxy-user "carol:$CAROL_PW")
	[[ $c == 200 ]] || fail_check group_acl "carol outside /cache/: status $c, want 200"
	pass_check group_acl "/cache/: alice (staff) 200, carol 403; carol elsewhere 200"
}

check_not_forwarded() {
	local out
	start_echo_origin
	out=$(pcurl --proxy-user "alice:$ALICE_PW" "$ORIGIN_URL:$ECHO_PORT/echo") ||
		fail_check not_forwarded "curl failed: $out"
	stop_echo_origin
	grep -q '^GET /echo HTTP/1.1' "$STATE_DIR/echo.log" ||
		fail_check not_forwarded "the echo origin logged no request: $(cat "$STATE_DIR/echo.log")"
	! grep -qi 'authorization' "$STATE_DIR/echo.log" ||
		fail_check not_forwarded "credentials reached the origin: $(grep -i authorization "$STATE_DIR/echo.log")"
	pass_check not_forwarded "the origin got $(grep -c . "$STATE_DIR/echo.log") head lines, none with Proxy-Authorization"
}

check_access_log() {
	local log=$STATE_DIR/access.log i b64
	for ((i = 0; i < 50; i++)); do
		grep -q ":$ECHO_PORT/echo " "$log" 2>/dev/null && break
		sleep 0.1
	done
	grep -q "TCP_MISS/200 .* $ORIGIN_URL/1k.bin alice HIER_DIRECT/" "$log" ||
		fail_check access_log "no TCP_MISS/200 line with user alice: $(cat "$log")"
	grep -q "TCP_DENIED/403 .* $ORIGIN_URL/1k.bin bob HIER_NONE/" "$log" ||
		fail_check access_log "no TCP_DENIED/403 line with user bob"
	grep -q "TCP_DENIED/407 .* $ORIGIN_URL/1k.bin - HIER_NONE/" "$log" ||
		fail_check access_log "no TCP_DENIED/407 line without a user"
	b64=$(printf 'alice:%s' "$ALICE_PW" | base64)
	for s in "$ALICE_PW" "$BOB_PW" "$CAROL_PW" "$b64" 'YWxpY2U6'; do
		! grep -qF -- "$s" "$log" || fail_check access_log "a credential in the log: $s"
	done
	pass_check access_log "users alice and bob logged, 407s with '-', no credential in the log"
}

check_counters() {
	# alice: 3 + 1 (/cache/) + 1 (echo); carol 2; bob 1 (denied after auth)
	expect_counter proxy.fwd_auth_ok == 8
	expect_counter proxy.fwd_auth_failed == 2
	expect_counter proxy.fwd_auth_407 == 3
	expect_counter proxy.fwd_auth_invalid == 1
	# one crypt per distinct credential: alice, alice wrong, bob, carol
	expect_counter proxy.fwd_auth_cache_misses == 4
	expect_counter proxy.fwd_auth_cache_hits == 6
	expect_counter proxy.fwd_auth_queue_full == 0
	expect_counter proxy.fwd_acl_denied == 2
	pass_check counters "auth ok 8, failed 2, 407 3, invalid 1, cache 6 hits / 4 misses"
}

# A reload reads the users file again (issue 13 item 4): alice's new
# password works and her old one no longer does, dave (new) gets in, with
# no restart; the verification cache does not answer for the old table.
check_users_reload() {
	local h out code
	h=$(crypt_of yescrypt "new-$ALICE_PW") || fail "no yescrypt hash"
	{
		printf 'alice:%s\n' "$h"
		grep -v '^alice:\|^#' "$STATE_DIR/users"
		printf 'dave:%s\n' "$(openssl passwd -6 "dave-Secret-4")"
	} >"$STATE_DIR/users.new"
	mv "$STATE_DIR/users.new" "$STATE_DIR/users"
	out=$(ctl reload 2>&1) || fail_check users_reload "reload failed: $out"
	[[ $out == "reloaded (version 2)"* ]] || fail_check users_reload "reload said: $out"
	code=$(status_of "$ORIGIN_URL/1k.bin" --proxy-user "alice:$ALICE_PW")
	[[ $code == 407 ]] || fail_check users_reload "alice's old password: status $code, want 407"
	code=$(status_of "$ORIGIN_URL/1k.bin" --proxy-user "alice:new-$ALICE_PW")
	[[ $code == 200 ]] || fail_check users_reload "alice's new password: status $code, want 200"
	code=$(status_of "$ORIGIN_URL/1k.bin" --proxy-user "dave:dave-Secret-4")
	[[ $code == 200 ]] || fail_check users_reload "dave: status $code, want 200"
	pass_check users_reload "after a reload: alice's old password 407, her new one 200, dave 200"
}

# gatehousectl acl test on this listener: a user's groups come from its
# table (alice is staff: allowed /cache/; bob denied by his user acl), and
# without a USER, or with one the table lacks, the answer is 407.
check_acl_test() {
	local out who want
	for who in "alice|allow: " "bob|deny: " "|deny: 407 (proxy authentication: no USER given)" \
		"mallory|deny: 407 (proxy authentication: unknown user)"; do
		want=${who#*|}
		who=${who%%|*}
		# shellcheck disable=SC2086 # an empty USER is no argument
		out=$(ctl acl test --listener fwd "$CLIENT_IP" GET "$ORIGIN_URL/cache/x" $who 2>&1) ||
			fail_check acl_test "acl test for '$who' failed: $out"
		grep -qF -- "$want" <<<"$out" || fail_check acl_test "acl test for '$who' said '$out', want '$want'"
	done
	out=$(ctl acl test --listener fwd "$CLIENT_IP" GET "$ORIGIN_URL/cache/x" alice)
	grep -qF "http-access allow lab staff staff_only" <<<"$out" ||
		fail_check acl_test "alice not allowed by the staff rule: $out"
	out=$(ctl acl test --listener fwd "$CLIENT_IP" GET "$ORIGIN_URL/cache/x" carol)
	grep -qF "http-access deny staff_only" <<<"$out" ||
		fail_check acl_test "carol (not staff) not denied /cache/: $out"
	pass_check acl_test "alice allowed by her group, carol and bob denied, no or unknown USER 407"
}

lab_up auth
write_users
start_proxy
check_no_credentials
check_good_password
check_wrong_password
check_malformed
check_user_acl
check_group_acl
check_not_forwarded
check_access_log
check_counters
check_acl_test
check_users_reload
check_fwd_released
pass
