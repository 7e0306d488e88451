/*
 * The dashboard's figures (figures.h).
 *
 * The document is built once a tick, and only while the channel has
 * subscribers: a server nobody watches pays nothing.  Every view of the
 * channel reads the same document (the dashboard has one audience).
 */
#include "config.h"

#include "figures.h"

#include <jansson.h>

#include "alloc.h"
#include "battles.h"
#include "loop.h"
#include "metrics.h"
#include "stream.h"

struct figures {
	struct loop *loop;
	struct metrics *metrics;
	struct battles *battles;
	struct channel *channel;
	struct loop_timer *timer;
	json_t *doc;		/* the document as last built */
};

static void
battle_row(struct live_battle *lb, void *arg)
{
	const struct battle *game = live_battle_game(lb);
	struct channel *c = live_battle_channel(lb);
	json_t *rows = arg, *presence, *online;

	presence = c != NULL ? channel_presence(c) : NULL;
	online = json_pack("{s:b, s:I, s:I}", "gm", json_is_true(
	    json_object_get(presence, "gm")), "players", (json_int_t)
	    json_array_size(json_object_get(presence, "players")),
	    "spectators", json_integer_value(json_object_get(presence,
	    "spectators")));
	json_decref(presence);
	json_object_set_new(rows, live_battle_id(lb), json_pack("{s:s, s:s, "
	    "s:i, s:I, s:o, s:I, s:I}", "name", live_battle_name(lb),
	    "phase", phase_name(battle_phase(game)), "round",
	    battle_round(game), "streams", (json_int_t)(c != NULL ?
	    channel_subscribers(c) : 0), "online", online, "state_bytes",
	    (json_int_t)live_battle_state_bytes(lb), "last_change",
	    (json_int_t)live_battle_last_change(lb)));
}

static void
figures_build(struct figures *f)
{
	json_t *rows = json_object();

	battles_foreach(f->battles, battle_row, rows);
	json_decref(f->doc);
	f->doc = json_pack("{s:o, s:o}", "metrics", metrics_json(f->metrics),
	    "battles", rows);
}

static json_t *
figures_document(void *arg, enum viewer viewer)
{
	struct figures *f = arg;

	(void)viewer;
	if (f->doc == NULL)
		figures_build(f);
	return json_incref(f->doc);
}

/* The channel has no log; never called. */
static json_t *
figures_log_entry(void *arg, enum viewer viewer, const json_t *entry)
{
	(void)arg;
	(void)viewer;
	return json_deep_copy(entry);
}

static int64_t
figures_tick(struct loop *loop, void *arg)
{
	struct figures *f = arg;
	const json_t *nolog[VIEWER_COUNT] = { NULL };

	(void)loop;
	if (channel_subscribers(f->channel) > 0) {
		figures_build(f);
		channel_changed(f->channel, nolog, 1);
	} else {
		/* Built afresh for the next one who comes. */
		json_decref(f->doc);
		f->doc = NULL;
	}
	return FIGURES_PERIOD_MS;
}

struct figures *
figures_new(struct loop *loop, struct stream *stream, struct metrics *metrics,
    struct battles *battles, int64_t epoch)
{
	struct figures *f = xcalloc(1, sizeof(*f));
	struct channel_source src = {
		.document = figures_document,
		.log_entry = figures_log_entry,
		.arg = f,
	};

	f->loop = loop;
	f->metrics = metrics;
	f->battles = battles;
	f->channel = channel_new(stream, "figures", epoch, &src);
	f->timer = loop_timer_add(loop, FIGURES_PERIOD_MS, figures_tick, f);
	return f;
}

void
figures_free(struct figures *f)
{
	if (f == NULL)
		return;
	loop_timer_cancel(f->timer);
	channel_free(f->channel);
	json_decref(f->doc);
	free(f);
}

struct channel *
figures_channel(struct figures *f)
{
	return f->channel;
}
