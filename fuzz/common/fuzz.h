/*
 * fuzz.h - what every harness in fuzz/ shares: the libFuzzer entry points,
 * an assertion that survives NDEBUG, and a FuzzedDataProvider in C (LLVM's
 * FuzzedDataProvider.h, reduced): typed values taken from the front of the
 * input, each returning zeros once the input is used up, so every input is
 * a valid program for the harness.
 *
 * The same harness sources build for libFuzzer (-fsanitize=fuzzer), for
 * AFL++ (afl-clang-fast -fsanitize=fuzzer links its libAFLDriver), and for
 * OSS-Fuzz / ClusterFuzzLite ($LIB_FUZZING_ENGINE); tests/fuzzfix replays
 * crash inputs through the library calls directly.
 */
#ifndef PS_FUZZ_FUZZ_H
#define PS_FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "noise/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A harness invariant. Aborts (a crash to every engine), naming the line. */
#define FUZZ_ASSERT(cond)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__FILE__, __LINE__, #cond);                                      \
	} while (0)

__attribute__((noreturn)) void fuzz_fail(const char *file, int line, const char *what);

/* cry_init() once; aborts if the crypto library cannot start. */
void fuzz_crypto_init(void);

/* ---- the data provider ------------------------------------------------- */

struct fdp {
	const uint8_t *p;
	size_t n;
};

static inline struct fdp fdp_make(const uint8_t *data, size_t size)
{
	struct fdp f = { data, size };
	return f;
}

static inline size_t fdp_left(const struct fdp *f)
{
	return f->n;
}

static inline uint8_t fdp_u8(struct fdp *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static inline bool fdp_bool(struct fdp *f)
{
	return fdp_u8(f) & 1;
}

static inline uint16_t fdp_u16(struct fdp *f)
{
	uint16_t v = fdp_u8(f);
	return (uint16_t)(v | fdp_u8(f) << 8);
}

static inline uint32_t fdp_u32(struct fdp *f)
{
	uint32_t v = fdp_u16(f);
	return v | (uint32_t)fdp_u16(f) << 16;
}

static inline uint64_t fdp_u64(struct fdp *f)
{
	uint64_t v = fdp_u32(f);
	return v | (uint64_t)fdp_u32(f) << 32;
}

/* A value in [0, n) (0 when n is 0). */
static inline size_t fdp_below(struct fdp *f, size_t n)
{
	if (n <= 1)
		return 0;
	if (n <= 256)
		return fdp_u8(f) % n;
	if (n <= 65536)
		return fdp_u16(f) % n;
	return (size_t)(fdp_u32(f) % n);
}

/* n bytes into out; zeros past the end of the input. */
static inline void fdp_bytes(struct fdp *f, uint8_t *out, size_t n)
{
	size_t k = n < f->n ? n : f->n;

	if (k)
		memcpy(out, f->p, k);
	if (n > k)
		memset(out + k, 0, n - k);
	f->p += k;
	f->n -= k;
}

/* A view of up to max bytes, its length read from the input first (one byte
 * when max < 256, else two); shorter when the input ends. */
static inline const uint8_t *fdp_view(struct fdp *f, size_t max, size_t *len)
{
	size_t want = max < 256 ? fdp_u8(f) : fdp_u16(f);
	const uint8_t *p = f->p;

	if (want > max)
		want = max ? want % (max + 1) : 0;
	if (want > f->n)
		want = f->n;
	f->p += want;
	f->n -= want;
	*len = want;
	return p;
}

/* Everything that is left. */
static inline const uint8_t *fdp_rest(struct fdp *f, size_t *len)
{
	const uint8_t *p = f->p;

	*len = f->n;
	f->p += f->n;
	f->n = 0;
	return p;
}

/* ---- deterministic randomness -------------------------------------------- */

/* SplitMix64: keys and nonces the input decides, so runs replay exactly. */
struct fuzz_rng {
	uint64_t s;
};

/* A ps_rng_fn over struct fuzz_rng (ctx). */
void fuzz_rng_fill(void *ctx, uint8_t *out, size_t n);

/* ---- quiet stderr ---------------------------------------------------------- */

/* Point stdio's stderr at /dev/null (for code that prints usage errors) and
 * back. The sanitizers write to file descriptor 2 directly: their reports
 * still show. */
void fuzz_stderr_mute(void);
void fuzz_stderr_restore(void);

/* A lender for the Noise core (noise/mem.h) on malloc. fuzz_mem_out() is
 * the blocks lent now: 0 once every peer is freed, or the core leaks. */
extern const struct noise_mem fuzz_mem;
size_t fuzz_mem_out(void);

#endif
