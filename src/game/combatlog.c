/*
 * Combat-log entries: numbering them, naming the ships in them, and the
 * one line of English each carries.  The text is always rebuilt from the
 * entry's structured fields, so the redacted copy a crew viewer gets
 * (view.c) reads right with the hidden fields gone: no dice, no armor, or
 * "an unknown ship" where a name was.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "game/state.h"

#define LINE_MAX_BYTES	4096

struct line {
	char	buf[LINE_MAX_BYTES];
	size_t	len;
};

static void line_add(struct line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof l->buf - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof l->buf - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n;
	if (l->len >= sizeof l->buf)
		l->len = sizeof l->buf - 1;
}

json_t *
combatlog_new(struct battle *b, const char *kind)
{
	return json_pack("{s:I, s:i, s:s}", "seq", (json_int_t)b->next_seq++,
	    "round", b->round, "kind", kind);
}

void
combatlog_finish(json_t *log, json_t *entry)
{
	combatlog_set_text(entry);
	if (log != NULL)
		json_array_append_new(log, entry);
	else
		json_decref(entry);
}

void
combatlog_ship(json_t *entry, const char *role, const struct ship *s)
{
	char key[32];

	json_object_set_new(entry, role, json_integer(s->id));
	snprintf(key, sizeof key, "%s_side", role);
	json_object_set_new(entry, key, json_string(side_name(s->side)));
	snprintf(key, sizeof key, "%s_name", role);
	json_object_set_new(entry, key, json_string(s->name));
}

static int
get_int(const json_t *o, const char *key)
{
	return (int)json_integer_value(json_object_get(o, key));
}

static bool
has(const json_t *o, const char *key)
{
	return json_object_get(o, key) != NULL;
}

/* A string field, "" when absent, so that any entry can be read. */
static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* A ship's name in an entry, or "an unknown ship" once redacted. */
static const char *
name_of(const json_t *o, const char *key)
{
	const char *name = json_string_value(json_object_get(o, key));

	return name != NULL ? name : "an unknown ship";
}

/* "rolled 9 +1 skill +2 lock -1 range = 11 vs 8" */
static void
add_roll(struct line *l, const json_t *e)
{
	json_t *dice = json_object_get(e, "dice"), *m;
	size_t i;
	int sum = 0;

	json_array_foreach(dice, i, m)
		sum += (int)json_integer_value(m);
	line_add(l, "rolled %d", sum);
	json_array_foreach(json_object_get(e, "modifiers"), i, m)
		line_add(l, " %+d %s", get_int(m, "value"),
		    str(m, "name"));
	line_add(l, " = %d", get_int(e, "total"));
	if (has(e, "need"))
		line_add(l, " vs %d", get_int(e, "need"));
}

static void
text_attack(struct line *l, const json_t *e)
{
	const char *target = name_of(e, "target_name");

	line_add(l, "%s fires", name_of(e, "actor_name"));
	if (has(e, "weapon_type"))
		line_add(l, " %s", str(e, "weapon_type"));
	line_add(l, " at %s: ", target);
	if (has(e, "dice")) {
		add_roll(l, e);
		line_add(l, ": ");
	}
	if (!json_is_true(json_object_get(e, "hit"))) {
		line_add(l, "miss");
		return;
	}
	line_add(l, "hit");
	if (has(e, "effect"))
		line_add(l, ", effect %d", get_int(e, "effect"));
	if (has(e, "damage_roll") && has(e, "armor"))
		line_add(l, ", damage %d - armor %d = %d",
		    get_int(e, "damage_roll"), get_int(e, "armor"),
		    get_int(e, "damage"));
	else if (has(e, "damage_roll"))
		line_add(l, ", damage %d before armor",
		    get_int(e, "damage_roll"));
	else if (has(e, "damage"))
		line_add(l, ", %d damage", get_int(e, "damage"));
	if (has(e, "system"))
		line_add(l, "; %s's %s damaged", target,
		    str(e, "system"));
	if (json_is_true(json_object_get(e, "destroyed")))
		line_add(l, "; %s destroyed", target);
}

