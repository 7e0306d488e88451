/*
 * Stream-state checks of RFC 9113 section 5.1 that nghttp2 leaves to the
 * application (http2_impl.h).  Without its closed streams (we do not keep
 * them: memory) nghttp2 silently ignores DATA and HEADERS on a stream
 * that is closed, and even with them it cannot tell a stream the client
 * reset from one we reset, after which frames must be ignored; nor does
 * it refuse a HEADERS that would open a stream below one already opened
 * (section 5.1.1), since it does not remember which ids were used.
 *
 * So the client's bytes pass through a small frame scanner before
 * nghttp2_session_mem_recv(): it follows frame boundaries (headers only),
 * remembers the last H2_CHECK_RING stream ids the client opened and
 * whether it ended or reset each, and when a DATA or HEADERS frame
 * breaks the rules it feeds nghttp2 the bytes before that frame, then
 * answers: RST_STREAM STREAM_CLOSED for frames after the client's own
 * RST_STREAM (5.1, "closed") and for DATA on a stream never opened (6.1);
 * GOAWAY STREAM_CLOSED for frames after the client's END_STREAM (5.1,
 * "half-closed (remote)" and "closed": nghttp2 answers the former the
 * same way); GOAWAY PROTOCOL_ERROR for HEADERS on an id below one
 * already used that was never opened (5.1.1).  Ids older than the ring
 * are nghttp2's to judge (it ignores them), as RFC 9113 allows.
 */
#include "config.h"

#include <string.h>

#include <nghttp2/nghttp2.h>

#include "http2_impl.h"

#define H2_FRAME_DATA 0x0
#define H2_FRAME_HEADERS 0x1
#define H2_FRAME_RST_STREAM 0x3
#define H2_FLAG_END_STREAM 0x1

/* The client's 24-byte connection preface precedes the frames. */
#define H2_PREFACE_LEN 24

static struct h2_opened *
h2_check_find(struct h2_check *k, int32_t id)
{
	for (size_t i = 0; i < k->nopened; i++)
		if (k->opened[i].id == id)
			return &k->opened[i];
	return NULL;
}

/* Ids from this one up are remembered if they were opened. */
static int32_t
h2_check_oldest(const struct h2_check *k)
{
	if (k->nopened < H2_CHECK_RING)
		return 1;
	return k->opened[k->next].id;
}

static void
h2_check_open(struct h2_check *k, int32_t id, int end)
{
	struct h2_opened *o = &k->opened[k->next];

	o->id = id;
	o->ended = end;
	o->reset = 0;
	k->next = (k->next + 1) % H2_CHECK_RING;
	if (k->nopened < H2_CHECK_RING)
		k->nopened++;
	k->max_id = id;
}

/*
 * One frame header: records what it says and returns what to do about
 * it.
 */
static enum h2_check_verdict
h2_check_frame(struct h2_check *k, const uint8_t *hd)
{
	int type = hd[3], flags = hd[4];
	int32_t id = (int32_t)((((uint32_t)hd[5] & 0x7f) << 24) |
	    ((uint32_t)hd[6] << 16) | ((uint32_t)hd[7] << 8) | hd[8]);
	int end = (flags & H2_FLAG_END_STREAM) != 0;
	struct h2_opened *o;

	/* Even ids and stream 0 are nghttp2's (PROTOCOL_ERROR). */
	if (id == 0 || (id & 1) == 0)
		return H2_CHECK_PASS;
	if (type != H2_FRAME_DATA && type != H2_FRAME_HEADERS &&
	    type != H2_FRAME_RST_STREAM)
		return H2_CHECK_PASS;
	if (id > k->max_id) {
		/* A new stream (or DATA on an idle one: nghttp2's). */
		if (type == H2_FRAME_HEADERS)
			h2_check_open(k, id, end);
		return H2_CHECK_PASS;
	}
	o = h2_check_find(k, id);
	if (o == NULL) {
		if (id < h2_check_oldest(k) || type == H2_FRAME_RST_STREAM)
			return H2_CHECK_PASS;
		/* Below the highest id, and never opened. */
		return type == H2_FRAME_HEADERS ? H2_CHECK_PROTOCOL_ERROR :
		    H2_CHECK_RESET;
	}
	if (type == H2_FRAME_RST_STREAM) {
		if (o->reset == 0)
			o->reset = 1;
		return H2_CHECK_PASS;
	}
	if (o->reset == 1) {
		/* Answered once; nghttp2 ignores the rest of it. */
		o->reset = 2;
		return H2_CHECK_RESET;
	}
	if (o->reset == 2)
		return H2_CHECK_PASS;
	if (o->ended)
		return H2_CHECK_STREAM_CLOSED;
	if (end)
		o->ended = 1;
	return H2_CHECK_PASS;
}

void
h2_check_init(struct h2_check *k, int preface)
{
	memset(k, 0, sizeof(*k));
	k->skip = preface ? H2_PREFACE_LEN : 0;
}

void
h2_check_upgraded(struct h2_check *k)
{
	h2_check_open(k, 1, 1);
}

size_t
h2_check_scan(struct h2_check *k, const uint8_t *data, size_t len,
    enum h2_check_verdict *verdict, int32_t *id, size_t *start)
{
	size_t off = 0;

	*verdict = H2_CHECK_PASS;
	while (off < len && !k->done) {
		size_t take;

		if (k->skip > 0) {
			take = len - off < k->skip ? len - off : k->skip;
			k->skip -= take;
			off += take;
			continue;
		}
		take = 9 - k->hd_len;
		if (take > len - off)
			take = len - off;
		memcpy(k->hd + k->hd_len, data + off, take);
		k->hd_len += take;
		off += take;
		if (k->hd_len < 9)
			break;
		k->hd_len = 0;
		k->skip = ((size_t)k->hd[0] << 16) | ((size_t)k->hd[1] << 8) |
		    k->hd[2];
		*verdict = h2_check_frame(k, k->hd);
		if (*verdict != H2_CHECK_PASS) {
			*id = (int32_t)((((uint32_t)k->hd[5] & 0x7f) << 24) |
			    ((uint32_t)k->hd[6] << 16) |
			    ((uint32_t)k->hd[7] << 8) | k->hd[8]);
			if (*verdict != H2_CHECK_RESET)
				k->done = 1;
			/* Its header may have begun in an earlier read. */
			*start = off >= 9 ? off - 9 : 0;
			return off;
		}
	}
	return len;
}
