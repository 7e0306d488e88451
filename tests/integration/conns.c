/*
 * conns: holds many concurrent HTTP/1.1 keep-alive connections to one URL
 * and checks that the server answers every request on them and keeps them
 * open between requests.  test_conns.sh runs it against broadsided.
 *
 *   conns --url URL --count N --rounds R [--timeout S] [--hold S]
 *
 * One libcurl multi handle drives N transfers, one per connection (no
 * pipelining, no multiplexing, a connection cache of at least N).  Each
 * round adds all N transfers at once, so N requests are in flight
 * together, and runs them to completion.  Every answer must be 200, and
 * every transfer after round 1 must reuse a cached connection: the sum of
 * CURLINFO_NUM_CONNECTS over all transfers must be exactly N.
 *
 * --timeout S bounds the whole run (default 20 s).  --hold S keeps the N
 * connections open S seconds after the last round, idle, after printing
 * "holding N connections" on stdout, so that a script can read the
 * server's figures meanwhile.
 *
 * Prints one summary line on stdout and exits 0 when everything held, 1
 * when not, 2 on a usage error.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CONNS_MAX_COUNT 100000
#define CONNS_MAX_REPORTS 10	/* failures printed one by one */

struct options {
	const char *url;
	long count;
	long rounds;
	long timeout_s;
	long hold_s;
};

/* One transfer, reused every round: one connection's worth of requests. */
struct transfer {
	CURL *easy;
	long index;
	size_t body_bytes;
	char error[CURL_ERROR_SIZE];
};

struct tally {
	long ok;		/* answers with status 200 */
	long failed;		/* transport errors and other statuses */
	long new_connections;	/* sum of CURLINFO_NUM_CONNECTS */
	long reports;		/* failures printed so far */
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints the error of a libcurl easy call; returns 0 if rc is CURLE_OK. */
static int
easy_check(CURLcode rc, const char *what)
{
	if (rc == CURLE_OK)
		return 0;
	fprintf(stderr, "conns: %s: %s\n", what, curl_easy_strerror(rc));
	return -1;
}

/* Prints the error of a libcurl multi call; returns 0 if rc is CURLM_OK. */
static int
multi_check(CURLMcode rc, const char *what)
{
	if (rc == CURLM_OK)
		return 0;
	fprintf(stderr, "conns: %s: %s\n", what, curl_multi_strerror(rc));
	return -1;
}

#define EASY_SET(easy, opt, val) \
	easy_check(curl_easy_setopt((easy), (opt), (val)), #opt)
#define MULTI_SET(multi, opt, val) \
	multi_check(curl_multi_setopt((multi), (opt), (val)), #opt)

/* Parses a whole decimal number in [min, max]; returns 0 or -1. */
static int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: conns --url URL --count N --rounds R "
	    "[--timeout S] [--hold S]\n");
}

/* Fills opts from argv; returns 0, or -1 after printing the problem. */
static int
parse_args(int argc, char **argv, struct options *opts)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "count", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "hold", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opts->url = NULL;
	opts->count = 0;
	opts->rounds = 1;
	opts->timeout_s = 20;
	opts->hold_s = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'u':
			opts->url = optarg;
			break;
		case 'n':
			if (parse_long(optarg, 1, CONNS_MAX_COUNT,
			    &opts->count) < 0)
				goto bad_value;
			break;
		case 'r':
			if (parse_long(optarg, 1, 1000, &opts->rounds) < 0)
				goto bad_value;
			break;
		case 't':
			if (parse_long(optarg, 1, 3600, &opts->timeout_s) < 0)
				goto bad_value;
			break;
		case 'H':
			if (parse_long(optarg, 0, 3600, &opts->hold_s) < 0)
				goto bad_value;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || opts->url == NULL || opts->count == 0) {
		usage(stderr);
		return -1;
	}
	return 0;

