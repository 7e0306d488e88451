/*
 * The members of the live battles: joining with the join code, as a
 * player (an engine action, recorded through the one record path of
 * battles_write.c) or as a spectator (a member only: the engine does not
 * know spectators), and telling who a token belongs to.  Only the hash of
 * a member's token is kept.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "battles_impl.h"
#include "error.h"
#include "persist.h"

void
member_add(struct live_battle *lb, int id, enum actor_role role,
    const unsigned char hash[TOKEN_HASH_LEN])
{
	struct member *m;

	lb->members = xreallocarray(lb->members, lb->nmembers + 1,
	    sizeof(*lb->members));
	m = &lb->members[lb->nmembers++];
	m->id = id;
	m->role = role;
	memcpy(m->hash, hash, TOKEN_HASH_LEN);
	if (role == ACTOR_SPECTATOR)
		lb->nspectators++;
}

/* Compares join codes in constant time, ignoring case. */
static int
join_code_ok(const struct live_battle *lb, const char *code)
{
	char upper[JOIN_CODE_LEN];
	size_t len = strlen(code);

	/* Only the first JOIN_CODE_LEN bytes are looked at; length decides. */
	for (size_t i = 0; i < JOIN_CODE_LEN; i++) {
		char c = i < len ? code[i] : '\0';

		upper[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
	}
	return len == JOIN_CODE_LEN && token_equal(upper, JOIN_CODE_LEN,
	    lb->join_code, JOIN_CODE_LEN);
}

/* A spectator changes no engine state: only a member record. */
static int
join_spectator(struct live_battle *lb, const char *name,
    const unsigned char hash[TOKEN_HASH_LEN], int *member,
    struct refusal *why, battles_done_fn done, void *arg)
{
	struct persist_write *w;
	int id;

	if (!battle_spectators_allowed(lb->working)) {
		why->code = REFUSAL_SPECTATOR;
		snprintf(why->text, sizeof(why->text), "The GM does not allow "
		    "spectators in this battle.");
		return BS_ERR_DENIED;
	}
	if (lb->nspectators >= (size_t)lb->reg->opts.max_spectators) {
		why->code = REFUSAL_NONE;
		snprintf(why->text, sizeof(why->text), "This battle already "
		    "has its limit of %d spectators.",
		    lb->reg->opts.max_spectators);
		return BS_ERR_LIMIT;
	}
	id = -(int)lb->nspectators - 1;
	for (size_t i = 0; i < lb->nmembers; i++)
		if (lb->members[i].id <= id)
			id = lb->members[i].id - 1;
	member_add(lb, id, ACTOR_SPECTATOR, hash);
	lb->last_change = battles_wall_ms();	/* a join keeps a lobby alive */
	w = persist_write_new(lb->id);
	persist_write_member(w, id, name, "spectator", hash,
	    battles_wall_ms());
	*member = id;	/* before the submit hook, which may read it */
	battle_submit(lb, w, done, arg, NULL);
	return 0;
}

/*
 * A player joins through the engine (ACTION_JOIN gives the id), then is
 * recorded as the player it became ("player:N", as replay reads it), with
 * its member record in the same write.
 */
static int
join_player(struct live_battle *lb, const char *name,
    const unsigned char hash[TOKEN_HASH_LEN], int *member,
    struct refusal *why, battles_done_fn done, void *arg)
{
	struct actor nobody = { .role = ACTOR_SPECTATOR };
	struct battle_change c;
	struct persist_write *w;
	json_t *body;
	int rv;

	body = json_pack("{s:s}", "name", name);
	rv = battle_change_apply(lb, &c, ACTION_JOIN, &nobody, body, why);
	if (rv != 0) {
		json_decref(body);
		return rv;
	}
	*member = (int)json_integer_value(json_object_get(c.result,
	    "player"));
	c.who.role = ACTOR_PLAYER;
	c.who.player = *member;
	member_add(lb, *member, ACTOR_PLAYER, hash);
	w = persist_write_new(lb->id);
	persist_write_member(w, *member, name, "player", hash,
	    battles_wall_ms());
	battle_change_record(lb, &c, w, done, arg);
	json_decref(body);
	return 0;
}

int
live_battle_join(struct live_battle *lb, const char *join_code,
    const char *name, int spectator, char token[TOKEN_LEN + 1], int *member,
    struct refusal *why, battles_done_fn done, void *arg)
{
	unsigned char hash[TOKEN_HASH_LEN];
	int rv;

	if ((rv = battle_refuse_state(lb, why)) != 0)
		return rv;
	if (!join_code_ok(lb, join_code)) {
		why->code = REFUSAL_NONE;
		snprintf(why->text, sizeof(why->text), "That join code is not "
		    "this battle's; ask your GM for the code.");
		return BS_ERR_DENIED;
	}
	if (token_new(token) != 0)
		return BS_ERR_IO;
	token_hash(token, hash);
	if (spectator)
		return join_spectator(lb, name, hash, member, why, done, arg);
	return join_player(lb, name, hash, member, why, done, arg);
}

size_t
live_battle_spectators(const struct live_battle *lb)
{
	return lb->nspectators;
}

int
live_battle_authenticate(const struct live_battle *lb, const char *token,
    struct actor *who)
{
	unsigned char hash[TOKEN_HASH_LEN];

	token_hash(token, hash);
	return live_battle_authenticate_hash(lb, hash, who);
}

int
live_battle_authenticate_hash(const struct live_battle *lb,
    const unsigned char hash[TOKEN_HASH_LEN], struct actor *who)
{
	int found = 0;

	if (token_hash_equal(hash, lb->gm_hash)) {
		who->role = ACTOR_GM;
		who->player = 0;
		found = 1;
	}
	/* Every member is compared, so timing says nothing of which. */
	for (size_t i = 0; i < lb->nmembers; i++) {
		if (token_hash_equal(hash, lb->members[i].hash) && !found) {
			who->role = lb->members[i].role;
			who->player = lb->members[i].id;
			found = 1;
		}
	}
	return found ? 0 : BS_ERR_DENIED;
}

int
battles_token_known(const struct battles *reg, const char *token)
{
	unsigned char hash[TOKEN_HASH_LEN];

	token_hash(token, hash);
	return battles_hash_known(reg, hash);
}

/* One hash, then a compare per member: never a hash per battle. */
int
battles_hash_known(const struct battles *reg,
    const unsigned char hash[TOKEN_HASH_LEN])
{
	struct actor who;

	for (struct live_battle *lb = reg->first; lb != NULL; lb = lb->next)
		if (!lb->deleting && live_battle_authenticate_hash(lb, hash,
		    &who) == 0)
			return 1;
	return 0;
}