static void
text_no_fire(struct line *l, const json_t *e)
{
	const char *reason = str(e, "reason");
	const char *actor = name_of(e, "actor_name");

	if (strcmp(reason, "destroyed") == 0)
		line_add(l, "%s is destroyed before it can fire", actor);
	else if (strcmp(reason, "out_of_range") == 0)
		line_add(l, "%s cannot reach %s (%d units): shot lost", actor,
		    name_of(e, "target_name"), get_int(e, "distance"));
	else if (strcmp(reason, "target_destroyed") == 0)
		line_add(l, "%s holds fire: %s is already destroyed", actor,
		    name_of(e, "target_name"));
	else if (strcmp(reason, "out_of_ammo") == 0)
		line_add(l, "%s holds fire: no salvos left", actor);
	else if (strcmp(reason, "held") == 0)
		line_add(l, "%s holds fire", actor);
	else
		line_add(l, "%s holds fire: target lost", actor);
}

static void
text_initiative(struct line *l, const json_t *e)
{
	json_t *s;
	size_t i;

	line_add(l, "initiative:");
	json_array_foreach(json_object_get(e, "ships"), i, s) {
		line_add(l, "%s %s", i ? "," : "", name_of(s, "name"));
		if (has(s, "dice")) {
			line_add(l, " (");
			add_roll(l, s);
			line_add(l, ")");
		}
	}
	if (json_array_size(json_object_get(e, "ships")) == 0)
		line_add(l, " nobody acts");
}

static void
text_movement(struct line *l, const json_t *e)
{
	json_t *m;
	size_t i;

	line_add(l, "movement:");
	json_array_foreach(json_object_get(e, "moves"), i, m) {
		line_add(l, "%s %s", i ? ";" : "", name_of(m, "name"));
		if (json_is_true(json_object_get(m, "evade")))
			line_add(l, " evades");
		else if (has(m, "from_x"))
			line_add(l, " moves from (%d, %d) to (%d, %d)%s",
			    get_int(m, "from_x"), get_int(m, "from_y"),
			    get_int(m, "x"), get_int(m, "y"),
			    json_is_true(json_object_get(m, "clamped")) ?
			    ", as far as its thrust allows" : "");
		else
			line_add(l, " is now at (%d, %d)", get_int(m, "x"),
			    get_int(m, "y"));
	}
	if (json_array_size(json_object_get(e, "moves")) == 0)
		line_add(l, " nobody moves");
}

static void
text_sensors(struct line *l, const json_t *e, const char *kind)
{
	json_t *r;
	size_t i;

	if (strcmp(kind, "scan") == 0) {
		line_add(l, "%s scans out to %d units: ",
		    name_of(e, "actor_name"), get_int(e, "range"));
		add_roll(l, e);
		line_add(l, ": %s", json_is_true(json_object_get(e,
		    "success")) ? "success" : "nothing found");
		json_array_foreach(json_object_get(e, "revealed"), i, r)
			line_add(l, "%s %s", i ? "," : ", revealed:",
			    name_of(r, "name"));
		return;
	}
	if (!json_is_true(json_object_get(e, "success"))) {
		line_add(l, "%s cannot %s: target lost",
		    name_of(e, "actor_name"), kind);
		return;
	}
	if (strcmp(kind, "lock") == 0)
		line_add(l, "%s locks on %s: +2 to hit it this round",
		    name_of(e, "actor_name"), name_of(e, "target_name"));
	else
		line_add(l, "%s jams %s: -2 to its attacks this round",
		    name_of(e, "actor_name"), name_of(e, "target_name"));
}

static void
text_engineering(struct line *l, const json_t *e, const char *kind)
{
	const char *system = str(e, "system");
	const char *actor = name_of(e, "actor_name");

	if (strcmp(kind, "overcharge") == 0) {
		line_add(l, "%s overcharges its %s: rolled %d on 1d6: %s",
		    actor, system, get_int(e, "die"),
		    json_is_true(json_object_get(e, "damaged")) ?
		    "the system is damaged" : "it holds");
		return;
	}
	if (strcmp(system, "hull") == 0) {
		line_add(l, "%s patches its hull: rolled %d, %d restored "
		    "(hull %d)", actor, get_int(e, "die"),
		    get_int(e, "restored"), get_int(e, "hull"));
		return;
	}
	line_add(l, "%s repairs its %s: ", actor, system);
	add_roll(l, e);
	line_add(l, ": %s", json_is_true(json_object_get(e, "success")) ?
	    "repaired" : "not fixed");
}

