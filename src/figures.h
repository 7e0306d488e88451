/*
 * The dashboard's figures: one document of the server's metrics and of
 * its battles, kept on an event-stream channel of its own and published
 * once a second while somebody watches.  The dashboard reads it live
 * (GET /metrics/events) through the same snapshot + merge-patch machinery
 * as a battle (stream.h), so that only what changed travels, and a
 * dashboard that drops resumes like any other stream.
 *
 * The document:
 *   {"metrics": metrics_json() of the registry,
 *    "battles": {"ID": {"name", "phase", "round", "streams", "online":
 *                {"gm", "players", "spectators"}, "state_bytes",
 *                "last_change"}}}
 *
 * Loop thread only.
 */
#ifndef BROADSIDE_FIGURES_H
#define BROADSIDE_FIGURES_H

#include <stdint.h>

struct battles;
struct channel;
struct figures;
struct loop;
struct metrics;
struct stream;

/* How often the figures are published, in milliseconds. */
#define FIGURES_PERIOD_MS 1000

/*
 * Starts the figures' channel (event ids carry epoch) and its timer.  The
 * registry, the battles and the stream are borrowed and must outlive it.
 */
struct figures *figures_new(struct loop *loop, struct stream *stream,
    struct metrics *metrics, struct battles *battles, int64_t epoch);

/* Closes the channel's subscribers and frees it all.  NULL: no-op. */
void figures_free(struct figures *f);

/* The channel a dashboard subscribes to. */
struct channel *figures_channel(struct figures *f);

#endif
