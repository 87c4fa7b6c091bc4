/*
 * mem.h - the memory the Noise core borrows. ref/noise allocates nothing:
 * every buffer of a peer is a small fixed array inside it, big enough for
 * the handshake messages and payloads of an ordinary exchange, and anything
 * larger is a block lent by whoever runs the core (struct noise_mem), asked
 * for only once bytes that need it are there (received bytes past the small
 * buffer, a message we must queue) and given back, wiped, as soon as the
 * core is done with it. What a peer announces (a frame's 2-byte length)
 * never makes the core ask for anything by itself.
 *
 * struct noise_buf is one such buffer: its small array, or a lent block.
 */
#ifndef PS_NOISE_MEM_H
#define PS_NOISE_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* The largest block the core asks for: its output queue when --bug
 * switches fill it with four whole frames (NOISE_PEER_OUT_MAX). Every
 * other request is at most NOISE_MEM_BLOCK: one whole frame and an empty
 * one. */
#define NOISE_MEM_BLOCK (2 + 2 + 65535)
#define NOISE_MEM_MAX	(2 + 4 * (2 + 65535))

/* The lender. get and put are called from inside the core's calls (input,
 * init, consume, close, free), never at any other time. */
struct noise_mem {
	/* Lend at least len bytes (1 <= len <= NOISE_MEM_MAX), contents
	 * unspecified, into *block. Returns PS_OK, or the PS_ERR_* the core
	 * then fails with: PS_ERR_NOMEM (nothing to lend), PS_ERR_EVICTED (a
	 * budget says no). *block is written only on PS_OK. */
	int (*get)(void *ctx, size_t len, void **block);
	/* Take back a block get lent, with the len it was asked for. The core
	 * has wiped what it wrote there. */
	void (*put)(void *ctx, void *block, size_t len);
	void *ctx;
};

/* A buffer: its small array (inside the struct that holds both), or a lent
 * block. The struct holding it must not move while a block is lent, nor
 * while p points at small. */
struct noise_buf {
	uint8_t *p;		     /* small, or the lent block */
	size_t cap;		     /* bytes at p */
	size_t lent;		     /* the len the block was asked with; 0: p is small */
	size_t used;		     /* bytes of p written: what release wipes */
	uint8_t *small;		     /* the fixed array */
	size_t small_cap;	     /* its size */
	const struct noise_mem *mem; /* NULL: no lender, small only */
};

/* The buffer on small (small_cap bytes), borrowing from mem (may be NULL). */
void noise_buf_init(struct noise_buf *b, uint8_t *small, size_t small_cap,
		    const struct noise_mem *mem);

/* Make b hold at least need bytes, keeping its first keep bytes (keep <=
 * b->used): nothing when it does already; else a block of ask bytes (ask >=
 * need) is borrowed, the kept bytes copied into it, and the old block
 * wiped and given back. Returns PS_OK; PS_ERR_NOMEM (need over
 * NOISE_MEM_MAX, or no lender); or the lender's error. On error b is as on
 * entry. */
PS_MUST_CHECK int noise_buf_reserve(struct noise_buf *b, size_t need, size_t ask, size_t keep);

/* Note that b's first n bytes are written (for the wipe). */
void noise_buf_wrote(struct noise_buf *b, size_t n);

/* Wipe what was written and give a lent block back: b is on its small
 * array again, empty. A buffer never set up (all zero) is left alone. */
void noise_buf_release(struct noise_buf *b);

#endif