/* "the GM stops the clock: 12 s left" */
static void
text_clock(struct line *l, const json_t *e)
{
	const char *action = str(e, "action");
	int left = (get_int(e, "left_ms") + 999) / 1000;

	if (strcmp(action, "pause") == 0)
		line_add(l, "the GM stops the clock: %d s left", left);
	else if (strcmp(action, "resume") == 0)
		line_add(l, "the GM starts the clock again: %d s left", left);
	else
		line_add(l, "the GM moves the deadline by %+d s: %d s left",
		    get_int(e, "seconds"), left);
}

/* "no order in time: pilot, gunner hold; Raider holds" */
static void
text_defaults(struct line *l, const json_t *e)
{
	json_t *stations = json_object_get(e, "stations"), *v;
	json_t *ships = json_object_get(e, "ships");
	size_t i, n = json_array_size(stations);

	/* The crew's copy without the GM's ships may be empty. */
	if (n == 0 && json_array_size(ships) == 0) {
		line_add(l, "every order was in time");
		return;
	}
	line_add(l, "no order in time:");
	json_array_foreach(stations, i, v)
		line_add(l, "%s %s", i ? "," : "", json_string_value(v));
	if (n > 0)
		line_add(l, " %s", n == 1 ? "holds" : "hold");
	json_array_foreach(ships, i, v)
		line_add(l, "%s %s holds", i || n ? ";" : "",
		    name_of(v, "name"));
}

static void
text_end(struct line *l, const json_t *e)
{
	const char *winner = str(e, "winner");
	const char *reason = str(e, "reason");

	if (strcmp(reason, "gm") == 0)
		line_add(l, "the GM ends the battle");
	else if (strcmp(winner, "none") == 0)
		line_add(l, "the battle ends: no side has an operational "
		    "ship left");
	else
		line_add(l, "the battle ends: the %s side wins", winner);
}

void
combatlog_set_text(json_t *entry)
{
	const char *kind = str(entry, "kind");
	struct line l = { .len = 0 };
	json_t *text;

	l.buf[0] = '\0';
	if (strcmp(kind, "attack") == 0)
		text_attack(&l, entry);
	else if (strcmp(kind, "no_fire") == 0)
		text_no_fire(&l, entry);
	else if (strcmp(kind, "initiative") == 0)
		text_initiative(&l, entry);
	else if (strcmp(kind, "movement") == 0)
		text_movement(&l, entry);
	else if (strcmp(kind, "lock") == 0 || strcmp(kind, "jam") == 0 ||
	    strcmp(kind, "scan") == 0)
		text_sensors(&l, entry, kind);
	else if (strcmp(kind, "repair") == 0 ||
	    strcmp(kind, "overcharge") == 0)
		text_engineering(&l, entry, kind);
	else if (strcmp(kind, "defaults") == 0)
		text_defaults(&l, entry);
	else if (strcmp(kind, "clock") == 0)
		text_clock(&l, entry);
	else if (strcmp(kind, "revealed") == 0)
		line_add(&l, "%s gives its position away by firing",
		    name_of(entry, "actor_name"));
	else if (strcmp(kind, "battle_start") == 0)
		line_add(&l, "the battle begins: round 1");
	else if (strcmp(kind, "battle_end") == 0)
		text_end(&l, entry);
	else if (strcmp(kind, "narration") == 0)
		line_add(&l, "%s", str(entry, "narration"));
	/* A line cut short may end inside a UTF-8 sequence: trim it. */
	while ((text = json_string(l.buf)) == NULL && l.len > 0)
		l.buf[--l.len] = '\0';
	json_object_set_new(entry, "text", text != NULL ? text :
	    json_string(""));
}
