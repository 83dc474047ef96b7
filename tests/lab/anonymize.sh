#!/usr/bin/env bash
#
# lab-anonymize: what an origin receives from the forward proxy with
# `anonymize on` and with it off (issue 13 item 7).  The origin is a small
# Python server on ORIGIN_IP:8090 (origin namespace) that writes each
# request's header fields to a file, one JSON object per request, and
# answers with a Set-Cookie.  Two listeners for the same client:
#   :3128  anonymize on, anonymize-cookies on
#   :3129  anonymize off (the defaults: Via, X-Forwarded-For add)
# curl sends a request that names the client (User-Agent, From, Cookie,
# X-Forwarded-For, Via of a proxy before us, Referer of another site).
# Checks, each printing PASS or FAIL:
#   off            the origin sees every field, "Via: 1.1 gatehouse" and
#                  the client's address added to X-Forwarded-For; the
#                  client gets the Set-Cookie
#   on             the origin sees none of them: User-Agent "Mozilla/5.0",
#                  no From, Cookie, Referer, X-Forwarded-For, Forwarded, no
#                  earlier Via, our Via "1.1 proxy"; Accept as sent; the
#                  client gets no Set-Cookie
#   same_referer   a Referer on the request's own host is kept
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

ORIGIN_PORT=8090
ORIGIN_PID=""
SEEN=""

need_lab_prereqs
command -v curl >/dev/null || fail "curl not found: run tools/setup"

on_exit() {
	local rc=$?
	# errexit would end this handler at `(exit $rc)` when the test failed,
	# before lab_cleanup: the lab and the recording origin stayed behind
	set +e
	[[ -z $ORIGIN_PID ]] || kill "$ORIGIN_PID" 2>/dev/null || true
	(exit "$rc")
	lab_cleanup
}
trap on_exit EXIT

# The recording origin (bounded to 120 s whatever happens).
start_origin() {
	SEEN=$STATE_DIR/anon-seen.jsonl
	: >"$SEEN"
	ip netns exec "$ORIGIN_NS" timeout 120 "$PY" - "$ORIGIN_IP" "$ORIGIN_PORT" "$SEEN" <<'PY_EOF' &
import http.server, json, sys

host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        with open(out, "a") as f:
            f.write(json.dumps({"path": self.path,
                                "headers": [[k, v] for k, v in self.headers.items()]}) + "\n")
        body = b"recorded\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", "id=secret-token; Path=/")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.HTTPServer((host, port), Recorder).serve_forever()
PY_EOF
	ORIGIN_PID=$!
	for _ in $(seq 50); do
		ip netns exec "$ORIGIN_NS" bash -c "exec 3<>/dev/tcp/$ORIGIN_IP/$ORIGIN_PORT" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "the recording origin did not start on $ORIGIN_IP:$ORIGIN_PORT"
}

start_proxy() {
	local conf=$STATE_DIR/anonymize.conf
	cp "${CONF:?}" "$conf"
	cat >>"$conf" <<CONF_EOF

listen anon
	mode forward
	bind $INSIDE_IP:3128
	allow-src $CLIENT_IP/32
	anonymize on
	anonymize-cookies on

listen plain
	mode forward
	bind $INSIDE_IP:3129
	allow-src $CLIENT_IP/32

resolver
	nameserver $DNS_IP
CONF_EOF
	start_appliance "$conf"
}

# fetch PORT PATH [CURL ARGS]: the identifying request through the proxy
# on PORT; the response head goes to $STATE_DIR/PATH.head.
fetch() {
	local port=$1 path=$2
	shift 2
	proxy_curl "$port" -sS -o /dev/null -D "$STATE_DIR/${path//\//_}.head" \
		-A "SecretBrowser/9.1 (Client-42)" -H "From: alice@example.org" \
		-H "Cookie: session=abc" -H "X-Forwarded-For: 192.168.7.7" \
		-H "Forwarded: for=192.168.7.7" -H "Via: 1.1 inner-proxy.corp.example" \
		-H "Accept: text/x-test" "$@" "http://origin.lab.test:$ORIGIN_PORT$path" ||
		fail "curl via :$port failed"
}

# The header fields the origin got for PATH, as "Name: value" lines.
seen() {
	"$PY" - "$SEEN" "$1" <<'PY_EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["path"] == sys.argv[2]:
        for k, v in r["headers"]:
            print(f"{k}: {v}")
PY_EOF
}

# want NAME HEADERS LINE: LINE (a fixed string) is a line of HEADERS.
want() {
	grep -qixF -- "$3" <<<"$2" || fail_check "$1" "the origin did not get '$3'; it got: $(tr '\n' '|' <<<"$2")"
}

# unwanted NAME HEADERS TEXT: TEXT occurs nowhere in HEADERS.
unwanted() {
	! grep -qiF -- "$3" <<<"$2" || fail_check "$1" "the origin got '$3': $(tr '\n' '|' <<<"$2")"
}

check_off() {
	local h
	fetch 3129 /off -e "http://other.example/page"
	h=$(seen /off)
	want off "$h" "User-Agent: SecretBrowser/9.1 (Client-42)"
	want off "$h" "From: alice@example.org"
	want off "$h" "Cookie: session=abc"
	want off "$h" "Referer: http://other.example/page"
	want off "$h" "X-Forwarded-For: 192.168.7.7"
	want off "$h" "X-Forwarded-For: $CLIENT_IP"
	want off "$h" "Via: 1.1 gatehouse"
	want off "$h" "Via: 1.1 inner-proxy.corp.example"
	grep -qi '^Set-Cookie: id=secret-token' "$STATE_DIR/_off.head" ||
		fail_check off "the client got no Set-Cookie: $(tr '\r\n' '  ' <"$STATE_DIR/_off.head")"
	pass_check off "anonymize off: the origin got User-Agent, From, Cookie, Referer, X-Forwarded-For (+$CLIENT_IP), Via gatehouse"
}

check_on() {
	local h
	fetch 3128 /on -e "http://other.example/page"
	h=$(seen /on)
	want on "$h" "User-Agent: Mozilla/5.0"
	want on "$h" "Via: 1.1 proxy"
	want on "$h" "Accept: text/x-test"
	for t in SecretBrowser alice session=abc Referer X-Forwarded-For Forwarded: \
		192.168.7.7 "$CLIENT_IP" inner-proxy gatehouse; do
		unwanted on "$h" "$t"
	done
	! grep -qi '^Set-Cookie' "$STATE_DIR/_on.head" ||
		fail_check on "the client got a Set-Cookie: $(tr '\r\n' '  ' <"$STATE_DIR/_on.head")"
	pass_check on "anonymize on: $(tr '\n' '|' <<<"$h")"
}

check_same_referer() {
	local h
	fetch 3128 /same -e "http://origin.lab.test:$ORIGIN_PORT/index.html"
	h=$(seen /same)
	want same_referer "$h" "Referer: http://origin.lab.test:$ORIGIN_PORT/index.html"
	pass_check same_referer "a Referer on the request's own host is kept"
}

lab_up ao2
start_origin
start_proxy
for c in off on same_referer; do
	"check_$c"
done
log "all $CHECKS checks passed"
pass
