/*
 * test_vectors.c - every public Noise vector in the shared folder, read in
 * place, through the general engine (pattern tables, HandshakeState, Split,
 * CipherState):
 *
 *   noise/cacophony.txt        cacophony JSON, with handshake_hash
 *   noise/snow.txt             cacophony JSON (multi-PSK names, no hash)
 *   noise/snow-extended.txt    cacophony JSON (P-256, XChaChaPoly: skipped)
 *   noise/vectors.txt          flynn/noise key=value blocks
 *   noise/noise-c/{cacophony,noise-c-*}.txt  noise-c's pre-revision-31 JSON; its
 *                              NoisePSK_ entries (obsolete PSK scheme) are skipped
 *
 * For each vector: both sides are initialised with the vector's keys; every
 * message is written by its sender and compared with the ciphertext, then
 * read by its receiver and compared with the payload; the handshake hash is
 * compared where the file gives it (and both sides must agree on it
 * always); the transport messages after the handshake are checked the same
 * way with the Split() CipherStates.
 *
 * Transport direction after the handshake:
 *   cacophony/snow/noise-c: messages keep alternating initiator, responder
 *     by index; in one-way patterns every message goes initiator -> responder.
 *   flynn: the first transport message is initiator -> responder (c1), the
 *     second responder -> initiator (c2), whatever the pattern (SOURCES.md).
 *
 * Prints per file: passed / failed / skipped with reasons. No failure is
 * allowed. Exit 77 only when the vector folder is absent.
 */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/hex.h"
#include "crypto/crypto.h"
#include "noise/cipher.h"
#include "noise/handshake.h"
#include "noise/pattern.h"
#include "testutil.h"

#define MAX_MSGS    16
#define MAX_REASONS 16

struct buf {
	uint8_t *p;
	size_t len;
	bool present;
};

struct vector {
	char name[300];
	bool flynn;
	struct buf init_prologue, resp_prologue;
	struct buf init_psks[NOISE_MAX_PSKS], resp_psks[NOISE_MAX_PSKS];
	size_t n_init_psks, n_resp_psks;
	struct buf init_static, init_ephemeral, init_remote_static;
	struct buf resp_static, resp_ephemeral, resp_remote_static;
	struct buf handshake_hash;
	struct buf payload[MAX_MSGS], ciphertext[MAX_MSGS];
	size_t n_msgs;
};

struct tally {
	unsigned passed, failed, skipped;
	struct {
		char text[200];
		unsigned n;
	} reasons[MAX_REASONS];
	size_t n_reasons;
};

static void tally_skip(struct tally *t, const char *reason)
{
	t->skipped++;
	for (size_t i = 0; i < t->n_reasons; i++) {
		if (strcmp(t->reasons[i].text, reason) == 0) {
			t->reasons[i].n++;
			return;
		}
	}
	assert_true(t->n_reasons < MAX_REASONS);
	snprintf(t->reasons[t->n_reasons].text, sizeof(t->reasons[0].text), "%s", reason);
	t->reasons[t->n_reasons++].n = 1;
}

static void tally_print(const char *file, const struct tally *t)
{
	printf("%s: passed %u, failed %u, skipped %u\n", file, t->passed, t->failed, t->skipped);
	for (size_t i = 0; i < t->n_reasons; i++)
		printf("    skipped %u: %s\n", t->reasons[i].n, t->reasons[i].text);
}

static void buf_set_hex(struct buf *b, const char *hex)
{
	free(b->p);
	b->p = tu_unhex(hex, &b->len);
	b->present = true;
}

static void buf_set(struct buf *b, const uint8_t *p, size_t len)
{
	free(b->p);
	b->p = malloc(len ? len : 1);
	assert_non_null(b->p);
	memcpy(b->p, p, len);
	b->len = len;
	b->present = true;
}

static void vector_free(struct vector *v)
{
	struct buf *all[] = { &v->init_prologue,  &v->resp_prologue,	  &v->init_static,
			      &v->init_ephemeral, &v->init_remote_static, &v->resp_static,
			      &v->resp_ephemeral, &v->resp_remote_static, &v->handshake_hash };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		free(all[i]->p);
	for (size_t i = 0; i < NOISE_MAX_PSKS; i++) {
		free(v->init_psks[i].p);
		free(v->resp_psks[i].p);
	}
	for (size_t i = 0; i < MAX_MSGS; i++) {
		free(v->payload[i].p);
		free(v->ciphertext[i].p);
	}
	memset(v, 0, sizeof(*v));
}

