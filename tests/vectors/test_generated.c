/*
 * test_generated.c - the project's own vectors, the .json files of vectors/, made by the
 * generators beside them (vectors/gen_*.py) from independent implementations
 * (python-bitcoinlib; dissononce and python3-cryptography), run through the
 * Bitcoin codec, the Noise engine and the BIP324 transport. Every .json file
 * in vectors/ is read and recognised by its layout; an unknown layout is a
 * failure, so a new file cannot be skipped silently. The schemas are in
 * vectors/README.md.
 *
 * Bitcoin, Wycheproof layout (btc_messages.json), per test:
 *   MessageDecode  btc_msg_decode(input) for the group's magic:
 *     valid       PS_OK, *used = messageSize, every recorded field equal, and
 *                 btc_msg_encode of the result gives the input back;
 *     invalid     exactly the recorded error class; nothing written to the
 *                 output, *used 0 -- except bad-checksum and bad-command, the
 *                 classes Core drops, where *used is the message's size so a
 *                 stream can skip it (wire.h);
 *     acceptable  either of the two (the decoded fields, or the recorded error
 *                 with the same no-write rule); the counts of each are printed.
 *   StreamDecode   decode in a loop, skipping dropped messages by *used; the
 *                 events, the stopping error and the bytes left must match.
 *   The group's network name must resolve (btc_network_find) to its magic.
 *
 * Noise, cacophony layout (noise_nnpsk2_*.json): both sides are initialised
 * from the vector; each message is written by its sender (compared with the
 * ciphertext) and read by its receiver (compared with the payload); after
 * message 2 both sides split and must agree on the handshake hash, which must
 * equal the vector's. Messages after the handshake alternate initiator,
 * responder by index. A vector with "fail": true runs normally up to
 * fail_index, then:
 *   fail_side "write"  the sender must refuse to write the payload and the
 *                      receiver must refuse the ciphertext, both with
 *                      fail_error (the oversize case);
 *   fail_side "read"   the sender's message must equal genuine_ciphertext
 *                      (or the ciphertext, when the bytes were not altered in
 *                      transit); the receiver must refuse the ciphertext with
 *                      fail_error and release no plaintext; where a genuine
 *                      message exists, reading it afterwards must succeed
 *                      (a failed read changes nothing: handshake.h, and
 *                      section 5.1 for transport nonces).
 *
 * BIP324, the same Wycheproof layout with "algorithm": "BIP324V2Transport"
 * (bip324_v2.json): every exchange, detection and cipher stream replayed
 * with ref/btc/v2 from the file's fields (see run_bip324_file below), and
 * a comparator that must reject copies with one expected field altered.
 *
 * Prints per file: passed / failed / skipped. No failure is allowed.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btc/params.h"
#include "btc/transport.h"
#include "btc/v1.h"
#include "btc/v2.h"
#include "btc/v2cipher.h"
#include "btc/wire.h"
#include "core/err.h"
#include "crypto/crypto.h"
#include "noise/cipher.h"
#include "noise/handshake.h"
#include "noise/pattern.h"
#include "testutil.h"

#define MAX_FILES 64
#define BUFLEN	  (NOISE_MAX_MSG + 1024)

struct tally {
	unsigned passed, failed, skipped;
	unsigned valid, invalid, accepted, rejected; /* Bitcoin: by result */
	unsigned fail_vectors;			     /* Noise: "fail": true */
};

/* ---- JSON helpers ------------------------------------------------------------- */

