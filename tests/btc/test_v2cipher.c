/*
 * test_v2cipher.c - ref/btc/v2cipher.[ch], the BIP324 cipher suite.
 *
 * The truth is BIP324's packet_encoding_test_vectors.csv, read in place from
 * the shared folder (tu_vectors_dir). For every row, every column is
 * checked: the X coordinates (ours decoded and from the private key,
 * theirs decoded, the shared one), the shared secret, the four keys, both
 * garbage terminators, the session id; then in_idx dummy packets are
 * encrypted and the packet with in_contents repeated in_multiply times,
 * in_aad and in_ignore must be out_ciphertext (or end with
 * out_ciphertext_endswith); the peer's cipher (the same keys, the other
 * role) decrypts it back after the same dummies, and a third cipher of the
 * peer's does so streamed (btc_v2c_decrypt_aad / _stream, in pieces, the
 * dummies streamed too), whole and for its first 17 bytes. The rows sit at packets 0,
 * 1, 223 (the last of the first epoch), 448 (the first of the third), 673,
 * 999 and 1024, on both sides, so they are the truth for rekeying too; no
 * expected value here comes from this code or from a second copy of the
 * construction.
 *
 * A flipped bit in any cell of any row (a copy in memory) must make the same
 * comparator fail. Unit tests: truncations and bit flips of an official
 * ciphertext, its length field, its AAD (each, and the official packet,
 * also streamed in pieces of 1, 5, 64 bytes and whole: the same result, the
 * same plaintext or zeros, the same cipher afterwards byte for byte), a
 * wrong packet index and a wrong side; the streamed path's call order; the state machine (length
 * before packet, nothing after a failure); buffers too small and contents too large with nothing
 * changed; a long round trip across several rekeyings; the block-counter guard.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btc/v2cipher.h"
#include "core/err.h"
#include "core/hex.h"
#include "crypto/crypto.h"
#include "crypto/secp.h"
#include "csvvec.h"
#include "testutil.h"

/* NETWORK_MAGIC of the BIP's pseudo-code (mainnet), which the vectors use */
static const uint8_t MAINNET[4] = { 0xf9, 0xbe, 0xb4, 0xd9 };

static const char *g_vectors;

enum col {
	IN_IDX,
	IN_PRIV_OURS,
	IN_ELLSWIFT_OURS,
	IN_ELLSWIFT_THEIRS,
	IN_INITIATING,
	IN_CONTENTS,
	IN_MULTIPLY,
	IN_AAD,
	IN_IGNORE,
	MID_X_OURS,
	MID_X_THEIRS,
	MID_X_SHARED,
	MID_SHARED_SECRET,
	MID_INITIATOR_L,
	MID_INITIATOR_P,
	MID_RESPONDER_L,
	MID_RESPONDER_P,
	MID_SEND_GARBAGE_TERMINATOR,
	MID_RECV_GARBAGE_TERMINATOR,
	OUT_SESSION_ID,
	OUT_CIPHERTEXT,
	OUT_CIPHERTEXT_ENDSWITH,
	NCOLS
};

static const char *const COLS[NCOLS] = {
	"in_idx",
	"in_priv_ours",
	"in_ellswift_ours",
	"in_ellswift_theirs",
	"in_initiating",
	"in_contents",
	"in_multiply",
	"in_aad",
	"in_ignore",
	"mid_x_ours",
	"mid_x_theirs",
	"mid_x_shared",
	"mid_shared_secret",
	"mid_initiator_l",
	"mid_initiator_p",
	"mid_responder_l",
	"mid_responder_p",
	"mid_send_garbage_terminator",
	"mid_recv_garbage_terminator",
	"out_session_id",
	"out_ciphertext",
	"out_ciphertext_endswith",
};

/* One row as text, so that a test can mutate a copy of a cell. */
struct row {
	char *v[NCOLS];
};

static void row_load(struct row *r, const struct tu_csv *csv, size_t i)
{
	for (int c = 0; c < NCOLS; c++) {
		r->v[c] = strdup(tu_csv_get(csv, i, COLS[c]));
		assert_non_null(r->v[c]);
	}
}

static void row_free(struct row *r)
{
	for (int c = 0; c < NCOLS; c++)
		free(r->v[c]);
}

/* hex into a new buffer (NULL on bad hex; a 1-byte buffer for "") */
static uint8_t *hexdup(const char *hex, size_t *len)
{
	size_t n = strlen(hex);
	uint8_t *out = malloc(n / 2 + 1);

	if (!out)
		return NULL;
	if (n % 2 || ps_hex_decode(out, n / 2 + 1, len, hex, n) != PS_OK) {
		free(out);
		return NULL;
	}
	return out;
}

static bool unhex_n(uint8_t *out, size_t n, const char *hex)
{
	size_t got;

	return strlen(hex) == 2 * n && ps_hex_decode(out, n, &got, hex, 2 * n) == PS_OK && got == n;
}

/* got (n bytes) equals the hex cell, in length and content */
static bool hexeq(const uint8_t *got, size_t n, const char *want_hex)
{
	size_t wl = 0;
	uint8_t *w = hexdup(want_hex, &wl);
	bool ok = w && wl == n && (n == 0 || cry_memeq(got, w, n));

	free(w);
	return ok;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*s)
		return false;
	*out = strtoul(s, &end, 10);
	return !*end && *out <= max;
}

/* The keys of a row (from its own inputs). */
static bool row_keys(const struct row *r, struct btc_v2c_keys *k, bool *initiating)
{
	uint8_t priv[32], ours[64], theirs[64], secret[32];
	unsigned long init;
	bool ok = unhex_n(priv, 32, r->v[IN_PRIV_OURS]) &&
		  unhex_n(ours, 64, r->v[IN_ELLSWIFT_OURS]) &&
		  unhex_n(theirs, 64, r->v[IN_ELLSWIFT_THEIRS]) &&
		  parse_uint(r->v[IN_INITIATING], 1, &init) &&
		  cry_bip324_ecdh(secret, priv, theirs, ours, init == 1) == PS_OK &&
		  btc_v2c_derive_keys(k, secret, MAINNET) == PS_OK;

	*initiating = ok && init == 1;
	return ok;
}

