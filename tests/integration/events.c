/*
 * The event stream end to end (test_events.sh): SSE clients for the GM, a
 * player and a spectator, plain and gzip, keep a local state by applying
 * snapshot and merge-patch deltas, and after every step it must equal GET
 * of the battle for the same token.  Also: secrecy of hidden ships in the
 * crew's and spectators' bytes, gzip streams carrying the same events as
 * plain ones, ids that count each view's own events one by one (the GM
 * moving a ship the crew cannot see leaves no gap in the crew's), resume
 * with Last-Event-ID over HTTP/1.1 and HTTP/2 (exactly the missed events;
 * a snapshot for the GM's id on a crew stream, an old epoch's, one not
 * sent yet or a malformed one), heartbeats on a silent stream, and
 * presence when a client goes.
 * Usage: events BASE_URL (the daemon runs with --heartbeat 1)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "client.h"
#include "patch.h"

#define MAX_SSE 8

struct sse {
	const char *name;
	char token[64];
	int gzip;
	int h2;			/* over HTTP/2 (prior knowledge) */
	int secret;		/* must never see the hidden ship */
	CURL *easy;
	struct curl_slist *headers;
	char *raw;		/* every byte received (decoded) */
	size_t rawlen;
	char line[65536];
	size_t linelen;
	char ev_type[32], ev_id[64];
	char *ev_data;
	size_t ev_len;
	char last_id[64];
	json_t *state;
	json_t *events;		/* [ [id, type, data], ... ] */
	int snapshots, deltas, heartbeats, presences, accepted, hellos;
	int heartbeat_events;
	json_t *presence;
	int open;
};

static CURLM *multi;
static char base[256], id[64], gm[64], code[16], p1[64], spec[64];
static struct sse sse[MAX_SSE];
static int nsse;

static void
die(const char *what)
{
	fprintf(stderr, "FAIL: %s\n", what);
	exit(1);
}

static void
dispatch(struct sse *s)
{
	json_t *data;

	if (s->ev_len == 0)
		goto out;
	data = json_loadb(s->ev_data, s->ev_len, 0, NULL);
	if (data == NULL)
		die("an event's data is not JSON");
	if (s->ev_id[0] != '\0')
		snprintf(s->last_id, sizeof(s->last_id), "%s", s->ev_id);
	/*
	 * Each connection's own: its opening and its heartbeats, with the
	 * server's clock ("now"), which is not part of the battle either.
	 */
	if (strcmp(s->ev_type, "hello") == 0 ||
	    strcmp(s->ev_type, "heartbeat") == 0) {
		if (!json_is_integer(json_object_get(data, "now")))
			die("a hello or heartbeat without the server's \"now\"");
		if (strcmp(s->ev_type, "hello") == 0)
			s->hellos++;
		else
			s->heartbeat_events++;
		json_decref(data);
		goto out;
	}
	if (strcmp(s->ev_type, "snapshot") == 0) {
		if (!json_is_integer(json_object_get(data, "now")))
			die("a snapshot without the server's \"now\"");
		json_object_del(data, "now");
	}
	json_array_append_new(s->events, json_pack("[s,s,O]", s->ev_id,
	    s->ev_type, data));
	if (strcmp(s->ev_type, "snapshot") == 0) {
		json_decref(s->state);
		s->state = json_incref(data);
		s->snapshots++;
	} else if (strcmp(s->ev_type, "delta") == 0) {
		json_t *next;

		if (s->state == NULL)
			die("a delta before any snapshot");
		next = patch_apply(s->state, data);
		json_decref(s->state);
		s->state = next;
		s->deltas++;
	} else if (strcmp(s->ev_type, "accepted") == 0) {
		s->accepted++;
	} else if (strcmp(s->ev_type, "presence") == 0) {
		json_decref(s->presence);
		s->presence = json_incref(data);
		s->presences++;
	}
	json_decref(data);
out:
	s->ev_len = 0;
	s->ev_id[0] = s->ev_type[0] = '\0';
}