static const cJSON *jget(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *it = jget(o, key);
	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static bool jint(const cJSON *o, const char *key, long long *out)
{
	const cJSON *it = jget(o, key);
	if (!cJSON_IsNumber(it))
		return false;
	*out = (long long)it->valuedouble;
	return true;
}

/* The hex string at key as new bytes (len may be 0), or NULL when absent. */
static uint8_t *jhex(const cJSON *o, const char *key, size_t *len)
{
	const char *s = jstr(o, key);
	return s ? tu_unhex(s, len) : NULL;
}

/* The error code whose ps_errname is name, or 1 (no such code). */
static int err_code(const char *name)
{
	for (int c = 0; c >= -100; c--)
		if (strcmp(ps_errname(c), name) == 0)
			return c;
	return 1;
}

/* ---- Bitcoin: field comparisons ------------------------------------------------ */

struct tc {
	long long id;
	const char *comment;
};

static bool tc_fail(const struct tc *t, const char *what)
{
	printf("FAIL tcId %lld (%s): %s\n", t->id, t->comment, what);
	return false;
}

static bool want_u64(const struct tc *t, const cJSON *f, const char *key, uint64_t got)
{
	const char *s = jstr(f, key);
	char msg[200];

	if (!s)
		return tc_fail(t, key);
	if (strtoull(s, NULL, 10) != got) {
		snprintf(msg, sizeof(msg), "%s is %" PRIu64 ", want %s", key, got, s);
		return tc_fail(t, msg);
	}
	return true;
}

static bool want_i64(const struct tc *t, const cJSON *f, const char *key, int64_t got)
{
	const char *s = jstr(f, key);
	char msg[200];

	if (!s)
		return tc_fail(t, key);
	if (strtoll(s, NULL, 10) != got) {
		snprintf(msg, sizeof(msg), "%s is %" PRId64 ", want %s", key, got, s);
		return tc_fail(t, msg);
	}
	return true;
}

static bool want_int(const struct tc *t, const cJSON *f, const char *key, long long got)
{
	long long want;
	char msg[200];

	if (!jint(f, key, &want))
		return tc_fail(t, key);
	if (want != got) {
		snprintf(msg, sizeof(msg), "%s is %lld, want %lld", key, got, want);
		return tc_fail(t, msg);
	}
	return true;
}

static bool want_hex(const struct tc *t, const cJSON *f, const char *key, const uint8_t *p,
		     size_t len)
{
	size_t wlen;
	uint8_t *w = jhex(f, key, &wlen);
	bool ok = w && wlen == len && (len == 0 || memcmp(w, p, len) == 0);
	char msg[200];

	free(w);
	if (!ok) {
		snprintf(msg, sizeof(msg), "%s differs (%zu bytes decoded)", key, len);
		return tc_fail(t, msg);
	}
	return true;
}

static bool want_addr(const struct tc *t, const cJSON *f, const char *key,
		      const struct btc_netaddr *a)
{
	const cJSON *o = jget(f, key);

	if (!cJSON_IsObject(o))
		return tc_fail(t, key);
	return want_u64(t, o, "services", a->services) && want_hex(t, o, "ip", a->ip, 16) &&
	       want_int(t, o, "port", a->port);
}

static bool want_version(const struct tc *t, const cJSON *f, const struct btc_version *v)
{
	static const struct {
		const char *name;
		unsigned bit;
	} groups[] = { { "from_nonce", BTC_VERSION_HAS_FROM_NONCE },
		       { "user_agent", BTC_VERSION_HAS_USER_AGENT },
		       { "height", BTC_VERSION_HAS_HEIGHT },
		       { "relay", BTC_VERSION_HAS_RELAY } };
	const cJSON *it;
	unsigned present = 0;

	cJSON_ArrayForEach(it, jget(f, "present"))
	{
		for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
			if (cJSON_IsString(it) && strcmp(it->valuestring, groups[i].name) == 0)
				present |= groups[i].bit;
	}
	if (present != v->present)
		return tc_fail(t, "present fields differ");
	if (!want_int(t, f, "version", v->version) || !want_u64(t, f, "services", v->services) ||
	    !want_i64(t, f, "timestamp", v->timestamp) ||
	    !want_addr(t, f, "addr_recv", &v->addr_recv) ||
	    !want_int(t, f, "trailing", (long long)v->trailing))
		return false;
	if ((present & BTC_VERSION_HAS_FROM_NONCE) &&
	    (!want_addr(t, f, "addr_from", &v->addr_from) || !want_u64(t, f, "nonce", v->nonce)))
		return false;
	if ((present & BTC_VERSION_HAS_USER_AGENT) &&
	    !want_hex(t, f, "user_agent", v->user_agent, v->user_agent_len))
		return false;
	if ((present & BTC_VERSION_HAS_HEIGHT) && !want_int(t, f, "start_height", v->start_height))
		return false;
	if ((present & BTC_VERSION_HAS_RELAY) && !want_int(t, f, "relay", v->relay))
		return false;
	return true;
}

/* The decoded message m against the vector's "message" object. */
static bool want_msg(const struct tc *t, const cJSON *want, const struct btc_msg *m)
{
	const char *cmd = jstr(want, "command");
	const cJSON *f = jget(want, "fields");

	if (!cmd || !cJSON_IsObject(f))
		return tc_fail(t, "vector lacks command or fields");
	if (strcmp(cmd, btc_cmd_name(m->cmd)) != 0)
		return tc_fail(t, "command differs");
	if (!want_hex(t, want, "commandBytes", m->command, BTC_COMMAND_LEN) ||
	    !want_hex(t, want, "payload", m->payload, m->payload_len))
		return false;

	switch (m->cmd) {
	case BTC_CMD_VERSION:
		return want_version(t, f, &m->u.version);
	case BTC_CMD_PING:
	case BTC_CMD_PONG:
		if (cJSON_IsTrue(jget(f, "has_nonce")) != m->u.ping.has_nonce)
			return tc_fail(t, "has_nonce differs");
		return !m->u.ping.has_nonce || want_u64(t, f, "nonce", m->u.ping.nonce);
	case BTC_CMD_FEEFILTER:
		return want_i64(t, f, "feerate", m->u.feerate);
	case BTC_CMD_SENDCMPCT:
		return want_int(t, f, "announce", m->u.sendcmpct.announce) &&
		       want_u64(t, f, "version", m->u.sendcmpct.version);
	case BTC_CMD_SENDTXRCNCL:
		return want_int(t, f, "version", m->u.sendtxrcncl.version) &&
		       want_u64(t, f, "salt", m->u.sendtxrcncl.salt);
	case BTC_CMD_REJECT:
		if (!want_hex(t, f, "message", m->u.reject.message, m->u.reject.message_len) ||
		    !want_int(t, f, "code", m->u.reject.code) ||
		    !want_hex(t, f, "reason", m->u.reject.reason, m->u.reject.reason_len))
			return false;
		if (jget(f, "data"))
			return want_hex(t, f, "data", m->u.reject.data, m->u.reject.data_len);
		return m->u.reject.data == NULL || tc_fail(t, "reject data where none is expected");
	case BTC_CMD_VERACK:
	case BTC_CMD_WTXIDRELAY:
	case BTC_CMD_SENDADDRV2:
	case BTC_CMD_SENDHEADERS:
	case BTC_CMD_GETADDR:
	case BTC_CMD_UNKNOWN:
	case BTC_CMD_COUNT_:
	default:
		return true;
	}
}

/* ---- Bitcoin: one test ------------------------------------------------------------ */

static bool is_drop_class(int code)
{
	return code == PS_ERR_BAD_CHECKSUM || code == PS_ERR_BAD_COMMAND;
}

/* btc_msg_decode must fail with want_code, write nothing, and set *used per
 * wire.h. */
static bool check_refusal(const struct tc *t, const uint8_t magic[4], const uint8_t *in, size_t len,
			  int want_code, long long msg_size)
{
	struct btc_msg out, before;
	size_t used = 12345;
	size_t want_used = is_drop_class(want_code) ? (size_t)msg_size : 0;
	char msg[200];
	int r;

	memset(&out, 0xa5, sizeof(out));
	memcpy(&before, &out, sizeof(out));
	r = btc_msg_decode(&out, &used, magic, in, len);
	if (r != want_code) {
		snprintf(msg, sizeof(msg), "decode returned %s, want %s", ps_errname(r),
			 ps_errname(want_code));
		return tc_fail(t, msg);
	}
	if (memcmp(&out, &before, sizeof(out)) != 0)
		return tc_fail(t, "a failed decode wrote to its output");
	if (used != want_used) {
		snprintf(msg, sizeof(msg), "*used is %zu after %s, want %zu", used, ps_errname(r),
			 want_used);
		return tc_fail(t, msg);
	}
	return true;
}

/* A successful decode: fields, *used, and the encoder gives the bytes back. */
static bool check_decoded(const struct tc *t, const cJSON *want, const uint8_t magic[4],
			  const uint8_t *in, size_t len, long long msg_size,
			  const struct btc_msg *m, size_t used)
{
	uint8_t *re;
	struct ps_wcur w;
	bool ok = true;

	if ((long long)used != msg_size)
		return tc_fail(t, "*used is not the message's size");
	if (!want_msg(t, want, m))
		return false;
	if (m->cmd == BTC_CMD_VERSION && m->u.version.trailing > 0)
		return true; /* the encoder does not write bytes Core ignores */
	re = malloc(len + 1);
	assert_non_null(re);
	w = ps_wcur_make(re, len + 1);
	if (btc_msg_encode(&w, magic, m) != PS_OK || (size_t)(w.p - re) != used ||
	    memcmp(re, in, used) != 0)
		ok = tc_fail(t, "btc_msg_encode does not give the input back");
	free(re);
	return ok;
}

static bool run_btc_decode(struct tally *ty, const struct tc *t, const cJSON *test,
			   const uint8_t magic[4], const uint8_t *in, size_t len)
{
	const char *result = jstr(test, "result"), *error = jstr(test, "error");
	const cJSON *want = jget(test, "message");
	long long msg_size = -1;
	struct btc_msg m;
	size_t used = 0;
	int code = error ? err_code(error) : 1, r;

	if (!result || (error && code > 0))
		return tc_fail(t, "vector has no result or an unknown error class");
	(void)jint(test, "messageSize", &msg_size);

	if (strcmp(result, "invalid") == 0) {
		ty->invalid++;
		return check_refusal(t, magic, in, len, code, msg_size);
	}
	if (strcmp(result, "valid") == 0) {
		ty->valid++;
		r = btc_msg_decode(&m, &used, magic, in, len);
		if (r != PS_OK)
			return tc_fail(t, ps_errname(r));
		return check_decoded(t, want, magic, in, len, msg_size, &m, used);
	}
	if (strcmp(result, "acceptable") == 0) {
		r = btc_msg_decode(&m, &used, magic, in, len);
		if (r == PS_OK) {
			ty->accepted++;
			if (!want)
				return tc_fail(t, "accepted, but the vector records no message");
			return check_decoded(t, want, magic, in, len, msg_size, &m, used);
		}
		ty->rejected++;
		if (!error)
			return tc_fail(t, "rejected, but the vector records no error class");
		return check_refusal(t, magic, in, len, code, msg_size);
	}
	return tc_fail(t, "unknown result");
}

static bool run_btc_stream(struct tally *ty, const struct tc *t, const cJSON *test,
			   const uint8_t magic[4], const uint8_t *in, size_t len)
{
	const char *result = jstr(test, "result"), *error = jstr(test, "error");
	const cJSON *events = jget(test, "events");
	int n_events = cJSON_GetArraySize(events), k = 0, r = PS_OK;
	long long remaining = -1;
	size_t off = 0;
	char msg[200];

	if (!result || !cJSON_IsArray(events) || !jint(test, "remaining", &remaining))
		return tc_fail(t, "stream vector lacks result, events or remaining");
	if (strcmp(result, "valid") == 0)
		ty->valid++;
	else
		ty->invalid++;
	while (off < len) {
		const cJSON *ev = cJSON_GetArrayItem(events, k);
		struct btc_msg m;
		size_t used = 0;
		long long size = -1;

		r = btc_msg_decode(&m, &used, magic, in + off, len - off);
		if (r != PS_OK && !is_drop_class(r))
			break;
		if (!ev || !jint(ev, "size", &size) || (size_t)size != used)
			return tc_fail(t, "stream: an unexpected message, or its size differs");
		if (r == PS_OK) {
			const char *cmd = jstr(ev, "command");
			if (strcmp(jstr(ev, "event") ? jstr(ev, "event") : "", "message") != 0 ||
			    !cmd || strcmp(cmd, btc_cmd_name(m.cmd)) != 0)
				return tc_fail(t, "stream: a message where the vector has none");
		} else {
			const char *cls = jstr(ev, "error");
			if (!cls || strcmp(cls, ps_errname(r)) != 0)
				return tc_fail(t, "stream: a dropped message of another class");
		}
		off += used;
		k++;
	}
	if (k != n_events)
		return tc_fail(t, "stream: fewer events than the vector has");
	if ((long long)(len - off) != remaining) {
		snprintf(msg, sizeof(msg), "stream: %zu bytes left, want %lld", len - off,
			 remaining);
		return tc_fail(t, msg);
	}
	if (off == len)
		r = PS_OK;
	if (error ? r != err_code(error) : r != PS_OK) {
		snprintf(msg, sizeof(msg), "stream stopped with %s, want %s", ps_errname(r),
			 error ? error : "ok");
		return tc_fail(t, msg);
	}
	return true;
}

static void run_btc_file(const char *rel, const cJSON *root, struct tally *ty)
{
	const cJSON *g, *test;
	long long declared = -1;
	unsigned n = 0;

	cJSON_ArrayForEach(g, jget(root, "testGroups"))
	{
		const char *type = jstr(g, "type"), *net = jstr(g, "network");
		const struct btc_network *bn = net ? btc_network_find(net) : NULL;
		size_t mlen = 0;
		uint8_t *magic = jhex(g, "magic", &mlen);

		if (!type || !bn || !magic || mlen != 4 || memcmp(magic, bn->magic, 4) != 0) {
			printf("FAIL %s: group with an unknown network, or a magic not the one "
			       "btc_network_find gives\n",
			       rel);
			ty->failed++;
			free(magic);
			continue;
		}
		cJSON_ArrayForEach(test, jget(g, "tests"))
		{
			struct tc t = { -1, jstr(test, "comment") };
			size_t len = 0;
			uint8_t *in = jhex(test, "input", &len);
			bool ok;

			n++;
			(void)jint(test, "tcId", &t.id);
			if (!t.comment)
				t.comment = "";
			if (!in)
				ok = tc_fail(&t, "no input");
			else if (strcmp(type, "MessageDecode") == 0)
				ok = run_btc_decode(ty, &t, test, magic, in, len);
			else if (strcmp(type, "StreamDecode") == 0)
				ok = run_btc_stream(ty, &t, test, magic, in, len);
			else
				ok = tc_fail(&t, "unknown group type");
			if (ok)
				ty->passed++;
			else
				ty->failed++;
			free(in);
		}
		free(magic);
	}
	if (!jint(root, "numberOfTests", &declared) || declared != (long long)n) {
		printf("FAIL %s: numberOfTests is %lld, the file has %u\n", rel, declared, n);
		ty->failed++;
	}
	printf("%s: passed %u, failed %u, skipped %u (valid %u, invalid %u, acceptable %u: "
	       "%u accepted, %u rejected)\n",
	       rel, ty->passed, ty->failed, ty->skipped, ty->valid, ty->invalid,
	       ty->accepted + ty->rejected, ty->accepted, ty->rejected);
}

/* ---- Noise -------------------------------------------------------------------------- */

struct nmsg {
	uint8_t *payload, *ct, *genuine;
	size_t payload_len, ct_len, genuine_len;
};

struct nvec {
	const char *name, *comment;
	uint8_t *init_prologue, *resp_prologue, *init_e, *resp_e, *hh;
	size_t init_prologue_len, resp_prologue_len, init_e_len, resp_e_len, hh_len;
	uint8_t init_psks[NOISE_MAX_PSKS][NOISE_PSKLEN], resp_psks[NOISE_MAX_PSKS][NOISE_PSKLEN];
	size_t n_init_psks, n_resp_psks;
	struct nmsg *msgs;
	size_t n_msgs;
	bool fail;
	long long fail_index;
	const char *fail_side, *fail_error, *fail_kind;
};

static bool nfail(const struct nvec *v, size_t i, const char *what, int r)
{
	printf("FAIL %s (%s): %s at message %zu (%s)\n", v->name, v->comment, what, i,
	       ps_errname(r));
	return false;
}

static size_t load_psks(uint8_t psks[NOISE_MAX_PSKS][NOISE_PSKLEN], const cJSON *arr)
{
	const cJSON *it;
	size_t n = 0, len;

	cJSON_ArrayForEach(it, arr)
	{
		uint8_t *p;

		assert_true(n < NOISE_MAX_PSKS && cJSON_IsString(it));
		p = tu_unhex(it->valuestring, &len);
		assert_int_equal(len, NOISE_PSKLEN);
		memcpy(psks[n++], p, NOISE_PSKLEN);
		free(p);
	}
	return n;
}

static void nvec_load(struct nvec *v, const cJSON *o)
{
	const cJSON *m;
	size_t i = 0;

	memset(v, 0, sizeof(*v));
	v->name = jstr(o, "protocol_name");
	v->comment = jstr(o, "comment") ? jstr(o, "comment") : "";
	assert_non_null(v->name);
	v->init_prologue = jhex(o, "init_prologue", &v->init_prologue_len);
	v->resp_prologue = jhex(o, "resp_prologue", &v->resp_prologue_len);
	v->init_e = jhex(o, "init_ephemeral", &v->init_e_len);
	v->resp_e = jhex(o, "resp_ephemeral", &v->resp_e_len);
	v->hh = jhex(o, "handshake_hash", &v->hh_len);
	v->n_init_psks = load_psks(v->init_psks, jget(o, "init_psks"));
	v->n_resp_psks = load_psks(v->resp_psks, jget(o, "resp_psks"));
	v->n_msgs = (size_t)cJSON_GetArraySize(jget(o, "messages"));
	v->msgs = calloc(v->n_msgs ? v->n_msgs : 1, sizeof(*v->msgs));
	assert_non_null(v->msgs);
	cJSON_ArrayForEach(m, jget(o, "messages"))
	{
		v->msgs[i].payload = jhex(m, "payload", &v->msgs[i].payload_len);
		v->msgs[i].ct = jhex(m, "ciphertext", &v->msgs[i].ct_len);
		v->msgs[i].genuine = jhex(m, "genuine_ciphertext", &v->msgs[i].genuine_len);
		assert_non_null(v->msgs[i].payload);
		assert_non_null(v->msgs[i].ct);
		i++;
	}
	v->fail = cJSON_IsTrue(jget(o, "fail"));
	v->fail_index = -1;
	if (v->fail) {
		(void)jint(o, "fail_index", &v->fail_index);
		v->fail_side = jstr(o, "fail_side");
		v->fail_error = jstr(o, "fail_error");
		v->fail_kind = jstr(o, "fail_kind");
	}
}

static void nvec_free(struct nvec *v)
{
	free(v->init_prologue);
	free(v->resp_prologue);
	free(v->init_e);
	free(v->resp_e);
	free(v->hh);
	for (size_t i = 0; i < v->n_msgs; i++) {
		free(v->msgs[i].payload);
		free(v->msgs[i].ct);
		free(v->msgs[i].genuine);
	}
	free(v->msgs);
}

/* Both sides of a session; message i goes initiator -> responder when i is
 * even (cacophony's convention, kept after the handshake). */
struct nsess {
	struct noise_hs hi, hr;
	struct noise_cs i_c1, i_c2, r_c1, r_c2;
	size_t n_hs;
};

static int sess_write(struct nsess *s, size_t i, uint8_t *out, size_t *outlen, const uint8_t *p,
		      size_t plen)
{
	bool from_i = noise_pattern_initiator_sends(i);

	if (i < s->n_hs)
		return noise_hs_write_message(from_i ? &s->hi : &s->hr, out, BUFLEN, outlen, p,
					      plen);
	return noise_cs_encrypt_with_ad(from_i ? &s->i_c1 : &s->r_c2, out, BUFLEN, outlen, NULL, 0,
					p, plen);
}

static int sess_read(struct nsess *s, size_t i, uint8_t *pt, size_t *ptlen, const uint8_t *msg,
		     size_t len)
{
	bool from_i = noise_pattern_initiator_sends(i);

	if (i < s->n_hs)
		return noise_hs_read_message(from_i ? &s->hr : &s->hi, pt, BUFLEN, ptlen, msg, len);
	return noise_cs_decrypt_with_ad(from_i ? &s->r_c1 : &s->i_c2, pt, BUFLEN, ptlen, NULL, 0,
					msg, len);
}

/* After the last handshake message: split both sides, compare the hashes. */
static bool sess_split(struct nsess *s, const struct nvec *v, size_t i)
{
	const uint8_t *h1, *h2;
	size_t l1, l2;

	if (noise_hs_action(&s->hi) != NOISE_HS_SPLIT ||
	    noise_hs_action(&s->hr) != NOISE_HS_SPLIT ||
	    noise_hs_split(&s->hi, &s->i_c1, &s->i_c2) != PS_OK ||
	    noise_hs_split(&s->hr, &s->r_c1, &s->r_c2) != PS_OK)
		return nfail(v, i, "split", 0);
	h1 = noise_hs_handshake_hash(&s->hi, &l1);
	h2 = noise_hs_handshake_hash(&s->hr, &l2);
	if (l1 != l2 || memcmp(h1, h2, l1) != 0)
		return nfail(v, i, "the two sides' handshake hashes differ", 0);
	if (v->hh && (v->hh_len != l1 || memcmp(v->hh, h1, l1) != 0))
		return nfail(v, i, "handshake_hash", 0);
	return true;
}

/* The failing message of a "fail": true vector. */
static bool run_fail_step(struct nsess *s, const struct nvec *v, size_t i, uint8_t *out,
			  uint8_t *pt)
{
	const struct nmsg *m = &v->msgs[i];
	int want = v->fail_error ? err_code(v->fail_error) : 1, r;
	size_t outlen = 0, ptlen = 0;

	if (!v->fail_side || want > 0 || want == PS_OK)
		return nfail(v, i, "fail vector lacks fail_side or a known fail_error", 0);
	if (strcmp(v->fail_side, "write") == 0) {
		if ((r = sess_write(s, i, out, &outlen, m->payload, m->payload_len)) != want)
			return nfail(v, i, "the sender did not refuse with fail_error", r);
		if ((r = sess_read(s, i, pt, &ptlen, m->ct, m->ct_len)) != want)
			return nfail(v, i, "the receiver did not refuse with fail_error", r);
		return true;
	}
	if (strcmp(v->fail_side, "read") != 0)
		return nfail(v, i, "unknown fail_side", 0);

	/* The sender's bytes: the genuine message, or (keys or prologues
	 * differ, nothing altered in transit) the ciphertext itself. */
	if ((r = sess_write(s, i, out, &outlen, m->payload, m->payload_len)) != PS_OK)
		return nfail(v, i, "the sender could not write", r);
	if (m->genuine ? (outlen != m->genuine_len || memcmp(out, m->genuine, outlen) != 0)
		       : (outlen != m->ct_len || memcmp(out, m->ct, outlen) != 0))
		return nfail(v, i, "the sender's message differs from the oracles'", 0);

	memset(pt, 0xa5, BUFLEN);
	r = sess_read(s, i, pt, &ptlen, m->ct, m->ct_len);
	if (r != want)
		return nfail(v, i, "the receiver did not refuse with fail_error", r);
	if (m->payload_len > 0 && memcmp(pt, m->payload, m->payload_len) == 0)
		return nfail(v, i, "plaintext released by a failed read", r);

	/* Nothing changed: the genuine message still reads. */
	if (m->genuine) {
		r = sess_read(s, i, pt, &ptlen, m->genuine, m->genuine_len);
		if (r != PS_OK || ptlen != m->payload_len ||
		    (ptlen && memcmp(pt, m->payload, ptlen) != 0))
			return nfail(v, i, "the genuine message does not read after the failure",
				     r);
	}
	return true;
}

static bool run_nvec(const struct nvec *v, const struct noise_protocol *proto)
{
	struct noise_hs_config ci = { 0 }, cr = { 0 };
	struct nsess s;
	uint8_t *out = malloc(BUFLEN), *pt = malloc(BUFLEN);
	size_t stop = v->fail ? (size_t)v->fail_index : v->n_msgs;
	bool ok = false;
	int r;

	assert_non_null(out);
	assert_non_null(pt);
	memset(&s, 0, sizeof(s));
	s.n_hs = proto->pattern.n_msgs;
	ci.protocol = cr.protocol = proto;
	ci.initiator = true;
	ci.prologue = v->init_prologue, ci.prologue_len = v->init_prologue_len;
	cr.prologue = v->resp_prologue, cr.prologue_len = v->resp_prologue_len;
	ci.psks = v->init_psks, ci.n_psks = v->n_init_psks;
	cr.psks = v->resp_psks, cr.n_psks = v->n_resp_psks;
	ci.e = v->init_e, cr.e = v->resp_e;

	if (v->fail && (v->fail_index < 0 || stop >= v->n_msgs)) {
		nfail(v, 0, "fail_index outside the messages", 0);
		goto out;
	}
	if (!v->init_e || v->init_e_len != 32 || !v->resp_e || v->resp_e_len != 32) {
		nfail(v, 0, "ephemeral keys missing", 0);
		goto out;
	}
	if ((r = noise_hs_init(&s.hi, &ci)) != PS_OK || (r = noise_hs_init(&s.hr, &cr)) != PS_OK) {
		nfail(v, 0, "init", r);
		goto out;
	}
	if (!v->fail && v->n_msgs < s.n_hs) {
		nfail(v, v->n_msgs, "fewer messages than the pattern", 0);
		goto out;
	}
	for (size_t i = 0; i < stop; i++) {
		const struct nmsg *m = &v->msgs[i];
		size_t outlen = 0, ptlen = 0;

		r = sess_write(&s, i, out, &outlen, m->payload, m->payload_len);
		if (r != PS_OK || outlen != m->ct_len || memcmp(out, m->ct, outlen) != 0) {
			nfail(v, i, "ciphertext", r);
			goto out;
		}
		r = sess_read(&s, i, pt, &ptlen, m->ct, m->ct_len);
		if (r != PS_OK || ptlen != m->payload_len ||
		    (ptlen && memcmp(pt, m->payload, ptlen) != 0)) {
			nfail(v, i, "payload", r);
			goto out;
		}
		if (i + 1 == s.n_hs && !sess_split(&s, v, i))
			goto out;
	}
	ok = !v->fail || run_fail_step(&s, v, stop, out, pt);
out:
	noise_hs_wipe(&s.hi);
	noise_hs_wipe(&s.hr);
	free(out);
	free(pt);
	return ok;
}

static void run_noise_file(const char *rel, const cJSON *root, struct tally *ty)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, jget(root, "vectors"))
	{
		struct noise_protocol proto;
		struct nvec v;
		int r;

		nvec_load(&v, it);
		r = noise_protocol_parse(&proto, v.name, strlen(v.name));
		if (r == PS_ERR_UNSUPPORTED) {
			printf("skipped %s: unsupported here\n", v.name);
			ty->skipped++;
		} else if (r != PS_OK) {
			printf("FAIL %s: name does not parse (%s)\n", v.name, ps_errname(r));
			ty->failed++;
		} else if (run_nvec(&v, &proto)) {
			ty->passed++;
			ty->fail_vectors += v.fail;
		} else {
			ty->failed++;
		}
		nvec_free(&v);
	}
	printf("%s: passed %u (valid %u, fail %u), failed %u, skipped %u\n", rel, ty->passed,
	       ty->passed - ty->fail_vectors, ty->fail_vectors, ty->failed, ty->skipped);
}

