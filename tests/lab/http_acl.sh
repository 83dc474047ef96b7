#!/usr/bin/env bash
#
# lab-http_acl: the forward proxy's access rules (issue 13) against the lab
# origin's nginx and dnsmasq, and `gatehousectl acl test` on the running
# config.  The listener has no allow-src (every client is accepted, the
# rules judge each request) and these rules:
#   deny blocked       (dstdomain .denied.lab.test)
#   deny badport       (port 8081)
#   deny private_dst   (dst 10/8 172.16/12 192.168/16 100.64/10, with
#                       allow-private-dst on: the rule says it instead)
#   allow inside       (src CLIENT_IP/32)
#   deny               (the end of the list, written out)
# Checks, each printing PASS or FAIL (the first FAIL ends the test):
#   allow_src      GET http://origin.lab.test/1k.bin from CLIENT_IP: 200
#   deny_src       the same from a second client address 198.18.N.3: 403
#                  naming the last rule's line (accepted: no allow-src)
#   deny_domain    http://x.denied.lab.test/: 403 naming its line, before DNS
#   deny_port      http://origin.lab.test:8081/: 403 naming its line
#   deny_dst       http://10.1.2.3/: 403 from the dst rule after the literal
#                  (proxy.fwd_acl_denied_dst)
#   ctl_test       gatehousectl acl test for each of these, the builtin
#                  refusal of 127.0.0.1, a dst rule with a host name
#                  ("depends on DNS"), a bad SRC and URL (exit 1)
#   access_log     each request's line ends with the rule that decided:
#                  rule:LINE for the allowed and the denied ones
#   released       every session and mbuf back to base
# Then the shipped config/gatehouse.conf (its addresses, socket, prefix and
# log moved to this lab) in place of that one:
#   default_config a GET from the client: 200 by `allow inside`; a private
#                  literal: 403 by `deny private_dst`; acl test: a client
#                  outside 198.18.N.0/24 is denied by the last rule (no open
#                  proxy), 127.0.0.1 is builtin:loopback
# And a listener with allow-src only (the implicit rule):
#   implicit_rules acl test names "implicit: allow-src", the reset at
#                  accept, "implicit:allow-private-dst off"; the log says
#                  implicit:allow-src for an allowed GET
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

PORT=3128
ORIGIN_URL=http://origin.lab.test
OTHER_IP=""
declare -A LINE=() # rule name -> its line in the config

need_lab_prereqs
command -v curl >/dev/null || fail "curl not found: run tools/setup"

pcurl() {
	proxy_curl "$PORT" "$@"
}

# The line of the config file $1 that holds $2 (a fixed string).
line_of() {
	grep -nF -- "$2" "$1" | head -1 | cut -d: -f1
}

start_proxy() {
	local conf=$STATE_DIR/http_acl.conf
	cp "${CONF:?}" "$conf"
	cat >>"$conf" <<CONF_EOF

acl inside src $CLIENT_IP/32
acl blocked dstdomain .denied.lab.test
acl badport port 8081
acl private_dst dst 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10

listen fwd
	mode forward
	bind $INSIDE_IP:$PORT
	allow-private-dst on
	http-access deny blocked
	http-access deny badport
	http-access deny private_dst
	http-access allow inside
	http-access deny
CONF_EOF
	conf_resolver_log "$conf"
	LINE[blocked]=$(line_of "$conf" "http-access deny blocked")
	LINE[badport]=$(line_of "$conf" "http-access deny badport")
	LINE[private_dst]=$(line_of "$conf" "http-access deny private_dst")
	LINE[inside]=$(line_of "$conf" "http-access allow inside")
	LINE[end]=$(grep -nx $'\thttp-access deny' "$conf" | cut -d: -f1)
	start_appliance "$conf"
}

# expect_status NAME WANT TEXT_IN_PAGE CURL_ARGS...
expect_status() {
	local name=$1 want=$2 text=$3 body=$STATE_DIR/$1.body code
	shift 3
	code=$(pcurl -o "$body" -w '%{http_code}' "$@" 2>/dev/null) || true
	[[ $code == "$want" ]] || fail_check "$name" "$* answered '$code', want $want"
	[[ -z $text ]] || grep -qF -- "$text" "$body" ||
		fail_check "$name" "the page does not say '$text': $(head -c 300 "$body")"
}

check_allow_src() {
	expect_status allow_src 200 "" "$ORIGIN_URL/1k.bin"
	pass_check allow_src "client $CLIENT_IP -> 200 (allow inside, line ${LINE[inside]})"
}

