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

void noise_frame_reader_init(struct noise_frame_reader *r, const struct noise_mem *mem)
{
	r->hdr_len = r->need = r->have = 0;
	r->held = false;
	noise_buf_init(&r->buf, r->small, sizeof(r->small), mem);
}

void noise_frame_reader_release(struct noise_frame_reader *r)
{
	if (!r->held)
		return;
	r->held = false;
	noise_buf_release(&r->buf);
}

size_t noise_frame_buffered(const struct noise_frame_reader *r)
{
	return r->held ? 0 : r->hdr_len + r->have;
}

int noise_frame_read(struct noise_frame_reader *r, uint8_t **msg, size_t *msg_len, size_t *used,
		     const uint8_t *data, size_t len, size_t min_len)
{
	size_t off = 0, take;
	int e;

	*used = 0;
	noise_frame_reader_release(r);
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
	/* A block only for bytes that are here: the announced length alone
	 * takes nothing beyond the reader's own small buffer. */
	if (take && r->buf.cap - r->have < take &&
	    (e = noise_buf_reserve(&r->buf, r->need, r->need, r->have)) != PS_OK) {
		*used = off;
		return e;
	}
	if (take)
		memcpy(r->buf.p + r->have, data + off, take);
	r->have += take;
	noise_buf_wrote(&r->buf, r->have);
	off += take;
	*used = off;
	if (r->have < r->need)
		return PS_ERR_NEED_MORE;
	*msg = r->buf.p;
	*msg_len = r->need;
	r->hdr_len = r->need = r->have = 0;
	r->held = true;
	return PS_OK;
}

void noise_frame_reader_wipe(struct noise_frame_reader *r)
{
	noise_buf_release(&r->buf);
	cry_memzero(r->hdr, sizeof(r->hdr));
	r->hdr_len = r->need = r->have = 0;
	r->held = false;
}