/* ---- BIP324: bip324_v2.json ---------------------------------------------------------------
 *
 * "algorithm": "BIP324V2Transport" (schema: vectors/README.md). Every test
 * is replayed from its fields with ref/btc/v2 through the transport ops:
 *
 *   V2Exchange  each side is opened with the file's private key, encoding,
 *               garbage, the decoys before its version packet and that
 *               packet (struct btc_v2_fixed); as a sender (when it has
 *               "sends") it is fed the other side's 64-byte key and writes
 *               its later packets (a message through ops->write when that
 *               is the encoding write() chooses, else btc_v2_write_packet),
 *               and what it queued must be "sends" (hex, or length, sha256
 *               and tail); as a receiver it is fed "receives" (or the other
 *               side's built "sends"), one byte at a time when under 20,000
 *               bytes (so every event's end and the failure's offset is the
 *               byte it happens on) and then again whole, in 64 KiB pieces
 *               when longer; the items and messages it hands up must be the
 *               expected events (terminator, decoy, version, message,
 *               dropped: kind, header, garbage length, type, reason, length
 *               and the kept prefix of contents or payload, end), then the
 *               session id, the failure (class, reason, offset) or, with
 *               the input used up, what it waits for.
 *   V1Prefix    a detecting responder fed the input byte by byte: the
 *               transport it settles on, the byte that decided, and the
 *               wrong-network failure on byte 16.
 *   FSChaCha20, FSChaCha20Poly1305: the rekeying ciphers of v2cipher.h,
 *               chunk by chunk and message by message, keys after rekeys.
 *
 * v2_check_test() is the comparator; test_bip324_mutations alters one
 * expected field of copies in memory and requires it to fail. */

