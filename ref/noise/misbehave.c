/*
 * misbehave.c - the --bug rewrites of what the Noise peer sends. The order
 * of the rewrites of one frame is fixed (the wire bytes of every switch and
 * of their combinations depend on it): the corrupted twin (a copy of the
 * frame as made, its tag spoilt, put before it), then on the message
 * itself the flips of the body, the truncation, the prefix, the empty
 * frame before, the copy after.
 */
#include "noise/misbehave.h"

#include <string.h>

#include "core/cursor.h"
#include "noise/frame.h"

static const uint8_t zero_point[NOISE_DHLEN];

static bool flips_tag(uint64_t b, enum noise_peer_msg which)
{
	switch (which) {
	case NOISE_PEER_MSG1:
		return (b & NOISE_BUG_FLIP_MSG1) != 0;
	case NOISE_PEER_MSG2:
		return (b & NOISE_BUG_FLIP_MSG2) != 0;
	case NOISE_PEER_TRANSPORT:
	case NOISE_PEER_ECHO:
		return (b & NOISE_BUG_FLIP_TRANSPORT) != 0;
	default:
		return false;
	}
}

static bool flips_e(uint64_t b, enum noise_peer_msg which)
{
	return (which == NOISE_PEER_MSG1 && (b & NOISE_BUG_FLIP_MSG1_E)) ||
	       (which == NOISE_PEER_MSG2 && (b & NOISE_BUG_FLIP_MSG2_E));
}

static bool truncates(uint64_t b, enum noise_peer_msg which)
{
	return (which == NOISE_PEER_MSG1 && (b & NOISE_BUG_TRUNCATE_MSG1)) ||
	       (which == NOISE_PEER_MSG2 && (b & NOISE_BUG_TRUNCATE_MSG2));
}

int noise_misbehave_frame(struct noise_misbehave_out frames[NOISE_MISBEHAVE_MAX_FRAMES],
			  size_t *n_frames, struct noise_peer_queue *q, size_t start, uint64_t b,
			  enum noise_peer_role role, enum noise_peer_msg which, uint32_t index)
{
	uint8_t *hdr, *msg;
	size_t len = q->len - start - NOISE_FRAME_HDR, extra = 0, n = 0;
	bool first = which == (role == NOISE_PEER_INITIATOR ? NOISE_PEER_MSG1 : NOISE_PEER_MSG2);
	bool cut = len > 0 && truncates(b, which);
	bool empty_before = first && (b & NOISE_BUG_ZERO_FRAME);
	bool again = which == NOISE_PEER_MSG1 && (b & NOISE_BUG_REPLAY_MSG1);
	/* our first transport message or echo: a corrupted twin before it */
	int r;
	bool twin = (which == NOISE_PEER_TRANSPORT || which == NOISE_PEER_ECHO) && index == 1 &&
		    len > 0 && (b & NOISE_BUG_CORRUPT_THEN_VALID);

	if (b & NOISE_BUG_SILENT) {
		/* made, never sent */
		q->len = start;
		*n_frames = 0;
		return PS_OK;
	}
	/* room first, so that a refusal changes nothing */
	if (empty_before)
		extra += NOISE_FRAME_HDR;
	if (again)
		extra += NOISE_FRAME_HDR + len - (cut ? 1 : 0);
	if (twin)
		extra += NOISE_FRAME_HDR + len;
	if (NOISE_PEER_OUT_MAX - q->len < extra)
		return PS_ERR_NOBUF;
	if (extra && (r = noise_peer_queue_reserve(q, q->len + extra)) != PS_OK)
		return r;
	hdr = q->buf.p + start;
	msg = hdr + NOISE_FRAME_HDR;

	if (twin) {
		/* the frame as made moves up; its twin, tag spoilt, goes first:
		 * both under the same nonce, the one the receiver expects */
		memmove(hdr + NOISE_FRAME_HDR + len, hdr, NOISE_FRAME_HDR + len);
		msg[len - 1] ^= 0x80;
		q->len += NOISE_FRAME_HDR + len;
		frames[n++] = (struct noise_misbehave_out){ which, start, NOISE_FRAME_HDR + len };
		start += NOISE_FRAME_HDR + len;
		hdr += NOISE_FRAME_HDR + len;
		msg += NOISE_FRAME_HDR + len;
	}

	if (len > 0 && flips_tag(b, which))
		msg[len - 1] ^= 0x01;
	if (len > 0 && flips_e(b, which))
		msg[0] ^= 0x01;
	if (cut) {
		len--;
		q->len--;
		ps_store_u16be(hdr, (uint16_t)len);
	}
	if (first && (b & NOISE_BUG_OVERSIZE_PREFIX))
		ps_store_u16be(hdr, NOISE_MAX_MSG);
	if (empty_before) {
		memmove(hdr + NOISE_FRAME_HDR, hdr, NOISE_FRAME_HDR + len);
		ps_store_u16be(hdr, 0);
		q->len += NOISE_FRAME_HDR;
		frames[n++] =
			(struct noise_misbehave_out){ NOISE_PEER_EMPTY, start, NOISE_FRAME_HDR };
		start += NOISE_FRAME_HDR;
		hdr += NOISE_FRAME_HDR;
		msg += NOISE_FRAME_HDR;
	}
	frames[n++] = (struct noise_misbehave_out){ which, start, NOISE_FRAME_HDR + len };
	if (again) {
		/* the copy has an honest prefix, whatever the first one says */
		uint8_t *copy = q->buf.p + q->len;
		ps_store_u16be(copy, (uint16_t)len);
		memcpy(copy + NOISE_FRAME_HDR, msg, len);
		frames[n++] = (struct noise_misbehave_out){ which, q->len, NOISE_FRAME_HDR + len };
		q->len += NOISE_FRAME_HDR + len;
	}
	*n_frames = n;
	return PS_OK;
}

bool noise_misbehave_echoes(uint64_t bugs)
{
	/* no-echo: hold the connection, say nothing: the deadline ends it */
	return (bugs & NOISE_BUG_NO_ECHO) == 0;
}

int noise_misbehave_echo(uint8_t *buf, size_t cap, size_t *len, uint64_t bugs)
{
	static const uint8_t other[] = "not what you sent";
	bool alter = (bugs & NOISE_BUG_ALTER_ECHO) != 0;
	size_t n = alter ? sizeof(other) - 1 : *len;

	/* the length first, so that a refusal writes nothing */
	/* an echo that is the start of the plaintext, not all of it */
	if ((bugs & NOISE_BUG_ECHO_PREFIX) && n > 0)
		n--;
	/* an echo that starts with the plaintext and goes on: a zero byte, so
	 * that a comparison of C strings sees no difference either */
	if (bugs & NOISE_BUG_ECHO_EXTENDED)
		n++;
	if (n > cap)
		return PS_ERR_TOO_LARGE;
	/* alter-echo: a valid transport message, but not the plaintext received */
	if (alter)
		memcpy(buf, other, n < sizeof(other) - 1 ? n : sizeof(other) - 1);
	if (bugs & NOISE_BUG_ECHO_EXTENDED)
		buf[n - 1] = 0x00;
	*len = n;
	return PS_OK;
}

bool noise_misbehave_skips_nonce(uint64_t bugs, bool last)
{
	return last && (bugs & NOISE_BUG_NONCE_SKIP) != 0;
}

const uint8_t *noise_misbehave_e_pub(uint64_t bugs)
{
	return (bugs & NOISE_BUG_LOW_ORDER_E) ? zero_point : NULL;
}
