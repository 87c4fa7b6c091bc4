#include "noise/frame.h"

#include <string.h>

#include "core/cursor.h"

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
