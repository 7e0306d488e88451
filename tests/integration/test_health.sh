#!/bin/sh
# /healthz, /readyz and /metrics: status, content types, HEAD, the
# Prometheus text accepted by promtool with the families the man page
# promises, counters that move with requests; then the same on [::1].
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"

need_tool promtool "$PROMTOOL" prometheus

start_daemon

http GET "$BASE_URL/healthz"
expect_status 200 "GET /healthz"
expect_header Content-Type '^application/json' "GET /healthz"
expect_json_string status ok "GET /healthz"

http HEAD "$BASE_URL/healthz"
expect_status 200 "HEAD /healthz"
expect_header Content-Type '^application/json' "HEAD /healthz"
expect_head_no_body "$BASE_URL/healthz" "HEAD /healthz"

http GET "$BASE_URL/readyz"
expect_status 200 "GET /readyz"
expect_header Content-Type '^application/json' "GET /readyz"
expect_json_string status ready "GET /readyz"

http HEAD "$BASE_URL/readyz"
expect_status 200 "HEAD /readyz"

# check_metrics FILE: promtool accepts it and the families are there.
check_metrics() {
	if ! "$PROMTOOL" check metrics <"$1" >"$TMP/promtool.out" 2>&1; then
		cat "$TMP/promtool.out" >&2
		fail "promtool check metrics rejected /metrics (saved above)"
	fi
	for fam in \
	    'broadside_connections_open gauge' \
	    'broadside_connections_total counter' \
	    'broadside_http_requests_total counter' \
	    'broadside_http_request_duration_seconds histogram' \
	    'process_resident_memory_bytes gauge' \
	    'broadside_uptime_seconds gauge' \
	    'broadside_build_info gauge'; do
		grep -q "^# TYPE $fam\$" "$1" ||
		    fail "/metrics has no '# TYPE $fam'"
	done
	[ -n "$(metric_sum "$1" broadside_connections_open 'protocol="http1"')" ] ||
	    fail "/metrics: no broadside_connections_open{protocol=\"http1\"}"
	[ -n "$(metric_sum "$1" broadside_connections_total 'protocol="http1"')" ] ||
	    fail "/metrics: no broadside_connections_total{protocol=\"http1\"}"
	grep -q '^broadside_http_request_duration_seconds_bucket{.*route=.*le="+Inf"' "$1" ||
	    grep -q '^broadside_http_request_duration_seconds_bucket{.*le="+Inf".*route=' "$1" ||
	    fail "/metrics: no request duration buckets labelled by route"
	grep -q '^broadside_build_info{.*version="[^"]*".*} 1$' "$1" ||
	    fail "/metrics: no broadside_build_info{version=...} 1"
	rss=$(metric_sum "$1" process_resident_memory_bytes)
	num_ge "${rss:-0}" 1048576 ||
	    fail "/metrics: process_resident_memory_bytes is '$rss'"
	up=$(metric_sum "$1" broadside_uptime_seconds)
	[ -n "$up" ] && num_ge "$up" 0 ||
	    fail "/metrics: broadside_uptime_seconds is '$up'"
}

http GET "$BASE_URL/metrics"
expect_status 200 "GET /metrics"
expect_header Content-Type \
    '^text/plain; *version=0\.0\.4; *charset=utf-8$' "GET /metrics"
cp "$TMP/body" "$TMP/m1"
check_metrics "$TMP/m1"

version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' \
    "$BS_BUILDDIR/config.h" 2>/dev/null || true)
if [ -n "$version" ]; then
	grep -q "^broadside_build_info{.*version=\"$version\"" "$TMP/m1" ||
	    fail "/metrics: broadside_build_info has no version=\"$version\""
fi

# Counters move: three more /healthz 200s and one 404, at least one more
# connection.
h1=$(metric_sum "$TMP/m1" broadside_http_requests_total \
    'route="healthz"' 'status="200"')
c1=$(metric_sum "$TMP/m1" broadside_connections_total 'protocol="http1"')
hc1=$(metric_sum "$TMP/m1" broadside_http_request_duration_seconds_count \
    'route="healthz"')
[ -n "$h1" ] || fail "/metrics: no broadside_http_requests_total{route=\"healthz\",status=\"200\"} after two GET /healthz"
for i in 1 2 3; do
	http GET "$BASE_URL/healthz"
	expect_status 200 "GET /healthz #$i"
done
http GET "$BASE_URL/no/such/thing"
expect_status 404 "GET /no/such/thing"
scrape "$TMP/m2"
check_metrics "$TMP/m2"
h2=$(metric_sum "$TMP/m2" broadside_http_requests_total \
    'route="healthz"' 'status="200"')
c2=$(metric_sum "$TMP/m2" broadside_connections_total 'protocol="http1"')
hc2=$(metric_sum "$TMP/m2" broadside_http_request_duration_seconds_count \
    'route="healthz"')
num_ge "$h2" "$h1" 3 ||
    fail "requests_total{route=healthz,status=200} went from $h1 to $h2 after 3 requests"
num_ge "$c2" "$c1" 4 ||
    fail "connections_total{protocol=http1} went from $c1 to $c2 after 4 connections"
num_ge "$hc2" "$hc1" 3 ||
    fail "request_duration_seconds_count{route=healthz} went from $hc1 to $hc2 after 3 requests"
[ -n "$(metric_sum "$TMP/m2" broadside_http_requests_total 'status="404"')" ] ||
    fail "/metrics: no requests_total series with status=\"404\" after a 404"

stop_daemon

# IPv6, where the machine has a loopback ::1.
if grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
	DAEMON_LISTEN='[::1]:0'
	start_daemon
	case $BASE_URL in
	'http://[::1]:'*) ;;
	*) fail "listening on [::1]:0 logged '$BASE_URL', expected http://[::1]:PORT" ;;
	esac
	http GET "$BASE_URL/healthz" -g
	expect_status 200 "GET /healthz over IPv6"
	expect_json_string status ok "GET /healthz over IPv6"
	http GET "$BASE_URL/metrics" -g
	expect_status 200 "GET /metrics over IPv6"
	cp "$TMP/body" "$TMP/m6"
	check_metrics "$TMP/m6"
	stop_daemon
else
	note "no ::1 on this machine: IPv6 part skipped"
fi

note "ok"
