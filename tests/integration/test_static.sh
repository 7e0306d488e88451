#!/bin/sh
# Static files from --www: the pages, MIME types, ETag and If-None-Match,
# gzip, path traversal (raw and encoded dots and slashes, symlinks out of
# the root) and the dashboard's token.
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"

# A copy of www/ with one file of each type, a sub-directory, symlinks
# that lead out of the root, and a secret beside the root that must never
# be served.
ROOT=$TMP/root
WWW=$ROOT/www
mkdir -p "$WWW/sub" "$ROOT/outside"
cp "$BS_SRCDIR/www/index.html" "$BS_SRCDIR/www/gm.html" \
    "$BS_SRCDIR/www/dashboard.html" "$WWW/"
SECRET="secret-$$-do-not-serve"
echo "$SECRET" >"$ROOT/secret.txt"
echo "$SECRET" >"$ROOT/outside/file.txt"
i=0
while [ $i -lt 100 ]; do
	echo ".ship-$i { color: #0a0; margin: ${i}px; }  /* $i */"
	i=$((i + 1))
done >"$WWW/style.css"
echo 'document.title = "app";' >"$WWW/app.js"
echo '{"ships": 3}' >"$WWW/data.json"
echo '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>' \
    >"$WWW/pic.svg"
printf '\211PNG\r\n\032\n' >"$WWW/pic.png"
head -c 4096 /dev/urandom >>"$WWW/pic.png"
printf '\000\000\001\000' >"$WWW/favicon.ico"
echo 'Fair winds.' >"$WWW/notes.txt"
echo '<!DOCTYPE html><title>sub</title>' >"$WWW/sub/page.html"
ln -s ../secret.txt "$WWW/leak.txt"
ln -s "$ROOT/secret.txt" "$WWW/abs.txt"
ln -s ../outside "$WWW/outdir"
ln -s /etc "$WWW/etc"

# At least 16 characters whatever the PID (a fresh machine has small ones).
TOKEN="adm-token-$$-Qx7vLp2-for-the-dashboard"
printf '%s\nsecond-line-is-not-the-token\n' "$TOKEN" >"$TMP/token"

DAEMON_WWW=$WWW
# (Loopback out of --metrics-allow: else its rule opens the dashboard
# to this test without a token.)
start_daemon --admin-token-file "$TMP/token" --log-level debug \
    --metrics-allow 192.0.2.0/24

# same_body FILE WHAT: the last response body is exactly FILE.
same_body() {
	cmp -s "$TMP/body" "$1" ||
	    fail "$2: the body differs from $1 ($(wc -c <"$TMP/body") bytes, expected $(wc -c <"$1"))"
}

# --- the pages --------------------------------------------------------

http GET "$BASE_URL/"
expect_status 200 "GET /"
expect_header Content-Type '^text/html' "GET /"
expect_header Cache-Control 'no-cache' "GET /"
same_body "$WWW/index.html" "GET /"
expect_no_header Content-Encoding "GET / without Accept-Encoding"

http HEAD "$BASE_URL/"
expect_status 200 "HEAD /"
expect_header Content-Type '^text/html' "HEAD /"
expect_head_no_body "$BASE_URL/" "HEAD /"

http GET "$BASE_URL/index.html"
expect_status 200 "GET /index.html"
same_body "$WWW/index.html" "GET /index.html"

http GET "$BASE_URL/gm"
expect_status 200 "GET /gm"
expect_header Content-Type '^text/html' "GET /gm"
same_body "$WWW/gm.html" "GET /gm"

http GET "$BASE_URL/sub/page.html"
expect_status 200 "GET /sub/page.html"
same_body "$WWW/sub/page.html" "GET /sub/page.html"

http GET "$BASE_URL/no-such-file.html"
expect_problem 404 not-found "GET /no-such-file.html"

# --- MIME types -------------------------------------------------------

