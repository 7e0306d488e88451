/*
 * broadside-load(1)'s event streams: each bot holds one, on a connection
 * of its own, and keeps its view from it as a browser does: the snapshot,
 * then merge-patch deltas; the log and accepted events tell it which
 * orders it has seen.  A stream that ends or falls silent reconnects as
 * EventSource does (after the server's retry:, with Last-Event-ID); the
 * first streams open at --connect-rate.  When every view has its
 * snapshot the battle starts (setup_start()).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "bots.h"
#include "loop.h"
#include "net.h"
#include "patch.h"

#define DEFAULT_RETRY_MS 3000

static void stream_start(struct client *c);

const char *const load_event_names[8] = {
	"snapshot", "delta", "log", "round", "presence", "accepted", "other",
	NULL
};

static uint64_t
wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * Parses an event's data.  Every bot of a view gets the same bytes for
 * an event id, so the bots of a battle share the parse: a browser parses
 * its own, but one process playing thousands would spend its time here.
 */
static json_t *
parse_event(struct client *c, const char *type, const char *id,
    const char *data, size_t len)
{
	struct battle *b = c->b;
	struct parsed *p;
	json_t *j;

	if (id[0] == '\0')
		return json_loadb(data, len, 0, NULL);
	for (int i = 0; i < PARSED; i++) {
		p = &b->parsed[c->role][i];
		if (p->data != NULL && strcmp(p->id, id) == 0 &&
		    strcmp(p->type, type) == 0)
			return json_incref(p->data);
	}
	j = json_loadb(data, len, 0, NULL);
	p = &b->parsed[c->role][b->parsed_next[c->role]++ % PARSED];
	if (j != NULL && strlen(id) < sizeof(p->id) &&
	    strlen(type) < sizeof(p->type)) {
		json_decref(p->data);
		p->data = json_incref(j);
		snprintf(p->id, sizeof(p->id), "%s", id);
		snprintf(p->type, sizeof(p->type), "%s", type);
	}
	return j;
}

static void
stream_event(void *arg, const char *type, const char *id, const char *data,
    size_t len)
{
	struct client *c = arg;
	struct battle *b = c->b;
	struct load *L = b->L;
	enum event_kind k;
	json_t *j;

	for (k = 0; k < EV_OTHER; k++)
		if (strcmp(type, load_event_names[k]) == 0)
			break;
	L->st.events[k]++;
	if (k == EV_OTHER)
		return;
	j = parse_event(c, type, id, data, len);
	if (j == NULL) {
		load_error(L, ERR_EVENT, "battle %d: a %s event that is not "
		    "JSON", b->index, type);
		return;
	}
	if (id[0] != '\0') {
		if (c->awaiting_first) {
			c->awaiting_first = 0;
			if (k == EV_SNAPSHOT)
				L->st.snapshot_resends++;
			else
				L->st.replays++;
		}
		snprintf(c->last_id, sizeof(c->last_id), "%s", id);
	}
	switch (k) {
	case EV_SNAPSHOT:
		json_decref(c->state);
		c->state = json_deep_copy(j);
		/* The server's clock, not part of the battle. */
		json_object_del(c->state, "now");
		play_orders_in_view(c);
		if (!c->synced) {
			c->synced = 1;
			if (++b->ready == b->nclients)
				setup_start(b);
		}
		break;
	case EV_DELTA:
		if (c->state == NULL) {
			load_error(L, ERR_EVENT, "battle %d: a delta before "
			    "any snapshot", b->index);
			break;
		}
		if (json_is_object(j))
			patch_merge(c->state, j);
		else {
			json_decref(c->state);
			c->state = json_deep_copy(j);
		}
		if (json_object_get(j, "orders") != NULL)
			play_orders_in_view(c);
		break;
	case EV_LOG: {
		size_t i;
		json_t *e;

		json_array_foreach(json_object_get(j, "entries"), i, e) {
			int r = jint(e, "round");

			if (strcmp(jstr(e, "kind"), "initiative") != 0)
				continue;
			c->log_round = r;
			c->log_wall_us = wall_us();
			for (int p = 0; p < b->npend; p++)
				if (b->pend[p].round == r)
					play_seen(c, &b->pend[p]);
		}
		break;
	}
	case EV_ACCEPTED: {
		const char *station = jstr(j, "station");
		char key[16];

		if (station[0] != '\0')
			snprintf(key, sizeof(key), "%s", station);
		else
			snprintf(key, sizeof(key), "#%d", jint(j, "ship"));
		for (int p = 0; p < b->npend; p++)
			if (b->pend[p].round == jint(j, "round") &&
			    strcmp(b->pend[p].key, key) == 0)
				play_seen(c, &b->pend[p]);
		break;
	}
	default:
		break;
	}
	json_decref(j);
	play_after_event(c);
}