/* ---- why a name is not run -------------------------------------------------- */

/* The reason noise_protocol_parse refused name with PS_ERR_UNSUPPORTED. */
static void unsupported_reason(char *out, size_t cap, const char *name)
{
	char sec[4][64] = { { 0 } };
	const char *p = strchr(name, '_');
	int n = 0;

	while (p && n < 4) {
		const char *q = strchr(p + 1, '_');
		size_t len = q ? (size_t)(q - p - 1) : strlen(p + 1);
		snprintf(sec[n++], sizeof(sec[0]), "%.*s", (int)len, p + 1);
		p = q;
	}
	if (strcmp(sec[1], "25519") != 0) {
		snprintf(out, cap, "DH %s unsupported (25519 only)", sec[1]);
	} else if (strcmp(sec[2], "AESGCM") == 0 && !cry_aead_available(CRY_AEAD_AESGCM)) {
		snprintf(out, cap, "AESGCM not available on this CPU (libsodium needs AES-NI)");
	} else if (strcmp(sec[2], "ChaChaPoly") != 0 && strcmp(sec[2], "AESGCM") != 0) {
		snprintf(out, cap, "cipher %s unsupported", sec[2]);
	} else if (strstr(sec[0], "fallback")) {
		snprintf(out, cap, "fallback modifier unsupported (compound protocols)");
	} else if (strstr(sec[0], "hfs")) {
		snprintf(out, cap, "hfs (hybrid) modifier unsupported");
	} else {
		snprintf(out, cap, "hash %s or pattern %s unsupported", sec[3], sec[0]);
	}
}

/* ---- running one vector ---------------------------------------------------------- */

static bool fail_at(const struct vector *v, const char *what, size_t i, int r)
{
	printf("FAIL %s: %s at message %zu (%s)\n", v->name, what, i, ps_errname(r));
	return false;
}

