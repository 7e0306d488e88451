/*
 * bench_orders: orders per second accepted through HTTP/1.1 with durable
 * acknowledgement (every 202 comes after the commit that holds it), the
 * latency of each order, and, from the daemon's /metrics, the group
 * commit batch sizes and commit latencies.
 *
 * B battles are created (one crewed ship, one far-away hostile, a long
 * round timer); C connections each submit the GM's station orders to one
 * battle in a loop for S seconds, one request in flight per connection.
 * Usage: bench_orders URL [-b BATTLES] [-c CONNECTIONS] [-s SECONDS]
 * Prints a table and one JSON line; never fails on a timing.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#define MAX_CONNS 512

struct conn {
	CURL *easy;
	struct curl_slist *headers;
	char url[512];
	char body[160];
	char reply[512];
	size_t replylen;
	int battle;
	int station;
	int round;
	int64_t sent_ns;
};

static char base[256];
static char ids[MAX_CONNS][32], tokens[MAX_CONNS][64];
static int64_t *lat;
static size_t nlat, caplat;
static long accepted, refused, failed;

static const char *const stations[] = { "captain", "pilot", "gunner",
	"engineer", "sensors" };
static const char *const types[] = { "tactics", "evade", "hold", "hold",
	"scan" };

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static size_t
on_data(char *data, size_t size, size_t n, void *arg)
{
	struct conn *c = arg;
	size_t len = size * n, room = sizeof(c->reply) - 1 - c->replylen;

	memcpy(c->reply + c->replylen, data, len < room ? len : room);
	c->replylen += len < room ? len : room;
	c->reply[c->replylen] = '\0';
	return len;
}

/* One blocking request, for the set-up. */
static json_t *
call(const char *method, const char *path, const char *token,
    const char *body)
{
	struct conn c = { 0 };
	struct curl_slist *h = NULL;
	char auth[128], url[512];
	CURL *e = curl_easy_init();
	json_t *j;

	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &c);
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	if (body != NULL)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(e) != CURLE_OK) {
		fprintf(stderr, "bench_orders: %s %s failed\n", method, path);
		exit(1);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	j = json_loads(c.reply, 0, NULL);
	return j ? j : json_object();
}

static void
setup_battle(int i)
{
	char path[128];
	json_t *j;

	j = call("POST", "/v1/battles", NULL,
	    "{\"name\":\"bench\",\"round_seconds\":600}");
	snprintf(ids[i], sizeof(ids[i]), "%.31s",
	    json_string_value(json_object_get(j, "id")) ?: "");
	snprintf(tokens[i], sizeof(tokens[i]), "%.63s",
	    json_string_value(json_object_get(j, "gm_token")) ?: "");
	json_decref(j);
	if (ids[i][0] == '\0') {
		fprintf(stderr, "bench_orders: cannot create a battle\n");
		exit(1);
	}
	snprintf(path, sizeof(path), "/v1/battles/%.31s/ships", ids[i]);
	json_decref(call("POST", path, tokens[i], "{\"class\":\"frigate\","
	    "\"side\":\"crew\",\"x\":100,\"y\":100,\"crewed\":true}"));
	json_decref(call("POST", path, tokens[i], "{\"class\":\"scout\","
	    "\"side\":\"hostile\",\"x\":990,\"y\":990}"));
	snprintf(path, sizeof(path), "/v1/battles/%.31s/start", ids[i]);
	json_decref(call("POST", path, tokens[i], ""));
}

/*
 * The next order: the five stations in turn, the same round over and
 * over (a station may replace its order), and the GM ship never ordered,
 * so the round does not resolve under the benchmark.
 */
static void
conn_send(CURLM *multi, struct conn *c)
{
	snprintf(c->body, sizeof(c->body), "{\"round\":1,\"station\":\"%s\","
	    "\"type\":\"%s\"}", stations[c->station], types[c->station]);
	c->station = (c->station + 1) % 5;
	c->replylen = 0;
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body);
	c->sent_ns = now_ns();
	curl_multi_add_handle(multi, c->easy);
}

static void
conn_init(struct conn *c, int battle)
{
	char auth[128];

	c->battle = battle;
	c->easy = curl_easy_init();
	snprintf(c->url, sizeof(c->url), "%s/v1/battles/%s/orders", base,
	    ids[battle]);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
	    tokens[battle]);
	c->headers = curl_slist_append(NULL, auth);
	c->headers = curl_slist_append(c->headers,
	    "Content-Type: application/json");
	curl_easy_setopt(c->easy, CURLOPT_URL, c->url);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static double
pct(double p)
{
	if (nlat == 0)
		return 0;
	return (double)lat[(size_t)(p * (double)(nlat - 1))] / 1e6;
}

