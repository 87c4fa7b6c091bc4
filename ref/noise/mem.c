#include "noise/mem.h"

#include <string.h>

#include "crypto/crypto.h"

void noise_buf_init(struct noise_buf *b, uint8_t *small, size_t small_cap,
		    const struct noise_mem *mem)
{
	b->p = b->small = small;
	b->cap = b->small_cap = small_cap;
	b->lent = b->used = 0;
	b->mem = mem;
}

int noise_buf_reserve(struct noise_buf *b, size_t need, size_t ask, size_t keep)
{
	void *block = NULL;
	int r;

	if (need <= b->cap)
		return PS_OK;
	if (ask < need)
		ask = need;
	if (ask > NOISE_MEM_MAX || !b->mem)
		return PS_ERR_NOMEM;
	if ((r = b->mem->get(b->mem->ctx, ask, &block)) != PS_OK)
		return r;
	if (keep > b->used)
		keep = b->used;
	if (keep)
		memcpy(block, b->p, keep);
	noise_buf_release(b);
	b->p = block;
	b->cap = b->lent = ask;
	b->used = keep;
	return PS_OK;
}

void noise_buf_wrote(struct noise_buf *b, size_t n)
{
	if (n > b->cap)
		n = b->cap;
	if (n > b->used)
		b->used = n;
}

void noise_buf_release(struct noise_buf *b)
{
	if (!b->p)
		return;
	if (b->used)
		cry_memzero(b->p, b->used);
	if (b->lent)
		b->mem->put(b->mem->ctx, b->p, b->lent);
	b->p = b->small;
	b->cap = b->small_cap;
	b->lent = b->used = 0;
}
