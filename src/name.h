/*
 * Names to enums.  Every enum the daemon parses from text (stations,
 * systems, ship classes, weapons, actions, HTTP methods, log levels)
 * keeps its names in a table: an array of strings, or of structs with the
 * name in one member.  One lookup serves them all.
 *
 * Pure: no I/O, no state.  Any thread.
 */
#ifndef BROADSIDE_NAME_H
#define BROADSIDE_NAME_H

#include <stddef.h>

/*
 * The index of name in a table of n entries, stride bytes apart, whose
 * first entry's name is *first (a const char *): for an array of strings,
 * name_index(s, &names[0], n, sizeof(names[0])); for an array of structs,
 * name_index(s, &table[0].name, n, sizeof(table[0])).  Exact,
 * case-sensitive.  Returns the index, or -1 when no entry has that name
 * (or name is NULL).
 */
int name_index(const char *name, const void *first, size_t n, size_t stride);

#endif