static bool run_vector(const struct vector *v, const struct noise_protocol *proto)
{
	uint8_t ipsk[NOISE_MAX_PSKS][NOISE_PSKLEN], rpsk[NOISE_MAX_PSKS][NOISE_PSKLEN];
	struct noise_hs hi, hr;
	struct noise_hs_config ci = { 0 }, cr = { 0 };
	struct noise_cs i_c1, i_c2, r_c1, r_c2;
	uint8_t *out = malloc(NOISE_MAX_MSG), *pt = malloc(NOISE_MAX_MSG);
	uint64_t seed = 1;
	size_t n_hs = proto->pattern.n_msgs, transport_index = 0;
	bool ok = false;
	int r;

	assert_non_null(out);
	assert_non_null(pt);
	for (size_t i = 0; i < v->n_init_psks; i++)
		memcpy(ipsk[i], v->init_psks[i].p, NOISE_PSKLEN);
	for (size_t i = 0; i < v->n_resp_psks; i++)
		memcpy(rpsk[i], v->resp_psks[i].p, NOISE_PSKLEN);

	ci.protocol = cr.protocol = proto;
	ci.initiator = true;
	ci.prologue = v->init_prologue.p, ci.prologue_len = v->init_prologue.len;
	cr.prologue = v->resp_prologue.p, cr.prologue_len = v->resp_prologue.len;
	ci.psks = ipsk, ci.n_psks = v->n_init_psks;
	cr.psks = rpsk, cr.n_psks = v->n_resp_psks;
	ci.s = v->init_static.p, cr.s = v->resp_static.p;
	ci.e = v->init_ephemeral.p, cr.e = v->resp_ephemeral.p;
	ci.rs = v->init_remote_static.p, cr.rs = v->resp_remote_static.p;
	ci.rng = cr.rng = tu_rng;
	ci.rng_ctx = cr.rng_ctx = &seed;

	if ((r = noise_hs_init(&hi, &ci)) != PS_OK) {
		fail_at(v, "initiator init", 0, r);
		goto out;
	}
	if ((r = noise_hs_init(&hr, &cr)) != PS_OK) {
		fail_at(v, "responder init", 0, r);
		goto out;
	}
	if (v->n_msgs < n_hs) {
		fail_at(v, "fewer messages than the pattern", v->n_msgs, 0);
		goto out;
	}

	for (size_t i = 0; i < v->n_msgs; i++) {
		const struct buf *want_ct = &v->ciphertext[i], *want_pt = &v->payload[i];
		size_t outlen = 0, ptlen = 0;

		if (i < n_hs) {
			bool from_i = noise_pattern_initiator_sends(i);
			struct noise_hs *snd = from_i ? &hi : &hr, *rcv = from_i ? &hr : &hi;

			r = noise_hs_write_message(snd, out, NOISE_MAX_MSG, &outlen, want_pt->p,
						   want_pt->len);
			if (r != PS_OK || outlen != want_ct->len ||
			    memcmp(out, want_ct->p, outlen) != 0) {
				fail_at(v, "handshake ciphertext", i, r);
				goto out;
			}
			r = noise_hs_read_message(rcv, pt, NOISE_MAX_MSG, &ptlen, want_ct->p,
						  want_ct->len);
			if (r != PS_OK || ptlen != want_pt->len ||
			    (ptlen && memcmp(pt, want_pt->p, ptlen) != 0)) {
				fail_at(v, "handshake payload", i, r);
				goto out;
			}
			if (i + 1 == n_hs) {
				size_t hl1, hl2;
				const uint8_t *h1, *h2;

				if (noise_hs_action(&hi) != NOISE_HS_SPLIT ||
				    noise_hs_action(&hr) != NOISE_HS_SPLIT ||
				    noise_hs_split(&hi, &i_c1, &i_c2) != PS_OK ||
				    noise_hs_split(&hr, &r_c1, &r_c2) != PS_OK) {
					fail_at(v, "split", i, 0);
					goto out;
				}
				h1 = noise_hs_handshake_hash(&hi, &hl1);
				h2 = noise_hs_handshake_hash(&hr, &hl2);
				if (hl1 != hl2 || memcmp(h1, h2, hl1) != 0) {
					fail_at(v, "handshake hashes of the two sides differ", i,
						0);
					goto out;
				}
				if (v->handshake_hash.present &&
				    (v->handshake_hash.len != hl1 ||
				     memcmp(v->handshake_hash.p, h1, hl1) != 0)) {
					fail_at(v, "handshake_hash", i, 0);
					goto out;
				}
			}
		} else {
			bool from_i;
			struct noise_cs *snd, *rcv;

			if (v->flynn)
				from_i = transport_index % 2 == 0;
			else
				from_i = proto->pattern.one_way || i % 2 == 0;
			transport_index++;
			snd = from_i ? &i_c1 : &r_c2;
			rcv = from_i ? &r_c1 : &i_c2;
			r = noise_cs_encrypt_with_ad(snd, out, NOISE_MAX_MSG, &outlen, NULL, 0,
						     want_pt->p, want_pt->len);
			if (r != PS_OK || outlen != want_ct->len ||
			    memcmp(out, want_ct->p, outlen) != 0) {
				fail_at(v, "transport ciphertext", i, r);
				goto out;
			}
			r = noise_cs_decrypt_with_ad(rcv, pt, NOISE_MAX_MSG, &ptlen, NULL, 0,
						     want_ct->p, want_ct->len);
			if (r != PS_OK || ptlen != want_pt->len ||
			    (ptlen && memcmp(pt, want_pt->p, ptlen) != 0)) {
				fail_at(v, "transport payload", i, r);
				goto out;
			}
		}
	}
	ok = true;
out:
	noise_hs_wipe(&hi);
	noise_hs_wipe(&hr);
	free(out);
	free(pt);
	return ok;
}

/* Parse the name, run or skip, count. */
static void dispatch(struct tally *t, const struct vector *v)
{
	struct noise_protocol proto;
	char reason[200];
	int r = noise_protocol_parse(&proto, v->name, strlen(v->name));

	if (r == PS_ERR_UNSUPPORTED) {
		unsupported_reason(reason, sizeof(reason), v->name);
		tally_skip(t, reason);
		return;
	}
	if (r != PS_OK) {
		printf("FAIL %s: name does not parse (%s)\n", v->name, ps_errname(r));
		t->failed++;
		return;
	}
	if (run_vector(v, &proto))
		t->passed++;
	else
		t->failed++;
}

/* ---- cacophony JSON (cacophony, snow, noise-c) ------------------------------------ */

static void json_hex(struct buf *b, const cJSON *obj, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (cJSON_IsString(it))
		buf_set_hex(b, it->valuestring);
}

