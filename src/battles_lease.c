/*
 * Battle leases (doc/design.md, "Battle leases"): which node serves a
 * battle when several daemons share one PostgreSQL store.
 *
 * A battle is served by the node holding its lease (battles.owner, until
 * battles.lease_expires on the store's clock); every take adds one to
 * battles.lease_epoch.  Every write carries the epoch it was made under
 * and is refused in its own transaction when the battle is no longer
 * ours at that epoch (persist_write_lease(), the fence), so a node that
 * was paused past its lease can never write over the new owner.
 *
 * On PostgreSQL the take, the renewal and the release run on the loop
 * thread on a connection of their own (the storage thread's commits
 * writes); a take blocks the loop once per battle and node.  Renewal
 * runs every quarter of the lease; a node whose last confirmed renewal
 * began more than half a lease ago stops serving every battle (it could
 * expire elsewhere before we hear of it) and takes them again when asked.
 *
 * On SQLite (one daemon, under the file's flock) battles_restore() takes
 * every lease at start-up and nothing here runs afterwards.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "battles_impl.h"
#include "error.h"
#include "log.h"
#include "loop.h"
#include "persist.h"
#include "store_pg.h"
#include "stream.h"

#define LEASE_TTL_DEFAULT_MS 10000

void
lease_init(struct battles *reg)
{
	const char *port;
	char host[64];

	if (reg->opts.lease_ttl_ms <= 0)
		reg->opts.lease_ttl_ms = LEASE_TTL_DEFAULT_MS;
	if (reg->opts.node_id != NULL && reg->opts.node_id[0] != '\0') {
		snprintf(reg->node_id, sizeof(reg->node_id), "%s",
		    reg->opts.node_id);
		return;
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	/*
	 * hostname:port names the same daemon across its restarts (it takes
	 * its battles back at once after a crash) and no other daemon of the
	 * machine; with an ephemeral port, the process is all there is.
	 */
	port = reg->opts.listen != NULL ? strrchr(reg->opts.listen, ':') :
	    NULL;
	if (port != NULL && port[1] != '\0' && strcmp(port, ":0") != 0 &&
	    strspn(port + 1, "0123456789") == strlen(port + 1))
		snprintf(reg->node_id, sizeof(reg->node_id), "%s%s", host,
		    port);
	else
		snprintf(reg->node_id, sizeof(reg->node_id), "%s:%ld", host,
		    (long)getpid());
}

void
battle_drop(struct live_battle *lb)
{
	if (lb->deleting)
		return;
	lb->deleting = 1;
	loop_timer_cancel(lb->round_timer);
	lb->round_timer = NULL;
	/* Its streams come back in a second, to whoever serves it then. */
	channel_send_off(lb->channel);
	channel_free(lb->channel);
	lb->channel = NULL;
	phase_gauge(lb->reg, battle_phase(lb->working), -1);
}

void
battle_lose(struct live_battle *lb)
{
	if (lb->deleting)
		return;
	log_warn("battle %s: its lease (epoch %lld) is no longer ours; "
	    "another node serves it", lb->id, (long long)lb->lease_epoch);
	battle_drop(lb);
}

/* Frees a dropped battle unless a write of it is still pending. */
static void
battle_free_idle(struct live_battle *lb)
{
	if (lb->deleting && lb->pending == 0) {
		registry_remove(lb->reg, lb);
		live_battle_free(lb);
	}
}

/* Every battle we serve, lost at once (self-fencing by time). */
static void
lease_lose_all(struct battles *reg)
{
	struct live_battle *lb, *next;

	for (lb = reg->first; lb != NULL; lb = next) {
		next = lb->next;
		battle_lose(lb);
		battle_free_idle(lb);
	}
}

/* The battles we serve, their ids and epochs (arrays of n; free both). */
static size_t
lease_held(struct battles *reg, struct live_battle ***lbs, int64_t **epochs,
    const char ***ids)
{
	size_t n = 0;

	*lbs = xcalloc(reg->count + 1, sizeof(**lbs));
	*epochs = xcalloc(reg->count + 1, sizeof(**epochs));
	*ids = xcalloc(reg->count + 1, sizeof(**ids));
	for (struct live_battle *lb = reg->first; lb != NULL; lb = lb->next) {
		/* A battle being created is nobody's (battles_impl.h). */
		if (lb->deleting || lb->unheld)
			continue;
		(*lbs)[n] = lb;
		(*epochs)[n] = lb->lease_epoch;
		(*ids)[n] = lb->id;
		n++;
	}
	return n;
}