/* Encrypt one empty decoy on s and have d (when given) decrypt it. */
static bool dummy(struct btc_v2c *s, struct btc_v2c *d)
{
	uint8_t pkt[BTC_V2_EXPANSION], out[BTC_V2_HEADER_LEN];
	const uint8_t *contents;
	size_t n;
	uint32_t len;
	bool ignore;

	if (btc_v2c_encrypt(s, pkt, sizeof(pkt), &n, NULL, 0, NULL, 0, true) != PS_OK ||
	    n != BTC_V2_EXPANSION)
		return false;
	if (!d)
		return true;
	return btc_v2c_decrypt_length(d, &len, pkt) == PS_OK && len == 0 &&
	       btc_v2c_decrypt(d, &ignore, &contents, out, sizeof(out), pkt + BTC_V2_LENGTH_LEN,
			       n - BTC_V2_LENGTH_LEN, NULL, 0) == PS_OK &&
	       ignore;
}

/* Decrypt the packet (pkt, n: length included) on d streamed: the aad in
 * pieces of step bytes, then the rest in pieces of step (0: whole). out
 * gets the first outcap plaintext bytes. The result code; PS_OK only once
 * the packet is done. */
static int stream_packet(struct btc_v2c *d, const uint8_t *pkt, size_t n, const uint8_t *aad,
			 size_t aadlen, uint8_t *out, size_t outcap, size_t step, bool *ignore)
{
	uint32_t len;
	size_t off, used, k;
	bool done = false;
	int r;

	for (off = 0; off < aadlen; off += k) {
		k = step && aadlen - off > step ? step : aadlen - off;
		if ((r = btc_v2c_decrypt_aad(d, aad + off, k)) != PS_OK)
			return r;
	}
	if (n < BTC_V2_LENGTH_LEN)
		return PS_ERR_BAD_SIZE;
	if ((r = btc_v2c_decrypt_length(d, &len, pkt)) != PS_OK)
		return r;
	for (off = BTC_V2_LENGTH_LEN; off < n && !done; off += used) {
		k = step && n - off > step ? step : n - off;
		if ((r = btc_v2c_decrypt_stream(d, &done, ignore, &used, out, outcap, pkt + off,
						k)) != PS_OK)
			return r;
		if (used != k && !done)
			return PS_ERR_INVALID_STATE; /* took less without finishing */
	}
	return done && off == n ? PS_OK : PS_ERR_NEED_MORE;
}

/* The comparator: true when every column of the row holds. *why names the
 * first column that did not. */
