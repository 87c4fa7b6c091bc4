/*
 * fuzz.c - the shared helpers of fuzz.h.
 */
#include "fuzz.h"

void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", file, line, what);
	abort();
}

void fuzz_crypto_init(void)
{
	static bool done;

	if (done)
		return;
	if (cry_init() != PS_OK)
		fuzz_fail(__FILE__, __LINE__, "cry_init");
	done = true;
}

void fuzz_rng_fill(void *ctx, uint8_t *out, size_t n)
{
	struct fuzz_rng *r = ctx;

	while (n) {
		uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
		size_t k = n < 8 ? n : 8;

		z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
		z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
		z ^= z >> 31;
		for (size_t i = 0; i < k; i++)
			out[i] = (uint8_t)(z >> (8 * i));
		out += k;
		n -= k;
	}
}

static FILE *saved_stderr, *devnull;

void fuzz_stderr_mute(void)
{
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		return;
	if (!saved_stderr)
		saved_stderr = stderr;
	stderr = devnull;
}

void fuzz_stderr_restore(void)
{
	if (saved_stderr)
		stderr = saved_stderr;
}

static size_t mem_out;

static int mem_get(void *ctx, size_t len, void **block)
{
	(void)ctx;
	FUZZ_ASSERT(len >= 1 && len <= NOISE_MEM_MAX);
	if (!(*block = malloc(len)))
		return PS_ERR_NOMEM;
	memset(*block, 0xa5, len);
	mem_out++;
	return PS_OK;
}

static void mem_put(void *ctx, void *block, size_t len)
{
	(void)ctx;
	(void)len;
	FUZZ_ASSERT(block && mem_out > 0);
	mem_out--;
	free(block);
}

const struct noise_mem fuzz_mem = { mem_get, mem_put, NULL };

size_t fuzz_mem_out(void)
{
	return mem_out;
}
