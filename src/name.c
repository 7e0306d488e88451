/* Names to enums (name.h). */
#include "config.h"

#include "name.h"

#include <string.h>

int
name_index(const char *name, const void *first, size_t n, size_t stride)
{
	const char *entry = first;

	if (name == NULL)
		return -1;
	for (size_t i = 0; i < n; i++, entry += stride) {
		const char *candidate;

		memcpy(&candidate, entry, sizeof(candidate));
		if (candidate != NULL && strcmp(name, candidate) == 0)
			return (int)i;
	}
	return -1;
}