/*
 * Renews every lease we hold; a battle whose renewal matched nothing is
 * lost.  On a failure, past half a lease since the last confirmed one,
 * every battle is given up.  Returns 0 or BS_ERR_IO.
 */
static int
lease_renew(struct battles *reg)
{
	struct live_battle **lbs;
	int64_t *epochs;
	const char **ids;
	uint64_t t0 = loop_clock_us();
	size_t n = lease_held(reg, &lbs, &epochs, &ids);
	int *kept = xcalloc(n + 1, sizeof(*kept));
	int rv = BS_ERR_IO;

	if (store_conn_ready(reg->lease_conn) == 0)
		rv = persist_lease_renew(reg->lease_conn, reg->node_id,
		    reg->opts.lease_ttl_ms, ids, epochs, n, kept);
	if (rv == 0) {
		reg->lease_ok_us = t0;
		for (size_t i = 0; i < n; i++) {
			lbs[i]->wanted = kept[i] == 2;
			if (!kept[i]) {
				battle_lose(lbs[i]);
				battle_free_idle(lbs[i]);
			}
		}
	} else if (t0 - reg->lease_ok_us >
	    (uint64_t)reg->opts.lease_ttl_ms * 1000 / 2) {
		if (n > 0)
			log_error("leases: not renewed for %llu ms; serving no "
			    "battle until the store answers", (unsigned long
			    long)((t0 - reg->lease_ok_us) / 1000));
		lease_lose_all(reg);
	}
	free(kept);
	free(lbs);
	free(epochs);
	free(ids);
	return rv;
}

/*
 * Whether a battle we hold should go to the node that is asked for it.
 * Behind a balancer that routes by battle id, a node holds a battle the
 * balancer now routes elsewhere when nodes joined or left meanwhile: its
 * requests go to the other node, which answers 503 and can never take it
 * while we renew it.  So a battle goes when nothing about it reached us
 * for a whole lease (no request, no event stream, no write), or when
 * another node is asked for it and nobody wrote to it here for half a
 * lease (event streams that joined us before the balancer changed its
 * mind keep coming here, but the writes go there).
 */
static int
lease_should_go(const struct live_battle *lb, uint64_t now)
{
	uint64_t lease_us = (uint64_t)lb->reg->opts.lease_ttl_ms * 1000;

	if (lb->deleting || lb->unheld || lb->pending > 0)
		return 0;
	if (lb->wanted && now - lb->written_us >= lease_us / 2)
		return 1;
	return channel_subscribers(lb->channel) == 0 &&
	    now - lb->asked_us >= lease_us;
}

/* Releases every battle lease_should_go() gives up; its streams retry. */
static void
lease_hand_off(struct battles *reg)
{
	struct live_battle *lb, *next;
	uint64_t now = loop_clock_us();

	for (lb = reg->first; lb != NULL; lb = next) {
		const char *id = lb->id;
		int64_t epoch = lb->lease_epoch;

		next = lb->next;
		if (!lease_should_go(lb, now))
			continue;
		if (store_conn_ready(reg->lease_conn) != 0 ||
		    persist_lease_release(reg->lease_conn, reg->node_id,
		    &id, &epoch, 1) != 0)
			return;
		log_info("battle %s: %s; released", lb->id, lb->wanted ?
		    "asked for at another node, not written to here" :
		    "not asked for here in a lease");
		battle_drop(lb);
		battle_free_idle(lb);
	}
}

static int64_t
lease_tick(struct loop *loop, void *arg)
{
	struct battles *reg = arg;

	(void)loop;
	if (lease_renew(reg) == 0)
		lease_hand_off(reg);
	return reg->opts.lease_ttl_ms / 4;
}

void
lease_start(struct battles *reg)
{
	reg->lease_ok_us = loop_clock_us();
	reg->lease_timer = loop_timer_add(reg->loop, reg->opts.lease_ttl_ms / 4,
	    lease_tick, reg);
}

