/*
 * frame.h - the TCP framing of Noise messages in peershake: every message
 * is preceded by its length as 2 bytes, big-endian. A message is at most
 * 65535 bytes (specification section 3), so the length always fits.
 *
 *   +--------+--------+------------------------+
 *   | len hi | len lo |  len bytes of message  |
 *   +--------+--------+------------------------+
 *
 * Two ways in: noise_frame_decode takes a frame out of bytes that are all
 * there (tests, fuzzers, a datagram); struct noise_frame_reader takes a TCP
 * stream in any cut and hands out whole frames (the peer's only framer).
 */
#ifndef PS_NOISE_FRAME_H
#define PS_NOISE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "noise/cipher.h"
#include "noise/mem.h"

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

/* The message bytes a reader holds in itself: msg1 or msg2 with a payload
 * of up to 80 bytes (NNpsk2's fixed part is e and a tag, 48 bytes), a
 * transport message or echo of up to 112 bytes of plaintext. A larger frame
 * is read into a block borrowed through struct noise_mem (noise/mem.h),
 * asked for when its first byte past these 128 arrives, never on its
 * announced length alone. */
#define NOISE_FRAME_SMALL 128

/* An incremental reader: bytes of a stream in, whole frames out. At most one
 * frame is buffered: in the reader's own NOISE_FRAME_SMALL bytes, or in one
 * borrowed block of the frame's declared length, taken once the bytes past
 * the small buffer arrive and given back (wiped) when the frame has been
 * used (noise_frame_reader_release, or the next noise_frame_read). Its
 * declared length is checked against the smallest message the caller can
 * accept as soon as the 2-byte header is in, before a byte of the body is
 * buffered. The reader must not move while it holds anything (buf points
 * into it). */
struct noise_frame_reader {
	uint8_t hdr[NOISE_FRAME_HDR];
	size_t hdr_len; /* header bytes in: 0, 1 or 2 */
	size_t need;	/* once the header is in: the declared length */
	size_t have;	/* body bytes buffered, <= need */
	bool held;	/* a frame was handed out; its bytes are still in buf */
	struct noise_buf buf;
	uint8_t small[NOISE_FRAME_SMALL];
};

/* An empty reader, waiting for the first header byte, borrowing larger
 * buffers from mem (NULL: none; a frame over NOISE_FRAME_SMALL bytes then
 * fails with PS_ERR_NOMEM when its 129th byte arrives). mem must outlive
 * the reader. Call it on a reader that holds nothing (new, or wiped). */
void noise_frame_reader_init(struct noise_frame_reader *r, const struct noise_mem *mem);

/* Take bytes of (data, len) towards the next frame; *used is how many were
 * taken (every call sets it). min_len is the smallest message the caller
 * accepts now (0: any). The frame handed out by the call before is
 * released first.
 * Returns
 * - PS_OK: a frame is complete. *msg points at its message inside the
 *   reader's buffer (the caller may change it in place, as to decrypt it)
 *   and stays valid until noise_frame_reader_release or the next call;
 *   *msg_len is its length. *used stops at the frame's end: the bytes after
 *   it belong to the next frame, call again for them.
 * - PS_ERR_NEED_MORE: every byte was taken (*used == len), no frame is
 *   complete yet.
 * - PS_ERR_BAD_SIZE: the header declares fewer than min_len bytes. Refused
 *   when its second byte arrives, before any body byte is buffered; *used
 *   counts the header bytes taken by this call. The reader keeps refusing
 *   (*used 0) until wiped.
 * - the lender's error (PS_ERR_NOMEM, PS_ERR_EVICTED, ...): body bytes
 *   that do not fit the small buffer came and no block was lent for them;
 *   none of this call's body bytes is taken (*used counts its header
 *   bytes). The reader is then unusable: wipe it.
 * *msg and *msg_len are written only on PS_OK. */
PS_MUST_CHECK int noise_frame_read(struct noise_frame_reader *r, uint8_t **msg, size_t *msg_len,
				   size_t *used, const uint8_t *data, size_t len, size_t min_len);

/* The frame handed out is used up: wipe it and give its block back. No
 * effect when none is held. */
void noise_frame_reader_release(struct noise_frame_reader *r);

/* Header and body bytes of the frame being read (0 between frames). */
size_t noise_frame_buffered(const struct noise_frame_reader *r);

/* Wipe what is buffered and give any block back; the reader is empty
 * again (as after init, with the same lender). */
void noise_frame_reader_wipe(struct noise_frame_reader *r);

#endif