struct v2ctx {
	const struct tc *t;
	bool quiet; /* a mutated copy: failing is expected, say nothing */
	unsigned bytewise, whole, sends_checked;
};

static bool v2_fail(const struct v2ctx *x, const char *side, const char *what)
{
	if (!x->quiet)
		printf("FAIL tcId %lld (%s): %s: %s\n", x->t->id, x->t->comment, side, what);
	return false;
}

/* A byte string: hex, or {"hex": P, "repeat": U, "times": N} = P + U x N. */
static uint8_t *v2_bytes(const cJSON *v, size_t *len)
{
	const char *p, *u;
	long long times;
	uint8_t *a, *b, *out;
	size_t alen, blen;

	*len = 0;
	if (cJSON_IsString(v))
		return tu_unhex(v->valuestring, len);
	if (!cJSON_IsObject(v) || !(p = jstr(v, "hex")) || !(u = jstr(v, "repeat")) ||
	    !jint(v, "times", &times) || times < 0)
		return NULL;
	a = tu_unhex(p, &alen);
	b = tu_unhex(u, &blen);
	out = malloc(alen + blen * (size_t)times + 1);
	assert_non_null(out);
	if (alen)
		memcpy(out, a, alen);
	for (long long i = 0; i < times; i++)
		memcpy(out + alen + blen * (size_t)i, b, blen);
	*len = alen + blen * (size_t)times;
	free(a), free(b);
	return out;
}

static bool v2_hexeq(const char *hex, const uint8_t *p, size_t n)
{
	size_t wl = 0;
	uint8_t *w = hex ? tu_unhex(hex, &wl) : NULL;
	bool ok = w && wl == n && (n == 0 || memcmp(w, p, n) == 0);

	free(w);
	return ok;
}

/* A stream object against bytes: length, sha256, and hex or tail. */
static bool v2_stream_eq(const cJSON *js, const uint8_t *b, size_t n)
{
	long long length;
	uint8_t sha[32];
	const char *hex = jstr(js, "hex"), *tail = jstr(js, "tail");

	if (!jint(js, "length", &length) || (size_t)length != n)
		return false;
	cry_sha256(sha, b, n);
	if (!v2_hexeq(jstr(js, "sha256"), sha, 32))
		return false;
	if (hex)
		return v2_hexeq(hex, b, n);
	return tail && n >= 32 && v2_hexeq(tail, b + n - 32, 32);
}

/* One side's fixed inputs, from the file. */
struct v2side {
	const cJSON *j;
	bool initiating;
	uint8_t magic[4];
	uint8_t priv[32], ell[64];
	uint8_t *garbage;
	size_t garbage_len;
	struct btc_v2_packet pre[64], ver;
	uint8_t *pre_buf[64], *ver_buf;
	size_t n_pre, first_after; /* packets: decoys, version at n_pre, then the rest */
	struct btc_v2_fixed fixed;
	uint64_t seed;
	struct btc_v2_config cfg, cfg_used;
};

static bool v2side_load(struct v2side *s, const cJSON *j, bool initiating, const uint8_t gmagic[4])
{
	const cJSON *pk = jget(j, "packets"), *p;
	const char *m = jstr(j, "magic");
	size_t n, i = 0;
	uint8_t *b;

	memset(s, 0, sizeof(*s));
	s->j = j;
	s->initiating = initiating;
	memcpy(s->magic, gmagic, 4);
	if (m) {
		/* the wrong-network test: this side's own magic */
		b = tu_unhex(m, &n);
		if (n != 4)
			return free(b), false;
		memcpy(s->magic, b, 4);
		free(b);
	}
	b = jhex(j, "privkey", &n);
	if (!b || n != 32)
		return free(b), false;
	memcpy(s->priv, b, 32), free(b);
	b = jhex(j, "ellswift", &n);
	if (!b || n != 64)
		return free(b), false;
	memcpy(s->ell, b, 64), free(b);
	s->garbage = v2_bytes(jget(j, "garbage"), &s->garbage_len);
	if (!s->garbage)
		return false;
	cJSON_ArrayForEach(p, pk)
	{
		const char *kind = jstr(p, "kind");
		long long h;

		if (!kind || !jint(p, "header", &h))
			return false;
		if (!strcmp(kind, "decoy") && s->n_pre == i) {
			assert_true(s->n_pre < 64);
			s->pre_buf[s->n_pre] = v2_bytes(jget(p, "contents"), &n);
			s->pre[s->n_pre] =
				(struct btc_v2_packet){ (uint8_t)h, s->pre_buf[s->n_pre], n };
			s->n_pre++;
		} else if (!strcmp(kind, "version") && i == s->n_pre) {
			s->ver_buf = v2_bytes(jget(p, "contents"), &n);
			s->ver = (struct btc_v2_packet){ (uint8_t)h, s->ver_buf, n };
			s->first_after = i + 1;
		} else if (i == s->n_pre) {
			return false; /* a message before the version packet */
		}
		i++;
	}
	if (!s->first_after)
		return false;
	s->fixed.privkey = s->priv;
	s->fixed.ellswift = s->ell;
	s->fixed.garbage = s->garbage;
	s->fixed.pre_version = s->pre;
	s->fixed.n_pre_version = s->n_pre;
	s->fixed.version = &s->ver;
	s->seed = 7;
	s->cfg.rng = tu_rng;
	s->cfg.rng_ctx = &s->seed;
	s->cfg.garbage_len = s->garbage_len;
	s->cfg.fixed = &s->fixed;
	return true;
}

