/*
 * noise_frame - the 2-byte length framing of Noise messages on TCP:
 * noise_frame_decode over a stream cut where the input says (a frame split
 * across reads must wait, not fail), noise_frame_encode for the round trip
 * (in place and copied), noise_frame_put_header and
 * noise_frame_declared_len at and past the 65535 limit; and the streaming
 * reader (struct noise_frame_reader, the peer's framer) over the same
 * stream in the same cut: the same frames as noise_frame_decode finds, and
 * a frame shorter than the smallest acceptable refused at its header, with
 * no body byte buffered.
 *
 * Input: cut (2) | stream of frames...
 */
#include "fuzz.h"

#include "noise/frame.h"

/* The reader over s, delivered up to cut and then the rest, accepting no
 * message under min_len: each frame it yields is the one decode finds at
 * that offset. */
static void reader_walk(const uint8_t *s, size_t len, size_t cut, size_t min_len)
{
	static struct noise_frame_reader rd;
	size_t pos = 0, off = 0; /* pos: where the current frame starts */

	noise_frame_reader_init(&rd, &fuzz_mem);
	while (off < len) {
		size_t end = off < cut ? cut : len, mlen = 7, used = 9, dl, du;
		uint8_t *msg = NULL;
		const uint8_t *dm;
		int r = noise_frame_read(&rd, &msg, &mlen, &used, s + off, end - off, min_len);

		FUZZ_ASSERT(used <= end - off);
		off += used;
		if (r == PS_ERR_NEED_MORE) {
			FUZZ_ASSERT(off == end && msg == NULL && mlen == 7);
			continue;
		}
		if (r == PS_ERR_BAD_SIZE) {
			/* at the header, before any byte of the body; and again */
			FUZZ_ASSERT(off == pos + 2 && noise_frame_declared_len(s + pos) < min_len);
			FUZZ_ASSERT(rd.have == 0 && msg == NULL && mlen == 7);
			FUZZ_ASSERT(noise_frame_read(&rd, &msg, &mlen, &used, s + off, len - off,
						     min_len) == PS_ERR_BAD_SIZE &&
				    used == 0);
			/* nothing lent for a refused header */
			FUZZ_ASSERT(fuzz_mem_out() == 0);
			return;
		}
		FUZZ_ASSERT(r == PS_OK && mlen >= min_len);
		FUZZ_ASSERT(noise_frame_decode(&dm, &dl, &du, s + pos, len - pos) == PS_OK);
		FUZZ_ASSERT(dl == mlen && du == off - pos && (dl == 0 || memcmp(dm, msg, dl) == 0));
		pos = off;
	}
	/* the stream ends at a frame's end, or inside one */
	if (pos < len) {
		const uint8_t *dm;
		size_t dl, du;
		FUZZ_ASSERT(noise_frame_decode(&dm, &dl, &du, s + pos, len - pos) ==
			    PS_ERR_NEED_MORE);
	}
	noise_frame_reader_wipe(&rd);
	FUZZ_ASSERT(fuzz_mem_out() == 0); /* every block back */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t enc[NOISE_FRAME_MAX + 8];
	struct fdp f = fdp_make(data, size);
	size_t cut = fdp_u16(&f), len, off = 0;
	const uint8_t *s = fdp_rest(&f, &len);
	uint8_t hdr[2];

	if (cut > len)
		cut = len;
	reader_walk(s, len, cut, 0);
	reader_walk(s, len, cut, cut % 64);
	while (off < len) {
		const uint8_t *msg = (const uint8_t *)1;
		size_t mlen = 7, used = 9, n;
		/* as a reader would see it: what arrived up to the cut, or all */
		size_t avail = (off < cut ? cut : len) - off;
		int r = noise_frame_decode(&msg, &mlen, &used, s + off, avail);

		if (r == PS_ERR_NEED_MORE) {
			FUZZ_ASSERT(msg == (const uint8_t *)1 && mlen == 7 && used == 9);
			FUZZ_ASSERT(avail < 2 || noise_frame_declared_len(s + off) > avail - 2);
			if (avail == len - off)
				break; /* the stream ends inside a frame */
			cut = len;     /* the rest arrives */
			continue;
		}
		FUZZ_ASSERT(r == PS_OK);
		FUZZ_ASSERT(msg == s + off + 2 && mlen == noise_frame_declared_len(s + off));
		FUZZ_ASSERT(used == 2 + mlen && used <= avail);
		/* round trip: copied, then in place */
		FUZZ_ASSERT(noise_frame_encode(enc, sizeof(enc), &n, msg, mlen) == PS_OK);
		FUZZ_ASSERT(n == used && memcmp(enc, s + off, used) == 0);
		FUZZ_ASSERT(noise_frame_encode(enc, sizeof(enc), &n, enc + 2, mlen) == PS_OK);
		FUZZ_ASSERT(n == used && memcmp(enc, s + off, used) == 0);
		/* one byte short: refused, nothing written */
		enc[0] = 0x55;
		FUZZ_ASSERT(noise_frame_encode(enc, used - 1, &n, msg, mlen) == PS_ERR_NOBUF);
		FUZZ_ASSERT(enc[0] == 0x55);
		FUZZ_ASSERT(noise_frame_put_header(hdr, mlen) == PS_OK);
		FUZZ_ASSERT(memcmp(hdr, s + off, 2) == 0);
		off += used;
	}
	/* past the limit */
	hdr[0] = hdr[1] = 0x77;
	FUZZ_ASSERT(noise_frame_put_header(hdr, NOISE_MAX_MSG + 1 + (size & 0xff)) ==
		    PS_ERR_TOO_LARGE);
	FUZZ_ASSERT(hdr[0] == 0x77 && hdr[1] == 0x77);
	{
		size_t n = 0;
		FUZZ_ASSERT(noise_frame_encode(enc, sizeof(enc), &n, enc, NOISE_MAX_MSG + 1) ==
			    PS_ERR_TOO_LARGE);
	}
	return 0;
}