bad_value:
	fprintf(stderr, "conns: bad value '%s' for --%s\n", optarg,
	    c == 'n' ? "count" : c == 'r' ? "rounds" : c == 't' ? "timeout" :
	    "hold");
	return -1;
}

/* Counts the body bytes and drops them. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;

	(void)data;
	t->body_bytes += size * nmemb;
	return size * nmemb;
}

/* Creates the easy handle of t; returns 0 or -1. */
static int
transfer_setup(struct transfer *t, const struct options *opts)
{
	t->easy = curl_easy_init();
	if (t->easy == NULL) {
		fprintf(stderr, "conns: curl_easy_init failed\n");
		return -1;
	}
	if (EASY_SET(t->easy, CURLOPT_URL, opts->url) < 0 ||
	    EASY_SET(t->easy, CURLOPT_HTTP_VERSION,
		(long)CURL_HTTP_VERSION_1_1) < 0 ||
	    EASY_SET(t->easy, CURLOPT_WRITEFUNCTION, on_body) < 0 ||
	    EASY_SET(t->easy, CURLOPT_WRITEDATA, (void *)t) < 0 ||
	    EASY_SET(t->easy, CURLOPT_PRIVATE, (void *)t) < 0 ||
	    EASY_SET(t->easy, CURLOPT_ERRORBUFFER, t->error) < 0 ||
	    EASY_SET(t->easy, CURLOPT_TIMEOUT_MS,
		opts->timeout_s * 1000L) < 0 ||
	    EASY_SET(t->easy, CURLOPT_NOSIGNAL, 1L) < 0 ||
	    EASY_SET(t->easy, CURLOPT_FORBID_REUSE, 0L) < 0 ||
	    EASY_SET(t->easy, CURLOPT_FRESH_CONNECT, 0L) < 0 ||
	    EASY_SET(t->easy, CURLOPT_PIPEWAIT, 0L) < 0)
		return -1;
	return 0;
}

/* Records one finished transfer; returns 0, or -1 if libcurl failed. */
static int
transfer_done(struct transfer *t, CURLcode result, long round,
    struct tally *tally)
{
	long status = 0, connects = 0;

	if (easy_check(curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE,
	    &status), "CURLINFO_RESPONSE_CODE") < 0 ||
	    easy_check(curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS,
	    &connects), "CURLINFO_NUM_CONNECTS") < 0)
		return -1;
	tally->new_connections += connects;
	if (result == CURLE_OK && status == 200) {
		tally->ok++;
		return 0;
	}
	tally->failed++;
	if (tally->reports++ < CONNS_MAX_REPORTS) {
		if (result != CURLE_OK)
			fprintf(stderr, "conns: round %ld, connection %ld: "
			    "%s\n", round, t->index, t->error[0] != '\0' ?
			    t->error : curl_easy_strerror(result));
		else
			fprintf(stderr, "conns: round %ld, connection %ld: "
			    "status %ld\n", round, t->index, status);
	}
	return 0;
}

/*
 * Runs one round: all transfers added at once, driven until each is done
 * or the deadline passes (the rest then count as failed).  Returns 0, or
 * -1 when libcurl itself failed.
 */
