/*
 * The players of a battle and the stations of the crewed ship they hold.
 * The engine keeps them because both "is this station yours?" and what a
 * projection shows depend on them; tokens and join codes are the API's.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "game/state.h"

static int
check_station(enum station station, struct refusal *why)
{
	if ((int)station < 0 || station >= STATION_COUNT)
		return refuse(why, REFUSAL_UNKNOWN_STATION,
		    "there is no such station; use captain, pilot, gunner, "
		    "engineer or sensors");
	return 0;
}

int
crew_player_add(struct battle *b, const char *name, int *id,
    struct refusal *why)
{
	struct player *p;
	json_t *utf8;
	size_t len;
	int rc;

	if ((rc = battle_check_not_ended(b, why)) < 0)
		return rc;
	len = name != NULL ? strlen(name) : 0;
	if (len == 0)
		return refuse(why, REFUSAL_MALFORMED,
		    "a player needs a name");
	if (len > PLAYER_NAME_MAX)
		return refuse(why, REFUSAL_TEXT_TOO_LONG,
		    "a player's name is at most %d bytes", PLAYER_NAME_MAX);
	if ((utf8 = json_string(name)) == NULL)
		return refuse(why, REFUSAL_MALFORMED,
		    "a player's name must be valid UTF-8");
	json_decref(utf8);
	if (b->nplayers >= b->limits.max_players)
		return refuse(why, REFUSAL_TOO_MANY_PLAYERS,
		    "the battle already has %d players, its limit",
		    b->limits.max_players);
	p = &b->players[b->nplayers++];
	p->id = b->next_player_id++;
	p->name = xstrdup(name);
	p->skill = 1;
	if (id != NULL)
		*id = p->id;
	return 0;
}

static int
find_player(const struct battle *b, int player, struct player **out,
    struct refusal *why)
{
	if ((*out = battle_player(b, player)) == NULL)
		return refuse(why, REFUSAL_NO_SUCH_PLAYER,
		    "there is no player %d in this battle", player);
	return 0;
}

int
crew_player_remove(struct battle *b, const struct actor *who, int player,
    struct refusal *why)
{
	struct player *p;
	int i, rc;

	if (!(who->role == ACTOR_PLAYER && who->player == player) &&
	    (rc = battle_check_gm(who, why)) < 0)
		return rc;
	if ((rc = find_player(b, player, &p, why)) < 0)
		return rc;
	for (i = 0; i < STATION_COUNT; i++)
		if (b->holder[i] == player)
			b->holder[i] = 0;
	free(p->name);
	i = (int)(p - b->players);
	memmove(p, p + 1, (size_t)(b->nplayers - i - 1) * sizeof *p);
	b->nplayers--;
	return 0;
}

int
crew_set_skill(struct battle *b, const struct actor *who, int player,
    int skill, struct refusal *why)
{
	struct player *p;
	int rc;

	if ((rc = battle_check_gm(who, why)) < 0 ||
	    (rc = find_player(b, player, &p, why)) < 0)
		return rc;
	if (skill < 0 || skill > SKILL_MAX)
		return refuse(why, REFUSAL_OUT_OF_BOUNDS,
		    "skill must be between 0 and %d", SKILL_MAX);
	p->skill = skill;
	return 0;
}

int
crew_assign(struct battle *b, const struct actor *who, int player,
    enum station station, struct refusal *why)
{
	struct player *p;
	int rc;

	if (who->role != ACTOR_GM) {
		if (who->role == ACTOR_SPECTATOR)
			return battle_check_gm(who, why);
		if (who->player != player)
			return refuse(why, REFUSAL_GM_ONLY,
			    "only the GM may give a station to another "
			    "player");
	}
	if ((rc = battle_check_not_ended(b, why)) < 0 ||
	    (rc = check_station(station, why)) < 0 ||
	    (rc = find_player(b, player, &p, why)) < 0)
		return rc;
	if (who->role != ACTOR_GM && b->holder[station] != 0 &&
	    b->holder[station] != player)
		return refuse(why, REFUSAL_STATION_TAKEN,
		    "the %s station is held by another player; pick a free "
		    "one", station_name(station));
	b->holder[station] = player;
	return 0;
}

int
crew_release(struct battle *b, const struct actor *who,
    enum station station, struct refusal *why)
{
	int rc;

	if ((rc = check_station(station, why)) < 0)
		return rc;
	if (who->role == ACTOR_SPECTATOR)
		return battle_check_gm(who, why);
	if (who->role == ACTOR_PLAYER && b->holder[station] != 0 &&
	    b->holder[station] != who->player)
		return refuse(why, REFUSAL_STATION_NOT_YOURS,
		    "the %s station is not yours to give up",
		    station_name(station));
	if ((rc = battle_check_not_ended(b, why)) < 0)
		return rc;
	b->holder[station] = 0;
	return 0;
}

int
crew_holder(const struct battle *b, enum station station)
{
	if ((int)station < 0 || station >= STATION_COUNT)
		return 0;
	return b->holder[station];
}

const char *
crew_player_name(const struct battle *b, int player)
{
	struct player *p = battle_player(b, player);

	return p != NULL ? p->name : NULL;
}

int
crew_player_skill(const struct battle *b, int player)
{
	struct player *p = battle_player(b, player);

	return p != NULL ? p->skill : -1;
}

int
crew_player_count(const struct battle *b)
{
	return b->nplayers;
}
