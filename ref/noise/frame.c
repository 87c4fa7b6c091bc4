#include "noise/frame.h"

#include <string.h>

#include "core/cursor.h"
#include "crypto/crypto.h"

size_t noise_frame_declared_len(const uint8_t hdr[NOISE_FRAME_HDR])
{
	return ps_load_u16be(hdr);
}

int noise_frame_decode(const uint8_t **msg, size_t *msg_len, size_t *consumed, const uint8_t *buf,
		       size_t len)
{
	size_t n;

	if (len < NOISE_FRAME_HDR)
		return PS_ERR_NEED_MORE;
	n = noise_frame_declared_len(buf);
	if (len - NOISE_FRAME_HDR < n)
		return PS_ERR_NEED_MORE;
	*msg = buf + NOISE_FRAME_HDR;
	*msg_len = n;
	*consumed = NOISE_FRAME_HDR + n;
	return PS_OK;
}

int noise_frame_put_header(uint8_t hdr[NOISE_FRAME_HDR], size_t msg_len)
{
	if (msg_len > NOISE_MAX_MSG)
		return PS_ERR_TOO_LARGE;
	ps_store_u16be(hdr, (uint16_t)msg_len);
	return PS_OK;
}

int noise_frame_encode(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *msg,
		       size_t msg_len)
{
	if (msg_len > NOISE_MAX_MSG)
		return PS_ERR_TOO_LARGE;
	if (cap < NOISE_FRAME_HDR || cap - NOISE_FRAME_HDR < msg_len)
		return PS_ERR_NOBUF;
	if (msg_len && out + NOISE_FRAME_HDR != msg)
		memmove(out + NOISE_FRAME_HDR, msg, msg_len);
	ps_store_u16be(out, (uint16_t)msg_len);
	*out_len = NOISE_FRAME_HDR + msg_len;
	return PS_OK;
}

void noise_frame_reader_init(struct noise_frame_reader *r)
{
	r->hdr_len = r->need = r->have = 0;
}

int noise_frame_read(struct noise_frame_reader *r, uint8_t **msg, size_t *msg_len, size_t *used,
		     const uint8_t *data, size_t len, size_t min_len)
{
	size_t off = 0, take;

	*used = 0;
	while (r->hdr_len < NOISE_FRAME_HDR) {
		if (off == len) {
			*used = off;
			return PS_ERR_NEED_MORE;
		}
		r->hdr[r->hdr_len++] = data[off++];
		if (r->hdr_len == NOISE_FRAME_HDR)
			r->need = noise_frame_declared_len(r->hdr);
	}
	/* A message shorter than the smallest one acceptable can never be
	 * used: refused at its header, before a byte of it is buffered. */
	if (r->need < min_len) {
		*used = off;
		return PS_ERR_BAD_SIZE;
	}
	take = r->need - r->have;
	if (take > len - off)
		take = len - off;
	if (take)
		memcpy(r->body + r->have, data + off, take);
	r->have += take;
	off += take;
	*used = off;
	if (r->have < r->need)
		return PS_ERR_NEED_MORE;
	*msg = r->body;
	*msg_len = r->need;
	noise_frame_reader_init(r);
	return PS_OK;
}

void noise_frame_reader_wipe(struct noise_frame_reader *r)
{
	cry_memzero(r, sizeof(*r));
}
