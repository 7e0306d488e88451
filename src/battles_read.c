/*
 * What readers of the live battles see: the committed state only
 * (battles_impl.h says why), as the engine projects it for each viewer,
 * through GET, the event stream's source, and log reads queued on the
 * storage thread behind the battle's pending writes.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"
#include "battles_impl.h"
#include "buf.h"
#include "persist.h"
#include "request.h"
#include "store.h"
#include "stream.h"

const struct battle *
live_battle_game(const struct live_battle *lb)
{
	return lb->committed;
}

/* What viewer sees of lb in the engine state b (one of lb's). */
static json_t *
battle_document(const struct live_battle *lb, const struct battle *b,
    enum viewer viewer)
{
	json_t *doc = view_battle(b, viewer);

	json_object_set_new(doc, "id", json_string(lb->id));
	json_object_set_new(doc, "name", json_string(lb->name));
	if (viewer == VIEWER_GM)
		json_object_set_new(doc, "join_code",
		    json_string(lb->join_code));
	return doc;
}

json_t *
live_battle_document(const struct live_battle *lb, enum viewer viewer)
{
	return battle_document(lb, lb->committed, viewer);
}

const char *
live_battle_document_text(struct live_battle *lb, enum viewer viewer,
    size_t *len)
{
	if (lb->document[viewer] == NULL) {
		json_t *doc = live_battle_document(lb, viewer);

		lb->document[viewer] = response_json_render(doc,
		    &lb->document_len[viewer]);
		json_decref(doc);
	}
	*len = lb->document_len[viewer];
	return lb->document[viewer];
}

void
live_battle_forget_documents(struct live_battle *lb)
{
	for (int v = 0; v < VIEWER_COUNT; v++) {
		free(lb->document[v]);
		lb->document[v] = NULL;
	}
}

void
live_battle_state_hash(const struct live_battle *lb, char out[17])
{
	snprintf(out, 17, "%016" PRIx64, codec_hash(lb->committed));
}

struct channel *
live_battle_channel(const struct live_battle *lb)
{
	return lb->channel;
}

/* ---- the event stream's source ----------------------------------------------- */

/* The document as the event stream last published it (stream.h). */
static json_t *
source_document(void *arg, enum viewer viewer)
{
	const struct live_battle *lb = arg;

	return battle_document(lb, lb->published, viewer);
}

static json_t *
source_log_entry(void *arg, enum viewer viewer, const json_t *entry)
{
	const struct live_battle *lb = arg;

	return view_log_entry(lb->committed, viewer, entry);
}

/*
 * What changed for the event stream since its last publish: each view's
 * patch between the state then (lb->published) and the committed one,
 * which becomes the state then.  The id, name and join code never change.
 */
static void
source_patches(void *arg, unsigned views, json_t *patch[VIEWER_COUNT])
{
	struct live_battle *lb = arg;

	for (int v = 0; v < VIEWER_COUNT; v++)
		if (views & (1u << v))
			patch[v] = view_battle_patch(lb->published,
			    lb->committed, (enum viewer)v);
	battle_free(lb->published);
	lb->published = battle_copy(lb->committed);
}

void
live_battle_open(struct live_battle *lb)
{
	struct channel_source src = {
		.document = source_document,
		.log_entry = source_log_entry,
		.patches = source_patches,
		.arg = lb,
	};

	lb->committed = battle_copy(lb->working);
	live_battle_forget_documents(lb);
	lb->published = battle_copy(lb->working);
	/* Ids under the lease epoch: new at every take (doc/design.md). */
	if (lb->reg->stream != NULL)
		lb->channel = channel_new(lb->reg->stream, lb->id,
		    lb->lease_epoch, &src);
}

/* ---- reading the log through the storage thread ---------------------------- */

struct log_read {
	char id[BATTLE_ID_LEN + 1];
	int64_t after;
	int limit;
	int status;
	struct persist_log_entry *entries;
	size_t n;
	const struct live_battle *lb;
	enum viewer viewer;
	battles_read_fn done;
	void *arg;
};

static int
log_read_apply(struct store_conn *conn, void *arg)
{
	struct log_read *r = arg;

	r->status = persist_read_log(conn, r->id, r->after, r->limit,
	    r->viewer != VIEWER_GM, &r->entries, &r->n);
	return 0;
}

/*
 * The crew's copy of an entry stored without one (before schema version
 * 3), from the GM's, read against the battle as it stands; NULL if the
 * stored text does not parse.
 */
static char *
log_entry_for(const struct log_read *r, const char *full)
{
	json_t *e = json_loads(full, 0, NULL), *v;
	char *text;

	if (e == NULL)
		return NULL;
	v = view_log_entry(r->lb->committed, r->viewer, e);
	text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(v);
	json_decref(e);
	return text;
}

static void
log_read_done(void *arg, int status)
{
	struct log_read *r = arg;
	struct battles_log_page page = { 0 };
	struct buf b;
	char *text;
	int remade;

	if (status == 0)
		status = r->status;
	/*
	 * The stored texts joined, not parsed and dumped again.  The battle
	 * is still here for an entry that needs it: its deletion, if any,
	 * is a write queued after this read.
	 */
	buf_init(&b, SIZE_MAX);
	buf_append(&b, "[", 1);
	for (size_t i = 0; status == 0 && i < r->n; i++) {
		const struct persist_log_entry *e = &r->entries[i];

		remade = e->full && r->viewer != VIEWER_GM;
		text = remade ? log_entry_for(r, e->text) : NULL;
		if (remade && text == NULL)
			continue;
		if (page.count++ > 0)
			buf_append(&b, ",", 1);
		buf_append_str(&b, text != NULL ? text : e->text);
		page.last = e->seq;
		free(text);
	}
	buf_append(&b, "]", 1);
	page.entries = b.data;
	page.len = b.len;
	r->done(r->arg, status, &page);
	buf_free(&b);
	persist_log_entries_free(r->entries, r->n);
	free(r);
}

/*
 * The read is an item on the store's queue like a write, so it sees every
 * write submitted before it, and only committed ones.
 */
void
live_battle_read_log(struct live_battle *lb, enum viewer viewer,
    int64_t after, int limit, battles_read_fn done, void *arg)
{
	struct log_read *r = xcalloc(1, sizeof(*r));

	r->lb = lb;
	r->viewer = viewer;
	snprintf(r->id, sizeof(r->id), "%s", lb->id);
	r->after = after;
	r->limit = limit;
	r->done = done;
	r->arg = arg;
	store_submit(lb->reg->store, log_read_apply, log_read_done, r);
}
