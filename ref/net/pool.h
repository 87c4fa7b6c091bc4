/*
 * pool.h - fixed blocks of memory for the cores' large buffers (a Noise
 * peer's frames past its small buffers, noise/mem.h), taken from the OS
 * with mmap and given back to it when idle.
 *
 * Every block is its own anonymous mapping of block_size bytes (rounded up
 * to whole pages), so it costs resident memory only for the pages written:
 * a frame's block holds as many pages as bytes of the frame have arrived.
 * A block given back is kept on a free list of at most `keep` blocks, its
 * pages dropped at once (madvise MADV_DONTNEED: it is resident no more, and
 * reads as zeros when lent again); past `keep` it is unmapped. A request
 * larger than a block gets a mapping of its own, unmapped when given back.
 * Nothing of a block is resident after it is given back.
 */
#ifndef PS_NET_POOL_H
#define PS_NET_POOL_H

#include <stddef.h>

#include "core/err.h"

struct net_pool;

/* What a pool holds now. */
struct net_pool_stats {
	size_t lent;	     /* blocks (and larger mappings) out */
	size_t lent_bytes;   /* their mapped bytes */
	size_t idle;	     /* blocks on the free list (no resident pages) */
	size_t peak_lent;    /* the most ever out at once */
	size_t maps, unmaps; /* mmap and munmap calls so far */
};

/* A pool of blocks of block_size bytes (at least 1), at most keep of them
 * idle. NULL: out of memory. */
struct net_pool *net_pool_create(size_t block_size, size_t keep);

/* Unmap every idle block and free the pool. Blocks still lent are the
 * caller's to give back first (a pool destroyed with blocks out leaks
 * them). NULL is a no-op. */
void net_pool_destroy(struct net_pool *pool);

/* The block size as rounded up to pages. */
size_t net_pool_block_size(const struct net_pool *pool);

/* A block of at least len bytes (1 <= len): a pooled block when len fits
 * one, a mapping of its own otherwise. It reads as zeros (a fresh mapping,
 * or one whose pages were dropped). NULL: len 0, or mmap failed. */
void *net_pool_get(struct net_pool *pool, size_t len);

/* Give back what net_pool_get(pool, len) returned, with the same len. */
void net_pool_put(struct net_pool *pool, void *block, size_t len);

void net_pool_stats(const struct net_pool *pool, struct net_pool_stats *out);

#endif
