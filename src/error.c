/*
 * Names for the project's error codes (error.h).
 */
#include "error.h"

const char *
bs_strerror(int err)
{
	switch (err) {
	case BS_OK:
		return "success";
	case BS_ERR_INVALID:
		return "invalid input";
	case BS_ERR_TOO_LARGE:
		return "too large";
	case BS_ERR_NOT_FOUND:
		return "not found";
	case BS_ERR_IO:
		return "input/output error";
	case BS_ERR_EXISTS:
		return "already exists";
	case BS_ERR_STATE:
		return "not allowed in this state";
	case BS_ERR_DENIED:
		return "permission denied";
	case BS_ERR_LIMIT:
		return "limit reached";
	case BS_ERR_AGAIN:
		return "try again";
	case BS_ERR_LOST:
		return "lease held elsewhere";
	}
	return "unknown error";
}