static void v2side_free(struct v2side *s)
{
	free(s->garbage);
	for (size_t i = 0; i < s->n_pre; i++)
		free(s->pre_buf[i]);
	free(s->ver_buf);
}

/* A transport for side, queueing into a buffer of cap bytes. */
struct v2peer {
	struct btc_transport t;
	uint8_t *out;
	size_t cap;
	struct ps_wcur w;
};

static int v2peer_open(struct v2peer *p, struct v2side *s, size_t cap)
{
	struct btc_v2_config cfg = s->cfg;

	/* A side whose garbage is over the limit (GarbageTooLong) misbehaves
	 * as a sender only (it has no "sends"): as a receiver it is opened
	 * with the garbage cut to 4095 bytes, which only changes what it
	 * sends. */
	if (cfg.garbage_len > BTC_V2_MAX_GARBAGE)
		cfg.garbage_len = BTC_V2_MAX_GARBAGE;
	memset(p, 0, sizeof(*p));
	p->cap = cap;
	p->out = malloc(cap);
	assert_non_null(p->out);
	p->w = ps_wcur_make(p->out, cap);
	s->cfg_used = cfg;
	return btc_transport_open(&p->t, s->initiating ? BTC_TRANSPORT_V2 : BTC_TRANSPORT_DETECT,
				  s->magic, s->initiating ? BTC_INITIATOR : BTC_RESPONDER,
				  &s->cfg_used, &p->w);
}

static void v2peer_close(struct v2peer *p)
{
	p->t.ops->end(&p->t);
	free(p->out);
}

/* Our encoding of a message with type and payload, as write() makes it:
 * true (and *short_id) when write() would choose encoding. */
static bool v2_write_chooses(const char *type, const char *encoding, uint8_t cmd[12])
{
	size_t n = strlen(type);

	if (n > 12)
		return false;
	memset(cmd, 0, 12);
	memcpy(cmd, type, n);
	for (size_t i = 0; i < n; i++)
		if (cmd[i] < 0x20 || cmd[i] > 0x7e)
			return false;
	return !strcmp(encoding, btc_v2_short_id(cmd) ? "short" : "long");
}

/* The side as a sender: its stream once it has the peer's key; *out
 * (malloc'd) and *n. */
static bool v2_build_sends(const struct v2ctx *x, struct v2side *s, const uint8_t peer_ell[64],
			   uint8_t **out, size_t *n)
{
	const char *who = s->initiating ? "initiator sends" : "responder sends";
	const cJSON *pk = jget(s->j, "packets"), *p;
	size_t cap = 64 + s->garbage_len + 16 + 64, i = 0;
	struct btc_rx_msg m;
	struct v2peer q;
	size_t used;
	bool got;
	int r;

	cJSON_ArrayForEach(p, pk)
	{
		size_t len;
		uint8_t *c = v2_bytes(jget(p, "contents"), &len);

		free(c);
		cap += len + 20;
	}
	if ((r = v2peer_open(&q, s, cap)) != PS_OK) {
		free(q.out);
		return v2_fail(x, who, "open");
	}
	/* the peer's key: ours goes out on its first byte (a responder),
	 * terminator and version packet on its last */
	r = q.t.ops->read(&q.t, &m, &got, &used, &q.w, peer_ell, 64);
	if (r != PS_OK || !got || used != 64 || m.kind != BTC_RX_V2_KEY || !q.t.ops->ready(&q.t)) {
		v2peer_close(&q);
		return v2_fail(x, who, "the peer's key");
	}
	cJSON_ArrayForEach(p, pk)
	{
		const char *type = jstr(p, "type"), *enc = jstr(p, "encoding");
		long long h = 0;
		size_t clen, plen;
		uint8_t *c, *pl, cmd[12];

		if (i++ < s->first_after)
			continue;
		(void)jint(p, "header", &h);
		c = v2_bytes(jget(p, "contents"), &clen);
		if (type && enc && h == 0 && v2_write_chooses(type, enc, cmd)) {
			pl = v2_bytes(jget(p, "payload"), &plen);
			r = q.t.ops->write(&q.t, &q.w, cmd, pl, plen);
			free(pl);
		} else {
			r = btc_v2_write_packet(&q.t, &q.w, (uint8_t)h, c, clen);
		}
		free(c);
		if (r != PS_OK) {
			v2peer_close(&q);
			return v2_fail(x, who, "writing a packet");
		}
	}
	*n = (size_t)(q.w.p - q.out);
	*out = malloc(*n + 1);
	assert_non_null(*out);
	memcpy(*out, q.out, *n);
	v2peer_close(&q);
	return true;
}

/* One event as the runner saw it. */
struct v2ev {
	const char *event; /* "terminator", "decoy", "version", "message", "dropped" */
	unsigned header;
	uint64_t end;
	uint32_t length; /* garbage length, or contents / payload length */
	char type[13];
	const char *reason;
	uint8_t kept[BTC_HS_KEEP];
	size_t nkept;
};

struct v2run {
	struct v2ev *ev;
	size_t nev, cap;
	int err;
	const char *note;
	uint64_t offset;
	const char *waiting;
	uint8_t sid[32];
	bool have_sid;
};

static const struct {
	const char *reason, *note;
} v2_reasons[] = {
	{ "empty-contents", "empty contents" },
	{ "unknown-short-id", "unknown short message id" },
	{ "long-type-truncated", "long message type cut short" },
	{ "long-type-bad-char", "message type byte outside 0x20..0x7f" },
	{ "long-type-bad-padding", "message type not NUL-padded" },
	{ "missing-garbage-terminator", "missing garbage terminator" },
	{ "packet-too-large", "packet too large" },
	{ "decryption-failure", "packet decryption failure" },
	{ "v1-wrong-network", "v1 peer with wrong network magic" },
};

static const char *v2_reason_of(const char *note)
{
	for (size_t i = 0; note && i < sizeof(v2_reasons) / sizeof(v2_reasons[0]); i++)
		if (!strcmp(v2_reasons[i].note, note))
			return v2_reasons[i].reason;
	return NULL;
}

static void v2_record(struct v2run *run, const struct btc_rx_msg *m, uint64_t end)
{
	struct v2ev *e;

	if (m->kind == BTC_RX_V2_KEY)
		return; /* no event of the file's: its end is always 64 */
	if (run->nev == run->cap) {
		run->cap = run->cap ? 2 * run->cap : 64;
		run->ev = realloc(run->ev, run->cap * sizeof(*run->ev));
		assert_non_null(run->ev);
	}
	e = &run->ev[run->nev++];
	memset(e, 0, sizeof(*e));
	e->end = end;
	e->header = m->header;
	e->length = m->length;
	switch (m->kind) {
	case BTC_RX_V2_GARBAGE:
		e->event = "terminator";
		return;
	case BTC_RX_V2_DECOY:
		e->event = "decoy";
		break;
	case BTC_RX_V2_VERSION:
		e->event = "version";
		break;
	case BTC_RX_MESSAGE:
	case BTC_RX_V2_KEY:
	default:
		e->event = m->verdict == PS_OK ? "message" : "dropped";
		e->reason = v2_reason_of(m->note);
		for (size_t i = 0; i < 12 && m->command[i]; i++)
			e->type[i] = (char)m->command[i];
		break;
	}
	e->nkept = m->kept;
	if (m->kept)
		memcpy(e->kept, m->payload, m->kept);
}

/* Feed stream to a fresh receiver for side: bytewise, or in pieces of
 * piece bytes. */