/* A histogram's mean and its quantile from the daemon's /metrics. */
static void
scrape(double *batch_mean, double *batches, double *commit_p50,
    double *commit_p99)
{
	FILE *f;
	char cmd[600], line[512];
	double bsum = 0, bcount = 0, le, v;
	double buckets[64], counts[64];
	int nb = 0;

	snprintf(cmd, sizeof(cmd), "curl -s %s/metrics", base);
	f = popen(cmd, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "broadside_store_batch_size_sum %lf", &v) == 1)
			bsum = v;
		else if (sscanf(line, "broadside_store_batch_size_count %lf",
		    &v) == 1)
			bcount = v;
		else if (nb < 64 && sscanf(line,
		    "broadside_store_commit_seconds_bucket{le=\"%lf\"} %lf",
		    &le, &v) == 2) {
			buckets[nb] = le;
			counts[nb++] = v;
		}
	}
	if (f != NULL)
		pclose(f);
	*batch_mean = bcount > 0 ? bsum / bcount : 0;
	*batches = bcount;
	*commit_p50 = *commit_p99 = 0;
	for (int i = nb - 1; i >= 0 && nb > 0; i--) {
		double total = counts[nb - 1];

		if (counts[i] >= total * 0.5)
			*commit_p50 = buckets[i] * 1000;
		if (counts[i] >= total * 0.99)
			*commit_p99 = buckets[i] * 1000;
	}
}

int
main(int argc, char **argv)
{
	static struct conn conns[MAX_CONNS];
	int nbattles = 20, nconns = 40, seconds = 5, opt, running;
	double bmean, bcount, c50, c99, elapsed;
	int64_t start, end;
	CURLM *multi;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_orders URL [-b N] [-c N] "
		    "[-s S]\n");
		return 2;
	}
	snprintf(base, sizeof(base), "%s", argv[1]);
	optind = 2;
	while ((opt = getopt(argc, argv, "b:c:s:")) != -1) {
		if (opt == 'b')
			nbattles = (int)strtol(optarg, NULL, 10);
		else if (opt == 'c')
			nconns = (int)strtol(optarg, NULL, 10);
		else if (opt == 's')
			seconds = (int)strtol(optarg, NULL, 10);
	}
	if (nbattles < 1 || nbattles > MAX_CONNS || nconns < 1 ||
	    nconns > MAX_CONNS || seconds < 1)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (int i = 0; i < nbattles; i++)
		setup_battle(i);

	multi = curl_multi_init();
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)nconns);
	for (int i = 0; i < nconns; i++) {
		conn_init(&conns[i], i % nbattles);
		conn_send(multi, &conns[i]);
	}
	start = now_ns();
	end = start + (int64_t)seconds * 1000000000;
	do {
		CURLMsg *msg;
		int left;

		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			struct conn *c;
			long status = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&c);
			curl_easy_getinfo(msg->easy_handle,
			    CURLINFO_RESPONSE_CODE, &status);
			curl_multi_remove_handle(multi, msg->easy_handle);
			if (msg->data.result != CURLE_OK)
				failed++;
			else if (status == 202)
				accepted++;
			else
				refused++;
			if (nlat == caplat) {
				caplat = caplat ? caplat * 2 : 4096;
				lat = realloc(lat, caplat * sizeof(*lat));
			}
			lat[nlat++] = now_ns() - c->sent_ns;
			if (now_ns() < end)
				conn_send(multi, c);
		}
		curl_multi_poll(multi, NULL, 0, 100, NULL);
	} while (running > 0 || now_ns() < end);
	elapsed = (double)(now_ns() - start) / 1e9;
	qsort(lat, nlat, sizeof(*lat), cmp64);
	scrape(&bmean, &bcount, &c50, &c99);

	printf("bench_orders: %d battles, %d connections, %.1f s\n", nbattles,
	    nconns, elapsed);
	printf("  orders accepted (202, durable): %ld (%.0f/s), refused %ld, "
	    "failed %ld\n", accepted, (double)accepted / elapsed, refused,
	    failed);
	printf("  order latency: p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
	    pct(0.5), pct(0.99), pct(1.0));
	printf("  group commit: %.0f transactions, %.1f items each on "
	    "average; commit time p50 <= %.2f ms, p99 <= %.2f ms\n", bcount,
	    bmean, c50, c99);
	printf("{\"bench\":\"orders\",\"battles\":%d,\"connections\":%d,"
	    "\"orders_per_s\":%.0f,\"accepted\":%ld,\"refused\":%ld,"
	    "\"failed\":%ld,\"latency_p50_ms\":%.3f,\"latency_p99_ms\":%.3f,"
	    "\"batch_mean\":%.2f,\"commits\":%.0f,\"commit_p50_ms\":%.3f,"
	    "\"commit_p99_ms\":%.3f}\n", nbattles, nconns,
	    (double)accepted / elapsed, accepted, refused, failed, pct(0.5),
	    pct(0.99), bmean, bcount, c50, c99);
	for (int i = 0; i < nconns; i++) {
		curl_easy_cleanup(conns[i].easy);
		curl_slist_free_all(conns[i].headers);
	}
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	free(lat);
	return refused + failed > 0 ? 1 : 0;
}