static size_t json_psks(struct buf *psks, const cJSON *obj, const char *key)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key), *it;
	size_t n = 0;

	cJSON_ArrayForEach(it, arr)
	{
		assert_true(n < NOISE_MAX_PSKS);
		buf_set_hex(&psks[n++], it->valuestring);
	}
	return n;
}

/* noise_c: the file uses noise-c's layout ("name", a single init_psk). Its
 * NoisePSK_ entries use the obsolete pre-revision-31 PSK scheme and are
 * skipped (SOURCES.md); every other entry whose primitives the engine has
 * runs, whatever its pattern. */
static void run_json_file(const char *rel, bool noise_c)
{
	size_t len;
	uint8_t *text;
	cJSON *root;
	const cJSON *it;
	struct tally t = { 0 };

	text = tu_read_vector(rel, &len);
	root = cJSON_ParseWithLength((const char *)text, len);
	free(text);
	assert_non_null(root);

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(root, "vectors"))
	{
		struct vector v;
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "protocol_name"), *m;

		memset(&v, 0, sizeof(v));
		if (!name)
			name = cJSON_GetObjectItemCaseSensitive(it, "name");
		assert_true(cJSON_IsString(name));
		snprintf(v.name, sizeof(v.name), "%s", name->valuestring);

		if (noise_c) {
			if (strncmp(v.name, "NoisePSK_", 9) == 0) {
				tally_skip(&t, "NoisePSK_ prefix: obsolete pre-revision-31 PSK "
					       "scheme, not the pskN modifiers");
				continue;
			}
			if (cJSON_GetObjectItemCaseSensitive(it, "fallback") ||
			    cJSON_GetObjectItemCaseSensitive(it, "hybrid")) {
				char reason[200];
				unsupported_reason(reason, sizeof(reason), v.name);
				tally_skip(&t, reason);
				continue;
			}
		}

		json_hex(&v.init_prologue, it, "init_prologue");
		json_hex(&v.resp_prologue, it, "resp_prologue");
		v.n_init_psks = json_psks(v.init_psks, it, "init_psks");
		v.n_resp_psks = json_psks(v.resp_psks, it, "resp_psks");
		json_hex(&v.init_static, it, "init_static");
		json_hex(&v.init_ephemeral, it, "init_ephemeral");
		json_hex(&v.init_remote_static, it, "init_remote_static");
		json_hex(&v.resp_static, it, "resp_static");
		json_hex(&v.resp_ephemeral, it, "resp_ephemeral");
		json_hex(&v.resp_remote_static, it, "resp_remote_static");
		json_hex(&v.handshake_hash, it, "handshake_hash");
		cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(it, "messages"))
		{
			assert_true(v.n_msgs < MAX_MSGS);
			json_hex(&v.payload[v.n_msgs], m, "payload");
			json_hex(&v.ciphertext[v.n_msgs], m, "ciphertext");
			v.n_msgs++;
		}
		dispatch(&t, &v);
		vector_free(&v);
	}
	cJSON_Delete(root);
	tally_print(rel, &t);
	assert_int_equal(t.failed, 0);
}

/* ---- flynn/noise vectors.txt -------------------------------------------------------- */

/* Fill the pre-message public keys and PSK lists the flynn format leaves
 * implicit: rs from the other side's static private key where a pre-message
 * lists it, and the one preshared_key for every psk token. */
static void flynn_complete(struct vector *v, const struct buf *psk)
{
	struct noise_protocol proto;
	uint8_t pub[32];

	if (noise_protocol_parse(&proto, v->name, strlen(v->name)) != PS_OK)
		return;
	for (size_t i = 0; i < proto.pattern.n_pre_r; i++) {
		if (proto.pattern.pre_r[i] == NOISE_TOK_S && v->resp_static.present) {
			assert_int_equal(cry_x25519_base(pub, v->resp_static.p), PS_OK);
			buf_set(&v->init_remote_static, pub, sizeof(pub));
		}
	}
	for (size_t i = 0; i < proto.pattern.n_pre_i; i++) {
		if (proto.pattern.pre_i[i] == NOISE_TOK_S && v->init_static.present) {
			assert_int_equal(cry_x25519_base(pub, v->init_static.p), PS_OK);
			buf_set(&v->resp_remote_static, pub, sizeof(pub));
		}
	}
	if (psk->present) {
		for (size_t i = 0; i < proto.pattern.n_psks; i++) {
			buf_set(&v->init_psks[i], psk->p, psk->len);
			buf_set(&v->resp_psks[i], psk->p, psk->len);
		}
		v->n_init_psks = v->n_resp_psks = proto.pattern.n_psks;
	}
}