/* Battle ids are BATTLE_ID_LEN of [A-Za-z0-9]: nothing else is asked. */
static int
id_well_formed(const char *id)
{
	size_t n = strlen(id);

	if (n != BATTLE_ID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9')))
			return 0;
	return 1;
}

int
battles_lookup(struct battles *reg, const char *id, struct live_battle **lb)
{
	int64_t epoch;
	int rv;

	*lb = NULL;
	if (reg->lease_conn != NULL && loop_clock_us() - reg->lease_ok_us >
	    (uint64_t)reg->opts.lease_ttl_ms * 1000 / 2)
		/* Paused, or the store was away: are they still ours? */
		lease_renew(reg);
	/*
	 * A battle whose write failed (the store went away) is ahead of
	 * the store in memory; once nothing of it is pending, it is
	 * reloaded from what was committed, under a new epoch, instead of
	 * refusing changes until a restart.
	 */
	if ((*lb = battles_find(reg, id)) != NULL && (*lb)->broken &&
	    (*lb)->pending == 0 && reg->lease_conn != NULL &&
	    store_conn_ready(reg->lease_conn) == 0) {
		log_info("battle %s: reloading it from the store after a "
		    "failed write", id);
		battle_drop(*lb);
		battle_free_idle(*lb);
		*lb = NULL;
	}
	if (*lb != NULL) {
		(*lb)->asked_us = loop_clock_us();
		return 0;
	}
	if (reg->lease_conn == NULL || !id_well_formed(id))
		return BS_ERR_NOT_FOUND;
	if (loop_clock_us() - reg->lease_ok_us >
	    (uint64_t)reg->opts.lease_ttl_ms * 1000 / 2)
		return BS_ERR_IO;	/* self-fenced: take nothing new */
	if (store_conn_ready(reg->lease_conn) != 0)
		return BS_ERR_IO;
	rv = persist_lease_take(reg->lease_conn, id, reg->node_id,
	    reg->opts.lease_ttl_ms, &epoch);
	if (rv != 0)
		return rv;
	if ((rv = battle_restore_one(reg, reg->lease_conn, id, epoch)) != 0)
		return rv == BS_ERR_NOT_FOUND ? rv : BS_ERR_IO;
	log_info("battle %s: taken (epoch %lld)", id, (long long)epoch);
	*lb = battles_find(reg, id);
	return *lb != NULL ? 0 : BS_ERR_IO;
}

void
battles_release(struct battles *reg)
{
	struct live_battle **lbs;
	int64_t *epochs;
	const char **ids;
	size_t n;

	if (reg == NULL || reg->lease_conn == NULL)
		return;
	loop_timer_cancel(reg->lease_timer);
	reg->lease_timer = NULL;
	n = lease_held(reg, &lbs, &epochs, &ids);
	/* The store may have come back during a backoff: ask it now. */
	if (store_conn_ready_now(reg->lease_conn) == 0 &&
	    persist_lease_release(reg->lease_conn, reg->node_id, ids, epochs,
	    n) == 0)
		log_info("leases: released %zu battles", n);
	else
		log_warn("leases: cannot release %zu battles; they are taken "
		    "elsewhere when their leases expire", n);
	free(lbs);
	free(epochs);
	free(ids);
	store_conn_close(reg->lease_conn);
	reg->lease_conn = NULL;
}

int
battles_asks_store(struct battles *reg, const char *id)
{
	return reg->lease_conn != NULL && battles_find(reg, id) == NULL;
}

const char *
battles_node_id(const struct battles *reg)
{
	return reg->node_id;
}

struct elsewhere {
	struct battles *reg;
	void (*fn)(void *arg, const struct persist_summary *s);
	void *arg;
};

static void
elsewhere_one(void *arg, const struct persist_summary *s)
{
	struct elsewhere *e = arg;

	if (battles_find(e->reg, s->id) == NULL)
		e->fn(e->arg, s);
}

int
battles_foreach_elsewhere(struct battles *reg,
    void (*fn)(void *arg, const struct persist_summary *s), void *arg)
{
	struct elsewhere e = { reg, fn, arg };

	if (reg->lease_conn == NULL)
		return 0;
	if (store_conn_ready(reg->lease_conn) != 0)
		return BS_ERR_IO;
	return persist_battle_list(reg->lease_conn, elsewhere_one, &e);
}
