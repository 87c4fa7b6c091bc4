/*
 * bench_noise - Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s handshakes per second
 * on one core, against the X25519 floor.
 *
 * usage: bench_noise [SECONDS (3)] [PROTOCOL]
 *
 * 1. X25519 through ref/crypto: a key generation (cry_x25519_base) and a DH
 *    (cry_x25519) in turn, for SECONDS: x25519_ops_per_sec. A handshake needs
 *    four (each side generates e and computes ee), so the most handshakes a
 *    core could do is x25519_floor_handshakes_per_sec = ops / 4.
 * 2. Full in-process handshakes for SECONDS: an initiator and a responder
 *    HandshakeState (parsed protocol reused; fresh ephemeral keys from the
 *    RNG, a fixed PSK, empty payloads), -> e, <- e, ee, psk, both Splits:
 *    handshakes_per_sec, and ratio = handshakes / floor.
 *
 * The two measurements run interleaved, in ROUNDS slices of SECONDS/ROUNDS
 * each, so that both see the same machine (frequency changes, other load on
 * a shared host) instead of one getting a quiet first half and the other a
 * busy second half. Each rate is its total count over its total time.
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

static void die(const char *what, int r)
{
	fprintf(stderr, "bench_noise: %s: %s\n", what, ps_strerror(r));
	exit(1);
}

#define ROUNDS 20

struct rate {
	uint64_t count;
	uint64_t ns;
};

static double per_sec(const struct rate *r)
{
	return (double)r->count * 1e9 / (double)r->ns;
}

/* Key generation and DH in turn, for seconds; adds to *acc. */
static void bench_x25519(struct rate *acc, double seconds)
{
	static uint8_t priv[32], peer[32];
	uint8_t pub[32], shared[32];
	uint64_t ops = 0, start = now_ns(), end = start + (uint64_t)(seconds * 1e9), t;
	int r;

	if (!peer[0]) {
		cry_random(priv, sizeof(priv));
		cry_random(peer, sizeof(peer));
		peer[0] |= 1;
		if ((r = cry_x25519_base(peer, peer)) != PS_OK)
			die("x25519 base", r);
	}
	do {
		for (int k = 0; k < 64; k++) {
			if ((r = cry_x25519_base(pub, priv)) != PS_OK)
				die("x25519 base", r);
			if ((r = cry_x25519(shared, priv, peer)) != PS_OK)
				die("x25519", r);
			/* the next private key depends on this round's work */
			priv[0] ^= pub[0];
			priv[1] ^= shared[0];
		}
		ops += 128;
		t = now_ns();
	} while (t < end);
	acc->count += ops;
	acc->ns += t - start;
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

/* Handshakes for seconds; adds to *acc. */
static void bench_handshakes(struct rate *acc, const struct noise_protocol *proto, double seconds)
{
	uint8_t psk[1][NOISE_PSKLEN];
	uint64_t n = 0, start = now_ns(), end = start + (uint64_t)(seconds * 1e9), t;

	memset(psk, 0x42, sizeof(psk));
	do {
		for (int k = 0; k < 16; k++)
			handshake(proto, (const uint8_t(*)[NOISE_PSKLEN])psk);
		n += 16;
		t = now_ns();
	} while (t < end);
	acc->count += n;
	acc->ns += t - start;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3.0, x_ops, floor_hs, hs;
	struct rate x = { 0, 0 }, h = { 0, 0 };
	const char *name = argc > 2 ? argv[2] : "Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s";
	struct noise_protocol proto;
	int r;

	if (seconds <= 0) {
		fprintf(stderr, "usage: bench_noise [SECONDS (3)] [PROTOCOL]\n");
		return 2;
	}
	if ((r = cry_init()) != PS_OK)
		die("cry_init", r);
	if ((r = noise_protocol_parse(&proto, name, strlen(name))) != PS_OK)
		die(name, r);
	if (proto.pattern.n_msgs != 2 || proto.pattern.n_psks != 1)
		die("the benchmark runs NNpsk2-shaped protocols", PS_ERR_UNSUPPORTED);

	handshake(&proto, (const uint8_t(*)[NOISE_PSKLEN]) "warm up the caches and the code..");
	for (int round = 0; round < ROUNDS; round++) {
		bench_x25519(&x, seconds / ROUNDS);
		bench_handshakes(&h, &proto, seconds / ROUNDS);
	}
	x_ops = per_sec(&x);
	floor_hs = x_ops / 4;
	hs = per_sec(&h);

	printf("protocol=%s\n", proto.name);
	printf("seconds=%.1f\n", seconds);
	printf("rounds=%d\n", ROUNDS);
	printf("x25519_ops_per_sec=%.0f\n", x_ops);
	printf("x25519_floor_handshakes_per_sec=%.0f\n", floor_hs);
	printf("handshakes_per_sec=%.0f\n", hs);
	printf("ratio=%.3f\n", hs / floor_hs);
	return 0;
}
