#!/bin/sh
# Request rules that keep credentials and inputs unambiguous:
# ?access_token= is read only on GET of an event stream and of /dashboard
# (which browsers open without headers), and anything else that carries
# it is a 400 problem naming the Authorization header; a form body that
# names a field twice is refused as a JSON body with a duplicate member
# is; a path segment that is not UTF-8 is a 400 problem (and no problem
# document is ever empty because of what a client sent).  curl and jq.
. "$(dirname "$0")/lib.sh"

need_tool jq jq jq
ADMIN=admin-token-for-the-request-rules-0123456789
echo "$ADMIN" >"$TMP/token"
start_daemon --drain-delay 0 --admin-token-file "$TMP/token" \
    --metrics-allow 192.0.2.0/24

http POST "$BASE_URL/v1/battles" -d name=Rules
expect_status 201 "create a battle"
ID=$(json_string id)
GM=$(json_string gm_token)
U=$BASE_URL/v1/battles/$ID

# --- ?access_token= -----------------------------------------------------------
# token_refused METHOD URL WHAT [CURL ARGS...]
token_refused() {
	m=$1 u=$2 w=$3
	shift 3
	http "$m" "$u" "$@"
	expect_problem 400 token-in-query "$w"
	json_string detail | grep -q 'Authorization: Bearer' ||
	    fail "$w: the problem does not name the header: $(cat "$TMP/body")"
}
token_refused GET "$U?access_token=$GM" "GET of a battle with ?access_token="
token_refused GET "$U/log?access_token=$GM" "GET of the log with ?access_token="
token_refused POST "$U/narration?access_token=$GM" \
    "POST with ?access_token=" -H 'Content-Type: application/json' \
    -d '{"text":"through the URL"}'
token_refused PATCH "$U?access_token=$GM" "PATCH with ?access_token=" \
    -H 'Content-Type: application/json' -d '{"name":"Renamed"}'
token_refused DELETE "$U?access_token=$GM" "DELETE with ?access_token="
token_refused POST "$BASE_URL/v1/battles?access_token=x" \
    "create with ?access_token=" -d name=Other
token_refused GET "$BASE_URL/v1/battles?access_token=$ADMIN" \
    "the list of battles with ?access_token="
token_refused GET "$BASE_URL/metrics?access_token=$ADMIN" \
    "/metrics with ?access_token="
token_refused GET "$BASE_URL/dashboard.html?access_token=$ADMIN" \
    "the dashboard's file under another name with ?access_token="
# Nothing was done by the refused requests.
http GET "$U" -H "Authorization: Bearer $GM"
expect_status 200 "the battle, with the header"
expect_json_string name Rules "the refused PATCH renamed nothing"
http GET "$U/log" -H "Authorization: Bearer $GM"
grep -q 'through the URL' "$TMP/body" &&
    fail "the refused narration was posted: $(cat "$TMP/body")"

# Where browsers need it, it works: the event stream and the dashboard.
"$CURL" -sS -N --max-time 2 -D "$TMP/sse.headers" \
    "$U/events?access_token=$GM" >"$TMP/sse" 2>/dev/null || true
grep -q '^HTTP/1.[01] 200' "$TMP/sse.headers" ||
    fail "the event stream with ?access_token=: $(head -n 1 "$TMP/sse.headers") $(head -c 300 "$TMP/sse")"
grep -q '^event: snapshot' "$TMP/sse" ||
    fail "no snapshot on the event stream with ?access_token="
"$CURL" -sS -N --max-time 2 -D "$TMP/fig.headers" \
    "$BASE_URL/metrics/events?access_token=$ADMIN" >"$TMP/fig" 2>/dev/null ||
    true
grep -q '^HTTP/1.[01] 200' "$TMP/fig.headers" ||
    fail "the figures' stream with ?access_token=: $(head -n 1 "$TMP/fig.headers")"
http GET "$BASE_URL/dashboard?access_token=$ADMIN"
expect_status 200 "GET /dashboard?access_token="
http HEAD "$BASE_URL/dashboard?access_token=$ADMIN"
expect_status 200 "HEAD /dashboard?access_token="

# --- forms: a name twice is refused, as in JSON -----------------------------
http POST "$BASE_URL/v1/battles" -H 'Content-Type: application/json' \
    -d '{"name":"a","name":"b"}'
expect_problem 400 bad-json "a JSON body with a member twice"
http POST "$BASE_URL/v1/battles" -d 'name=First&name=Second'
expect_problem 400 bad-form "a form body with a name twice"
json_string detail | grep -q "'name' more than once" ||
    fail "the duplicate form name is not named: $(cat "$TMP/body")"
http POST "$U/narration" -H "Authorization: Bearer $GM" \
    -d 'text=one&text=two'
expect_problem 400 bad-form "a narration form with text twice"
http POST "$BASE_URL/v1/battles" -d 'name=Once&round_seconds=60'
expect_status 201 "a form with each name once"

# --- path segments that are not UTF-8 -------------------------------------------
# bad_path METHOD PATH WHAT
bad_path() {
	http "$1" "$BASE_URL$2" -H "Authorization: Bearer $GM"
	expect_problem 400 bad-path "$3"
	jq -e '.detail | test("UTF-8")' "$TMP/body" >/dev/null ||
	    fail "$3: $(cat "$TMP/body")"
}
bad_path GET "/v1/battles/%FF%FE" "a battle id of bytes FF FE"
bad_path GET "/v1/battles/%C3" "a battle id cut inside a character"
bad_path GET "/v1/battles/%ED%A0%80/log" "a battle id with a surrogate"
bad_path DELETE "/v1/battles/$ID/ships/%C0%AF" "an overlong ship id"
# Valid UTF-8 is a plain 404, and a long id (the detail cut inside a
# character) still gives a whole problem document.
http GET "$BASE_URL/v1/battles/%C3%A9t%C3%A9" -H "Authorization: Bearer $GM"
expect_problem 404 no-such-battle "a battle id in UTF-8 that does not exist"
long=$(awk 'BEGIN { for (i = 0; i < 400; i++) printf "%%E2%%82%%AC" }')
http GET "$BASE_URL/v1/battles/$long"
expect_problem 404 no-such-battle "a long battle id of euro signs"
jq -e '.detail | length > 0' "$TMP/body" >/dev/null ||
    fail "a long id: $(head -c 300 "$TMP/body")"

stop_daemon
note "ok"
