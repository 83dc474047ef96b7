#!/usr/bin/env bash
#
# lab-ftp: the FTP gateway (issue 15 item 2): `curl -x http://appliance
# ftp://...` against vsftpd (Debian) in the origin namespace, anonymous
# and a local user, and a scripted FTP server (ftp_odd.py) for the
# replies vsftpd never sends.  Checks, each printing PASS or FAIL (the
# first FAIL ends the test, after cleanup):
#   file_4m      4 MiB of random bytes by anonymous FTP, SHA-256 both ends;
#                Content-Length and Last-Modified from SIZE and MDTM
#   by_name      a small file through the lab's DNS name
#   head         HEAD: 200, Content-Length, no transfer
#   listing      a directory as HTML: links, sizes, a subdirectory, the
#                name with & < > ' escaped (vsftpd has no MLSD: the LIST
#                fallback)
#   redirect     a directory named without its slash: 301 to name/
#   missing      a file that is not there: 404
#   login        the local user: right password 200 and the bytes; a wrong
#                one 403; anonymous refused by the server: 401
#   cached       the second fetch of a file is a hit (Cache-Status), the
#                server sees one RETR; `cache purge` of the ftp URL makes
#                the next one a miss
#   odd          multi-line replies everywhere: the file right; a reply over
#                the bounds and a non-reply: 502
#   bounce       a PASV answer naming another address: 502, counted, and no
#                connection to it
#   acl          a listener whose rules deny the ftp scheme: 403, while
#                http:// passes there; a port rule (21) likewise;
#                `gatehousectl acl test` judges ftp:// URLs the same
#   counters     ftp_* as the checks add up
#   released     every session and inside mbuf back to base
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

PORT=3128
ACL_PORT=3129
PORT_ACL_PORT=3130
ODD_PORT=2121
FTP_USER=ghftplab
FTP_PW="lab-Ftp-$$"
ODD=$LAB_TESTS_DIR/ftp_odd.py
VSFTPD_PID=""
ODD_PID=""
USER_MADE=0

need_lab_prereqs
for t in curl sha256sum vsftpd useradd userdel chpasswd; do
	command -v "$t" >/dev/null || fail "$t not found: run tools/setup"
done

on_exit() {
	local rc=$?
	# errexit would end this handler at the first failing command (and
	# `(exit $rc)` fails when the test did), leaving the appliance, and
	# the lab lock it inherited, behind
	set +e
	[[ -z $VSFTPD_PID ]] || kill "$VSFTPD_PID" 2>/dev/null || true
	[[ -z $ODD_PID ]] || kill "$ODD_PID" 2>/dev/null || true
	((USER_MADE == 0)) || userdel "$FTP_USER" 2>/dev/null || true
	(exit "$rc")
	lab_cleanup
}
trap on_exit EXIT

pcurl() {
	local port=$1
	shift
	timeout -k 2 40 ip netns exec "$CLIENT_NS" curl -sS --max-time 30 \
		-x "http://$INSIDE_IP:$port" "$@"
}

# status PORT URL [ARGS...]: the HTTP status curl got.
status() {
	local port=$1 url=$2
	shift 2
	pcurl "$port" -o /dev/null -w '%{http_code}' "$@" "$url" || true
}

sha() { sha256sum | cut -d' ' -f1; }

# The FTP tree: anonymous root (owned by root, not writable) and the local
# user's home; files dated in the past so that the cache's heuristic
# freshness (10% of their age) keeps them.
make_tree() {
	FTP_ROOT=$STATE_DIR/ftp-root
	FTP_HOME=$STATE_DIR/ftp-home
	mkdir -p "$FTP_ROOT/pub/sub" "$FTP_HOME" "$STATE_DIR/vsftpd-empty"
	head -c 4194304 /dev/urandom >"$FTP_ROOT/pub/4m.bin"
	head -c 3000 /dev/urandom >"$FTP_ROOT/pub/small.bin"
	printf 'odd name\n' >"$FTP_ROOT/pub/a&b <c>'d.txt"
	printf 'in sub\n' >"$FTP_ROOT/pub/sub/x.txt"
	head -c 5000 /dev/urandom >"$STATE_DIR/odd.bin"
	touch -d '2020-01-02 03:04:05 UTC' "$FTP_ROOT/pub/4m.bin" "$FTP_ROOT/pub/small.bin"
	chmod -R a+rX,go-w "$FTP_ROOT" "$STATE_DIR/vsftpd-empty"
	chmod 0755 "$STATE_DIR"
	if id "$FTP_USER" >/dev/null 2>&1; then userdel "$FTP_USER" 2>/dev/null || true; fi
	useradd -M -d "$FTP_HOME" -s /bin/bash "$FTP_USER" || fail "useradd $FTP_USER failed"
	USER_MADE=1
	printf '%s:%s\n' "$FTP_USER" "$FTP_PW" | chpasswd || fail "chpasswd failed"
	head -c 2000 /dev/urandom >"$FTP_HOME/secret.bin"
	chown -R "$FTP_USER" "$FTP_HOME"
	chmod 0700 "$FTP_HOME"
}