static bool check_row(const struct row *r, const char **why)
{
	uint8_t priv[32], ours[64], theirs[64], x[32], secret[32];
	uint8_t *unit = NULL, *contents = NULL, *aad = NULL, *pkt = NULL, *want = NULL;
	uint8_t *plain = NULL;
	size_t unitlen = 0, aadlen = 0, len, pktlen = 0, wantlen = 0;
	unsigned long idx, mult, init, ign;
	struct btc_v2c_keys k;
	struct btc_v2c c, full, peer;
	const uint8_t *dec;
	uint32_t declen;
	bool ignore, ok = false;

	memset(&k, 0, sizeof(k));
	*why = "inputs";
	if (!parse_uint(r->v[IN_IDX], 100000, &idx) ||
	    !parse_uint(r->v[IN_MULTIPLY], 1000000, &mult) ||
	    !parse_uint(r->v[IN_INITIATING], 1, &init) || !parse_uint(r->v[IN_IGNORE], 1, &ign) ||
	    !unhex_n(priv, 32, r->v[IN_PRIV_OURS]) || !unhex_n(ours, 64, r->v[IN_ELLSWIFT_OURS]) ||
	    !unhex_n(theirs, 64, r->v[IN_ELLSWIFT_THEIRS]) ||
	    !(unit = hexdup(r->v[IN_CONTENTS], &unitlen)) || !(aad = hexdup(r->v[IN_AAD], &aadlen)))
		goto out;

	*why = "mid_x_ours";
	cry_ellswift_decode(x, ours);
	if (!hexeq(x, 32, r->v[MID_X_OURS]))
		goto out;
	if (cry_secp_pubkey_x(x, priv) != PS_OK || !hexeq(x, 32, r->v[MID_X_OURS]))
		goto out;
	*why = "mid_x_theirs";
	cry_ellswift_decode(x, theirs);
	if (!hexeq(x, 32, r->v[MID_X_THEIRS]))
		goto out;
	*why = "mid_x_shared";
	if (cry_ellswift_ecdh_xonly(x, theirs, priv) != PS_OK || !hexeq(x, 32, r->v[MID_X_SHARED]))
		goto out;
	*why = "mid_shared_secret";
	if (cry_bip324_ecdh(secret, priv, theirs, ours, init == 1) != PS_OK ||
	    !hexeq(secret, 32, r->v[MID_SHARED_SECRET]))
		goto out;
	*why = "mid_initiator_l/p, mid_responder_l/p";
	if (btc_v2c_derive_keys(&k, secret, MAINNET) != PS_OK ||
	    !hexeq(k.initiator_l, 32, r->v[MID_INITIATOR_L]) ||
	    !hexeq(k.initiator_p, 32, r->v[MID_INITIATOR_P]) ||
	    !hexeq(k.responder_l, 32, r->v[MID_RESPONDER_L]) ||
	    !hexeq(k.responder_p, 32, r->v[MID_RESPONDER_P]))
		goto out;

	/* the whole initialize_v2_transport, and the cipher of the keys */
	*why = "btc_v2c_init";
	if (btc_v2c_init(&full, priv, ours, theirs, init == 1, MAINNET) != PS_OK)
		goto out;
	btc_v2c_init_keys(&c, &k, init == 1);
	*why = "mid_send_garbage_terminator";
	if (!hexeq(btc_v2c_send_garbage_terminator(&c), 16, r->v[MID_SEND_GARBAGE_TERMINATOR]) ||
	    !hexeq(btc_v2c_send_garbage_terminator(&full), 16, r->v[MID_SEND_GARBAGE_TERMINATOR]))
		goto out;
	*why = "mid_recv_garbage_terminator";
	if (!hexeq(btc_v2c_recv_garbage_terminator(&c), 16, r->v[MID_RECV_GARBAGE_TERMINATOR]) ||
	    !hexeq(btc_v2c_recv_garbage_terminator(&full), 16, r->v[MID_RECV_GARBAGE_TERMINATOR]))
		goto out;
	*why = "out_session_id";
	if (!hexeq(btc_v2c_session_id(&c), 32, r->v[OUT_SESSION_ID]) ||
	    !hexeq(btc_v2c_session_id(&full), 32, r->v[OUT_SESSION_ID]))
		goto out;

	/* seek to packet in_idx, the peer (same keys, other role) following */
	*why = "dummy packets";
	btc_v2c_init_keys(&peer, &k, init != 1);
	for (unsigned long i = 0; i < idx; i++)
		if (!dummy(&c, &peer) || !dummy(&full, NULL))
			goto out;

	*why = "out_ciphertext";
	len = unitlen * mult;
	contents = malloc(len + 1);
	pkt = malloc(len + BTC_V2_EXPANSION);
	plain = malloc(len + BTC_V2_HEADER_LEN);
	if (!contents || !pkt || !plain)
		goto out;
	for (unsigned long i = 0; i < mult; i++)
		memcpy(contents + i * unitlen, unit, unitlen);
	if (btc_v2c_encrypt(&c, pkt, len + BTC_V2_EXPANSION, &pktlen, contents, len, aad, aadlen,
			    ign == 1) != PS_OK ||
	    pktlen != len + BTC_V2_EXPANSION)
		goto out;
	if (*r->v[OUT_CIPHERTEXT]) {
		if (!hexeq(pkt, pktlen, r->v[OUT_CIPHERTEXT]))
			goto out;
		/* the peer decrypts the official bytes, not ours */
		free(pkt);
		if (!(pkt = hexdup(r->v[OUT_CIPHERTEXT], &pktlen)))
			goto out;
	} else {
		*why = "out_ciphertext_endswith";
		if (!(want = hexdup(r->v[OUT_CIPHERTEXT_ENDSWITH], &wantlen)) || wantlen == 0 ||
		    wantlen > pktlen || !cry_memeq(pkt + pktlen - wantlen, want, wantlen))
			goto out;
	}
	/* the cipher from btc_v2c_init encrypts the same bytes */
	{
		uint8_t *again = malloc(len + BTC_V2_EXPANSION);
		size_t n2 = 0;
		bool same = again &&
			    btc_v2c_encrypt(&full, again, len + BTC_V2_EXPANSION, &n2, contents,
					    len, aad, aadlen, ign == 1) == PS_OK &&
			    n2 == pktlen && cry_memeq(again, pkt, n2);

		free(again);
		*why = "btc_v2c_init (ciphertext)";
		if (!same)
			goto out;
	}

	*why = "decryption by the peer";
	if (pktlen < BTC_V2_EXPANSION || btc_v2c_decrypt_length(&peer, &declen, pkt) != PS_OK ||
	    declen != len ||
	    btc_v2c_decrypt(&peer, &ignore, &dec, plain, len + BTC_V2_HEADER_LEN,
			    pkt + BTC_V2_LENGTH_LEN, pktlen - BTC_V2_LENGTH_LEN, aad,
			    aadlen) != PS_OK ||
	    ignore != (ign == 1) || (len && !cry_memeq(dec, contents, len)))
		goto out;

	/* and by a third cipher of the peer's, streamed in pieces of 1..97
	 * bytes (rows with long contents: 4093 bytes) after the same
	 * dummies, streamed too: the same plaintext, whole or its first 17
	 * bytes only */
	*why = "streamed decryption by the peer";
	{
		struct btc_v2c tx2, rx2;
		size_t step = len > 100000 ? 4093 : 1 + idx % 97;
		uint8_t *all = malloc(len + BTC_V2_HEADER_LEN), first[17];
		bool ign2 = !ignore, ok2 = all != NULL;

		btc_v2c_init_keys(&tx2, &k, init == 1);
		btc_v2c_init_keys(&rx2, &k, init != 1);
		for (unsigned long i = 0; ok2 && i < idx; i++) {
			uint8_t d[BTC_V2_EXPANSION], h;
			size_t dn;
			bool di = false;

			ok2 = btc_v2c_encrypt(&tx2, d, sizeof(d), &dn, NULL, 0, NULL, 0, true) ==
				      PS_OK &&
			      stream_packet(&rx2, d, dn, NULL, 0, &h, 1, 1 + i % 3, &di) == PS_OK &&
			      di;
		}
		if (ok2) {
			struct btc_v2c rx3 = rx2;

			ok2 = stream_packet(&rx2, pkt, pktlen, aad, aadlen, all,
					    len + BTC_V2_HEADER_LEN, step, &ign2) == PS_OK &&
			      ign2 == (ign == 1) && (!len || cry_memeq(all + 1, contents, len));
			memset(first, 0, sizeof(first));
			ok2 = ok2 &&
			      stream_packet(&rx3, pkt, pktlen, aad, aadlen, first, sizeof(first),
					    step, &ign2) == PS_OK &&
			      cry_memeq(first, all,
					len + 1 < sizeof(first) ? len + 1 : sizeof(first));
			btc_v2c_wipe(&rx3);
		}
		btc_v2c_wipe(&tx2);
		btc_v2c_wipe(&rx2);
		free(all);
		if (!ok2)
			goto out;
	}
	*why = NULL;
	ok = true;
out:
	btc_v2c_keys_wipe(&k);
	free(unit), free(contents), free(aad), free(pkt), free(want), free(plain);
	return ok;
}