check_deny_src() {
	ip -n "$CLIENT_NS" addr add "$OTHER_IP/24" dev eth0 2>/dev/null || true
	expect_status deny_src 403 "line ${LINE[end]}" --interface "$OTHER_IP" "$ORIGIN_URL/1k.bin"
	ip -n "$CLIENT_NS" addr del "$OTHER_IP/24" dev eth0 2>/dev/null || true
	pass_check deny_src "client $OTHER_IP -> 403 by the last rule (line ${LINE[end]})"
}

# denied_counted NAME COUNTER LINE URL: URL is a 403 naming LINE, counted
# once in COUNTER.
denied_counted() {
	local name=$1 counter=$2 line=$3 url=$4 before
	before=$(counter "$counter")
	expect_status "$name" 403 "line $line" "$url"
	(($(counter "$counter") == before + 1)) || fail_check "$name" "$counter did not count it"
	pass_check "$name" "$url -> 403 (line $line), counted in $counter"
}

check_deny_domain() {
	denied_counted deny_domain proxy.fwd_acl_denied "${LINE[blocked]}" "http://x.denied.lab.test/acl"
}

check_deny_port() {
	denied_counted deny_port proxy.fwd_acl_denied "${LINE[badport]}" "$ORIGIN_URL:8081/"
}

check_deny_dst() {
	denied_counted deny_dst proxy.fwd_acl_denied_dst "${LINE[private_dst]}" "http://10.1.2.3/"
}

# expect_ctl NAME WANT_STATUS WANT_TEXT ARGS...: gatehousectl acl test ARGS
# exits WANT_STATUS and its output holds WANT_TEXT.
expect_ctl() {
	local name=$1 want=$2 text=$3 out rc=0
	shift 3
	out=$(ctl acl test "$@" 2>&1) || rc=$?
	[[ $rc == "$want" ]] || fail_check ctl_test "$name: acl test $* exited $rc, want $want: $out"
	grep -qF -- "$text" <<<"$out" || fail_check ctl_test "$name: acl test $* said '$out', want '$text'"
}

check_ctl_test() {
	expect_ctl allow 0 "allow: line ${LINE[inside]}: http-access allow inside" \
		"$CLIENT_IP" GET "http://$ORIGIN_IP/1k.bin"
	expect_ctl listener 0 "listener fwd" --listener fwd "$CLIENT_IP" GET "http://$ORIGIN_IP/1k.bin"
	expect_ctl src 0 "deny: line ${LINE[end]}: http-access deny" "$OTHER_IP" GET "http://$ORIGIN_IP/"
	expect_ctl domain 0 "deny: line ${LINE[blocked]}: http-access deny blocked" \
		"$CLIENT_IP" GET "http://X.Denied.lab.test./a"
	expect_ctl port 0 "deny: line ${LINE[badport]}: http-access deny badport" \
		"$CLIENT_IP" GET "$ORIGIN_URL:8081/"
	expect_ctl dst 0 "deny: line ${LINE[private_dst]}: http-access deny private_dst" \
		"$CLIENT_IP" GET "http://10.1.2.3/"
	expect_ctl dns 0 "depends on DNS: line ${LINE[private_dst]}" "$CLIENT_IP" GET "$ORIGIN_URL/"
	expect_ctl loopback 0 "deny: builtin:loopback" "$CLIENT_IP" GET "http://127.0.0.1/"
	expect_ctl connect 0 "deny: builtin:connect-ports" "$CLIENT_IP" CONNECT "origin.lab.test:25"
	expect_ctl bad_src 1 "not an IPv4 address" 198.18.1 GET "$ORIGIN_URL/"
	expect_ctl bad_url 1 "not an absolute http:// URL" "$CLIENT_IP" GET "gopher://x/"
	expect_ctl bad_listener 1 "no forward listener named nope" --listener nope "$CLIENT_IP" GET "$ORIGIN_URL/"
	pass_check ctl_test "gatehousectl acl test: allow, deny by src, domain, port, dst, builtin, DNS; errors exit 1"
}

# The last field of the access-log line of CLIENT_IP's request for URL $1
# (waits for it).
log_rule_of() {
	local i
	for ((i = 0; i < 50; i++)); do
		grep -qF -- " $1 " "$STATE_DIR/access.log" 2>/dev/null && break
		sleep 0.1
	done
	grep -F -- " $1 " "$STATE_DIR/access.log" | awk -v c="$CLIENT_IP" '$3 == c {r = $NF} END {print r}'
}

