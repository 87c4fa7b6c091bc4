/*
 * bench_bip324 - the cost of BIP324's public-key steps and cipher setup on
 * one core, in process, through ref/crypto and ref/btc/v2cipher.
 *
 * usage: bench_bip324 [SECONDS (3)]       ops/s of every operation
 *        bench_bip324 --count N OP        run OP exactly N times (for callgrind)
 *        bench_bip324 --list              the operations
 *
 * Operations (each op_<name> below is one call of it, noinline, so that
 * callgrind can count inside it alone):
 *   keygen          a private key from the RNG and its public X (priv*G)
 *   ellswift_encode XElligatorSwift of a fixed public X (random u, case)
 *   ellswift_create keygen + encode: the BIP's ellswift_create()
 *   ellswift_decode XSwiftEC of 64 random bytes
 *   ecdh            v2_ecdh: decode theirs, x-only ECDH, the tagged hash
 *   cipher_init     btc_v2c_init: ecdh + HKDF (six expansions) + the ciphers
 *   packet_1b       encrypt + decrypt of a 1-byte packet (a ping-sized one)
 *   handshake       a whole v2 handshake in memory: a v2 initiator and a
 *                   detecting responder (btc/handshake.h), keys, garbage
 *                   (0 bytes), version packets, version/verack, to SUCCESS
 *                   on both sides. Its secp256k1 and field work is two
 *                   ellswift_create and two ecdh: ci/bench compares.
 *
 * The RNG is a SplitMix64 stream, so runs (and callgrind counts) repeat
 * exactly; the OS RNG would add a getrandom call per draw. In the timed
 * mode the operations run interleaved, in ROUNDS slices each, so that all
 * see the same machine. Instruction counts per operation:
 *
 *   valgrind --tool=callgrind --toggle-collect='op_OP' \
 *       build/release/bench_bip324 --count 1000 OP
 *   (total Ir / 1000; callgrind_annotate prints the total)
 *
 * A program, not a test: build it with the release preset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "btc/handshake.h"
#include "btc/v2cipher.h"
#include "core/err.h"
#include "crypto/crypto.h"
#include "crypto/secp.h"

#define ROUNDS	 10
#define NOINLINE __attribute__((noinline))

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__attribute__((noreturn)) static void die(const char *what, int r)
{
	fprintf(stderr, "bench_bip324: %s: %s\n", what, ps_strerror(r));
	exit(1);
}

/* SplitMix64 as a ps_rng_fn */
static void rng(void *ctx, uint8_t *out, size_t n)
{
	uint64_t *s = ctx;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t z = (*s += 0x9e3779b97f4a7c15u);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
		z ^= z >> 31;
		memcpy(out + i, &z, n - i < 8 ? n - i : 8);
	}
}

/* What the operations share: a fixed key pair of ours and a peer's. */
static struct {
	uint64_t seed;
	uint8_t priv[32], ell[64], x[32];
	uint8_t peer_priv[32], peer_ell[64];
	struct btc_v2c tx, rx;
	uint8_t sink;
} S;

static const uint8_t MAINNET[4] = { 0xf9, 0xbe, 0xb4, 0xd9 };

static NOINLINE void op_keygen(void)
{
	uint8_t priv[32], x[32];
	int r;

	if ((r = cry_secp_keygen(priv, rng, &S.seed)) != PS_OK ||
	    (r = cry_secp_pubkey_x(x, priv)) != PS_OK)
		die("keygen", r);
	S.sink ^= x[0];
	cry_memzero(priv, sizeof(priv));
}

static NOINLINE void op_ellswift_encode(void)
{
	uint8_t ell[64];
	int r;

	if ((r = cry_ellswift_encode(ell, S.x, rng, &S.seed)) != PS_OK)
		die("ellswift_encode", r);
	S.sink ^= ell[63];
}

static NOINLINE void op_ellswift_create(void)
{
	uint8_t priv[32], ell[64];
	int r;

	if ((r = cry_ellswift_create(priv, ell, rng, &S.seed)) != PS_OK)
		die("ellswift_create", r);
	S.sink ^= ell[63];
	cry_memzero(priv, sizeof(priv));
}

static NOINLINE void op_ellswift_decode(void)
{
	uint8_t ell[64], x[32];

	rng(&S.seed, ell, sizeof(ell));
	cry_ellswift_decode(x, ell);
	S.sink ^= x[0];
}

static NOINLINE void op_ecdh(void)
{
	uint8_t secret[32];
	int r;

	if ((r = cry_bip324_ecdh(secret, S.priv, S.peer_ell, S.ell, true)) != PS_OK)
		die("ecdh", r);
	S.sink ^= secret[0];
	cry_memzero(secret, sizeof(secret));
}

static NOINLINE void op_cipher_init(void)
{
	struct btc_v2c c;
	int r;

	if ((r = btc_v2c_init(&c, S.priv, S.ell, S.peer_ell, true, MAINNET)) != PS_OK)
		die("cipher_init", r);
	S.sink ^= btc_v2c_session_id(&c)[0];
	btc_v2c_wipe(&c);
}

static NOINLINE void op_packet_1b(void)
{
	uint8_t msg[1] = { 0x12 }, pkt[1 + BTC_V2_EXPANSION], plain[2];
	const uint8_t *dec;
	size_t n;
	uint32_t len;
	bool ignore;
	int r;

	if ((r = btc_v2c_encrypt(&S.tx, pkt, sizeof(pkt), &n, msg, 1, NULL, 0, false)) != PS_OK ||
	    (r = btc_v2c_decrypt_length(&S.rx, &len, pkt)) != PS_OK ||
	    (r = btc_v2c_decrypt(&S.rx, &ignore, &dec, plain, sizeof(plain), pkt + 3, n - 3, NULL,
				 0)) != PS_OK)
		die("packet", r);
	S.sink ^= dec[0];
}