start_vsftpd() {
	local conf=$STATE_DIR/vsftpd.conf
	cat >"$conf" <<VSFTPD_EOF
listen=YES
listen_ipv6=NO
listen_address=$ORIGIN_IP
listen_port=21
background=NO
anonymous_enable=YES
anon_root=$FTP_ROOT
no_anon_password=YES
ftp_username=ftp
local_enable=YES
write_enable=NO
pasv_enable=YES
pasv_min_port=30000
pasv_max_port=30999
secure_chroot_dir=$STATE_DIR/vsftpd-empty
seccomp_sandbox=NO
xferlog_enable=YES
xferlog_file=$STATE_DIR/vsftpd-xfer.log
vsftpd_log_file=$STATE_DIR/vsftpd.log
dual_log_enable=YES
log_ftp_protocol=YES
hide_ids=YES
use_localtime=NO
pam_service_name=vsftpd
VSFTPD_EOF
	: >"$STATE_DIR/vsftpd.log"
	ip netns exec "$ORIGIN_NS" timeout 120 vsftpd "$conf" </dev/null >"$STATE_DIR/vsftpd.out" 2>&1 &
	VSFTPD_PID=$!
	ip netns exec "$ORIGIN_NS" timeout 120 "$PY" "$ODD" "$ORIGIN_IP" "$ODD_PORT" "$STATE_DIR/odd.bin" \
		</dev/null >"$STATE_DIR/odd.out" 2>&1 &
	ODD_PID=$!
	for _ in $(seq 50); do
		if ip netns exec "$ORIGIN_NS" bash -c "exec 3<>/dev/tcp/$ORIGIN_IP/21 && exec 4<>/dev/tcp/$ORIGIN_IP/$ODD_PORT" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	cat "$STATE_DIR/vsftpd.out" "$STATE_DIR/odd.out" >&2 || true
	fail "vsftpd or ftp_odd.py did not start on $ORIGIN_IP"
}

start_proxy() {
	local conf=$STATE_DIR/ftp.conf
	cp "${CONF:?}" "$conf"
	cat >>"$conf" <<CONF_EOF

acl lab src $CLIENT_IP/32
acl ftp_scheme scheme ftp
acl ftp_port port 21

listen fwd
	mode forward
	bind $INSIDE_IP:$PORT
	allow-src $CLIENT_IP/32
	cache on
	cache-mb 16
	cache-max-object-kb 8192
	cache-status on

listen noftp
	mode forward
	bind $INSIDE_IP:$ACL_PORT
	http-access deny ftp_scheme
	http-access allow lab

listen noport
	mode forward
	bind $INSIDE_IP:$PORT_ACL_PORT
	http-access deny ftp_port
	http-access allow lab
CONF_EOF
	conf_resolver_log "$conf"
	start_appliance "$conf"
}

# RETR lines vsftpd logged for file $1.
retr_count() {
	grep -c "\"RETR .*${1}\"" "$STATE_DIR/vsftpd.log" || true
}

check_file_4m() {
	local want got hdr=$STATE_DIR/h4m
	want=$(sha <"$FTP_ROOT/pub/4m.bin")
	got=$(pcurl "$PORT" -D "$hdr" "ftp://$ORIGIN_IP/pub/4m.bin" | sha)
	[[ $got == "$want" ]] || fail_check file_4m "SHA-256 $got, want $want"
	grep -qi '^content-length: 4194304' "$hdr" || fail_check file_4m "no Content-Length: $(tr -d '\r' <"$hdr")"
	grep -qi '^last-modified: Thu, 02 Jan 2020 03:04:05 GMT' "$hdr" ||
		fail_check file_4m "no Last-Modified from MDTM: $(tr -d '\r' <"$hdr")"
	pass_check file_4m "4 MiB by anonymous FTP: SHA-256 right, Content-Length and Last-Modified"
}