for pair in \
    'style.css ^text/css' \
    'app.js ^(text|application)/javascript' \
    'data.json ^application/json' \
    'pic.svg ^image/svg\+xml' \
    'pic.png ^image/png$' \
    'favicon.ico ^image/(x-icon|vnd\.microsoft\.icon)$' \
    'notes.txt ^text/plain' \
    'sub/page.html ^text/html'; do
	f=${pair%% *} re=${pair#* }
	http GET "$BASE_URL/$f"
	expect_status 200 "GET /$f"
	expect_header Content-Type "$re" "GET /$f"
	same_body "$WWW/$f" "GET /$f"
done

# --- ETag and If-None-Match -------------------------------------------

http GET "$BASE_URL/style.css"
etag=$(header ETag)
case $etag in
W/*) fail "GET /style.css: weak ETag $etag, expected a strong one" ;;
\"*\") ;;
*) fail "GET /style.css: ETag '$etag' is not a quoted strong entity tag" ;;
esac

http GET "$BASE_URL/style.css" -H "If-None-Match: $etag"
expect_status 304 "If-None-Match with the current ETag"
[ ! -s "$TMP/body" ] || fail "304 with a body"

http GET "$BASE_URL/style.css" -H "If-None-Match: \"other\", $etag"
expect_status 304 "If-None-Match with a list holding the current ETag"

http GET "$BASE_URL/style.css" -H 'If-None-Match: "not-the-etag"'
expect_status 200 "If-None-Match with another ETag"
same_body "$WWW/style.css" "If-None-Match with another ETag"

# A changed file gets a new ETag, and the old one no longer matches.
echo '.changed { color: red; }' >>"$WWW/style.css"
http GET "$BASE_URL/style.css" -H "If-None-Match: $etag"
expect_status 200 "If-None-Match with the ETag of the file before it changed"
same_body "$WWW/style.css" "GET /style.css after a change"
[ "$(header ETag)" != "$etag" ] ||
    fail "GET /style.css: same ETag $etag after the file changed"

# --- security and caching headers --------------------------------------

# Every file: a policy that runs only this origin's scripts and styles
# and talks only to it, no Referer (tokens travel in URLs), no sniffing.
for f in index.html app.js style.css; do
	http GET "$BASE_URL/$f"
	expect_header Content-Security-Policy "script-src 'self'" "GET /$f"
	expect_header Content-Security-Policy "connect-src 'self'" "GET /$f"
	expect_header Content-Security-Policy "default-src 'none'" "GET /$f"
	expect_header Referrer-Policy '^no-referrer$' "GET /$f"
	expect_header X-Content-Type-Options '^nosniff$' "GET /$f"
	expect_header Cache-Control '^no-cache$' "GET /$f"
done
# A versioned name never changes: immutable.  Near misses are not.
echo 'export const v = 3;' >"$WWW/app.v3.js"
cp "$WWW/app.v3.js" "$WWW/app.v.js"
cp "$WWW/app.v3.js" "$WWW/v3.js"
http GET "$BASE_URL/app.v3.js"
expect_status 200 "GET /app.v3.js"
expect_header Cache-Control 'immutable' "GET /app.v3.js"
expect_header Cache-Control 'max-age=31536000' "GET /app.v3.js"
for f in app.v.js v3.js; do
	http GET "$BASE_URL/$f"
	expect_header Cache-Control '^no-cache$' "GET /$f"
done
# Browsers ask for /favicon.ico: the SVG icon when there is no .ico.
mv "$WWW/favicon.ico" "$WWW/favicon.ico.bak"
printf '<svg xmlns="http://www.w3.org/2000/svg"/>' >"$WWW/favicon.svg"
http GET "$BASE_URL/favicon.ico"
expect_status 200 "GET /favicon.ico with only favicon.svg"
expect_header Content-Type '^image/svg\+xml' "GET /favicon.ico with only favicon.svg"
same_body "$WWW/favicon.svg" "GET /favicon.ico with only favicon.svg"
mv "$WWW/favicon.ico.bak" "$WWW/favicon.ico"

# --- gzip -------------------------------------------------------------

for f in style.css index.html; do
	http GET "$BASE_URL/$f" -H 'Accept-Encoding: gzip'
	expect_status 200 "GET /$f, Accept-Encoding: gzip"
	expect_header Content-Encoding '^gzip$' "GET /$f, Accept-Encoding: gzip"
	expect_header Vary 'accept-encoding' "GET /$f, Accept-Encoding: gzip"
	[ "$(head -c 2 "$TMP/body" | od -An -tx1 | tr -d ' \n')" = 1f8b ] ||
	    fail "GET /$f, Accept-Encoding: gzip: the body is not gzip"
	gzip -dc <"$TMP/body" >"$TMP/unzipped" ||
	    fail "GET /$f: the gzip body does not decompress"
	cmp -s "$TMP/unzipped" "$WWW/$f" ||
	    fail "GET /$f: the gzip body decompresses to something else"
done

http GET "$BASE_URL/style.css" --compressed
expect_status 200 "curl --compressed /style.css"
same_body "$WWW/style.css" "curl --compressed /style.css"

http GET "$BASE_URL/style.css" -H 'Accept-Encoding: deflate, gzip;q=0.5'
expect_header Content-Encoding '^gzip$' "Accept-Encoding: deflate, gzip;q=0.5"

for ae in 'identity' 'gzip;q=0' 'br'; do
	http GET "$BASE_URL/style.css" -H "Accept-Encoding: $ae"
	expect_status 200 "GET /style.css, Accept-Encoding: $ae"
	expect_no_header Content-Encoding "GET /style.css, Accept-Encoding: $ae"
	same_body "$WWW/style.css" "GET /style.css, Accept-Encoding: $ae"
done

http GET "$BASE_URL/pic.png" -H 'Accept-Encoding: gzip'
expect_status 200 "GET /pic.png, Accept-Encoding: gzip"
expect_no_header Content-Encoding "GET /pic.png (not a text type)"
same_body "$WWW/pic.png" "GET /pic.png, Accept-Encoding: gzip"

# --- path traversal -----------------------------------------------------

# Each must be 400 (bad-path) or 404 (not-found), and nothing from outside
# the root may appear in the answer.
for p in \
    '/../secret.txt' \
    '/../../../../../../../../etc/passwd' \
    '/sub/../../secret.txt' \
    '/%2e%2e/secret.txt' \
    '/%2E%2E/secret.txt' \
    '/%2e./secret.txt' \
    '/.%2E/secret.txt' \
    '/sub/%2e%2e/%2e%2e/secret.txt' \
    '/..%2fsecret.txt' \
    '/..%2Fsecret.txt' \
    '/sub/..%2f..%2fsecret.txt' \
    '/%2e%2e%2fsecret.txt' \
    '/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd' \
    '/..%5csecret.txt' \
    '/..\secret.txt' \
    '/%252e%252e/secret.txt' \
    '/..' \
    '/%2e%2e' \
    '/sub/%2E%2e' \
    '/./index.html' \
    '/%2e/index.html' \
    '/sub/./page.html' \
    '/%00../secret.txt' \
    '/index.html%00.txt' \
    '//etc/passwd' \
    '/etc/passwd' \
    '/leak.txt' \
    '/abs.txt' \
    '/outdir/file.txt' \
    '/outdir/../secret.txt'; do
	http GET "$BASE_URL$p" --path-as-is
	case $STATUS in
	400) expect_problem 400 bad-path "GET $p" ;;
	404) expect_problem 404 not-found "GET $p" ;;
	*) fail "GET $p (--path-as-is): status $STATUS, expected 400 or 404" ;;
	esac
	if grep -q -e "$SECRET" -e '^root:' "$TMP/body"; then
		fail "GET $p: served a file from outside the root"
	fi
done

# The symlinks out of the root are 404 in particular (they are well-formed
# paths to something that is not under the root).
for p in /leak.txt /abs.txt /outdir/file.txt /etc/passwd; do
	http GET "$BASE_URL$p"
	expect_problem 404 not-found "GET $p (a symlink out of the root)"
done

# The daemon is still well after all that.
http GET "$BASE_URL/healthz"
expect_status 200 "GET /healthz after the traversal attempts"

# --- the dashboard and its token ----------------------------------------

http GET "$BASE_URL/dashboard"
expect_status 401 "GET /dashboard without a token"
expect_header Content-Type '^application/problem\+json' "GET /dashboard without a token"
case $(json_string type) in
urn:broadside:problem:?*) ;;
*) fail "GET /dashboard without a token: problem type '$(json_string type)'" ;;
esac
! cmp -s "$TMP/body" "$WWW/dashboard.html" ||
    fail "GET /dashboard without a token: served the page"

http GET "$BASE_URL/dashboard" -H 'Authorization: Bearer wrong-token'
expect_status 401 "GET /dashboard with a wrong Bearer token"
http GET "$BASE_URL/dashboard?access_token=wrong-token"
expect_status 401 "GET /dashboard with a wrong access_token"
http GET "$BASE_URL/dashboard" \
    -H 'Authorization: Bearer second-line-is-not-the-token'
expect_status 401 "GET /dashboard with the token file's second line"
http GET "$BASE_URL/dashboard" -H "Authorization: Bearer ${TOKEN}x"
expect_status 401 "GET /dashboard with the token and one more character"
http GET "$BASE_URL/dashboard" -H "Authorization: Basic $TOKEN"
expect_status 401 "GET /dashboard with the token as Basic credentials"

http GET "$BASE_URL/dashboard" -H "Authorization: Bearer $TOKEN"
expect_status 200 "GET /dashboard with the admin token"
expect_header Content-Type '^text/html' "GET /dashboard with the admin token"
same_body "$WWW/dashboard.html" "GET /dashboard with the admin token"
http GET "$BASE_URL/dashboard?access_token=$TOKEN"
expect_status 200 "GET /dashboard?access_token=TOKEN"
same_body "$WWW/dashboard.html" "GET /dashboard?access_token=TOKEN"

if grep -q -e "$TOKEN" "$DAEMON_LOG"; then
	fail "the admin token appears in the daemon log (--log-level debug)"
fi

stop_daemon

# --dev: the dashboard without a token.
start_daemon --dev
http GET "$BASE_URL/dashboard"
expect_status 200 "GET /dashboard with --dev"
same_body "$WWW/dashboard.html" "GET /dashboard with --dev"
# ... and the list of battles, so that a developer finds what runs.
http POST "$BASE_URL/v1/battles" -d name=Listed
expect_status 201 "create a battle with --dev"
http GET "$BASE_URL/v1/battles"
expect_status 200 "GET /v1/battles with --dev, no token"
grep -q '"name":"Listed"' "$TMP/body" ||
    fail "GET /v1/battles with --dev does not list the battle: $(cat "$TMP/body")"
stop_daemon

# Neither --dev nor a token file, and loopback out of --metrics-allow:
# nothing opens it.  (401, or 403 since
# no credentials could help: either, as a problem.)
start_daemon --metrics-allow 192.0.2.0/24
for auth in '' 'Authorization: Bearer ' 'Authorization: Bearer x'; do
	for q in '' '?access_token=' '?access_token=x'; do
		http GET "$BASE_URL/dashboard$q" ${auth:+-H "$auth"}
		case $STATUS in
		401|403) ;;
		*) fail "GET /dashboard$q ($auth), no --dev, no token file: status $STATUS" ;;
		esac
		expect_header Content-Type '^application/problem\+json' \
		    "GET /dashboard$q ($auth), no --dev, no token file"
	done
done
stop_daemon

note "ok"