static void test_vectors_packet_encoding(void **state)
{
	struct tu_csv csv;
	unsigned passed = 0, failed = 0, rekeyed = 0;
	(void)state;

	tu_csv_load(&csv, g_vectors, "bip324/packet_encoding_test_vectors.csv");
	assert_true(csv.nrows > 0);
	for (size_t i = 0; i < csv.nrows; i++) {
		struct row r;
		const char *why;

		row_load(&r, &csv, i);
		if (check_row(&r, &why)) {
			passed++;
		} else {
			failed++;
			printf("  row %zu (in_idx %s): %s differs\n", i + 1, r.v[IN_IDX], why);
		}
		rekeyed += atoi(r.v[IN_IDX]) >= BTC_V2_REKEY_INTERVAL;
		row_free(&r);
	}
	printf("packet_encoding_test_vectors.csv: %u passed, %u failed (%u rows past a "
	       "rekeying)\n",
	       passed, failed, rekeyed);
	tu_csv_free(&csv);
	assert_int_equal(failed, 0);
	assert_true(rekeyed > 0);
}

/* A cell changed on purpose: one bit of a hex digit, the low bit of a
 * number, or a 00 byte appended to an empty hex cell. */
static char *mutate(const char *cell, enum col c, size_t salt)
{
	static const char digits[] = "0123456789abcdef";
	size_t n = strlen(cell);
	char *m = malloc(n + 3);

	assert_non_null(m);
	memcpy(m, cell, n + 1);
	if (c == IN_IDX || c == IN_MULTIPLY || c == IN_INITIATING || c == IN_IGNORE) {
		snprintf(m, n + 3, "%lu", strtoul(cell, NULL, 10) ^ 1);
	} else if (n == 0) {
		memcpy(m, "00", 3);
	} else {
		size_t bit = salt % (4 * n), i = bit / 4;
		int v = m[i] <= '9' ? m[i] - '0' : (m[i] | 0x20) - 'a' + 10;

		m[i] = digits[v ^ (1 << (bit % 4))];
	}
	return m;
}

static void test_vectors_mutated_rows_fail(void **state)
{
	struct tu_csv csv;
	unsigned mutations = 0;
	(void)state;

	tu_csv_load(&csv, g_vectors, "bip324/packet_encoding_test_vectors.csv");
	for (size_t i = 0; i < csv.nrows; i++) {
		struct row r;

		row_load(&r, &csv, i);
		for (int c = 0; c < NCOLS; c++) {
			char *orig = r.v[c];
			const char *why;

			/* an empty expected ciphertext means "see the other
			 * column"; filling it in is not a change of a value */
			if ((c == OUT_CIPHERTEXT || c == OUT_CIPHERTEXT_ENDSWITH) && !*orig)
				continue;
			r.v[c] = mutate(orig, (enum col)c, i * 31 + (size_t)c * 7);
			if (check_row(&r, &why))
				fail_msg("row %zu: %s mutated to %s, and the row still passed",
					 i + 1, COLS[c], r.v[c]);
			free(r.v[c]);
			r.v[c] = orig;
			mutations++;
		}
		row_free(&r);
	}
	printf("packet_encoding_test_vectors.csv: %u mutated copies, all rejected\n", mutations);
	tu_csv_free(&csv);
}

/* ---- unit tests on official rows ----------------------------------------------------- */

/* The row of the file whose in_idx is idx, loaded; fails when absent. */
static void load_row(struct row *r, unsigned long idx)
{
	struct tu_csv csv;

	tu_csv_load(&csv, g_vectors, "bip324/packet_encoding_test_vectors.csv");
	for (size_t i = 0; i < csv.nrows; i++) {
		if (strtoul(tu_csv_get(&csv, i, "in_idx"), NULL, 10) == idx) {
			row_load(r, &csv, i);
			tu_csv_free(&csv);
			return;
		}
	}
	fail_msg("no row with in_idx %lu", idx);
}

/* A row with a full out_ciphertext, decrypted by the peer of its cipher:
 * the receiver positioned at in_idx, the packet, its aad and contents. */
struct rx {
	struct btc_v2c rx;
	uint8_t *pkt, *aad, *contents;
	size_t pktlen, aadlen, len;
	bool ignore;
};

static void rx_setup(struct rx *x, unsigned long idx)
{
	struct row r;
	struct btc_v2c_keys k;
	struct btc_v2c tx;
	bool initiating;
	size_t unitlen;
	unsigned long mult;

	load_row(&r, idx);
	assert_true(*r.v[OUT_CIPHERTEXT]);
	assert_true(row_keys(&r, &k, &initiating));
	btc_v2c_init_keys(&tx, &k, initiating);
	btc_v2c_init_keys(&x->rx, &k, !initiating);
	btc_v2c_keys_wipe(&k);
	for (unsigned long i = 0; i < idx; i++)
		assert_true(dummy(&tx, &x->rx));
	x->pkt = hexdup(r.v[OUT_CIPHERTEXT], &x->pktlen);
	x->aad = hexdup(r.v[IN_AAD], &x->aadlen);
	x->contents = hexdup(r.v[IN_CONTENTS], &unitlen);
	assert_true(x->pkt && x->aad && x->contents);
	mult = strtoul(r.v[IN_MULTIPLY], NULL, 10);
	assert_int_equal(mult, 1);
	x->len = unitlen;
	x->ignore = strcmp(r.v[IN_IGNORE], "1") == 0;
	row_free(&r);
}

static void rx_free(struct rx *x)
{
	free(x->pkt), free(x->aad), free(x->contents);
	btc_v2c_wipe(&x->rx);
}

/* Decrypt pkt (pktlen bytes) with aad on a copy of rx; the result code. */
static int try_decrypt(const struct btc_v2c *rx, const uint8_t *pkt, size_t pktlen,
		       const uint8_t *aad, size_t aadlen, struct btc_v2c *after, uint8_t *plain,
		       size_t plaincap)
{
	struct btc_v2c c = *rx;
	const uint8_t *dec;
	uint32_t len;
	bool ignore;
	int r;

	if ((r = btc_v2c_decrypt_length(&c, &len, pkt)) != PS_OK)
		goto out;
	r = btc_v2c_decrypt(&c, &ignore, &dec, plain, plaincap, pkt + BTC_V2_LENGTH_LEN,
			    pktlen - BTC_V2_LENGTH_LEN, aad, aadlen);
out:
	if (after)
		*after = c;
	return r;
}

