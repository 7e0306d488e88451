/*
 * The project's error codes.  Functions that can fail return 0 on success or
 * one of these negative values; each function's comment lists the codes it
 * may return.  Out of memory is not among them: it is fatal (alloc.h).
 */
#ifndef BROADSIDE_ERROR_H
#define BROADSIDE_ERROR_H

enum bs_error {
	BS_OK = 0,
	BS_ERR_INVALID = -1,	/* malformed or out-of-range input */
	BS_ERR_TOO_LARGE = -2,	/* input past a configured cap */
	BS_ERR_NOT_FOUND = -3,	/* no such object */
	BS_ERR_IO = -4,		/* a system call failed; errno says why */
	BS_ERR_EXISTS = -5,	/* the object already exists */
	BS_ERR_STATE = -6,	/* not allowed in the object's current state */
	BS_ERR_DENIED = -7,	/* the caller may not do this */
	BS_ERR_LIMIT = -8,	/* a configured limit is reached */
	BS_ERR_AGAIN = -9,	/* try again later (would block) */
	BS_ERR_LOST = -10,	/* another node holds the battle's lease */
};

/* A short English name for an error code, for logs. */
const char *bs_strerror(int err);

#endif