static bool v2_receive(const struct v2ctx *x, struct v2side *s, const uint8_t *stream, size_t n,
		       size_t piece, struct v2run *run)
{
	struct v2peer q;
	uint64_t off = 0;
	size_t cap = 64 + s->garbage_len + 16 + 20 + s->ver.len + 64;
	int r;

	for (size_t i = 0; i < s->n_pre; i++)
		cap += s->pre[i].len + 20;
	memset(run, 0, sizeof(*run));
	if ((r = v2peer_open(&q, s, cap)) != PS_OK) {
		free(q.out);
		return v2_fail(x, "receiver", "open");
	}
	while (off < n) {
		size_t len = n - off < piece ? (size_t)(n - off) : piece;
		struct btc_rx_msg m;
		size_t used = 0;
		bool got = false;

		r = q.t.ops->read(&q.t, &m, &got, &used, &q.w, stream + off, len);
		off += used;
		if (r != PS_OK) {
			run->err = r;
			run->note = m.note;
			run->offset = off;
			break;
		}
		if (got && m.kind == BTC_RX_V2_VERSION) {
			/* the session id is known from here on (a later failure
			 * wipes it with the keys) */
			const uint8_t *sid = btc_v2_session_id(&q.t);

			if (sid) {
				memcpy(run->sid, sid, 32);
				run->have_sid = true;
			}
		}
		if (got)
			v2_record(run, &m, off);
		else if (used != len)
			return v2peer_close(&q), v2_fail(x, "receiver", "input left untaken");
	}
	if (run->err == PS_OK) {
		const uint8_t *sid = btc_v2_session_id(&q.t);

		run->waiting = btc_v2_waiting_for(&q.t);
		/* still the same at the end */
		if (run->have_sid != (sid != NULL) || (sid && memcmp(sid, run->sid, 32)))
			return v2peer_close(&q), v2_fail(x, "receiver", "session id changed");
	}
	v2peer_close(&q);
	return true;
}

/* The events a run delivered against the expected ones (all of them, or
 * with a failure all that end before its offset: every one listed). */
static bool v2_events_eq(const struct v2ctx *x, const char *who, const cJSON *want,
			 const struct v2run *run)
{
	const cJSON *e;
	size_t i = 0;
	char msg[200];

	cJSON_ArrayForEach(e, want)
	{
		const char *ev = jstr(e, "event");
		long long end, h, glen;
		const struct v2ev *g;
		uint8_t *b;
		size_t n;
		bool ok;

		if (i >= run->nev) {
			snprintf(msg, sizeof(msg), "%zu events, more expected", run->nev);
			return v2_fail(x, who, msg);
		}
		g = &run->ev[i];
		if (!ev || strcmp(ev, g->event) || !jint(e, "end", &end) ||
		    (uint64_t)end != g->end) {
			snprintf(msg, sizeof(msg), "event %zu is %s ending on %llu", i, g->event,
				 (unsigned long long)g->end);
			return v2_fail(x, who, msg);
		}
		if (!strcmp(ev, "terminator")) {
			if (!jint(e, "garbageLength", &glen) || (uint32_t)glen != g->length)
				return v2_fail(x, who, "garbage length");
			i++;
			continue;
		}
		if (!jint(e, "header", &h) || (unsigned)h != g->header)
			return v2_fail(x, who, "header");
		if (!strcmp(ev, "message")) {
			const char *type = jstr(e, "type");

			if (!type || strcmp(type, g->type))
				return v2_fail(x, who, "message type");
			b = v2_bytes(jget(e, "payload"), &n);
		} else {
			if (!strcmp(ev, "dropped")) {
				const char *reason = jstr(e, "reason");

				if (!reason || !g->reason || strcmp(reason, g->reason))
					return v2_fail(x, who, "drop reason");
			}
			b = v2_bytes(jget(e, "contents"), &n);
		}
		/* the length, and as much of the bytes as a transport keeps */
		ok = b && n == g->length && g->nkept == (n < BTC_HS_KEEP ? n : BTC_HS_KEEP) &&
		     (g->nkept == 0 || memcmp(b, g->kept, g->nkept) == 0);
		free(b);
		if (!ok) {
			snprintf(msg, sizeof(msg), "event %zu (%s): contents or length", i, ev);
			return v2_fail(x, who, msg);
		}
		i++;
	}
	if (i != run->nev) {
		snprintf(msg, sizeof(msg), "%zu events, %zu expected", run->nev, i);
		return v2_fail(x, who, msg);
	}
	return true;
}

/* A run against the side's "expect". */
static bool v2_expect_eq(const struct v2ctx *x, const char *who, const cJSON *exp,
			 const struct v2run *run, size_t n)
{
	const cJSON *fail = jget(exp, "failure");
	const char *waiting = jstr(exp, "waitingFor"), *sid = jstr(exp, "sessionId");
	char msg[200];

	if (!v2_events_eq(x, who, jget(exp, "events"), run))
		return false;
	if (fail) {
		const char *err = jstr(fail, "error"), *reason = jstr(fail, "reason");
		long long off;

		if (!err || !reason || !jint(fail, "offset", &off))
			return v2_fail(x, who, "failure without error, reason, offset");
		if (!strcmp(err, "need-more")) {
			/* the stream ends first: no error, waiting for the item */
			if (run->err != PS_OK || (size_t)off != n || !run->waiting ||
			    strncmp(reason, "incomplete-", 11) || strcmp(reason + 11, run->waiting))
				return v2_fail(x, who, "need-more: not waiting for that");
		} else {
			const char *got_reason = v2_reason_of(run->note);

			if (run->err == PS_OK || strcmp(err, ps_errname(run->err)) || !got_reason ||
			    strcmp(reason, got_reason) || run->offset != (uint64_t)off) {
				snprintf(msg, sizeof(msg),
					 "failure %s (%s) at %llu, want %s (%s) at %lld",
					 run->err ? ps_errname(run->err) : "none",
					 run->note ? run->note : "-",
					 (unsigned long long)run->offset, err, reason, off);
				return v2_fail(x, who, msg);
			}
		}
	} else if (run->err != PS_OK) {
		snprintf(msg, sizeof(msg), "failed: %s (%s)", ps_errname(run->err),
			 run->note ? run->note : "-");
		return v2_fail(x, who, msg);
	}
	if (waiting && (run->err != PS_OK || !run->waiting || strcmp(waiting, run->waiting)))
		return v2_fail(x, who, "waitingFor");
	if (!fail && (!waiting || strcmp(waiting, "idle")))
		return v2_fail(x, who, "no failure, yet not idle");
	if (sid) {
		/* known once the version packet verified */
		if (!run->have_sid || !v2_hexeq(sid, run->sid, 32))
			return v2_fail(x, who, "session id");
	} else if (run->have_sid) {
		return v2_fail(x, who, "a session id before any version packet");
	}
	return true;
}

static bool v2_check_side_receives(struct v2ctx *x, struct v2side *s, const uint8_t *stream,
				   size_t n)
{
	const char *who = s->initiating ? "initiator receives" : "responder receives";
	const cJSON *exp = jget(s->j, "expect");
	struct v2run run;
	bool ok;

	if (!cJSON_IsObject(exp))
		return v2_fail(x, who, "no expect");
	if (n < 20000) {
		ok = v2_receive(x, s, stream, n, 1, &run) && v2_expect_eq(x, who, exp, &run, n);
		free(run.ev);
		if (!ok)
			return false;
		x->bytewise++;
	}
	ok = v2_receive(x, s, stream, n, 64 * 1024, &run) && v2_expect_eq(x, who, exp, &run, n);
	free(run.ev);
	x->whole += ok;
	return ok;
}

static bool v2_check_exchange(struct v2ctx *x, const cJSON *test, const uint8_t gmagic[4])
{
	struct v2side side[2];
	uint8_t *built[2] = { NULL, NULL }, *recv = NULL;
	size_t nbuilt[2] = { 0, 0 }, nrecv;
	bool ok = false;

	memset(side, 0, sizeof(side));
	if (!v2side_load(&side[0], jget(test, "initiator"), true, gmagic) ||
	    !v2side_load(&side[1], jget(test, "responder"), false, gmagic)) {
		v2_fail(x, "test", "sides do not load");
		goto out;
	}
	for (int k = 0; k < 2; k++) {
		const cJSON *sends = jget(side[k].j, "sends");

		if (!sends)
			continue;
		if (!v2_build_sends(x, &side[k], side[1 - k].ell, &built[k], &nbuilt[k]))
			goto out;
		if (!v2_stream_eq(sends, built[k], nbuilt[k])) {
			v2_fail(x, k ? "responder sends" : "initiator sends", "differ");
			goto out;
		}
		x->sends_checked++;
	}
	for (int k = 0; k < 2; k++) {
		const cJSON *rj = jget(side[k].j, "receives");
		const uint8_t *stream;

		if (rj) {
			const char *hex = jstr(rj, "hex");

			if (!hex || !(recv = tu_unhex(hex, &nrecv)) ||
			    !v2_stream_eq(rj, recv, nrecv)) {
				v2_fail(x, "receives", "not a stream with its bytes");
				goto out;
			}
			stream = recv;
		} else if (built[1 - k]) {
			stream = built[1 - k];
			nrecv = nbuilt[1 - k];
		} else {
			v2_fail(x, "test", "a side receives nothing");
			goto out;
		}
		if (!v2_check_side_receives(x, &side[k], stream, nrecv))
			goto out;
		free(recv);
		recv = NULL;
	}
	ok = true;
out:
	free(recv);
	for (int k = 0; k < 2; k++) {
		free(built[k]);
		v2side_free(&side[k]);
	}
	return ok;
}