/* The streamed decryption of (pkt, pktlen) with aad on copies of rx, in
 * pieces of 1, 5, 64 bytes and whole, must do what try_decrypt does: the
 * same result, the same plaintext (zeros on failure), the same cipher
 * afterwards, byte for byte. Returns the result. */
static int agree(const struct btc_v2c *rx, const uint8_t *pkt, size_t pktlen, const uint8_t *aad,
		 size_t aadlen)
{
	static const size_t steps[] = { 1, 5, 64, 0 };
	struct btc_v2c once, streamed;
	uint8_t want[300], got[300];
	int r, r2;

	memset(want, 0xee, sizeof(want));
	r = try_decrypt(rx, pkt, pktlen, aad, aadlen, &once, want, sizeof(want));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		bool ignore = false;
		size_t plen = pktlen - BTC_V2_LENGTH_LEN - BTC_V2_TAG_LEN;

		streamed = *rx;
		memset(got, 0xee, sizeof(got));
		r2 = stream_packet(&streamed, pkt, pktlen, aad, aadlen, got, sizeof(got), steps[i],
				   &ignore);
		assert_int_equal(r2, r);
		if (r == PS_OK || r == PS_ERR_DECRYPT)
			assert_memory_equal(got, want, plen < sizeof(got) ? plen : sizeof(got));
		if (r == PS_OK)
			assert_int_equal(ignore, (want[0] & BTC_V2_IGNORE_BIT) != 0);
		assert_memory_equal(&streamed, &once, sizeof(once));
	}
	return r;
}

