/*
 * The expiry of idle battles (broadsided(8), --lobby-ttl and --ended-ttl):
 * a loop timer deletes the lobbies nobody joined or edited for a while
 * and the ended battles nobody touched since, so that abandoned battles
 * do not hold --max-battles for good.  A deleted battle goes as the GM's
 * DELETE makes it go: from lookups at once, from the store with its
 * commit, with its idempotency keys.
 */
#include "config.h"

#include "api/api.h"
#include "battles.h"
#include "conf.h"
#include "idempotency.h"
#include "log.h"

#define EXPIRY_MIN_INTERVAL_MS 1000
#define EXPIRY_MAX_INTERVAL_MS (60 * 1000)

int64_t
api_expiry_interval_ms(const struct config *cfg)
{
	int64_t ttl = 0, ms;

	if (cfg->lobby_ttl_s > 0)
		ttl = cfg->lobby_ttl_s;
	if (cfg->ended_ttl_s > 0 && (ttl == 0 || cfg->ended_ttl_s < ttl))
		ttl = cfg->ended_ttl_s;
	/*
	 * A tenth of the shorter ttl, so that a battle outlives its time by
	 * a tenth at most; at least a second apart, at most a minute.
	 */
	ms = ttl * 100;
	if (ms < EXPIRY_MIN_INTERVAL_MS)
		ms = EXPIRY_MIN_INTERVAL_MS;
	if (ttl == 0 || ms > EXPIRY_MAX_INTERVAL_MS)
		ms = EXPIRY_MAX_INTERVAL_MS;
	return ms;
}

static void
expire_one(struct live_battle *lb, void *arg)
{
	const struct api_ctx *api = arg;
	int lobby = battle_phase(live_battle_game(lb)) == PHASE_LOBBY;

	log_info("battle %s: deleted: %s for %d s (--%s-ttl)",
	    live_battle_id(lb), lobby ? "a lobby with no join or change" :
	    "ended, with no change", lobby ? api->cfg->lobby_ttl_s :
	    api->cfg->ended_ttl_s, lobby ? "lobby" : "ended");
	if (api->idempotency != NULL)
		idempotency_forget_battle(api->idempotency,
		    live_battle_id(lb));
	live_battle_delete(lb, NULL, NULL);
}

int64_t
api_battles_sweep(struct loop *loop, void *arg)
{
	const struct api_ctx *api = arg;
	const struct config *cfg = api->cfg;

	battles_foreach_expired(api->battles, battles_wall_ms(),
	    (int64_t)cfg->lobby_ttl_s * 1000, (int64_t)cfg->ended_ttl_s * 1000,
	    expire_one, (void *)api);
	return api_expiry_interval_ms(cfg);
}