check_by_name() {
	local got
	got=$(pcurl "$PORT" "ftp://origin.lab.test/pub/sub/x.txt")
	[[ $got == "in sub" ]] || fail_check by_name "got '$got'"
	pass_check by_name "ftp://origin.lab.test/pub/sub/x.txt by the lab's DNS"
}

check_head() {
	local out n0 n1
	n0=$(retr_count 4m.bin)
	out=$(pcurl "$PORT" -I "ftp://$ORIGIN_IP/pub/4m.bin;type=i" | tr -d '\r')
	grep -q '^HTTP/1.1 200' <<<"$out" || fail_check head "not 200: $out"
	grep -qi '^content-length: 4194304' <<<"$out" || fail_check head "no Content-Length: $out"
	n1=$(retr_count 4m.bin)
	((n1 == n0)) || fail_check head "HEAD made a RETR ($n0 -> $n1)"
	pass_check head "HEAD: 200 with Content-Length 4194304, no RETR"
}

check_listing() {
	local page code
	page=$(pcurl "$PORT" "ftp://$ORIGIN_IP/pub/")
	grep -q 'href="/pub/4m.bin">4m.bin</a>  4194304' <<<"$page" || fail_check listing "no 4m.bin row: $page"
	grep -q 'href="/pub/sub/">sub/</a>' <<<"$page" || fail_check listing "no sub/ row: $page"
	grep -qF 'href="/pub/a%26b%20%3Cc%3E%27d.txt">a&amp;b &lt;c&gt;&#39;d.txt</a>' <<<"$page" ||
		fail_check listing "the odd name is not escaped right: $page"
	! grep -qF '<c>' <<<"$page" || fail_check listing "a raw <c> in the page"
	code=$(status "$PORT" "ftp://$ORIGIN_IP/pub/sub;type=d")
	[[ $code == 200 ]] || fail_check listing ";type=d: $code"
	pass_check listing "HTML index with links, sizes, a subdirectory and an escaped name; ;type=d"
}

check_redirect() {
	local out
	out=$(pcurl "$PORT" -o /dev/null -D - "ftp://$ORIGIN_IP/pub/sub" | tr -d '\r')
	grep -q '^HTTP/1.1 301' <<<"$out" || fail_check redirect "not 301: $out"
	grep -qi "^location: ftp://$ORIGIN_IP/pub/sub/\$" <<<"$out" || fail_check redirect "Location: $out"
	pass_check redirect "a directory without its slash: 301 to pub/sub/"
}

check_missing() {
	local code
	code=$(status "$PORT" "ftp://$ORIGIN_IP/pub/nope.bin")
	[[ $code == 404 ]] || fail_check missing "got $code"
	pass_check missing "a missing file: 404"
}

check_login() {
	local want got code
	want=$(sha <"$FTP_HOME/secret.bin")
	got=$(pcurl "$PORT" "ftp://$FTP_USER:$FTP_PW@$ORIGIN_IP/secret.bin" | sha)
	[[ $got == "$want" ]] || fail_check login "the local user's file: SHA-256 $got, want $want"
	code=$(status "$PORT" "ftp://$FTP_USER:wrong@$ORIGIN_IP/secret.bin")
	[[ $code == 403 ]] || fail_check login "a wrong password: $code, want 403"
	code=$(status "$PORT" "ftp://$ORIGIN_IP:$ODD_PORT/f")
	[[ $code == 401 ]] || fail_check login "anonymous refused (530): $code, want 401"
	pass_check login "local user 200 and the bytes; wrong password 403; 530 without credentials 401"
}

check_cached() {
	local want got hdr=$STATE_DIR/hc n0 n1 out url="ftp://$ORIGIN_IP/pub/small.bin"
	want=$(sha <"$FTP_ROOT/pub/small.bin")
	n0=$(retr_count small.bin)
	got=$(pcurl "$PORT" "$url" | sha)
	[[ $got == "$want" ]] || fail_check cached "first fetch: SHA-256 $got"
	got=$(pcurl "$PORT" -D "$hdr" "$url" | sha)
	[[ $got == "$want" ]] || fail_check cached "second fetch: SHA-256 $got"
	grep -qi '^cache-status: fwd; hit' "$hdr" || fail_check cached "not a hit: $(tr -d '\r' <"$hdr")"
	n1=$(retr_count small.bin)
	((n1 == n0 + 1)) || fail_check cached "the server saw $((n1 - n0)) RETRs, want 1"
	out=$(ctl cache purge "$url") || fail_check cached "cache purge: $out"
	pcurl "$PORT" -o /dev/null -D "$hdr" "$url"
	grep -qi '^cache-status: fwd; fwd=uri-miss' "$hdr" ||
		fail_check cached "after the purge: $(tr -d '\r' <"$hdr")"
	pass_check cached "second fetch a hit with one RETR; cache purge of the ftp URL: a miss again"
}