static int
run_round(CURLM *multi, struct transfer *transfers, long count, long round,
    double deadline, struct tally *tally)
{
	long pending = count;
	int running = 0, queued;
	CURLMsg *msg;

	for (long i = 0; i < count; i++) {
		transfers[i].body_bytes = 0;
		transfers[i].error[0] = '\0';
		if (multi_check(curl_multi_add_handle(multi,
		    transfers[i].easy), "curl_multi_add_handle") < 0)
			return -1;
	}
	while (pending > 0) {
		if (now_s() > deadline) {
			fprintf(stderr, "conns: round %ld: %ld transfers "
			    "still running at the deadline\n", round, pending);
			tally->failed += pending;
			/* Removing one already removed is a no-op. */
			for (long i = 0; i < count; i++)
				if (multi_check(curl_multi_remove_handle(multi,
				    transfers[i].easy),
				    "curl_multi_remove_handle") < 0)
					return -1;
			return 0;
		}
		if (multi_check(curl_multi_perform(multi, &running),
		    "curl_multi_perform") < 0)
			return -1;
		while ((msg = curl_multi_info_read(multi, &queued)) != NULL) {
			char *priv = NULL;
			struct transfer *t;

			if (msg->msg != CURLMSG_DONE)
				continue;
			if (easy_check(curl_easy_getinfo(msg->easy_handle,
			    CURLINFO_PRIVATE, &priv), "CURLINFO_PRIVATE") < 0)
				return -1;
			t = (struct transfer *)(void *)priv;
			if (transfer_done(t, msg->data.result, round,
			    tally) < 0 ||
			    multi_check(curl_multi_remove_handle(multi,
			    t->easy), "curl_multi_remove_handle") < 0)
				return -1;
			pending--;
		}
		if (pending > 0 && multi_check(curl_multi_poll(multi, NULL, 0,
		    100, NULL), "curl_multi_poll") < 0)
			return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct options opts;
	struct transfer *transfers = NULL;
	struct tally tally = { 0, 0, 0, 0 };
	CURLM *multi = NULL;
	double start, deadline;
	long created = 0;
	int status = 1;

	if (parse_args(argc, argv, &opts) < 0)
		return 2;
	if (easy_check(curl_global_init(CURL_GLOBAL_DEFAULT),
	    "curl_global_init") < 0)
		return 1;

	multi = curl_multi_init();
	if (multi == NULL) {
		fprintf(stderr, "conns: curl_multi_init failed\n");
		goto out;
	}
	/* One connection per transfer, every one of them kept afterwards. */
	if (MULTI_SET(multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING) < 0 ||
	    MULTI_SET(multi, CURLMOPT_MAXCONNECTS, opts.count + 16) < 0 ||
	    MULTI_SET(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L) < 0 ||
	    MULTI_SET(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L) < 0)
		goto out;

	transfers = calloc((size_t)opts.count, sizeof(*transfers));
	if (transfers == NULL) {
		fprintf(stderr, "conns: out of memory\n");
		goto out;
	}
	for (created = 0; created < opts.count; created++) {
		transfers[created].index = created;
		if (transfer_setup(&transfers[created], &opts) < 0) {
			curl_easy_cleanup(transfers[created].easy);
			goto out;
		}
	}

	start = now_s();
	deadline = start + (double)opts.timeout_s;
	for (long round = 1; round <= opts.rounds; round++) {
		if (run_round(multi, transfers, opts.count, round, deadline,
		    &tally) < 0)
			goto out;
		if (tally.failed > 0)
			break;
	}

	printf("conns: %ld connections x %ld rounds: %ld answers 200, %ld "
	    "failed, %ld connections opened (expected %ld), %.2f s\n",
	    opts.count, opts.rounds, tally.ok, tally.failed,
	    tally.new_connections, opts.count, now_s() - start);
	if (tally.failed == 0 && tally.ok == opts.count * opts.rounds &&
	    tally.new_connections == opts.count)
		status = 0;
	else if (tally.failed == 0)
		fprintf(stderr, "conns: connections were not all reused "
		    "after round 1\n");

	if (opts.hold_s > 0) {
		printf("holding %ld connections for %ld s\n", opts.count,
		    opts.hold_s);
		fflush(stdout);
		sleep((unsigned)opts.hold_s);
	}

out:
	/* Transfers leave the multi handle before it is cleaned up. */
	for (long i = 0; i < created; i++)
		curl_easy_cleanup(transfers[i].easy);
	free(transfers);
	if (multi != NULL &&
	    multi_check(curl_multi_cleanup(multi), "curl_multi_cleanup") < 0)
		status = 1;
	curl_global_cleanup();
	return status;
}
