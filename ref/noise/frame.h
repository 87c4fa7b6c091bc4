/*
 * frame.h - the TCP framing of Noise messages in peershake: every message
 * is preceded by its length as 2 bytes, big-endian. A message is at most
 * 65535 bytes (specification section 3), so the length always fits.
 *
 *   +--------+--------+------------------------+
 *   | len hi | len lo |  len bytes of message  |
 *   +--------+--------+------------------------+
 */
#ifndef PS_NOISE_FRAME_H
#define PS_NOISE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "noise/cipher.h"

#define NOISE_FRAME_HDR 2
#define NOISE_FRAME_MAX (NOISE_FRAME_HDR + NOISE_MAX_MSG)

/* Decode one frame at the start of (buf, len): *msg points at the message
 * inside buf, *msg_len is its length, *consumed = 2 + *msg_len.
 * Returns PS_OK, or PS_ERR_NEED_MORE (the header or the message is not all
 * there yet; retry with more bytes). On NEED_MORE nothing is written.
 * A frame can never be too large: 2 bytes cannot declare more than 65535. */
PS_MUST_CHECK int noise_frame_decode(const uint8_t **msg, size_t *msg_len, size_t *consumed,
				     const uint8_t *buf, size_t len);

/* The length a 2-byte header declares (hdr holds at least 2 bytes). */
size_t noise_frame_declared_len(const uint8_t hdr[NOISE_FRAME_HDR]);

/* Write the header for a msg_len-byte message into hdr.
 * Returns PS_OK or PS_ERR_TOO_LARGE (msg_len > 65535; nothing written). */
PS_MUST_CHECK int noise_frame_put_header(uint8_t hdr[NOISE_FRAME_HDR], size_t msg_len);

/* Encode (msg, msg_len) as a frame into out (capacity cap); *out_len = 2 +
 * msg_len. msg may be out + 2 (the message already in place).
 * Returns PS_OK, PS_ERR_TOO_LARGE (msg_len > 65535), PS_ERR_NOBUF (cap <
 * msg_len + 2). On error nothing is written. */
PS_MUST_CHECK int noise_frame_encode(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *msg,
				     size_t msg_len);

#endif