static void test_decrypt_official_and_tampered(void **state)
{
	/* in_idx 1 (initiator's packet, 1 byte), 999 (responder's, 17
	 * bytes), 0 (with 4095 bytes of aad: the first packet after garbage) */
	static const unsigned long idxs[] = { 1, 999, 0 };
	(void)state;

	for (size_t n = 0; n < sizeof(idxs) / sizeof(idxs[0]); n++) {
		struct rx x;
		struct btc_v2c after, c;
		uint8_t plain[256], *buf;
		uint8_t *aad2;
		const uint8_t *dec;
		uint32_t len;
		bool ignore;

		rx_setup(&x, idxs[n]);
		assert_true(x.len + BTC_V2_HEADER_LEN <= sizeof(plain));
		/* the official packet decrypts, whole or streamed */
		assert_int_equal(try_decrypt(&x.rx, x.pkt, x.pktlen, x.aad, x.aadlen, &after, plain,
					     sizeof(plain)),
				 PS_OK);
		assert_int_equal(agree(&x.rx, x.pkt, x.pktlen, x.aad, x.aadlen), PS_OK);
		assert_memory_equal(plain + 1, x.contents, x.len);
		assert_int_equal(btc_v2c_get_state(&after), BTC_V2C_EXPECT_LENGTH);

		/* every truncation and one byte too many: PS_ERR_BAD_SIZE,
		 * nothing changed (the same state then decrypts it) */
		c = x.rx;
		assert_int_equal(btc_v2c_decrypt_length(&c, &len, x.pkt), PS_OK);
		assert_int_equal(len, x.len);
		buf = malloc(x.pktlen + 1);
		assert_non_null(buf);
		memcpy(buf, x.pkt, x.pktlen);
		buf[x.pktlen] = 0;
		for (size_t cut = BTC_V2_LENGTH_LEN; cut <= x.pktlen + 1; cut++) {
			struct btc_v2c before = c;

			if (cut == x.pktlen)
				continue;
			memset(plain, 0xee, sizeof(plain));
			assert_int_equal(btc_v2c_decrypt(&c, &ignore, &dec, plain, sizeof(plain),
							 buf + BTC_V2_LENGTH_LEN,
							 cut - BTC_V2_LENGTH_LEN, x.aad, x.aadlen),
					 PS_ERR_BAD_SIZE);
			assert_memory_equal(&before, &c, sizeof(c));
			assert_int_equal(plain[0], 0xee);
		}
		/* an output buffer one byte short: PS_ERR_NOBUF, nothing changed */
		{
			struct btc_v2c before = c;

			assert_int_equal(btc_v2c_decrypt(&c, &ignore, &dec, plain, x.len,
							 buf + BTC_V2_LENGTH_LEN,
							 x.pktlen - BTC_V2_LENGTH_LEN, x.aad,
							 x.aadlen),
					 PS_ERR_NOBUF);
			assert_memory_equal(&before, &c, sizeof(c));
		}
		/* in place: out == in */
		{
			struct btc_v2c d = c;

			assert_int_equal(btc_v2c_decrypt(&d, &ignore, &dec, buf + BTC_V2_LENGTH_LEN,
							 x.pktlen - BTC_V2_LENGTH_LEN,
							 buf + BTC_V2_LENGTH_LEN,
							 x.pktlen - BTC_V2_LENGTH_LEN, x.aad,
							 x.aadlen),
					 PS_OK);
			assert_ptr_equal(dec, buf + BTC_V2_LENGTH_LEN + BTC_V2_HEADER_LEN);
			assert_memory_equal(dec, x.contents, x.len);
			assert_int_equal(ignore, x.ignore);
			memcpy(buf, x.pkt, x.pktlen);
		}

		/* every bit of header, contents and tag flipped: the tag
		 * fails, nothing is released, the cipher is failed */
		for (size_t bit = 8 * BTC_V2_LENGTH_LEN; bit < 8 * x.pktlen; bit++) {
			memcpy(buf, x.pkt, x.pktlen);
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			memset(plain, 0xee, sizeof(plain));
			assert_int_equal(try_decrypt(&x.rx, buf, x.pktlen, x.aad, x.aadlen, &after,
						     plain, sizeof(plain)),
					 PS_ERR_DECRYPT);
			for (size_t i = 0; i < BTC_V2_HEADER_LEN + x.len; i++)
				assert_int_equal(plain[i], 0);
			assert_int_equal(btc_v2c_get_state(&after), BTC_V2C_FAILED);
			assert_int_equal(btc_v2c_decrypt_length(&after, &len, x.pkt),
					 PS_ERR_INVALID_STATE);
			assert_int_equal(btc_v2c_encrypt(&after, plain, sizeof(plain),
							 &(size_t){ 0 }, NULL, 0, NULL, 0, false),
					 PS_ERR_INVALID_STATE);
			/* streamed: the same failure, nothing released */
			assert_int_equal(agree(&x.rx, buf, x.pktlen, x.aad, x.aadlen),
					 PS_ERR_DECRYPT);
		}
		/* every bit of the length flipped: another length is
		 * announced; a packet of that length does not authenticate */
		for (size_t bit = 0; bit < 8 * BTC_V2_LENGTH_LEN; bit++) {
			uint8_t lenbytes[3];
			struct btc_v2c d = x.rx;

			memcpy(lenbytes, x.pkt, 3);
			lenbytes[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_equal(btc_v2c_decrypt_length(&d, &len, lenbytes), PS_OK);
			assert_int_not_equal(len, x.len);
			if (len + BTC_V2_EXPANSION <= 4096) {
				uint8_t *big = calloc(1, len + BTC_V2_EXPANSION);
				uint8_t *out = malloc(len + 1);

				assert_true(big && out);
				memcpy(big, x.pkt,
				       x.pktlen < len + BTC_V2_EXPANSION ? x.pktlen
									 : len + BTC_V2_EXPANSION);
				assert_int_equal(btc_v2c_decrypt(&d, &ignore, &dec, out, len + 1,
								 big + 3, len + 17, x.aad,
								 x.aadlen),
						 PS_ERR_DECRYPT);
				free(big), free(out);
			}
		}
		/* the aad changed: a bit flipped, or a 00 byte appended */
		aad2 = malloc(x.aadlen + 1);
		assert_non_null(aad2);
		memcpy(aad2, x.aad, x.aadlen);
		aad2[x.aadlen] = 0;
		assert_int_equal(try_decrypt(&x.rx, x.pkt, x.pktlen, aad2, x.aadlen + 1, NULL,
					     plain, sizeof(plain)),
				 PS_ERR_DECRYPT);
		assert_int_equal(agree(&x.rx, x.pkt, x.pktlen, aad2, x.aadlen + 1), PS_ERR_DECRYPT);
		if (x.aadlen) {
			assert_int_equal(agree(&x.rx, x.pkt, x.pktlen, aad2, x.aadlen - 1),
					 PS_ERR_DECRYPT);
			aad2[x.aadlen / 2] ^= 0x10;
			assert_int_equal(try_decrypt(&x.rx, x.pkt, x.pktlen, aad2, x.aadlen, NULL,
						     plain, sizeof(plain)),
					 PS_ERR_DECRYPT);
			assert_int_equal(agree(&x.rx, x.pkt, x.pktlen, aad2, x.aadlen),
					 PS_ERR_DECRYPT);
		}
		free(aad2);
		free(buf);
		rx_free(&x);
	}
}

static void test_decrypt_wrong_index_or_side(void **state)
{
	struct row r;
	struct btc_v2c_keys k;
	struct btc_v2c tx, rx, same_side;
	uint8_t *pkt, plain[64];
	size_t pktlen;
	bool initiating;
	int res;
	(void)state;

	/* in_idx 1: a receiver still at packet 0 does not decrypt it */
	load_row(&r, 1);
	assert_true(row_keys(&r, &k, &initiating));
	pkt = hexdup(r.v[OUT_CIPHERTEXT], &pktlen);
	assert_non_null(pkt);
	btc_v2c_init_keys(&rx, &k, !initiating);
	res = try_decrypt(&rx, pkt, pktlen, NULL, 0, NULL, plain, sizeof(plain));
	assert_int_not_equal(res, PS_OK);
	/* nor one that skipped two */
	btc_v2c_init_keys(&tx, &k, initiating);
	assert_true(dummy(&tx, &rx));
	assert_true(dummy(&tx, &rx));
	res = try_decrypt(&rx, pkt, pktlen, NULL, 0, NULL, plain, sizeof(plain));
	assert_int_not_equal(res, PS_OK);
	/* nor a receiver of the sender's own role (it receives with the other
	 * direction's keys), positioned at packet 1 by that direction's sender */
	btc_v2c_init_keys(&same_side, &k, initiating);
	btc_v2c_init_keys(&tx, &k, !initiating);
	assert_true(dummy(&tx, &same_side));
	res = try_decrypt(&same_side, pkt, pktlen, NULL, 0, NULL, plain, sizeof(plain));
	assert_int_not_equal(res, PS_OK);
	/* another network's magic: other keys, other session id */
	{
		static const uint8_t testnet3[4] = { 0x0b, 0x11, 0x09, 0x07 };
		uint8_t priv[32], ours[64], theirs[64];
		struct btc_v2c t;

		assert_true(unhex_n(priv, 32, r.v[IN_PRIV_OURS]) &&
			    unhex_n(ours, 64, r.v[IN_ELLSWIFT_OURS]) &&
			    unhex_n(theirs, 64, r.v[IN_ELLSWIFT_THEIRS]));
		assert_int_equal(btc_v2c_init(&t, priv, ours, theirs, initiating, testnet3), PS_OK);
		assert_false(hexeq(btc_v2c_session_id(&t), 32, r.v[OUT_SESSION_ID]));
		/* and an invalid private key: refused, wiped */
		memset(priv, 0, sizeof(priv));
		assert_int_equal(btc_v2c_init(&t, priv, ours, theirs, initiating, MAINNET),
				 PS_ERR_INVALID_ARG);
		assert_int_equal(btc_v2c_get_state(&t), BTC_V2C_UNSET);
	}
	btc_v2c_keys_wipe(&k);
	free(pkt);
	row_free(&r);
}

static void test_state_and_buffers(void **state)
{
	struct row r;
	struct btc_v2c_keys k;
	struct btc_v2c tx, unset, c;
	uint8_t out[64], big;
	const uint8_t *dec;
	uint8_t *contents, *want;
	size_t n = 12345, clen, wantlen;
	uint32_t len;
	bool initiating, ignore;
	(void)state;

	memset(&unset, 0, sizeof(unset));
	assert_int_equal(btc_v2c_encrypt(&unset, out, sizeof(out), &n, NULL, 0, NULL, 0, false),
			 PS_ERR_INVALID_STATE);
	assert_int_equal(btc_v2c_decrypt_length(&unset, &len, out), PS_ERR_INVALID_STATE);
	assert_int_equal(n, 12345);

	/* in_idx 0 of the file: its packet, after a refused call of each kind */
	load_row(&r, 0);
	assert_true(row_keys(&r, &k, &initiating));
	btc_v2c_init_keys(&tx, &k, initiating);
	contents = hexdup(r.v[IN_CONTENTS], &clen);
	want = hexdup(r.v[OUT_CIPHERTEXT], &wantlen);
	assert_true(contents && want);
	{
		uint8_t *aad, *pkt = malloc(wantlen);
		size_t aadlen;
		struct btc_v2c before = tx;

		aad = hexdup(r.v[IN_AAD], &aadlen);
		assert_true(aad && pkt);
		/* contents too large (checked before anything is read) */
		assert_int_equal(btc_v2c_encrypt(&tx, &big, SIZE_MAX, &n, &big,
						 (size_t)BTC_V2_MAX_CONTENTS + 1, NULL, 0, false),
				 PS_ERR_TOO_LARGE);
		/* a buffer one byte short */
		memset(pkt, 0xee, wantlen);
		assert_int_equal(btc_v2c_encrypt(&tx, pkt, wantlen - 1, &n, contents, clen, aad,
						 aadlen, false),
				 PS_ERR_NOBUF);
		assert_int_equal(pkt[0], 0xee);
		assert_memory_equal(&before, &tx, sizeof(tx));
		/* then the official bytes: no counter moved */
		assert_int_equal(
			btc_v2c_encrypt(&tx, pkt, wantlen, &n, contents, clen, aad, aadlen, false),
			PS_OK);
		assert_int_equal(n, wantlen);
		assert_memory_equal(pkt, want, wantlen);
		/* contents overlapping out (in place at out + 4) */
		tx = before;
		memcpy(pkt + BTC_V2_LENGTH_LEN + BTC_V2_HEADER_LEN, contents, clen);
		assert_int_equal(btc_v2c_encrypt(&tx, pkt, wantlen, &n,
						 pkt + BTC_V2_LENGTH_LEN + BTC_V2_HEADER_LEN, clen,
						 aad, aadlen, false),
				 PS_OK);
		assert_memory_equal(pkt, want, wantlen);
		free(aad), free(pkt);
	}
	/* the receive order: a packet before its length, a length twice */
	btc_v2c_init_keys(&c, &k, !initiating);
	assert_int_equal(btc_v2c_decrypt(&c, &ignore, &dec, out, sizeof(out), want + 3, wantlen - 3,
					 NULL, 0),
			 PS_ERR_INVALID_STATE);
	assert_int_equal(btc_v2c_decrypt_length(&c, &len, want), PS_OK);
	assert_int_equal(len, clen);
	assert_int_equal(btc_v2c_get_state(&c), BTC_V2C_EXPECT_PACKET);
	assert_int_equal(btc_v2c_decrypt_length(&c, &len, want), PS_ERR_INVALID_STATE);
	btc_v2c_wipe(&c);
	assert_int_equal(btc_v2c_get_state(&c), BTC_V2C_UNSET);
	btc_v2c_keys_wipe(&k);
	free(contents), free(want);
	row_free(&r);
}

/* ---- unit tests without vectors ---------------------------------------------------- */

static void test_roundtrip_across_rekeyings(void **state)
{
	struct btc_v2c_keys k;
	struct btc_v2c a, b;
	static uint8_t msg[600], pkt[600 + BTC_V2_EXPANSION], plain[601];
	uint64_t seed = 7;
	(void)state;

	/* Consistency, not truth (that is the vectors' job): one side's
	 * packets decrypt on the other's across 1100 packets (epochs 0..4),
	 * with lengths that keep the length keystream's position moving and
	 * a first packet with aad, in both directions. */
	tu_rng(&seed, (uint8_t *)&k, sizeof(k));
	btc_v2c_init_keys(&a, &k, true);
	btc_v2c_init_keys(&b, &k, false);
	assert_memory_equal(btc_v2c_send_garbage_terminator(&a),
			    btc_v2c_recv_garbage_terminator(&b), 16);
	assert_memory_equal(btc_v2c_session_id(&a), btc_v2c_session_id(&b), 32);
	for (unsigned i = 0; i < 1100; i++) {
		struct btc_v2c *s = (i % 3 == 2) ? &b : &a, *d = s == &a ? &b : &a;
		size_t len = (i * 37u) % sizeof(msg), n;
		const uint8_t *dec;
		uint32_t got;
		bool ignore;

		tu_rng(&seed, msg, len);
		assert_int_equal(btc_v2c_encrypt(s, pkt, sizeof(pkt), &n, msg, len,
						 i < 2 ? msg : NULL, i < 2 ? 5 : 0, i % 5 == 0),
				 PS_OK);
		assert_int_equal(btc_v2c_decrypt_length(d, &got, pkt), PS_OK);
		assert_int_equal(got, len);
		assert_int_equal(btc_v2c_decrypt(d, &ignore, &dec, plain, sizeof(plain), pkt + 3,
						 n - 3, i < 2 ? msg : NULL, i < 2 ? 5 : 0),
				 PS_OK);
		assert_int_equal(ignore, i % 5 == 0);
		if (len)
			assert_memory_equal(dec, msg, len);
	}
	btc_v2c_keys_wipe(&k);
}

/* The streamed path's order: aad only before the body; no body before the
 * length; a packet once streamed cannot be finished whole; the header byte
 * of btc_v2c_encrypt_header arrives as sent (only bit 7 makes a decoy). */
static void test_stream_states(void **state)
{
	struct btc_v2c_keys k;
	struct btc_v2c tx, rx;
	uint8_t pkt[64], out[64];
	const uint8_t *dec;
	uint64_t seed = 3;
	size_t n, used;
	uint32_t len;
	bool done, ignore;
	(void)state;

	tu_rng(&seed, (uint8_t *)&k, sizeof(k));
	btc_v2c_init_keys(&tx, &k, true);
	btc_v2c_init_keys(&rx, &k, false);
	assert_int_equal(
		btc_v2c_decrypt_stream(&rx, &done, &ignore, &used, out, sizeof(out), pkt, 1),
		PS_ERR_INVALID_STATE);
	assert_false(done);
	assert_int_equal(used, 0);
	for (unsigned h = 0; h < 256; h += 0x3f) {
		assert_int_equal(btc_v2c_encrypt_header(&tx, pkt, sizeof(pkt), &n,
							(const uint8_t *)"abc", 3, NULL, 0,
							(uint8_t)h),
				 PS_OK);
		assert_int_equal(btc_v2c_decrypt_aad(&rx, (const uint8_t *)"x", 1), PS_OK);
		assert_int_equal(btc_v2c_decrypt_length(&rx, &len, pkt), PS_OK);
		assert_int_equal(len, 3);
		/* streamed once: the whole call is refused, nothing moves */
		assert_int_equal(btc_v2c_decrypt(&rx, &ignore, &dec, out, sizeof(out), pkt + 3,
						 n - 3, NULL, 0),
				 PS_ERR_INVALID_STATE);
		assert_int_equal(btc_v2c_decrypt_stream(&rx, &done, &ignore, &used, out,
							sizeof(out), pkt + 3, 2),
				 PS_OK);
		assert_false(done);
		assert_int_equal(btc_v2c_decrypt_aad(&rx, (const uint8_t *)"y", 1),
				 PS_ERR_INVALID_STATE);
		/* more than the packet: only its bytes are taken */
		assert_int_equal(btc_v2c_decrypt_stream(&rx, &done, &ignore, &used, out,
							sizeof(out), pkt + 5, sizeof(pkt) - 5),
				 PS_ERR_DECRYPT);
		/* the sender's aad was empty and ours "x": it fails, out zeroed */
		for (size_t i = 0; i < 4; i++)
			assert_int_equal(out[i], 0);
		assert_int_equal(btc_v2c_get_state(&rx), BTC_V2C_FAILED);
		btc_v2c_init_keys(&tx, &k, true);
		btc_v2c_init_keys(&rx, &k, false);
		assert_int_equal(btc_v2c_encrypt_header(&tx, pkt, sizeof(pkt), &n,
							(const uint8_t *)"abc", 3, NULL, 0,
							(uint8_t)h),
				 PS_OK);
		assert_int_equal(btc_v2c_decrypt_length(&rx, &len, pkt), PS_OK);
		assert_int_equal(btc_v2c_decrypt_stream(&rx, &done, &ignore, &used, out,
							sizeof(out), pkt + 3, sizeof(pkt) - 3),
				 PS_OK);
		assert_true(done);
		assert_int_equal(used, n - 3);
		assert_int_equal(out[0], h);
		assert_memory_equal(out + 1, "abc", 3);
		assert_int_equal(ignore, (h & 0x80) != 0);
		assert_int_equal(btc_v2c_get_state(&rx), BTC_V2C_EXPECT_LENGTH);
		btc_v2c_init_keys(&tx, &k, true);
		btc_v2c_init_keys(&rx, &k, false);
	}
	btc_v2c_keys_wipe(&k);
}

static void test_fsc20_block_counter_guard(void **state)
{
	struct btc_v2c_fsc20 c, before;
	uint8_t key[32] = { 3 }, buf[65] = { 0 };
	(void)state;

	btc_v2c_fsc20_init(&c, key);
	/* one epoch may draw 2^32 blocks of 64 bytes and no more */
	c.block_counter = UINT32_MAX;
	before = c;
	assert_int_equal(btc_v2c_fsc20_crypt(&c, buf, buf, 65), PS_ERR_NONCE_EXHAUSTED);
	assert_memory_equal(&before, &c, sizeof(c));
	assert_int_equal(btc_v2c_fsc20_crypt(&c, buf, buf, 64), PS_OK);
	/* and the AEAD refuses a ciphertext shorter than its tag */
	{
		struct btc_v2c_fsaead a, b4;

		btc_v2c_fsaead_init(&a, key);
		b4 = a;
		assert_int_equal(btc_v2c_fsaead_decrypt(&a, buf, NULL, 0, buf, 15),
				 PS_ERR_BAD_SIZE);
		assert_memory_equal(&a, &b4, sizeof(a));
	}
}

int main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_roundtrip_across_rekeyings),
		cmocka_unit_test(test_fsc20_block_counter_guard),
		cmocka_unit_test(test_stream_states),
	};
	const struct CMUnitTest vectors[] = {
		cmocka_unit_test(test_vectors_packet_encoding),
		cmocka_unit_test(test_vectors_mutated_rows_fail),
		cmocka_unit_test(test_decrypt_official_and_tampered),
		cmocka_unit_test(test_decrypt_wrong_index_or_side),
		cmocka_unit_test(test_state_and_buffers),
	};
	int r;

	if (cry_init() != PS_OK)
		return 1;
	r = cmocka_run_group_tests_name("v2cipher", unit, NULL, NULL);
	if (r)
		return r;
	if (!(g_vectors = tu_vectors_dir("btc/test_v2cipher")))
		return TU_SKIP;
	return cmocka_run_group_tests_name("bip324 packet vectors", vectors, NULL, NULL);
}