static void
stream_open(void *arg, long status)
{
	struct client *c = arg;
	struct load *L = c->b->L;

	/* Not here just now (a failover, the store away): come again. */
	if (status == 503) {
		L->st.streams_unavailable++;
		return;
	}
	if (status != 200) {
		load_error(L, ERR_STREAM, "battle %d, client %s: the event "
		    "stream answered %ld", c->b->index, c->alias, status);
		return;
	}
	c->opened = 1;
	if (++L->st.streams_open > L->st.streams_open_max)
		L->st.streams_open_max = L->st.streams_open;
	if (c->storm) {
		c->storm = 0;
		hist_add(&L->st.storm, loop_now_us(L->loop) - c->drop_us);
	}
}

static int64_t
retry_fired(struct loop *loop, void *arg)
{
	struct client *c = arg;

	(void)loop;
	c->retry_timer = NULL;
	c->b->L->st.reconnects++;
	c->awaiting_first = c->last_id[0] != '\0';
	stream_start(c);
	return LOOP_TIMER_STOP;
}

static void
reconnect_later(struct client *c)
{
	long ms = net_stats(c->b->L->net)->retry_ms;

	if (ms < 0)
		ms = DEFAULT_RETRY_MS;
	c->retry_timer = loop_timer_add(c->b->L->loop, ms, retry_fired, c);
}

static void
stream_closed(void *arg, CURLcode rc, long status)
{
	struct client *c = arg;
	struct load *L = c->b->L;

	c->stream = NULL;
	if (c->opened) {
		L->st.streams_open--;
		c->opened = 0;
	}
	if (c->b->done || c->converged)
		return;
	if (rc != CURLE_OK && rc != CURLE_PARTIAL_FILE &&
	    rc != CURLE_RECV_ERROR && rc != CURLE_GOT_NOTHING)
		load_error(L, ERR_STREAM, "battle %d, client %s: the event "
		    "stream ended: %s", c->b->index, c->alias,
		    curl_easy_strerror(rc));
	(void)status;
	reconnect_later(c);
}

static const struct stream_ops stream_ops = {
	stream_event, stream_open, stream_closed
};

static void
stream_start(struct client *c)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/events", c->b->path);
	c->opened = 0;
	c->stream = net_stream(c->b->L->net, c->alias, path, c->token,
	    c->last_id, &stream_ops, c);
}

/* First streams go out at --connect-rate; reconnections do not wait. */
static int64_t
openq_run(struct loop *loop, void *arg)
{
	struct load *L = arg;
	struct open_queue *q = &L->bots->openq;
	int n;

	(void)loop;
	q->credit += L->opt.connect_rate / 100.0;
	n = (int)q->credit;
	q->credit -= n;
	while (n-- > 0 && q->head < q->len)
		stream_start(q->clients[q->head++]);
	if (q->head < q->len)
		return 10;
	q->head = q->len = 0;
	q->timer = NULL;
	return LOOP_TIMER_STOP;
}

void
sse_queue(struct client *c)
{
	struct load *L = c->b->L;
	struct open_queue *q = &L->bots->openq;

	if (q->len == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 1024;
		q->clients = xreallocarray(q->clients, q->cap,
		    sizeof(*q->clients));
	}
	q->clients[q->len++] = c;
	if (q->timer == NULL)
		q->timer = loop_timer_add(L->loop, 0, openq_run, L);
}

void
sse_queue_free(struct open_queue *q)
{
	loop_timer_cancel(q->timer);
	q->timer = NULL;
	free(q->clients);
	q->clients = NULL;
}

void
sse_stop(struct client *c)
{
	if (c->stream != NULL) {
		net_stream_close(c->stream);
		if (c->opened)
			c->b->L->st.streams_open--;
		c->stream = NULL;
	}
	loop_timer_cancel(c->retry_timer);
	c->retry_timer = NULL;
}

void
bots_sweep_stalled(struct load *L, uint64_t idle_us)
{
	uint64_t now = loop_now_us(L->loop);

	for (int i = 0; i < L->opt.battles; i++) {
		struct battle *b = L->bots->battles[i];

		for (int j = 0; j < b->nclients && !b->done; j++) {
			struct client *c = &b->clients[j];

			if (c->stream == NULL ||
			    now - net_stream_last_rx(c->stream) < idle_us)
				continue;
			load_error(L, ERR_STREAM, "battle %d, client %s: the "
			    "event stream was silent for %llu s: reconnecting",
			    i, c->alias,
			    (unsigned long long)(idle_us / 1000000));
			net_stream_close(c->stream);
			c->stream = NULL;
			if (c->opened)
				L->st.streams_open--;
			c->opened = 0;
			reconnect_later(c);
		}
	}
}

void
bots_drop_all(struct load *L)
{
	uint64_t now = loop_now_us(L->loop);

	for (int i = 0; i < L->opt.battles; i++) {
		struct battle *b = L->bots->battles[i];

		for (int j = 0; j < b->nclients && !b->done; j++) {
			struct client *c = &b->clients[j];

			if (c->stream == NULL || !c->opened)
				continue;
			net_stream_close(c->stream);
			c->stream = NULL;
			c->opened = 0;
			L->st.streams_open--;
			c->storm = 1;
			c->drop_us = now;
			reconnect_later(c);
		}
	}
}