static void
sse_line(struct sse *s, const char *line, size_t len)
{
	if (len == 0) {
		dispatch(s);
		return;
	}
	if (line[0] == ':') {
		if (len >= 3 && strncmp(line, ":hb", 3) == 0)
			s->heartbeats++;
		return;
	}
	if (len > 6 && strncmp(line, "data: ", 6) == 0) {
		s->ev_data = realloc(s->ev_data, s->ev_len + len);
		memcpy(s->ev_data + s->ev_len, line + 6, len - 6);
		s->ev_len += len - 6;
	} else if (len > 7 && strncmp(line, "event: ", 7) == 0) {
		snprintf(s->ev_type, sizeof(s->ev_type), "%.*s",
		    (int)(len - 7), line + 7);
	} else if (len > 4 && strncmp(line, "id: ", 4) == 0) {
		snprintf(s->ev_id, sizeof(s->ev_id), "%.*s", (int)(len - 4),
		    line + 4);
	}
}

static size_t
on_sse(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sse *s = arg;
	size_t n = size * nmemb;

	s->raw = realloc(s->raw, s->rawlen + n + 1);
	memcpy(s->raw + s->rawlen, data, n);
	s->rawlen += n;
	s->raw[s->rawlen] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n') {
			sse_line(s, s->line, s->linelen);
			s->linelen = 0;
		} else if (s->linelen < sizeof(s->line) - 1) {
			s->line[s->linelen++] = data[i];
		}
	}
	return n;
}

