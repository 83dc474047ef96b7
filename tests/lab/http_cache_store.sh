#!/usr/bin/env bash
#
# lab-http_cache_store: the forward proxy's cache, storage side (issue 12:
# Vary, chunked bodies, never-stored responses, invalidation) against the
# lab origin's nginx (tools/lab): /cstore/page.txt has max-age=60 and
# Vary: Accept-Encoding, and is gzipped, chunked, for a client that
# accepts gzip; /cstore/nostore, /cstore/private and /cstore/inval answer
# no-store, private, max-age=60.  The appliance runs two workers with
# `cache on`.  Checks, each printing PASS or FAIL (the first FAIL ends the
# test, after cleanup):
#   vary       gzip and identity requests for page.txt, then both again:
#              the origin logs two requests, the repeats are hits (Age),
#              each with its own body (the gzip one gunzips to the file);
#              proxy.fwd_cache_variants_stored 2
#   chunked    the gzip miss came chunked, its hit with Content-Length and
#              no Transfer-Encoding
#   never      no-store and private: every request reaches the origin
#   invalidate GET inval twice (one origin request), POST to it, GET again:
#              the origin sees that GET; proxy.fwd_cache_invalidated >= 1
#   released   every client session and mbuf back to base afterwards
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"

ORIGIN_URL=http://origin.lab.test
PAGE=/cstore/page.txt
NGINX_LOG_START=0

need_lab_prereqs
for t in curl gzip cmp; do command -v "$t" >/dev/null || fail "$t not found: run tools/setup"; done

# Requests "<METHOD> <path> " the origin logged since the start.
origin_count() {
	sleep 0.5 # nginx writes its log line after the response
	tail -n +$((NGINX_LOG_START + 1)) "$STATE_DIR/nginx-access.log" | grep -c -- "\"$1 $2 " || true
}

head_has() { tr -d '\r' <"$1" | grep -qi "$2"; }
head_text() { tr '\r\n' '  ' <"$1"; }

check_vary() {
	local d=$STATE_DIR want=$STATE_DIR/www$PAGE n
	fwd_curl -H 'Accept-Encoding: gzip' -D "$d/gz1.head" -o "$d/gz1.body" "$ORIGIN_URL$PAGE" ||
		fail_check vary "gzip request failed"
	fwd_curl -D "$d/id1.head" -o "$d/id1.body" "$ORIGIN_URL$PAGE" || fail_check vary "identity request failed"
	head_has "$d/gz1.head" '^content-encoding: gzip' ||
		fail_check vary "the origin did not gzip: $(head_text "$d/gz1.head")"
	fwd_curl -H 'Accept-Encoding: gzip' -D "$d/gz2.head" -o "$d/gz2.body" "$ORIGIN_URL$PAGE" ||
		fail_check vary "second gzip request failed"
	fwd_curl -D "$d/id2.head" -o "$d/id2.body" "$ORIGIN_URL$PAGE" || fail_check vary "second identity request failed"
	n=$(origin_count GET "$PAGE")
	[[ $n == 2 ]] || fail_check vary "the origin logged $n requests for $PAGE, want 2"
	head_has "$d/gz2.head" '^age: [0-9]' || fail_check vary "gzip repeat no hit: $(head_text "$d/gz2.head")"
	head_has "$d/id2.head" '^age: [0-9]' || fail_check vary "identity repeat no hit: $(head_text "$d/id2.head")"
	head_has "$d/gz2.head" '^content-encoding: gzip' || fail_check vary "gzip hit not gzip"
	head_has "$d/id2.head" '^content-encoding' && fail_check vary "identity hit got the gzip variant"
	gzip -dc <"$d/gz2.body" | cmp -s - "$want" || fail_check vary "gzip hit does not gunzip to the file"
	cmp -s "$d/id2.body" "$want" || fail_check vary "identity hit is not the file"
	cmp -s "$d/id1.body" "$want" || fail_check vary "identity miss is not the file"
	expect_counter proxy.fwd_cache_variants_stored == 2
	pass_check vary "two variants, one origin request each, both hits with their own bodies"
}

check_chunked() {
	local d=$STATE_DIR
	head_has "$d/gz1.head" '^transfer-encoding: chunked' ||
		fail_check chunked "the gzip miss was not chunked: $(head_text "$d/gz1.head")"
	head_has "$d/gz2.head" '^content-length: [0-9]' ||
		fail_check chunked "the gzip hit has no Content-Length: $(head_text "$d/gz2.head")"
	head_has "$d/gz2.head" '^transfer-encoding' && fail_check chunked "the hit is chunked"
	[[ $(stat -c %s "$d/gz2.body") == "$(tr -d '\r' <"$d/gz2.head" | awk -F': ' 'tolower($1)=="content-length"{print $2}')" ]] ||
		fail_check chunked "hit body length is not its Content-Length"
	pass_check chunked "stored from a chunked miss, served with $(tr -d '\r' <"$d/gz2.head" | grep -i '^content-length')"
}

check_never() {
	local p n
	for p in /cstore/nostore /cstore/private; do
		fwd_curl -o /dev/null -o /dev/null -o /dev/null "$ORIGIN_URL$p" "$ORIGIN_URL$p" "$ORIGIN_URL$p" ||
			fail_check never "GET $p failed"
		n=$(origin_count GET "$p")
		[[ $n == 3 ]] || fail_check never "the origin logged $n requests for $p, want 3"
	done
	expect_counter proxy.fwd_cache_not_stored_no_store ">=" 3
	expect_counter proxy.fwd_cache_not_stored_private ">=" 3
	pass_check never "no-store and private: every request reached the origin"
}

check_invalidate() {
	local u=$ORIGIN_URL/cstore/inval n
	fwd_curl -o /dev/null "$u" && fwd_curl -o /dev/null "$u" || fail_check invalidate "GET failed"
	n=$(origin_count GET /cstore/inval)
	[[ $n == 1 ]] || fail_check invalidate "before the POST the origin logged $n GETs, want 1"
	fwd_curl -o /dev/null -d x "$u" || fail_check invalidate "POST failed"
	fwd_curl -o /dev/null "$u" || fail_check invalidate "GET after POST failed"
	n=$(origin_count GET /cstore/inval)
	[[ $n == 2 ]] || fail_check invalidate "after the POST the origin logged $n GETs, want 2"
	expect_counter proxy.fwd_cache_invalidated ">=" 1
	pass_check invalidate "the POST's 200 removed the stored GET"
}

lab_up lcsto --workers 2
NGINX_LOG_START=$(wc -l <"$STATE_DIR/nginx-access.log")
start_fwd_proxy "$STATE_DIR/http_cache_store.conf" "cache on" "cache-mb 16" \
	"cache-max-object-kb 1024" "cache-heuristic-max-s 3600"
for c in vary chunked never invalidate fwd_released; do
	"check_$c"
done
log "all $CHECKS checks passed"
pass
