/*
 * test_generated.c - the project's own vectors, the .json files of vectors/, made by the
 * generators beside them (vectors/gen_*.py) from independent implementations
 * (python-bitcoinlib; dissononce and python3-cryptography), run through the
 * Bitcoin codec and the Noise engine. Every .json file in vectors/ is read
 * and recognised by its layout; an unknown layout is a failure, so a new file
 * cannot be skipped silently. The schemas are in vectors/README.md.
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
#include "btc/v1.h"
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

/* ---- every file ----------------------------------------------------------------------- */

enum kind { KIND_BTC, KIND_NOISE };

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
		bool btc, noise;

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
		if (!btc && !noise)
			fail_msg("%s: neither Wycheproof (testGroups) nor cacophony (vectors) "
				 "layout",
				 rel);
		if (btc && want == KIND_BTC) {
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_btc),
		cmocka_unit_test(test_noise),
	};

	if (cry_init() != PS_OK)
		return 1;
	return cmocka_run_group_tests_name("generated vectors", tests, NULL, NULL);
}