check_access_log() {
	local url want got
	for url in "$ORIGIN_URL/1k.bin=${LINE[inside]}" "http://x.denied.lab.test/acl=${LINE[blocked]}" \
		"$ORIGIN_URL:8081/=${LINE[badport]}" "http://10.1.2.3/=${LINE[private_dst]}"; do
		want=rule:${url##*=}
		url=${url%=*}
		got=$(log_rule_of "$url")
		[[ $got == "$want" ]] || fail_check access_log "$url logged with '$got', want $want: $(grep -F -- " $url " "$STATE_DIR/access.log")"
	done
	pass_check access_log "allowed and denied requests name their rule's line in the log"
}

check_default_config() {
	local conf=$STATE_DIR/default.conf n=$LAB_INDEX deny_line
	sed -e "s|198\.18\.1\.|198.18.$n.|g; s|198\.19\.1\.|198.19.$n.|g" \
		-e "s|^\(\s*control-socket\s\).*|\1$CTL_SOCK|" \
		-e "s|^\(\s*file-prefix\s\).*|\1gh-$LAB|" \
		-e "s|^\(\s*path\s\).*|\1$STATE_DIR/access.log|" \
		"$GH_SOURCE_ROOT/config/gatehouse.conf" >"$conf"
	LINE[inside]=$(line_of "$conf" "http-access allow inside")
	LINE[private_dst]=$(line_of "$conf" "http-access deny private_dst")
	deny_line=$(grep -nx $'\thttp-access deny' "$conf" | cut -d: -f1)
	stop_appliance
	start_appliance "$conf"
	expect_status default_config 200 "" "$ORIGIN_URL/1k.bin"
	expect_status default_config 403 "line ${LINE[private_dst]}" "http://10.1.2.3/"
	expect_ctl default_allow 0 "allow: line ${LINE[inside]}: http-access allow inside" \
		"$CLIENT_IP" GET "http://$ORIGIN_IP/"
	expect_ctl default_outsider 0 "deny: line $deny_line: http-access deny" \
		198.18.99.9 GET "http://$ORIGIN_IP/"
	expect_ctl default_loopback 0 "deny: builtin:loopback" "$CLIENT_IP" GET "http://127.0.0.1:8080/"
	pass_check default_config "config/gatehouse.conf: the client allowed (line ${LINE[inside]}), private denied (line ${LINE[private_dst]}), others denied (line $deny_line)"
}

check_implicit_rules() {
	local conf=$STATE_DIR/implicit.conf listen_line got
	cp "${CONF:?}" "$conf"
	cat >>"$conf" <<CONF_EOF

listen fwd
	mode forward
	bind $INSIDE_IP:$PORT
	allow-src $CLIENT_IP/32
CONF_EOF
	conf_resolver_log "$conf"
	listen_line=$(line_of "$conf" "listen fwd")
	stop_appliance
	start_appliance "$conf"
	expect_ctl implicit_allow 0 "allow: line $listen_line: implicit: allow-src $CLIENT_IP/32" \
		"$CLIENT_IP" GET "http://$ORIGIN_IP/"
	expect_ctl implicit_reset 0 "deny: implicit:allow-src (the connection is reset" \
		"$OTHER_IP" GET "http://$ORIGIN_IP/"
	expect_ctl implicit_private 0 "deny: implicit:allow-private-dst off" \
		"$CLIENT_IP" GET "http://192.168.1.1/"
	expect_status implicit_rules 200 "" "$ORIGIN_URL/1k.bin?implicit"
	got=$(log_rule_of "$ORIGIN_URL/1k.bin?implicit")
	[[ $got == implicit:allow-src ]] || fail_check implicit_rules "logged with '$got', want implicit:allow-src"
	expect_status implicit_rules 403 "" "http://192.168.1.1/implicit"
	got=$(log_rule_of "http://192.168.1.1/implicit")
	[[ $got == implicit:allow-private-dst ]] ||
		fail_check implicit_rules "192.168.1.1 logged with '$got', want implicit:allow-private-dst"
	pass_check implicit_rules "allow-src and allow-private-dst shown and logged as implicit rules"
}

lab_up ao1
OTHER_IP=198.18.$LAB_INDEX.3
start_proxy
for c in allow_src deny_src deny_domain deny_port deny_dst ctl_test access_log; do
	"check_$c"
done
check_fwd_released
check_default_config
check_implicit_rules
log "all $CHECKS checks passed"
pass