static bool v2_check_prefix(struct v2ctx *x, const cJSON *test, const uint8_t gmagic[4])
{
	const cJSON *exp = jget(test, "expect"), *fail = jget(exp, "failure"), *tr;
	uint8_t priv[32], ell[64], *b, *in = NULL;
	struct btc_v2_fixed fixed;
	struct btc_v2_config cfg;
	struct v2peer q;
	uint64_t seed = 1;
	long long decided = 0, want_decided = -1;
	size_t n, inlen = 0, at = 0, out_at_decision = 0;
	int err = PS_OK;
	const char *name = NULL;
	bool ok = false;
	char msg[200];

	b = jhex(test, "privkey", &n);
	if (!b || n != 32)
		return free(b), v2_fail(x, "prefix", "privkey");
	memcpy(priv, b, 32), free(b);
	b = jhex(test, "ellswift", &n);
	if (!b || n != 64)
		return free(b), v2_fail(x, "prefix", "ellswift");
	memcpy(ell, b, 64), free(b);
	memset(&fixed, 0, sizeof(fixed));
	memset(&cfg, 0, sizeof(cfg));
	fixed.privkey = priv;
	fixed.ellswift = ell;
	cfg.rng = tu_rng;
	cfg.rng_ctx = &seed;
	cfg.fixed = &fixed;
	memset(&q, 0, sizeof(q));
	q.cap = 256;
	q.out = malloc(q.cap);
	assert_non_null(q.out);
	q.w = ps_wcur_make(q.out, q.cap);
	if (btc_transport_open(&q.t, BTC_TRANSPORT_DETECT, gmagic, BTC_RESPONDER, &cfg, &q.w) !=
	    PS_OK) {
		free(q.out);
		return v2_fail(x, "prefix", "open");
	}
	in = jhex(test, "input", &inlen);
	if (!in)
		goto out;
	for (at = 0; at < inlen; at++) {
		struct btc_rx_msg m;
		size_t used;
		bool got;

		err = q.t.ops->read(&q.t, &m, &got, &used, &q.w, in + at, 1);
		if (!decided && q.t.ops->name) {
			decided = (long long)at + 1;
			out_at_decision = (size_t)(q.w.p - q.out);
		}
		if (err != PS_OK) {
			at++;
			name = m.note;
			break;
		}
	}
	tr = jget(exp, "transport");
	(void)jint(exp, "decidedAt", &want_decided);
	if (cJSON_IsNull(tr)
		    ? decided != 0
		    : (!cJSON_IsString(tr) || !q.t.ops->name ||
		       strcmp(tr->valuestring, q.t.ops->name) || decided != want_decided)) {
		snprintf(msg, sizeof(msg), "transport %s decided on byte %lld",
			 q.t.ops->name ? q.t.ops->name : "none", decided);
		v2_fail(x, "prefix", msg);
		goto out;
	}
	/* v2 answers at once with the key: 64 bytes queued on the deciding byte */
	if (decided && !strcmp(q.t.ops->name, "v2") && out_at_decision != 64) {
		v2_fail(x, "prefix", "the key did not go out");
		goto out;
	}
	if (fail) {
		long long off;
		const char *reason = v2_reason_of(name);

		if (!jint(fail, "offset", &off) || err == PS_OK ||
		    strcmp(ps_errname(err), jstr(fail, "error") ? jstr(fail, "error") : "") ||
		    !reason || strcmp(reason, jstr(fail, "reason") ? jstr(fail, "reason") : "") ||
		    (long long)at != off) {
			v2_fail(x, "prefix", "failure");
			goto out;
		}
	} else if (err != PS_OK) {
		v2_fail(x, "prefix", "failed");
		goto out;
	}
	ok = true;
out:
	free(in);
	q.t.ops->end(&q.t);
	free(q.out);
	return ok;
}

static bool v2_key_at(const cJSON *arr, int i, uint8_t key[32])
{
	const cJSON *it = cJSON_GetArrayItem(arr, i);
	size_t n;
	uint8_t *b = cJSON_IsString(it) ? tu_unhex(it->valuestring, &n) : NULL;
	bool ok = b && n == 32;

	if (ok)
		memcpy(key, b, 32);
	free(b);
	return ok;
}

static bool v2_check_fsc20(struct v2ctx *x, const cJSON *test)
{
	size_t kl, pl, cl;
	uint8_t *key = jhex(test, "key", &kl), *pt = jhex(test, "plaintext", &pl);
	uint8_t *ct = jhex(test, "ciphertext", &cl), *got = NULL, want_key[32];
	const cJSON *rk = jget(test, "keysAfterRekey");
	long long chunk;
	struct btc_v2c_fsc20 c;
	bool ok = false;
	int rekeys = 0;

	if (!key || kl != 32 || !pt || !ct || pl != cl || !jint(test, "chunkLength", &chunk) ||
	    chunk <= 0 || pl % (size_t)chunk)
		goto out;
	got = malloc(pl + 1);
	assert_non_null(got);
	btc_v2c_fsc20_init(&c, key);
	for (size_t off = 0, i = 0; off < pl; off += (size_t)chunk, i++) {
		if (btc_v2c_fsc20_crypt(&c, got + off, pt + off, (size_t)chunk) != PS_OK)
			goto out;
		if ((i + 1) % BTC_V2_REKEY_INTERVAL == 0) {
			if (!v2_key_at(rk, rekeys++, want_key) || memcmp(want_key, c.key, 32))
				goto out;
		}
	}
	ok = memcmp(got, ct, pl) == 0 && rekeys == cJSON_GetArraySize(rk);
out:
	free(key), free(pt), free(ct), free(got);
	return ok || v2_fail(x, "FSChaCha20", "differs");
}

static bool v2_check_fsaead(struct v2ctx *x, const cJSON *test)
{
	size_t kl;
	uint8_t *key = jhex(test, "key", &kl), want_key[32];
	const cJSON *rk = jget(test, "keysAfterRekey"), *m;
	struct btc_v2c_fsaead enc, dec;
	bool ok = key && kl == 32;
	int i = 0, rekeys = 0;

	if (ok) {
		btc_v2c_fsaead_init(&enc, key);
		btc_v2c_fsaead_init(&dec, key);
	}
	cJSON_ArrayForEach(m, jget(test, "messages"))
	{
		size_t al, pl, cl;
		uint8_t *aad = jhex(m, "aad", &al), *pt = jhex(m, "plaintext", &pl);
		uint8_t *ct = jhex(m, "ciphertext", &cl), *buf;
		bool fails = cJSON_IsTrue(jget(m, "fails"));

		if (!ok || !aad || !pt || !ct || cl != pl + 16) {
			ok = false;
			free(aad), free(pt), free(ct);
			break;
		}
		buf = malloc(cl + 1);
		assert_non_null(buf);
		/* encrypting gives the file's bytes (but for the flipped one) */
		ok = btc_v2c_fsaead_encrypt(&enc, buf, aad, al, pt, pl) == PS_OK &&
		     (memcmp(buf, ct, cl) == 0) != fails;
		/* decrypting fails only where the tag was flipped */
		if (ok) {
			int r = btc_v2c_fsaead_decrypt(&dec, buf, aad, al, ct, cl);

			ok = fails ? r == PS_ERR_DECRYPT
				   : r == PS_OK && (pl == 0 || memcmp(buf, pt, pl) == 0);
		}
		if (ok && rk && (i + 1) % BTC_V2_REKEY_INTERVAL == 0)
			ok = v2_key_at(rk, rekeys++, want_key) && !memcmp(want_key, enc.key, 32) &&
			     !memcmp(want_key, dec.key, 32);
		free(aad), free(pt), free(ct), free(buf);
		i++;
		if (!ok)
			break;
	}
	if (ok && rk && rekeys != cJSON_GetArraySize(rk))
		ok = false;
	free(key);
	return (ok && i > 0) || v2_fail(x, "FSChaCha20Poly1305", "differs");
}

/* The comparator: the test of a group of gtype (magic: the group's). */
static bool v2_check_test(struct v2ctx *x, const char *gtype, const uint8_t magic[4],
			  const cJSON *test)
{
	if (!strcmp(gtype, "V2Exchange"))
		return v2_check_exchange(x, test, magic);
	if (!strcmp(gtype, "V1Prefix"))
		return v2_check_prefix(x, test, magic);
	if (!strcmp(gtype, "FSChaCha20"))
		return v2_check_fsc20(x, test);
	if (!strcmp(gtype, "FSChaCha20Poly1305"))
		return v2_check_fsaead(x, test);
	return v2_fail(x, gtype, "unknown group type");
}

/* The group's magic, which must be its network's. */
static bool v2_group_magic(const cJSON *g, uint8_t magic[4])
{
	const char *net = jstr(g, "network");
	const struct btc_network *nw;
	size_t n;
	uint8_t *b;

	memset(magic, 0, 4);
	if (!net)
		return true; /* the cipher groups have none */
	nw = btc_network_find(net);
	b = jhex(g, "magic", &n);
	if (!nw || !b || n != 4 || memcmp(b, nw->magic, 4) != 0)
		return free(b), false;
	memcpy(magic, b, 4);
	free(b);
	return true;
}