/* Move what from has queued into to. */
static void pump(struct btc_hs *from, struct btc_hs *to)
{
	const uint8_t *p;
	size_t n = btc_hs_output(from, &p);
	int r;

	if (n && (r = btc_hs_input(to, 1, p, n)) != PS_OK)
		die("handshake input", r);
	btc_hs_consume(from, n);
}

static NOINLINE void op_handshake(void)
{
	static struct btc_hs a, b; /* 10 KiB each: not on the stack */
	struct btc_hs_config c;
	struct btc_event ev;
	int r, turns = 0;

	memset(&c, 0, sizeof(c));
	memcpy(c.magic, MAINNET, 4);
	c.version = 70016;
	c.services = 0x809;
	c.user_agent = "/bench/";
	c.relay = true;
	c.rng = rng;
	c.rng_ctx = &S.seed;
	c.transport = BTC_TRANSPORT_V2;
	if ((r = btc_hs_init(&a, BTC_INITIATOR, &c, 0)) != PS_OK)
		die("handshake init", r);
	c.transport = BTC_TRANSPORT_DETECT;
	if ((r = btc_hs_init(&b, BTC_RESPONDER, &c, 0)) != PS_OK)
		die("handshake init", r);
	while (btc_hs_outcome(&a) != PS_SUCCESS || btc_hs_outcome(&b) != PS_SUCCESS) {
		if (++turns > 16)
			die("handshake", PS_ERR_PROTOCOL);
		pump(&a, &b);
		pump(&b, &a);
		while (btc_hs_next_event(&a, &ev) || btc_hs_next_event(&b, &ev))
			;
	}
	S.sink ^= btc_hs_session_id(&a)[0];
	btc_hs_close(&a, PS_ERR_CLOSED);
	btc_hs_close(&b, PS_ERR_CLOSED);
}

static const struct op {
	const char *name;
	void (*fn)(void);
} OPS[] = {
	{ "keygen", op_keygen },
	{ "ellswift_encode", op_ellswift_encode },
	{ "ellswift_create", op_ellswift_create },
	{ "ellswift_decode", op_ellswift_decode },
	{ "ecdh", op_ecdh },
	{ "cipher_init", op_cipher_init },
	{ "packet_1b", op_packet_1b },
	{ "handshake", op_handshake },
};
#define NOPS (sizeof(OPS) / sizeof(OPS[0]))

static void setup(void)
{
	int r;

	S.seed = 0x324;
	if ((r = cry_init()) != PS_OK)
		die("cry_init", r);
	if ((r = cry_ellswift_create(S.priv, S.ell, rng, &S.seed)) != PS_OK ||
	    (r = cry_ellswift_create(S.peer_priv, S.peer_ell, rng, &S.seed)) != PS_OK ||
	    (r = cry_secp_pubkey_x(S.x, S.priv)) != PS_OK ||
	    (r = btc_v2c_init(&S.tx, S.priv, S.ell, S.peer_ell, true, MAINNET)) != PS_OK ||
	    (r = btc_v2c_init(&S.rx, S.peer_priv, S.peer_ell, S.ell, false, MAINNET)) != PS_OK)
		die("setup", r);
}

static const struct op *find(const char *name)
{
	for (size_t i = 0; i < NOPS; i++)
		if (strcmp(OPS[i].name, name) == 0)
			return &OPS[i];
	return NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_bip324 [SECONDS (3)]\n"
			"       bench_bip324 --count N OP\n"
			"       bench_bip324 --list\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint64_t count[NOPS] = { 0 }, ns[NOPS] = { 0 };
	double seconds = 3.0;

	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < NOPS; i++)
			printf("%s\n", OPS[i].name);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--count") == 0) {
		const struct op *op = argc == 4 ? find(argv[3]) : NULL;
		long n = argc == 4 ? atol(argv[2]) : 0;

		if (!op || n <= 0)
			return usage();
		setup();
		for (long i = 0; i < n; i++)
			op->fn();
		printf("op=%s count=%ld sink=%u\n", op->name, n, S.sink);
		printf("for instructions per op: valgrind --tool=callgrind "
		       "--toggle-collect='op_%s' "
		       "%s --count %ld %s  (total Ir / %ld)\n",
		       op->name, argv[0], n, op->name, n);
		return 0;
	}
	if (argc > 2 || (argc == 2 && (seconds = atof(argv[1])) <= 0))
		return usage();

	setup();
	for (size_t i = 0; i < NOPS; i++)
		OPS[i].fn(); /* warm up */
	for (int round = 0; round < ROUNDS; round++) {
		for (size_t i = 0; i < NOPS; i++) {
			uint64_t start = now_ns(), t,
				 end = start + (uint64_t)(seconds / ROUNDS / NOPS * 1e9);

			do {
				for (int k = 0; k < 8; k++)
					OPS[i].fn();
				count[i] += 8;
				t = now_ns();
			} while (t < end);
			ns[i] += t - start;
		}
	}
	printf("seconds=%.1f rounds=%d\n", seconds, ROUNDS);
	for (size_t i = 0; i < NOPS; i++)
		printf("%s_ops_per_sec=%.0f us_per_op=%.2f\n", OPS[i].name,
		       (double)count[i] * 1e9 / (double)ns[i],
		       (double)ns[i] / 1e3 / (double)count[i]);
	printf("# instructions per op: valgrind --tool=callgrind --toggle-collect='op_OP' %s "
	       "--count 1000 OP  (OP from --list; total Ir / 1000)\n",
	       argv[0]);
	return 0;
}