static void run_flynn_file(const char *rel)
{
	size_t len;
	char *text, *line, *save = NULL;
	struct tally t = { 0 };
	struct vector v;
	struct buf psk = { 0 };
	bool open = false;

	text = (char *)tu_read_vector(rel, &len);
	memset(&v, 0, sizeof(v));
	/* strtok_r skips empty lines, so a block ends at the next "handshake=". */
	for (line = strtok_r(text, "\n", &save);; line = strtok_r(NULL, "\n", &save)) {
		char *eq = line ? strchr(line, '=') : NULL;
		const char *key = line, *val = eq ? eq + 1 : "";
		unsigned idx;
		char kind[16];

		if (!line || strncmp(line, "handshake=", 10) == 0) {
			if (open) {
				v.flynn = true;
				flynn_complete(&v, &psk);
				dispatch(&t, &v);
				vector_free(&v);
				free(psk.p);
				memset(&psk, 0, sizeof(psk));
			}
			if (!line)
				break;
			open = true;
		}
		if (!eq)
			continue;
		*eq = 0;
		if (strcmp(key, "handshake") == 0) {
			snprintf(v.name, sizeof(v.name), "%s", val);
		} else if (strcmp(key, "init_static") == 0) {
			buf_set_hex(&v.init_static, val);
		} else if (strcmp(key, "resp_static") == 0) {
			buf_set_hex(&v.resp_static, val);
		} else if (strcmp(key, "gen_init_ephemeral") == 0) {
			buf_set_hex(&v.init_ephemeral, val);
		} else if (strcmp(key, "gen_resp_ephemeral") == 0) {
			buf_set_hex(&v.resp_ephemeral, val);
		} else if (strcmp(key, "prologue") == 0) {
			buf_set_hex(&v.init_prologue, val);
			buf_set_hex(&v.resp_prologue, val);
		} else if (strcmp(key, "preshared_key") == 0) {
			buf_set_hex(&psk, val);
		} else if (sscanf(key, "msg_%u_%15s", &idx, kind) == 2 && idx < MAX_MSGS) {
			if (strcmp(kind, "payload") == 0)
				buf_set_hex(&v.payload[idx], val);
			else if (strcmp(kind, "ciphertext") == 0)
				buf_set_hex(&v.ciphertext[idx], val);
			else
				fail_msg("flynn: unknown key %s", key);
			if (idx + 1 > v.n_msgs)
				v.n_msgs = idx + 1;
		} else {
			fail_msg("flynn: unknown key %s", key);
		}
	}
	free(text);
	tally_print(rel, &t);
	assert_int_equal(t.failed, 0);
}

static void test_cacophony(void **state)
{
	(void)state;
	run_json_file("noise/cacophony.txt", false);
}

static void test_snow(void **state)
{
	(void)state;
	run_json_file("noise/snow.txt", false);
}

static void test_snow_extended(void **state)
{
	(void)state;
	run_json_file("noise/snow-extended.txt", false);
}

static void test_flynn(void **state)
{
	(void)state;
	run_flynn_file("noise/vectors.txt");
}

static void test_noise_c(void **state)
{
	(void)state;
	run_json_file("noise/noise-c/cacophony.txt", true);
	run_json_file("noise/noise-c/noise-c-basic.txt", true);
	run_json_file("noise/noise-c/noise-c-fallback.txt", true);
	run_json_file("noise/noise-c/noise-c-hybrid.txt", true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cacophony),     cmocka_unit_test(test_snow),
		cmocka_unit_test(test_snow_extended), cmocka_unit_test(test_flynn),
		cmocka_unit_test(test_noise_c),
	};

	if (cry_init() != PS_OK)
		return 1;
	if (!tu_shared_vectors()) {
		printf("skipped: the shared vectors folder is absent (set PS_SHARED_VECTORS, "
		       "default ../shared/vectors)\n");
		return TU_SKIP;
	}
	if (cry_fuzzing_build()) {
		printf("skipped: fuzzing build (null AEAD) cannot match real vectors\n");
		return TU_SKIP;
	}
	return cmocka_run_group_tests_name("noise vectors", tests, NULL, NULL);
}