check_odd() {
	local want got code
	want=$(sha <"$STATE_DIR/odd.bin")
	got=$(pcurl "$PORT" "ftp://multi:x@$ORIGIN_IP:$ODD_PORT/odd.bin" | sha)
	[[ $got == "$want" ]] || fail_check odd "multi-line replies: SHA-256 $got, want $want"
	code=$(status "$PORT" "ftp://huge:x@$ORIGIN_IP:$ODD_PORT/f")
	[[ $code == 502 ]] || fail_check odd "a reply over the bounds: $code, want 502"
	code=$(status "$PORT" "ftp://garbage:x@$ORIGIN_IP:$ODD_PORT/f")
	[[ $code == 502 ]] || fail_check odd "a non-reply: $code, want 502"
	pass_check odd "multi-line replies parsed; an oversized reply and a non-reply: 502"
}

check_bounce() {
	local code
	code=$(status "$PORT" "ftp://bounce:x@$ORIGIN_IP:$ODD_PORT/f")
	[[ $code == 502 ]] || fail_check bounce "got $code, want 502"
	expect_counter proxy.ftp_bounce_refused == 1
	pass_check bounce "PASV to 198.18.255.254: 502, ftp_bounce_refused 1"
}

check_acl() {
	local code out
	code=$(status "$ACL_PORT" "ftp://$ORIGIN_IP/pub/small.bin")
	[[ $code == 403 ]] || fail_check acl "scheme ftp denied: $code, want 403"
	code=$(status "$ACL_PORT" "http://$ORIGIN_IP/1k.bin")
	[[ $code == 200 ]] || fail_check acl "http on the same listener: $code"
	code=$(status "$PORT_ACL_PORT" "ftp://$ORIGIN_IP/pub/small.bin")
	[[ $code == 403 ]] || fail_check acl "port 21 denied: $code, want 403"
	code=$(status "$PORT_ACL_PORT" "ftp://$ORIGIN_IP:$ODD_PORT/f")
	[[ $code == 401 ]] || fail_check acl "port $ODD_PORT passes: $code, want 401"
	out=$(ctl acl test --listener noftp "$CLIENT_IP" GET "ftp://u:p@$ORIGIN_IP/pub/small.bin" 2>&1) ||
		fail_check acl "acl test: $out"
	grep -q "^deny: line [0-9]*: http-access deny ftp_scheme" <<<"$out" || fail_check acl "acl test noftp: $out"
	out=$(ctl acl test --listener noport "$CLIENT_IP" GET "ftp://$ORIGIN_IP:$ODD_PORT/f" 2>&1) ||
		fail_check acl "acl test: $out"
	grep -q "^allow: line" <<<"$out" || fail_check acl "acl test noport :$ODD_PORT: $out"
	pass_check acl "scheme ftp and port 21 rules refuse ftp:// with 403 (and gatehousectl acl test says so); http and other ports pass"
}

check_counters() {
	expect_counter proxy.ftp_requests ">=" 15
	expect_counter proxy.ftp_ok ">=" 9
	expect_counter proxy.ftp_listings ">=" 2
	expect_counter proxy.ftp_redirects == 1
	expect_counter proxy.ftp_not_found == 1
	expect_counter proxy.ftp_login_failed ">=" 2
	expect_counter proxy.ftp_bad_reply == 2
	expect_counter proxy.ftp_mlsd_fallback ">=" 2
	expect_counter proxy.ftp_epsv_fallback ">=" 2
	expect_counter proxy.ftp_bytes ">=" 4194304
	pass_check counters "ftp_* counters moved as the checks add up"
}

lab_up ftp
make_tree
start_vsftpd
start_proxy
check_file_4m
check_by_name
check_head
check_listing
check_redirect
check_missing
check_login
check_cached
check_odd
check_bounce
check_acl
check_counters
check_fwd_released
pass