static void
sse_open(struct sse *s, const char *last_id)
{
	char url[512], hdr[128];

	snprintf(url, sizeof(url), "%s/v1/battles/%s/events?access_token=%s",
	    base, id, s->token);
	s->easy = curl_easy_init();
	curl_easy_setopt(s->easy, CURLOPT_URL, url);
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_sse);
	curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
	if (s->gzip)
		curl_easy_setopt(s->easy, CURLOPT_ACCEPT_ENCODING, "gzip");
	if (s->h2) {
		curl_easy_setopt(s->easy, CURLOPT_HTTP_VERSION,
		    (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
		/*
		 * Closed with the stream: an HTTP/2 connection left idle in
		 * curl's cache would keep the stream (and the player's
		 * presence) open on the server.
		 */
		curl_easy_setopt(s->easy, CURLOPT_FORBID_REUSE, 1L);
	}
	s->headers = curl_slist_append(NULL, "Accept: text/event-stream");
	if (last_id != NULL) {
		snprintf(hdr, sizeof(hdr), "Last-Event-ID: %s", last_id);
		s->headers = curl_slist_append(s->headers, hdr);
	}
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
	curl_multi_add_handle(multi, s->easy);
	s->open = 1;
	s->linelen = s->ev_len = 0;
}

static void
sse_close(struct sse *s)
{
	curl_multi_remove_handle(multi, s->easy);
	curl_easy_cleanup(s->easy);
	curl_slist_free_all(s->headers);
	s->open = 0;
}

static struct sse *
sse_new(const char *name, const char *token, int gzip, int secret)
{
	struct sse *s = &sse[nsse++];

	s->name = name;
	snprintf(s->token, sizeof(s->token), "%s", token);
	s->gzip = gzip;
	s->secret = secret;
	s->events = json_array();
	sse_open(s, NULL);
	return s;
}

static void
pump(int ms)
{
	for (int waited = 0; waited < ms; waited += 20) {
		int running;

		curl_multi_perform(multi, &running);
		curl_multi_poll(multi, NULL, 0, 20, NULL);
	}
}

/* Every open client's state must reach GET's for its token (10 s). */
static void
converge(const char *when)
{
	for (int tries = 0; tries < 200; tries++) {
		int all = 1;

		pump(50);
		for (int i = 0; i < nsse; i++) {
			char path[128];
			struct reply r;

			if (!sse[i].open)
				continue;
			snprintf(path, sizeof(path), "/v1/battles/%s", id);
			client_call(&r, "GET", path, sse[i].token, NULL, NULL);
			expect_status(&r, 200, "GET for convergence");
			if (!json_equal(r.json, sse[i].state))
				all = 0;
			reply_free(&r);
		}
		if (all)
			return;
	}
	for (int i = 0; i < nsse; i++) {
		char *st = json_dumps(sse[i].state, JSON_SORT_KEYS);

		fprintf(stderr, "%s: %.400s\n", sse[i].name, st ? st : "null");
		free(st);
	}
	fprintf(stderr, "FAIL: streams did not converge to GET %s\n", when);
	exit(1);
}

static void
act(const char *method, const char *suffix, const char *token,
    const char *body, long status)
{
	char path[256];
	struct reply r;

	snprintf(path, sizeof(path), "/v1/battles/%s%s", id, suffix);
	client_call(&r, method, path, token, body, NULL);
	expect_status(&r, status, suffix);
	reply_free(&r);
}

static void
setup(void)
{
	struct reply r;
	char body[160];

	client_json(&r, "POST", "/v1/battles", NULL, json_pack("{s:s, s:i}",
	    "name", "Streams", "round_seconds", 600));
	expect_status(&r, 201, "create");
	snprintf(id, sizeof(id), "%s", reply_str(&r, "id"));
	snprintf(gm, sizeof(gm), "%s", reply_str(&r, "gm_token"));
	snprintf(code, sizeof(code), "%s", reply_str(&r, "join_code"));
	reply_free(&r);
	snprintf(body, sizeof(body), "{\"join_code\":\"%s\",\"name\":\"Ann\"}",
	    code);
	client_call(&r, "POST", "/v1/battles/x/players", NULL, NULL, NULL);
	reply_free(&r);
	snprintf(body, sizeof(body), "{\"join_code\":\"%s\",\"name\":\"Ann\"}",
	    code);
	{
		char path[128];

		snprintf(path, sizeof(path), "/v1/battles/%s/players", id);
		client_call(&r, "POST", path, NULL, body, NULL);
		expect_status(&r, 201, "join");
		snprintf(p1, sizeof(p1), "%s", reply_str(&r, "token"));
		reply_free(&r);
		snprintf(body, sizeof(body), "{\"join_code\":\"%s\",\"name\":"
		    "\"Eve\",\"role\":\"spectator\"}", code);
		client_call(&r, "POST", path, NULL, body, NULL);
		expect_status(&r, 201, "spectator");
		snprintf(spec, sizeof(spec), "%s", reply_str(&r, "token"));
		reply_free(&r);
	}
}

static void
play(void)
{
	act("POST", "/ships", gm, "{\"class\":\"frigate\",\"side\":\"crew\","
	    "\"x\":100,\"y\":100,\"crewed\":true}", 201);
	act("POST", "/ships", gm, "{\"class\":\"corvette\",\"side\":\"hostile\","
	    "\"x\":250,\"y\":200,\"notes\":\"GMNOTE-MARKER\"}", 201);
	act("POST", "/ships", gm, "{\"class\":\"destroyer\",\"side\":"
	    "\"hostile\",\"x\":150,\"y\":150,\"hidden\":true,\"name\":"
	    "\"HIDDEN-MARKER\"}", 201);
	act("PUT", "/stations/gunner", p1, NULL, 200);
	converge("after set-up");
	/* A burst of GM drags: coalesced by the debounce window. */
	for (int x = 260; x < 300; x += 2) {
		char body[32];

		snprintf(body, sizeof(body), "{\"x\":%d}", x);
		act("PATCH", "/ships/2", gm, body, 200);
	}
	converge("after a burst of moves");
	act("POST", "/start", gm, "", 200);
	for (int round = 1; round <= 3; round++) {
		char body[160];

		snprintf(body, sizeof(body), "{\"round\":%d,\"station\":"
		    "\"gunner\",\"type\":\"fire\",\"weapon\":0,\"target\":2}",
		    round);
		act("POST", "/orders", p1, body, 202);
		snprintf(body, sizeof(body), "{\"round\":%d,\"ship\":2}",
		    round);
		act("POST", "/orders", gm, body, 202);
		/* The hidden ship holds: firing would reveal it. */
		snprintf(body, sizeof(body), "{\"round\":%d,\"ship\":3}",
		    round);
		act("POST", "/orders", gm, body, 202);
		converge("after a round");
	}
	act("POST", "/narration", gm, "{\"text\":\"Steady.\"}", 200);
	converge("after narration");
}

/* Whether an event of a stream's record is a snapshot. */
static int
is_snapshot(const json_t *e)
{
	return strcmp(json_string_value(json_array_get(e, 1)), "snapshot") == 0;
}

/* The event of a stream with this id other than a snapshot, or NULL. */
static json_t *
event_by_id(const struct sse *s, const char *eid)
{
	size_t i;
	json_t *e;

	json_array_foreach(s->events, i, e)
		if (!is_snapshot(e) &&
		    strcmp(json_string_value(json_array_get(e, 0)), eid) == 0)
			return e;
	return NULL;
}

/* The SEQ of "EPOCH-V-SEQ". */
static unsigned long long
seq_of(const char *eid)
{
	const char *dash = strrchr(eid, '-');

	return dash ? strtoull(dash + 1, NULL, 10) : 0;
}

/* Whether two ids are of one sequence: the same "EPOCH-V-". */
static int
same_sequence(const char *a, const char *b)
{
	const char *da = strrchr(a, '-'), *db = strrchr(b, '-');

	return da != NULL && db != NULL && da - a == db - b &&
	    strncmp(a, b, (size_t)(da - a)) == 0;
}

/*
 * The ids of a stream that never reconnected: all of one sequence, each
 * one more than the one before (the first is its snapshot's).  An id tells
 * the view nothing but how many events it was sent.
 */
static void
dense_ids(const struct sse *s, char view)
{
	const char *prev = NULL, *dash;
	size_t i;
	json_t *e;

	json_array_foreach(s->events, i, e) {
		const char *eid = json_string_value(json_array_get(e, 0));

		if (*eid == '\0')
			continue;
		if (prev != NULL && (!same_sequence(prev, eid) ||
		    seq_of(eid) != seq_of(prev) + 1)) {
			fprintf(stderr, "%s: id %s after %s\n", s->name, eid,
			    prev);
			die("event ids with a gap");
		}
		prev = eid;
	}
	if (prev == NULL)
		die("a stream without ids");
	/* "EPOCH-V-SEQ", V the view's letter. */
	dash = strchr(prev, '-');
	if (dash == NULL || dash[1] != view || dash[2] != '-') {
		fprintf(stderr, "%s: id %s, not of view %c\n", s->name, prev,
		    view);
		die("an event id of another view");
	}
}

/*
 * The GM moves the ship the crew does not detect, n times: the GM's
 * stream shows each move, the crew's and spectators' nothing, and their
 * next event's id is the one after their last.
 */
static void
hidden_moves(struct sse *g, struct sse *crew, struct sse *watcher, int n)
{
	char crew_last[64], watcher_last[64];
	size_t crew_n = json_array_size(crew->events);
	size_t watcher_n = json_array_size(watcher->events);
	int gm_deltas = g->deltas;

	snprintf(crew_last, sizeof(crew_last), "%s", crew->last_id);
	snprintf(watcher_last, sizeof(watcher_last), "%s", watcher->last_id);
	for (int i = 0; i < n; i++) {
		char body[32];

		snprintf(body, sizeof(body), "{\"x\":%d}", 600 + 7 * i);
		act("PATCH", "/ships/3", gm, body, 200);
		pump(60);	/* past the debounce window: one delta each */
	}
	converge("after the hidden ship's moves");
	if (g->deltas < gm_deltas + 2)
		die("the GM's stream did not show the hidden ship's moves");
	if (json_array_size(crew->events) != crew_n ||
	    json_array_size(watcher->events) != watcher_n ||
	    strcmp(crew->last_id, crew_last) != 0 ||
	    strcmp(watcher->last_id, watcher_last) != 0)
		die("the crew or spectators heard of a ship they cannot see");
	/* Something everyone sees: the next id is the next number. */
	act("POST", "/narration", gm, "{\"text\":\"Quiet.\"}", 200);
	converge("after a narration");
	for (int i = 0; i < 100 && (strcmp(crew->last_id, crew_last) == 0 ||
	    strcmp(watcher->last_id, watcher_last) == 0); i++)
		pump(50);
	if (!same_sequence(crew->last_id, crew_last) ||
	    seq_of(crew->last_id) != seq_of(crew_last) + 1 ||
	    seq_of(watcher->last_id) != seq_of(watcher_last) + 1) {
		fprintf(stderr, "crew %s after %s, spectator %s after %s\n",
		    crew->last_id, crew_last, watcher->last_id, watcher_last);
		die("the GM's hidden moves left a gap in the crew's ids");
	}
}

/*
 * The events of a gzip stream are those of its plain twin: every event
 * with an id that both received is the same, and between the first and
 * the last id the gzip stream got, it missed none.  (Their ends may differ
 * by what is still in flight; events without an id are private.)
 */
static void
same_events(const struct sse *a, const struct sse *b)
{
	size_t i, overlap = 0;
	json_t *e;
	const char *first = NULL, *last = NULL;

	/*
	 * A snapshot carries the id of the last event it includes, so a
	 * stream that joined later can hold a snapshot under an id that the
	 * other stream received as a delta or presence: snapshots are not
	 * events to compare, and the range starts at b's first other event.
	 */
	json_array_foreach(b->events, i, e) {
		const char *eid = json_string_value(json_array_get(e, 0));

		if (*eid == '\0' || is_snapshot(e))
			continue;
		if (first == NULL)
			first = eid;
		last = eid;
	}
	json_array_foreach(a->events, i, e) {
		const char *eid = json_string_value(json_array_get(e, 0));
		json_t *twin;

		if (*eid == '\0' || is_snapshot(e) || first == NULL ||
		    seq_of(eid) < seq_of(first) || seq_of(eid) > seq_of(last))
			continue;
		twin = event_by_id(b, eid);
		if (twin == NULL || !json_equal(e, twin)) {
			fprintf(stderr, "%s and %s differ at event %s\n",
			    a->name, b->name, eid);
			die("gzip and plain streams differ");
		}
		overlap++;
	}
	if (overlap < 10)
		die("gzip and plain streams share too few events");
}

static void
secrecy(void)
{
	static const char *const secrets[] = { "HIDDEN-MARKER",
		"GMNOTE-MARKER", "\"3\":{", "\"hull\":140", "join_code",
		"state_hash" };

	for (int i = 0; i < nsse; i++) {
		if (!sse[i].secret)
			continue;
		for (size_t k = 0; k < sizeof(secrets) / sizeof(secrets[0]);
		    k++) {
			const char *at = strstr(sse[i].raw, secrets[k]);

			if (at != NULL) {
				fprintf(stderr, "%s stream: '%s' in ...%.120s\n",
				    sse[i].name, secrets[k], at > sse[i].raw +
				    60 ? at - 60 : sse[i].raw);
				die("a crew or spectator stream shows a secret");
			}
		}
	}
}

/*
 * s reconnects with its last id, over HTTP/2 if h2, after changes it
 * could see and one it could not: it gets exactly the events its twin
 * (the same view, still open) got after that id, no snapshot.
 */
static void
resume_from_ring(struct sse *s, const struct sse *twin, int h2)
{
	char last[64];
	int snaps = s->snapshots;
	size_t mark, i, k = 0;
	json_t *e, *missed = json_array();

	sse_close(s);
	snprintf(last, sizeof(last), "%s", s->last_id);
	act("PATCH", "/ships/2", gm, h2 ? "{\"y\":270}" : "{\"y\":260}",
	    200);
	act("PATCH", "/ships/3", gm, h2 ? "{\"y\":710}" : "{\"y\":700}",
	    200);
	act("POST", "/narration", gm, "{\"text\":\"While you were away.\"}",
	    200);
	pump(200);
	mark = json_array_size(s->events);
	s->h2 = h2;
	sse_open(s, last);
	converge("after a resume");
	pump(300);
	if (s->snapshots != snaps)
		die("a resume within the ring got a snapshot, not a replay");
	json_array_foreach(twin->events, i, e) {
		const char *eid = json_string_value(json_array_get(e, 0));

		if (*eid != '\0' && same_sequence(eid, last) &&
		    seq_of(eid) > seq_of(last))
			json_array_append(missed, e);
	}
	for (i = mark; i < json_array_size(s->events); i++) {
		e = json_array_get(s->events, i);
		if (*json_string_value(json_array_get(e, 0)) == '\0')
			continue;
		if (!json_equal(e, json_array_get(missed, k++))) {
			char *got = json_dumps(e, 0);

			fprintf(stderr, "%s: replayed %.200s\n", s->name, got);
			free(got);
			die("a replay that is not exactly the missed events");
		}
	}
	/* The ship's move and the narration, at least. */
	if (k != json_array_size(missed) || k < 2) {
		fprintf(stderr, "%s: %zu events replayed, %zu missed\n",
		    s->name, k, json_array_size(missed));
		die("a replay that missed events");
	}
	json_decref(missed);
	s->h2 = 0;
}

/*
 * s reconnects with last_event_id: it gets a snapshot, and every id it
 * gets after is of its own view's sequence.
 */
static void
resume_snapshot(struct sse *s, const char *last_event_id, const char *what)
{
	int snaps = s->snapshots;
	char own[64];
	size_t mark;

	snprintf(own, sizeof(own), "%s", s->last_id);
	sse_close(s);
	mark = json_array_size(s->events);
	sse_open(s, last_event_id);
	for (int i = 0; i < 200 && s->snapshots == snaps; i++)
		pump(50);
	if (s->snapshots != snaps + 1) {
		fprintf(stderr, "%s: Last-Event-ID %s\n", s->name,
		    last_event_id);
		die(what);
	}
	converge("after a resume that got a snapshot");
	for (size_t i = mark; i < json_array_size(s->events); i++) {
		const char *eid = json_string_value(json_array_get(
		    json_array_get(s->events, i), 0));

		if (*eid != '\0' && !same_sequence(eid, own)) {
			fprintf(stderr, "%s: id %s after %s\n", s->name, eid,
			    last_event_id);
			die("a resume got an id of another view's sequence");
		}
	}
}

static void
resume(struct sse *s, const struct sse *twin, const struct sse *g)
{
	char future[64];

	resume_from_ring(s, twin, 0);
	resume_from_ring(s, twin, 1);
	/* The GM's last id on a crew stream: a snapshot, not GM events. */
	resume_snapshot(s, g->last_id,
	    "the GM's id on a crew stream did not get a snapshot");
	resume_snapshot(s, "0-1", "an old epoch's id did not get a snapshot");
	snprintf(future, sizeof(future), "%.*s%llu",
	    (int)(strrchr(s->last_id, '-') + 1 - s->last_id), s->last_id,
	    seq_of(s->last_id) + 1000);
	resume_snapshot(s, future, "an id not sent yet did not get a snapshot");
	resume_snapshot(s, "7-c-1x", "a malformed id did not get a snapshot");
}

int
main(int argc, char **argv)
{
	struct sse *g, *gz, *crew, *crewgz, *watcher;
	int beats;

	if (argc != 2)
		return 2;
	snprintf(base, sizeof(base), "%s", argv[1]);
	client_init(base);
	multi = curl_multi_init();
	setup();
	g = sse_new("gm", gm, 0, 0);
	gz = sse_new("gm-gzip", gm, 1, 0);
	crew = sse_new("crew", p1, 0, 1);
	crewgz = sse_new("crew-gzip", p1, 1, 1);
	watcher = sse_new("spectator", spec, 0, 1);
	pump(300);
	play();
	same_events(g, gz);
	same_events(crew, crewgz);
	/* The player's three orders, each confirmed on its own stream. */
	if (crew->accepted != 3 || watcher->accepted != 0)
		die("private 'accepted' events went astray");
	secrecy();
	dense_ids(g, 'g');
	dense_ids(gz, 'g');
	dense_ids(crew, 'c');
	dense_ids(crewgz, 'c');
	dense_ids(watcher, 's');
	hidden_moves(g, crew, watcher, 10);
	dense_ids(crew, 'c');
	dense_ids(watcher, 's');
	dense_ids(g, 'g');
	secrecy();
	printf("events: gm %d deltas, crew %d, spectator %d\n", g->deltas,
	    crew->deltas, watcher->deltas);
	resume(crew, crewgz, g);
	/* For test_events.sh: a resume after a restart. */
	printf("events: resume %s %s %s %s\n", id, gm, p1, crew->last_id);

	/* Nothing happens for 3 s: heartbeats (--heartbeat 1) arrive. */
	beats = watcher->heartbeats;
	pump(3000);
	if (watcher->heartbeats < beats + 2)
		die("a silent stream got no heartbeats");
	/* Each ":hb" comes with an event a browser can see, and every
	 * connection opened with a hello. */
	if (watcher->heartbeat_events != watcher->heartbeats)
		die("a :hb comment without its heartbeat event");
	if (watcher->hellos < 1)
		die("a stream without a hello event");

	/* The player leaves: the GM's presence no longer lists them. */
	sse_close(crew);
	sse_close(crewgz);
	for (int i = 0; i < 60 && json_array_size(json_object_get(g->presence,
	    "players")) != 0; i++)
		pump(50);
	if (json_array_size(json_object_get(g->presence, "players")) != 0 ||
	    !json_is_true(json_object_get(g->presence, "gm")))
		die("presence did not drop the player who left");
	secrecy();
	for (int i = 0; i < nsse; i++)
		if (sse[i].open)
			sse_close(&sse[i]);
	curl_multi_cleanup(multi);
	client_cleanup();
	printf("events: ok\n");
	return 0;
}
