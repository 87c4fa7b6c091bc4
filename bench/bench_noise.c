/*
 * bench_noise - Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s handshakes per second
 * on one core, against the X25519 floor.
 *
 * usage: bench_noise [SECONDS (3)] [PROTOCOL]   rates (below)
 *        bench_noise --count N OP               run OP exactly N times (for callgrind)
 *        bench_noise --list                     the operations
 *
 * Operations (each op_<name> below is one call of it, noinline, so that
 * callgrind can count inside it alone):
 *   x25519_base         a key generation, cry_x25519_base (the fixed-base
 *                       method: a table of multiples of the Ed25519 base
 *                       point, mapped to Montgomery u)
 *   x25519_base_ladder  the same key by libsodium's Montgomery ladder
 *                       (cry_x25519_base_ladder), for the fixed-base gain
 *   x25519              a DH, cry_x25519 (variable base: a ladder)
 *   handshake           one complete handshake, both sides: an initiator and
 *                       a responder HandshakeState (parsed protocol reused;
 *                       fresh ephemeral keys from the RNG, a fixed PSK, empty
 *                       payloads), -> e, <- e, ee, psk, both Splits, the two
 *                       sides' keys compared
 *
 * Timed mode prints each X25519 operation's ops/s; a handshake needs two
 * key generations and two DHs (each side generates e and computes ee), so
 * the most handshakes a core could do is x25519_floor_handshakes_per_sec =
 * 1 / (2 / base + 2 / dh); then handshakes_per_sec, ratio = handshakes /
 * floor, and fixed_base_gain = base / base_ladder.
 *
 * The measurements run interleaved, in ROUNDS slices of SECONDS/ROUNDS
 * each (SECONDS in all for the handshakes, as much again shared by the
 * three X25519 operations), so that all see the same machine (frequency
 * changes, other load on a shared host) instead of one getting a quiet
 * first half and another a busy second half. Each rate is its total count
 * over its total time.
 *
 * Instruction counts per operation:
 *   valgrind --tool=callgrind --toggle-collect='op_OP' \
 *       build/release/bench_noise --count 1000 OP
 *   (total Ir / 1000; the RNG is the OS's, whose getrandom call callgrind
 *   counts only up to the kernel)
 *
 * A program, not a test: build it with the release preset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "crypto/crypto.h"
#include "noise/cipher.h"
#include "noise/handshake.h"
#include "noise/pattern.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__attribute__((noreturn)) static void die(const char *what, int r)
{
	fprintf(stderr, "bench_noise: %s: %s\n", what, ps_strerror(r));
	exit(1);
}

#define ROUNDS	 20
#define NOINLINE __attribute__((noinline))

struct rate {
	uint64_t count;
	uint64_t ns;
};

static double per_sec(const struct rate *r)
{
	return (double)r->count * 1e9 / (double)r->ns;
}

/* The X25519 operations' state: each call's private key depends on the
 * previous call's output, so that no call can be skipped or overlapped. */
static struct {
	uint8_t priv[32], peer[32], out[32];
	struct noise_protocol proto;
} S;

static NOINLINE void op_x25519_base(void)
{
	int r;

	if ((r = cry_x25519_base(S.out, S.priv)) != PS_OK)
		die("x25519 base", r);
	S.priv[0] ^= S.out[0];
}

static NOINLINE void op_x25519_base_ladder(void)
{
	int r;

	if ((r = cry_x25519_base_ladder(S.out, S.priv)) != PS_OK)
		die("x25519 base ladder", r);
	S.priv[0] ^= S.out[0];
}

static NOINLINE void op_x25519(void)
{
	int r;

	if ((r = cry_x25519(S.out, S.priv, S.peer)) != PS_OK)
		die("x25519", r);
	S.priv[1] ^= S.out[0];
}

/* One complete handshake, both sides, including Split. */
static void handshake(const struct noise_protocol *proto, const uint8_t (*psk)[NOISE_PSKLEN])
{
	struct noise_hs i, r;
	struct noise_hs_config ci = { 0 }, cr = { 0 };
	struct noise_cs i1, i2, r1, r2;
	uint8_t m1[64], m2[64], pt[16];
	size_t l1, l2, pl;
	int e;

	ci.protocol = cr.protocol = proto;
	ci.initiator = true;
	ci.psks = cr.psks = psk;
	ci.n_psks = cr.n_psks = 1;
	ci.rng = cr.rng = cry_rng;
	if ((e = noise_hs_init(&i, &ci)) != PS_OK || (e = noise_hs_init(&r, &cr)) != PS_OK)
		die("init", e);
	/* -> e */
	if ((e = noise_hs_write_message(&i, m1, sizeof(m1), &l1, NULL, 0)) != PS_OK ||
	    (e = noise_hs_read_message(&r, pt, sizeof(pt), &pl, m1, l1)) != PS_OK)
		die("message 1", e);
	/* <- e, ee, psk */
	if ((e = noise_hs_write_message(&r, m2, sizeof(m2), &l2, NULL, 0)) != PS_OK ||
	    (e = noise_hs_read_message(&i, pt, sizeof(pt), &pl, m2, l2)) != PS_OK)
		die("message 2", e);
	if ((e = noise_hs_split(&i, &i1, &i2)) != PS_OK ||
	    (e = noise_hs_split(&r, &r1, &r2)) != PS_OK)
		die("split", e);
	if (!cry_memeq(i1.k, r1.k, NOISE_KEYLEN) || !cry_memeq(i2.k, r2.k, NOISE_KEYLEN))
		die("split", PS_ERR_CRYPTO);
	noise_cs_wipe(&i1);
	noise_cs_wipe(&i2);
	noise_cs_wipe(&r1);
	noise_cs_wipe(&r2);
}

