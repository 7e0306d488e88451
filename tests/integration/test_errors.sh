#!/bin/sh
# Errors as RFC 9457 problems: 404 for unknown paths, 405 with Allow for a
# wrong method, 413 for a body over --max-body (announced by
# Content-Length, or chunked and growing past the cap); the daemon stays
# healthy afterwards.
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"

start_daemon

# --- 404 ---------------------------------------------------------------

for p in /no/such/path /healthz/extra /nope.html '/%41%42%43'; do
	http GET "$BASE_URL$p"
	expect_problem 404 not-found "GET $p"
done
http HEAD "$BASE_URL/no/such/path"
expect_status 404 "HEAD /no/such/path"
expect_head_no_body "$BASE_URL/no/such/path" "HEAD /no/such/path"

# --- 405 ---------------------------------------------------------------

# allow_set: the Allow header as a sorted, comma-separated list.
allow_set() {
	header Allow | tr ',' '\n' | sed 's/^[[:space:]]*//;s/[[:space:]]*$//' |
	    grep -v '^$' | sort | tr '\n' ',' | sed 's/,$//'
}

http POST "$BASE_URL/healthz" -d 'x=1'
expect_problem 405 method-not-allowed "POST /healthz"
[ "$(allow_set)" = GET,HEAD ] ||
    fail "POST /healthz: Allow is '$(header Allow)', expected 'GET, HEAD'"

for m in PUT DELETE PATCH; do
	http "$m" "$BASE_URL/readyz"
	expect_problem 405 method-not-allowed "$m /readyz"
	[ "$(allow_set)" = GET,HEAD ] ||
	    fail "$m /readyz: Allow is '$(header Allow)', expected 'GET, HEAD'"
done

http DELETE "$BASE_URL/metrics"
expect_problem 405 method-not-allowed "DELETE /metrics"
case ,$(allow_set), in
*,GET,*) ;;
*) fail "DELETE /metrics: Allow is '$(header Allow)', expected GET in it" ;;
esac

# --- 413 ---------------------------------------------------------------

# A body just at the cap is read and routed (405 for /healthz); one byte
# more is refused before routing.
head -c 65536 /dev/zero | tr '\0' 'a' >"$TMP/at-cap"
head -c 65537 /dev/zero | tr '\0' 'a' >"$TMP/over-cap"
head -c 1048576 /dev/zero | tr '\0' 'a' >"$TMP/1mib"

http POST "$BASE_URL/healthz" --data-binary "@$TMP/at-cap"
expect_problem 405 method-not-allowed "POST /healthz with a body of --max-body bytes"

http POST "$BASE_URL/healthz" --data-binary "@$TMP/over-cap"
expect_problem 413 body-too-large "POST /healthz, Content-Length: 65537 (Expect: 100-continue)"

http POST "$BASE_URL/healthz" --data-binary "@$TMP/over-cap" -H 'Expect:'
expect_problem 413 body-too-large "POST /healthz, Content-Length: 65537, no Expect"

http POST "$BASE_URL/healthz" --data-binary "@$TMP/1mib" -H 'Expect:'
expect_problem 413 body-too-large "POST /healthz, Content-Length: 1048576, no Expect"

http POST "$BASE_URL/healthz" --data-binary "@$TMP/over-cap" \
    -H 'Transfer-Encoding: chunked'
expect_problem 413 body-too-large "POST /healthz, chunked, 65537 bytes"

http POST "$BASE_URL/healthz" --data-binary "@$TMP/1mib" \
    -H 'Transfer-Encoding: chunked' -H 'Expect:'
expect_problem 413 body-too-large "POST /healthz, chunked, 1 MiB, no Expect"

http POST "$BASE_URL/healthz" --data-binary 'small' \
    -H 'Transfer-Encoding: chunked'
expect_problem 405 method-not-allowed "POST /healthz, chunked, 5 bytes"

http POST "$BASE_URL/no/such/path" --data-binary "@$TMP/over-cap"
expect_problem 413 body-too-large "POST /no/such/path with 65537 bytes"

# --- headers past --conn-memory ------------------------------------------

# 20 KB of headers do not fit the default 8 KiB connection pool: refused
# (431; libmicrohttpd answers this one itself, so no problem body is
# asserted), and the daemon carries on.
big=$(head -c 20000 /dev/zero | tr '\0' 'h')
http GET "$BASE_URL/healthz" -H "X-Big: $big"
case $STATUS in
400|413|431) ;;
*) fail "GET /healthz with a 20 KB header: status $STATUS, expected 431" ;;
esac

# --- still healthy -----------------------------------------------------

http GET "$BASE_URL/healthz"
expect_status 200 "GET /healthz after the errors"
expect_json_string status ok "GET /healthz after the errors"
http GET "$BASE_URL/readyz"
expect_status 200 "GET /readyz after the errors"

stop_daemon

# --max-body moves the cap.
start_daemon --max-body 100
head -c 100 /dev/zero | tr '\0' 'b' >"$TMP/100"
head -c 101 /dev/zero | tr '\0' 'b' >"$TMP/101"
http POST "$BASE_URL/healthz" --data-binary "@$TMP/100"
expect_problem 405 method-not-allowed "--max-body 100, POST of 100 bytes"
http POST "$BASE_URL/healthz" --data-binary "@$TMP/101"
expect_problem 413 body-too-large "--max-body 100, POST of 101 bytes"
http POST "$BASE_URL/healthz" --data-binary "@$TMP/101" \
    -H 'Transfer-Encoding: chunked'
expect_problem 413 body-too-large "--max-body 100, chunked POST of 101 bytes"
http GET "$BASE_URL/healthz"
expect_status 200 "GET /healthz with --max-body 100"
stop_daemon

# --conn-memory moves the header cap.
start_daemon --conn-memory 65536
http GET "$BASE_URL/healthz" -H "X-Big: $big"
expect_status 200 "--conn-memory 65536, GET /healthz with a 20 KB header"
stop_daemon

note "ok"