static void run_bip324_file(const char *rel, const cJSON *root, struct tally *ty)
{
	const cJSON *g, *test;
	struct v2ctx x;
	unsigned by_type[4] = { 0 };
	long long declared;

	memset(&x, 0, sizeof(x));
	cJSON_ArrayForEach(g, jget(root, "testGroups"))
	{
		const char *gtype = jstr(g, "type");
		uint8_t magic[4];

		if (!gtype || !v2_group_magic(g, magic)) {
			printf("FAIL %s: a group without a type or with a wrong magic\n", rel);
			ty->failed++;
			continue;
		}
		cJSON_ArrayForEach(test, jget(g, "tests"))
		{
			struct tc t;
			long long id = 0;
			const char *res = jstr(test, "result");

			(void)jint(test, "tcId", &id);
			t.id = id;
			t.comment = jstr(test, "comment") ? jstr(test, "comment") : "";
			x.t = &t;
			if (v2_check_test(&x, gtype, magic, test)) {
				ty->passed++;
				if (res && !strcmp(res, "valid"))
					ty->valid++;
				else
					ty->invalid++;
				by_type[!strcmp(gtype, "V2Exchange")   ? 0
					: !strcmp(gtype, "V1Prefix")   ? 1
					: !strcmp(gtype, "FSChaCha20") ? 2
								       : 3]++;
			} else {
				ty->failed++;
			}
		}
	}
	if (!jint(root, "numberOfTests", &declared) ||
	    (unsigned long long)declared != ty->passed + ty->failed) {
		printf("FAIL %s: numberOfTests is not the number of tests\n", rel);
		ty->failed++;
	}
	printf("%s: passed %u (valid %u, invalid %u; %u exchanges, %u v1/v2 detections, %u+%u "
	       "cipher streams; %u senders rebuilt, %u receivers fed byte by byte, %u whole), "
	       "failed %u, skipped %u\n",
	       rel, ty->passed, ty->valid, ty->invalid, by_type[0], by_type[1], by_type[2],
	       by_type[3], x.sends_checked, x.bytewise, x.whole, ty->failed, ty->skipped);
}

/* ---- every file ----------------------------------------------------------------------- */

enum kind { KIND_BTC, KIND_NOISE, KIND_BIP324 };

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every .json file of vectors/ of the kind; returns how many files ran. */
static unsigned run_all(enum kind want)
{
	char dir[1024], path[1300], rel[300];
	char *names[MAX_FILES];
	size_t n = 0;
	unsigned ran = 0, failed = 0;
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%s/vectors", tu_source_dir());
	d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s (PS_SOURCE_DIR)", dir);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
			assert_true(n < MAX_FILES);
			names[n] = strdup(e->d_name);
			assert_non_null(names[n]);
			n++;
		}
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);

	for (size_t i = 0; i < n; i++) {
		struct tally ty = { 0 };
		size_t len;
		uint8_t *text;
		cJSON *root;
		bool btc, noise, bip324;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(rel, sizeof(rel), "vectors/%s", names[i]);
		text = tu_read_file(path, &len);
		assert_non_null(text);
		root = cJSON_ParseWithLength((const char *)text, len);
		free(text);
		if (!root)
			fail_msg("%s: not JSON", rel);
		btc = cJSON_IsArray(jget(root, "testGroups"));
		noise = cJSON_IsArray(jget(root, "vectors"));
		/* the same Wycheproof layout, another algorithm */
		bip324 = btc && jstr(root, "algorithm") &&
			 strcmp(jstr(root, "algorithm"), "BIP324V2Transport") == 0;
		if (!btc && !noise)
			fail_msg("%s: neither Wycheproof (testGroups) nor cacophony (vectors) "
				 "layout",
				 rel);
		if (bip324) {
			if (want == KIND_BIP324) {
				run_bip324_file(rel, root, &ty);
				ran++;
			}
		} else if (btc && want == KIND_BTC) {
			run_btc_file(rel, root, &ty);
			ran++;
		} else if (noise && want == KIND_NOISE) {
			run_noise_file(rel, root, &ty);
			ran++;
		}
		failed += ty.failed;
		cJSON_Delete(root);
		free(names[i]);
	}
	assert_int_equal(failed, 0);
	return ran;
}

static void test_btc(void **state)
{
	(void)state;
	assert_true(run_all(KIND_BTC) >= 1);
}

static void test_noise(void **state)
{
	(void)state;
	if (cry_fuzzing_build()) {
		printf("vectors/noise_*.json: skipped, fuzzing build (null AEAD)\n");
		skip();
	}
	assert_true(run_all(KIND_NOISE) >= 1);
}

static void test_bip324(void **state)
{
	(void)state;
	if (cry_fuzzing_build()) {
		printf("vectors/bip324_v2.json: skipped, fuzzing build (null AEAD)\n");
		skip();
	}
	assert_true(run_all(KIND_BIP324) >= 1);
}

/* The comparator must see a change: copies of tests of every group type,
 * each with one expected field altered, must fail; the copies unaltered
 * must pass. */
static void test_bip324_mutations(void **state)
{
	static const struct {
		long long id;
		const char *path; /* side/expect/... as keys, numbers as array indexes */
		const char *what;
	} muts[] = {
		{ 1, "initiator.expect.events.1.end", "int+1" },
		{ 1, "initiator.expect.events.2.payload", "hex^" },
		{ 1, "responder.expect.events.0.garbageLength", "int+1" },
		{ 1, "responder.expect.sessionId", "hex^" },
		{ 1, "responder.sends.sha256", "hex^" },
		{ 1, "initiator.sends.hex", "hex^" },
		{ 1, "initiator.expect.waitingFor", "str:length" },
		{ 8, "responder.expect.events.1.header", "int+1" },
		{ 8, "responder.expect.events.2.event", "str:version" },
		{ 18, "responder.expect.events.4.reason", "str:empty-contents" },
		{ 18, "responder.expect.events.3.contents", "str:00" },
		{ 16, "initiator.expect.events.3.type", "str:pong" },
		{ 98, "responder.expect.failure.offset", "int+1" },
		{ 98, "responder.expect.failure.error", "str:too-large" },
		{ 100, "responder.expect.failure.reason", "str:decryption-failure" },
		{ 26, "responder.expect.failure.reason", "str:incomplete-garbage" },
		{ 119, "responder.expect.failure.offset", "int+1" },
		{ 151, "expect.decidedAt", "int+1" },
		{ 150, "expect.transport", "str:v2" },
		{ 156, "expect.failure.offset", "int+1" },
		{ 167, "ciphertext", "hex^" },
		{ 169, "messages.5.ciphertext", "hex^" },
		{ 170, "messages.301.ciphertext", "hex^" },
	};
	char path[1300];
	size_t len;
	uint8_t *text;
	cJSON *root;
	unsigned rejected = 0;
	(void)state;

	if (cry_fuzzing_build())
		skip();
	snprintf(path, sizeof(path), "%s/vectors/bip324_v2.json", tu_source_dir());
	text = tu_read_file(path, &len);
	assert_non_null(text);
	root = cJSON_ParseWithLength((const char *)text, len);
	free(text);
	assert_non_null(root);
	for (size_t k = 0; k < sizeof(muts) / sizeof(muts[0]); k++) {
		const cJSON *g, *found = NULL, *fg = NULL;
		cJSON *copy, *node, *parent = NULL;
		char keys[200], *tok, *save = NULL, *last = NULL;
		struct tc t = { muts[k].id, "mutated" };
		struct v2ctx x;
		uint8_t magic[4];

		cJSON_ArrayForEach(g, jget(root, "testGroups"))
		{
			const cJSON *test;

			cJSON_ArrayForEach(test, jget(g, "tests"))
			{
				long long id;

				if (jint(test, "tcId", &id) && id == muts[k].id)
					found = test, fg = g;
			}
		}
		assert_non_null(found);
		assert_true(v2_group_magic(fg, magic));
		memset(&x, 0, sizeof(x));
		x.t = &t;
		assert_true(v2_check_test(&x, jstr(fg, "type"), magic, found));
		copy = cJSON_Duplicate(found, true);
		assert_non_null(copy);
		node = copy;
		snprintf(keys, sizeof(keys), "%s", muts[k].path);
		for (tok = strtok_r(keys, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
			parent = node;
			last = tok;
			node = cJSON_IsArray(node) ? cJSON_GetArrayItem(node, atoi(tok))
						   : cJSON_GetObjectItemCaseSensitive(node, tok);
			if (!node)
				fail_msg("tcId %lld has no %s", muts[k].id, muts[k].path);
		}
		if (!strcmp(muts[k].what, "int+1")) {
			assert_true(cJSON_IsNumber(node));
			cJSON_SetNumberValue(node, node->valuedouble + 1);
		} else if (!strcmp(muts[k].what, "hex^")) {
			char *h;

			assert_true(cJSON_IsString(node) && strlen(node->valuestring) >= 2);
			h = strdup(node->valuestring);
			assert_non_null(h);
			h[1] = h[1] == '0' ? '1' : '0';
			assert_non_null(cJSON_SetValuestring(node, h));
			free(h);
		} else {
			cJSON *rep = cJSON_CreateString(muts[k].what + 4);

			assert_non_null(rep);
			if (cJSON_IsArray(parent))
				assert_true(cJSON_ReplaceItemInArray(parent, atoi(last), rep));
			else
				assert_true(
					cJSON_ReplaceItemInObjectCaseSensitive(parent, last, rep));
		}
		x.quiet = true;
		if (v2_check_test(&x, jstr(fg, "type"), magic, copy))
			fail_msg("tcId %lld with %s altered (%s) still passes", muts[k].id,
				 muts[k].path, muts[k].what);
		rejected++;
		cJSON_Delete(copy);
	}
	cJSON_Delete(root);
	printf("vectors/bip324_v2.json: %u altered copies, all rejected\n", rejected);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_btc),
		cmocka_unit_test(test_noise),
		cmocka_unit_test(test_bip324),
		cmocka_unit_test(test_bip324_mutations),
	};

	if (cry_init() != PS_OK)
		return 1;
	return cmocka_run_group_tests_name("generated vectors", tests, NULL, NULL);
}