static NOINLINE void op_handshake(void)
{
	uint8_t psk[1][NOISE_PSKLEN];

	memset(psk, 0x42, sizeof(psk));
	handshake(&S.proto, (const uint8_t(*)[NOISE_PSKLEN])psk);
}

static const struct op {
	const char *name;
	void (*fn)(void);
} OPS[] = {
	{ "x25519_base", op_x25519_base },
	{ "x25519_base_ladder", op_x25519_base_ladder },
	{ "x25519", op_x25519 },
	{ "handshake", op_handshake },
};
#define NOPS (sizeof(OPS) / sizeof(OPS[0]))

/* OP for seconds, 16 calls between clock readings; adds to *acc. */
static void bench_op(struct rate *acc, const struct op *op, double seconds)
{
	uint64_t n = 0, start = now_ns(), end = start + (uint64_t)(seconds * 1e9), t;

	do {
		for (int k = 0; k < 16; k++)
			op->fn();
		n += 16;
		t = now_ns();
	} while (t < end);
	acc->count += n;
	acc->ns += t - start;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_noise [SECONDS (3)] [PROTOCOL]\n"
			"       bench_noise --count N OP\n"
			"       bench_noise --list\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct rate rates[NOPS] = { { 0, 0 } };
	const char *name = "Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s";
	double seconds = 3.0, base, ladder, dh, floor_hs, hs;
	int r;

	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < NOPS; i++)
			printf("%s\n", OPS[i].name);
		return 0;
	}
	if ((r = cry_init()) != PS_OK)
		die("cry_init", r);
	cry_random(S.priv, sizeof(S.priv));
	cry_random(S.peer, sizeof(S.peer));
	if ((r = cry_x25519_base(S.peer, S.peer)) != PS_OK)
		die("x25519 base", r);
	if (argc > 1 && strcmp(argv[1], "--count") == 0) {
		long n;
		const struct op *op = NULL;

		if (argc != 4 || (n = atol(argv[2])) <= 0)
			usage();
		for (size_t i = 0; i < NOPS; i++)
			if (strcmp(argv[3], OPS[i].name) == 0)
				op = &OPS[i];
		if (!op)
			usage();
		if ((r = noise_protocol_parse(&S.proto, name, strlen(name))) != PS_OK)
			die(name, r);
		for (long k = 0; k < n; k++)
			op->fn();
		printf("op=%s count=%ld\n", op->name, n);
		return 0;
	}
	if (argc > 1)
		seconds = atof(argv[1]);
	if (argc > 2)
		name = argv[2];
	if (seconds <= 0)
		usage();
	if ((r = noise_protocol_parse(&S.proto, name, strlen(name))) != PS_OK)
		die(name, r);
	if (S.proto.pattern.n_msgs != 2 || S.proto.pattern.n_psks != 1)
		die("the benchmark runs NNpsk2-shaped protocols", PS_ERR_UNSUPPORTED);

	/* warm up the caches and the code */
	for (size_t i = 0; i < NOPS; i++)
		OPS[i].fn();
	for (int round = 0; round < ROUNDS; round++) {
		for (size_t i = 0; i < NOPS; i++)
			bench_op(&rates[i], &OPS[i],
				 seconds / ROUNDS / (i == NOPS - 1 ? 1 : (double)(NOPS - 1)));
	}
	base = per_sec(&rates[0]);
	ladder = per_sec(&rates[1]);
	dh = per_sec(&rates[2]);
	hs = per_sec(&rates[3]);
	floor_hs = 1 / (2 / base + 2 / dh);

	printf("protocol=%s\n", S.proto.name);
	printf("seconds=%.1f\n", seconds);
	printf("rounds=%d\n", ROUNDS);
	printf("x25519_base_ops_per_sec=%.0f\n", base);
	printf("x25519_base_ladder_ops_per_sec=%.0f\n", ladder);
	printf("x25519_dh_ops_per_sec=%.0f\n", dh);
	printf("fixed_base_gain=%.2f\n", base / ladder);
	printf("x25519_floor_handshakes_per_sec=%.0f\n", floor_hs);
	printf("handshakes_per_sec=%.0f\n", hs);
	printf("ratio=%.3f\n", hs / floor_hs);
	return 0;
}
