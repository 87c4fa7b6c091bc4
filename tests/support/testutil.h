/*
 * testutil.h - shared helpers for the cmocka tests.
 */
#ifndef PS_TESTUTIL_H
#define PS_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "noise/mem.h"

/* Exit status ctest reads as "skipped" (SKIP_RETURN_CODE). */
#define TU_SKIP 77

/* The folder of the public vectors (read in place, never copied): the
 * environment's PS_SHARED_VECTORS, else the build's default (../shared/vectors
 * beside the checkout). NULL only when PS_SHARED_VECTORS is not set and the
 * default folder does not exist: the caller then prints why and skips. A
 * folder named explicitly is returned as given, present or not, so that a
 * mistyped path fails instead of passing on nothing. */
const char *tu_shared_vectors(void);

/* Read the vector file rel (e.g. "noise/snow.txt") of tu_shared_vectors()
 * whole. A missing or unreadable file fails the test: once the folder is
 * there (or named), every file a test asks for must be too. */
uint8_t *tu_read_vector(const char *rel, size_t *len);

/* The project's source folder (PS_SOURCE_DIR from ctest), or "." */
const char *tu_source_dir(void);

/* Read a whole file; *len gets its size. NULL on error. Caller frees. */
uint8_t *tu_read_file(const char *path, size_t *len);

/* Decode hex into a new buffer; *len gets the size. Aborts the test on bad hex. */
uint8_t *tu_unhex(const char *hex, size_t *len);

/* A deterministic RNG (ps_rng_fn): a counter-based stream from *ctx (a uint64_t seed). */
void tu_rng(void *ctx, uint8_t *out, size_t n);

/* A lender for the Noise core (noise/mem.h) on malloc, counting what is
 * out. A block comes filled with 0xa5 (a core that trusts a block to be
 * zero shows). Pass &m->mem; m must outlive every peer it lends to. */
struct tu_mem {
	struct noise_mem mem;
	size_t out;	  /* blocks lent now */
	size_t out_bytes; /* their asked lengths */
	size_t gets, puts;
	size_t largest;	  /* the largest len asked for */
	size_t refuse_at; /* 0: never; else the get that would make out_bytes pass it */
	int refuse_err;	  /* what a refused get returns (PS_ERR_NOMEM when 0) */
};
void tu_mem_init(struct tu_mem *m);

/* One shared lender for tests that only need the core to work: never
 * refuses. */
const struct noise_mem *tu_mem_default(void);

#endif
