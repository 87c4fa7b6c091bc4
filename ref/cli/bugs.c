#include "cli/bugs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "btc/misbehave.h"
#include "noise/peer.h"

enum bug_kind { K_BTC, K_BTC_V2, K_NOISE, K_INJECT, K_SHAPE, K_CONFIG };
enum { P_BTC = BUG_BTC, P_NOISE = BUG_NOISE, P_BOTH = BUG_BTC | BUG_NOISE };
enum { R_INIT = BUG_INITIATOR, R_RESP = BUG_RESPONDER, R_BOTH = BUG_INITIATOR | BUG_RESPONDER };
/* the transport a Bitcoin switch needs: any, v1 framing (the frame
 * rewrites), a BIP324 v2 connection */
enum { T_ANY = 0, T_V1 = BUG_V1, T_V2 = BUG_V2 };

/* protos, roles and transports: where the switch changes what goes on the
 * wire. Given anywhere else it would do nothing, so bug_check refuses it
 * there. */
struct bug {
	const char *name;
	unsigned protos;
	unsigned roles;
	enum bug_kind kind;
	uint64_t bit;	     /* K_BTC, K_BTC_V2, K_NOISE */
	const char *inject;  /* K_INJECT: "CMD@WHEN" */
	const char *summary; /* the --list-bugs line */
	unsigned transports; /* T_* */
};

enum { SH_BYTE, SH_SPLIT, SH_CLOSE_MID, CF_OBSOLETE, CF_WRONG_PSK, CF_WRONG_PROLOGUE };

static const struct bug bugs[] = {
	/* Bitcoin: our version and its frame */
	{ "bad-checksum", P_BTC, R_BOTH, K_BTC, BTC_BUG_BAD_CHECKSUM, NULL,
	  "our version with a wrong checksum, then a correct one (Core: dropped, kept)", T_V1 },
	{ "bad-checksum-last", P_BTC, R_BOTH, K_BTC, BTC_BUG_CHECKSUM_LAST, NULL,
	  "our version with its last checksum byte wrong, then a correct one", T_V1 },
	{ "user-agent-noncanonical", P_BTC, R_BOTH, K_BTC, BTC_BUG_UA_NONCANONICAL, NULL,
	  "our version's user agent length in 2 bytes too many (fd LL 00), then a correct one",
	  T_V1 },
	{ "version-trailing-bytes", P_BTC, R_BOTH, K_BTC, BTC_BUG_VERSION_TRAILING, NULL,
	  "4 more bytes in our version's payload after the relay byte (Core: unread)", T_V1 },
	{ "bad-alone", P_BTC, R_BOTH, K_BTC, BTC_BUG_BAD_ALONE, NULL,
	  "with bad-checksum*, cmd-*, user-agent-257/-noncanonical: the spoilt version alone",
	  T_ANY },
	{ "wrong-magic", P_BTC, R_BOTH, K_BTC, BTC_BUG_WRONG_MAGIC, NULL,
	  "every message we send with another network magic (Core: disconnect)", T_V1 },
	{ "length-larger", P_BTC, R_BOTH, K_BTC, BTC_BUG_LENGTH_LARGER, NULL,
	  "our version's header announces one byte more than its payload", T_V1 },
	{ "length-smaller", P_BTC, R_BOTH, K_BTC, BTC_BUG_LENGTH_SMALLER, NULL,
	  "our version's header announces one byte less than its payload", T_V1 },
	{ "oversize", P_BTC, R_BOTH, K_BTC, BTC_BUG_OVERSIZE, NULL,
	  "a version header announcing 4,000,001 bytes (Core: disconnect at once)", T_V1 },
	{ "max-size", P_BTC, R_BOTH, K_BTC, BTC_BUG_MAX_SIZE, NULL,
	  "a version header announcing exactly 4,000,000 bytes that never come", T_V1 },
	{ "cmd-not-padded", P_BTC, R_BOTH, K_BTC, BTC_BUG_CMD_NOT_PADDED, NULL,
	  "command \"version\\0X\\0..\" (not NUL-padded), then a correct version", T_V1 },
	{ "cmd-nonprintable", P_BTC, R_BOTH, K_BTC, BTC_BUG_CMD_NONPRINTABLE, NULL,
	  "command \"versio\\x01\" (non-printable), then a correct version", T_V1 },
	{ "garbage-after-payload", P_BTC, R_BOTH, K_BTC, BTC_BUG_GARBAGE_AFTER, NULL,
	  "8 bytes of garbage after our version's payload", T_V1 },
	{ "duplicate-version", P_BTC, R_BOTH, K_BTC, BTC_BUG_DUPLICATE_VERSION, NULL,
	  "our version twice (Core: the second ignored)", T_ANY },
	{ "obsolete-version", P_BTC, R_BOTH, K_CONFIG, CF_OBSOLETE, NULL,
	  "announce protocol version 31799, below Core's minimum 31800", T_ANY },
	{ "reuse-nonce", P_BTC, R_RESP, K_BTC, BTC_BUG_REUSE_NONCE, NULL,
	  "our version carries the peer's own nonce (a self-connection)", T_ANY },
	{ "no-relay", P_BTC, R_BOTH, K_BTC, BTC_BUG_NO_RELAY, NULL,
	  "our version without the relay byte (optional for old versions)", T_ANY },
	{ "version-no-height", P_BTC, R_BOTH, K_BTC, BTC_BUG_VERSION_NO_HEIGHT, NULL,
	  "our version ends after the user agent (no start height, no relay)", T_ANY },
	{ "version-short", P_BTC, R_BOTH, K_BTC, BTC_BUG_VERSION_SHORT, NULL,
	  "our version has only the four required fields (ends after addr_recv)", T_ANY },
	{ "user-agent-256", P_BTC, R_BOTH, K_BTC, BTC_BUG_UA_256, NULL,
	  "a user agent of exactly 256 bytes (Core's MAX_SUBVERSION_LENGTH)", T_ANY },
	{ "user-agent-257", P_BTC, R_BOTH, K_BTC, BTC_BUG_UA_257, NULL,
	  "a version with a 257-byte user agent, then a correct version", T_ANY },
	/* Bitcoin: order */
	{ "early-verack", P_BTC, R_INIT, K_BTC, BTC_BUG_EARLY_VERACK, NULL,
	  "verack right after our version, before theirs arrives", T_ANY },
	{ "verack-before-version", P_BTC, R_BOTH, K_BTC, BTC_BUG_VERACK_FIRST, NULL,
	  "verack before our version", T_ANY },
	{ "verack-twice", P_BTC, R_BOTH, K_BTC, BTC_BUG_VERACK_TWICE, NULL, "our verack twice",
	  T_ANY },
	{ "no-verack", P_BTC, R_BOTH, K_BTC, BTC_BUG_NO_VERACK, NULL,
	  "never send verack (the peer's handshake stays PARTIAL)", T_ANY },
	{ "no-features", P_BTC, R_BOTH, K_BTC, BTC_BUG_NO_FEATURES, NULL,
	  "no wtxidrelay/sendaddrv2 even when both sides are at 70016", T_ANY },
	{ "silent", P_BOTH, R_BOTH, K_BTC, BTC_BUG_SILENT, NULL, "send nothing at all", T_ANY },
	{ "ping-before-version", P_BTC, R_BOTH, K_INJECT, 0, "ping@before-version",
	  "a ping before our version (Core: ignored)", T_ANY },
	{ "unknown-before-version", P_BTC, R_BOTH, K_INJECT, 0, "unknown@before-version",
	  "an unknown command before our version (Core: ignored)", T_ANY },
	{ "empty-command-before-version", P_BTC, R_BOTH, K_INJECT, 0, "empty@before-version",
	  "a message with an all-NUL command before our version", T_ANY },
	{ "getaddr-before-verack", P_BTC, R_BOTH, K_INJECT, 0, "getaddr@before-verack",
	  "getaddr between version and verack (Core: \"Unsupported message prior to verack\")",
	  T_ANY },
	{ "sendtxrcncl-before-verack", P_BTC, R_BOTH, K_INJECT, 0, "sendtxrcncl@before-verack",
	  "sendtxrcncl between version and verack (BIP 330: allowed there)", T_ANY },
	{ "wtxidrelay-after-verack", P_BTC, R_BOTH, K_INJECT, 0, "wtxidrelay@after-verack",
	  "wtxidrelay after our verack (Core: disconnect)", T_ANY },
	{ "sendaddrv2-after-verack", P_BTC, R_BOTH, K_INJECT, 0, "sendaddrv2@after-verack",
	  "sendaddrv2 after our verack (Core: disconnect)", T_ANY },
	{ "sendtxrcncl-after-verack", P_BTC, R_BOTH, K_INJECT, 0, "sendtxrcncl@after-verack",
	  "sendtxrcncl after our verack (Core, reconciliation off: ignored)", T_ANY },
	{ "send=CMD@WHEN", P_BTC, R_BOTH, K_INJECT, 0, NULL,
	  "send CMD (version verack ping pong getaddr sendheaders feefilter sendcmpct "
	  "wtxidrelay sendaddrv2 sendtxrcncl reject unknown empty) before-version, "
	  "before-verack or after-verack; the last with +MS, MS ms (1..600000) after the "
	  "handshake is done, while --linger lasts (later: never sent)",
	  T_ANY },
	/* Bitcoin: the BIP324 v2 transport (a v2 connection only) */
	{ "v2-garbage-4096", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_GARBAGE_4096, NULL,
	  "4096 bytes of garbage before our terminator, one over the limit (Core: "
	  "\"missing garbage terminator\" after 4111)",
	  T_V2 },
	{ "v2-no-terminator", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_NO_TERMINATOR, NULL,
	  "4095 bytes of garbage, then 16 bytes that are not the terminator, then nothing", T_V2 },
	{ "v2-wrong-terminator", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_WRONG_TERMINATOR, NULL,
	  "our garbage terminator with one bit flipped, then our packets", T_V2 },
	{ "v2-flip-length", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_FLIP_LENGTH, NULL,
	  "one bit of our version packet's encrypted length flipped (announces 1 more byte)",
	  T_V2 },
	{ "v2-flip-tag", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_FLIP_TAG, NULL,
	  "one bit of our version packet's tag flipped (Core: \"packet decryption failure\")",
	  T_V2 },
	{ "v2-flip-garbage", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_FLIP_GARBAGE, NULL,
	  "one byte of our garbage flipped after its use as aad (at least 1 byte of garbage)",
	  T_V2 },
	{ "v2-decoys=N", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_DECOYS, NULL,
	  "N decoy packets (1..64, 0..7 random bytes each) before our version packet", T_V2 },
	{ "v2-decoy-before-version", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_DECOY_BEFORE_VERSION, NULL,
	  "a decoy packet between our version packet and our version message", T_V2 },
	{ "v2-decoy-ping", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_DECOY_PING, NULL,
	  "after our verack a decoy whose contents are a ping (ignored: no pong)", T_V2 },
	{ "v2-decoy-after-version", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_DECOY_AFTER_VERSION, NULL,
	  "a decoy packet right after our version message", T_V2 },
	{ "v2-version-contents", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_VERSION_CONTENTS, NULL,
	  "our version packet with 8 bytes of contents (BIP324: ignored)", T_V2 },
	{ "v2-unknown-short-id", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_UNKNOWN_SHORT_ID, NULL,
	  "a message with short id 255 after our version (Core: dropped, kept)", T_V2 },
	{ "v2-oversize", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_OVERSIZE, NULL,
	  "our version: a packet length of 4,000,014 (over Core's 4,000,013), then nothing", T_V2 },
	{ "v2-key-only", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_KEY_ONLY, NULL,
	  "our 64-byte key, then nothing at all (no garbage, no terminator)", T_V2 },
	{ "v2-byte-at-a-time", P_BTC, R_BOTH, K_SHAPE, SH_BYTE, NULL,
	  "over v2, everything we send one byte at a time, 1 ms apart (key, garbage, "
	  "terminator first)",
	  T_V2 },
	{ "v2-v1-version", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_V1_VERSION, NULL,
	  "key, garbage, terminator, then our version as a v1 frame, not the version packet",
	  T_V2 },
	{ "v2-close-after-key", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_CLOSE_AFTER_KEY, NULL,
	  "our 64-byte key, then we close the connection", T_V2 },
	{ "v2-long-types", P_BTC, R_BOTH, K_BTC_V2, BTC_V2_BUG_LONG_TYPES, NULL,
	  "every message with its 12-byte type, never a short id (honest: BIP324 allows both)",
	  T_V2 },
	/* transport, both protocols */
	{ "stall=MS", P_BOTH, R_BOTH, K_SHAPE, 0, NULL,
	  "send nothing for MS milliseconds after connect", T_ANY },
	{ "byte-at-a-time", P_BOTH, R_BOTH, K_SHAPE, SH_BYTE, NULL,
	  "write one byte at a time, 1 ms apart", T_ANY },
	{ "split-header", P_BOTH, R_BOTH, K_SHAPE, SH_SPLIT, NULL,
	  "split our first write after byte 12 (Bitcoin: inside the header), 50 ms pause", T_ANY },
	{ "close-mid-message", P_BOTH, R_BOTH, K_SHAPE, SH_CLOSE_MID, NULL,
	  "send half of our first message, then close", T_ANY },
	/* Noise */
	{ "wrong-psk", P_NOISE, R_BOTH, K_CONFIG, CF_WRONG_PSK, NULL,
	  "use the PSK with one bit flipped", T_ANY },
	{ "wrong-prologue", P_NOISE, R_BOTH, K_CONFIG, CF_WRONG_PROLOGUE, NULL,
	  "use the prologue with one byte added", T_ANY },
	{ "flip-msg1", P_NOISE, R_INIT, K_NOISE, NOISE_BUG_FLIP_MSG1, NULL,
	  "flip a bit of msg1's tag", T_ANY },
	{ "flip-msg1-e", P_NOISE, R_INIT, K_NOISE, NOISE_BUG_FLIP_MSG1_E, NULL,
	  "flip a bit of msg1's ephemeral key", T_ANY },
	{ "flip-msg2", P_NOISE, R_RESP, K_NOISE, NOISE_BUG_FLIP_MSG2, NULL,
	  "flip a bit of msg2's tag", T_ANY },
	{ "flip-msg2-e", P_NOISE, R_RESP, K_NOISE, NOISE_BUG_FLIP_MSG2_E, NULL,
	  "flip a bit of msg2's ephemeral key", T_ANY },
	{ "flip-transport", P_NOISE, R_BOTH, K_NOISE, NOISE_BUG_FLIP_TRANSPORT, NULL,
	  "flip a bit of our transport message's tag (the echo, as responder)", T_ANY },
	{ "truncate-msg1", P_NOISE, R_INIT, K_NOISE, NOISE_BUG_TRUNCATE_MSG1, NULL,
	  "msg1 one byte short, framed as such", T_ANY },
	{ "truncate-msg2", P_NOISE, R_RESP, K_NOISE, NOISE_BUG_TRUNCATE_MSG2, NULL,
	  "msg2 one byte short, framed as such", T_ANY },
	{ "oversize-prefix", P_NOISE, R_BOTH, K_NOISE, NOISE_BUG_OVERSIZE_PREFIX, NULL,
	  "frame our first message as 65535 bytes; the rest never comes", T_ANY },
	{ "zero-frame", P_NOISE, R_BOTH, K_NOISE, NOISE_BUG_ZERO_FRAME, NULL,
	  "an empty (length 0) frame before our first message", T_ANY },
	{ "replay-msg1", P_NOISE, R_INIT, K_NOISE, NOISE_BUG_REPLAY_MSG1, NULL, "send msg1 twice",
	  T_ANY },
	{ "low-order-e", P_NOISE, R_BOTH, K_NOISE, NOISE_BUG_LOW_ORDER_E, NULL,
	  "our ephemeral key as all zeros, a low-order point", T_ANY },
	{ "alter-echo", P_NOISE, R_RESP, K_NOISE, NOISE_BUG_ALTER_ECHO, NULL,
	  "echo a different plaintext", T_ANY },
	{ "no-echo", P_NOISE, R_RESP, K_NOISE, NOISE_BUG_NO_ECHO, NULL, "never echo", T_ANY },
	{ "echo-prefix", P_NOISE, R_RESP, K_NOISE, NOISE_BUG_ECHO_PREFIX, NULL,
	  "echo each plaintext without its last byte (a valid message, a prefix of T)", T_ANY },
	{ "echo-extended", P_NOISE, R_RESP, K_NOISE, NOISE_BUG_ECHO_EXTENDED, NULL,
	  "echo each plaintext with a zero byte appended (starts with T, goes on)", T_ANY },
	{ "transport-nonce-skip", P_NOISE, R_BOTH, K_NOISE, NOISE_BUG_NONCE_SKIP, NULL,
	  "encrypt our last transport message (echo, as responder) with the nonce one too high",
	  T_ANY },
	{ "corrupt-then-valid", P_NOISE, R_BOTH, K_NOISE, NOISE_BUG_CORRUPT_THEN_VALID, NULL,
	  "our first transport message (echo) twice at one nonce: tag spoilt, then valid", T_ANY },
};

static const char *const inject_cmds[] = {
	"version",     "verack",    "ping",	 "pong",       "getaddr",
	"sendheaders", "feefilter", "sendcmpct", "wtxidrelay", "sendaddrv2",
	"sendtxrcncl", "reject",    "unknown",	 "empty",
};

/* Remember that spec was given, for bug_check. */
static int note_use(struct bug_set *set, const char *spec, unsigned protos, unsigned roles,
		    unsigned transports)
{
	if (set->nused == BUG_MAX_USES) {
		fprintf(stderr, "peershake: more than %d --bug switches\n", BUG_MAX_USES);
		return -1;
	}
	set->used[set->nused].name = spec;
	set->used[set->nused].protos = protos;
	set->used[set->nused].roles = roles;
	set->used[set->nused].transports = transports;
	set->nused++;
	return 0;
}

/* The +MS of send=CMD@after-verack+MS (ms: after the '+'): 1..600000
 * decimal digits and nothing else. Returns 0, or prints why and -1. */
static int parse_delay(struct btc_inject *in, const char *spec, const char *ms)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(ms, &end, 10);
	if (ms[0] < '0' || ms[0] > '9' || errno || *end || v < 1 || v > BTC_INJECT_MAX_DELAY_MS) {
		fprintf(stderr,
			"peershake: bad --bug send=%s: want after-verack+MS, MS 1..%u milliseconds "
			"after the handshake\n",
			spec, BTC_INJECT_MAX_DELAY_MS);
		return -1;
	}
	in->delay_ms = (uint32_t)v;
	return 0;
}

static int parse_inject(struct bug_set *set, const char *spec)
{
	const char *at = strchr(spec, '@'), *plus;
	char cmd[16], when[16];
	size_t n;
	struct btc_inject in;

	memset(&in, 0, sizeof(in));
	if (!at || (n = (size_t)(at - spec)) == 0 || n >= sizeof(cmd))
		goto bad;
	memcpy(cmd, spec, n);
	cmd[n] = 0;
	/* WHEN, then for after-verack an optional +MS */
	plus = strchr(at + 1, '+');
	n = plus ? (size_t)(plus - (at + 1)) : strlen(at + 1);
	if (n >= sizeof(when))
		goto bad;
	memcpy(when, at + 1, n);
	when[n] = 0;
	if (strcmp(when, "before-version") == 0)
		in.when = BTC_BEFORE_VERSION;
	else if (strcmp(when, "before-verack") == 0)
		in.when = BTC_BEFORE_VERACK;
	else if (strcmp(when, "after-verack") == 0)
		in.when = BTC_AFTER_VERACK;
	else
		goto bad;
	if (plus && in.when != BTC_AFTER_VERACK) {
		fprintf(stderr,
			"peershake: bad --bug send=%s: only after-verack takes a delay (+MS), "
			"not %s\n",
			spec, when);
		return -1;
	}
	if (plus && parse_delay(&in, spec, plus + 1) != 0)
		return -1;
	if (strcmp(cmd, "unknown") == 0) {
		in.cmd = BTC_CMD_UNKNOWN;
	} else if (strcmp(cmd, "empty") == 0) {
		in.cmd = BTC_CMD_UNKNOWN;
		in.empty_command = true;
	} else {
		uint8_t raw[BTC_COMMAND_LEN];
		size_t k;
		for (k = 0; k < sizeof(inject_cmds) / sizeof(inject_cmds[0]); k++)
			if (strcmp(cmd, inject_cmds[k]) == 0)
				break;
		if (k == sizeof(inject_cmds) / sizeof(inject_cmds[0]) ||
		    btc_command_set(raw, cmd) != PS_OK)
			goto bad;
		in.cmd = btc_cmd_from_bytes(raw);
	}
	if (set->ninject == BTC_MAX_INJECT) {
		fprintf(stderr, "peershake: more than %d send= switches\n", BTC_MAX_INJECT);
		return -1;
	}
	set->inject[set->ninject++] = in;
	return 0;
bad:
	fprintf(stderr,
		"peershake: bad --bug send=%s: want send=CMD@WHEN, WHEN before-version, "
		"before-verack, after-verack or after-verack+MS (see peershake --list-bugs)\n",
		spec);
	return -1;
}

int bug_add(struct bug_set *set, const char *spec)
{
	if (strncmp(spec, "send=", 5) == 0) {
		if (note_use(set, spec, P_BTC, R_BOTH, T_ANY) != 0)
			return -1;
		return parse_inject(set, spec + 5);
	}
	if (strncmp(spec, "stall=", 6) == 0) {
		char *end;
		unsigned long ms;
		errno = 0;
		ms = strtoul(spec + 6, &end, 10);
		if (errno || *end || end == spec + 6 || ms > 600000) {
			fprintf(stderr, "peershake: bad --bug %s: want stall=MS, 0..600000\n",
				spec);
			return -1;
		}
		set->shape.stall_ns = (uint64_t)ms * 1000000u;
		return note_use(set, spec, P_BOTH, R_BOTH, T_ANY);
	}
	if (strncmp(spec, "v2-decoys=", 10) == 0) {
		char *end;
		unsigned long n;
		errno = 0;
		n = strtoul(spec + 10, &end, 10);
		if (errno || *end || end == spec + 10 || spec[10] == '-' || n < 1 ||
		    n > BTC_V2_MAX_DECOYS) {
			fprintf(stderr, "peershake: bad --bug %s: want v2-decoys=N, N 1..%d\n",
				spec, BTC_V2_MAX_DECOYS);
			return -1;
		}
		set->btc_v2 |= BTC_V2_BUG_DECOYS;
		set->v2_decoys = (unsigned)n;
		return note_use(set, spec, P_BTC, R_BOTH, T_V2);
	}
	for (size_t i = 0; i < sizeof(bugs) / sizeof(bugs[0]); i++) {
		const struct bug *b = &bugs[i];
		if (strcmp(spec, b->name) != 0)
			continue;
		if (note_use(set, b->name, b->protos, b->roles, b->transports) != 0)
			return -1;
		switch (b->kind) {
		case K_BTC_V2:
			set->btc_v2 |= (uint32_t)b->bit;
			return 0;
		case K_BTC:
			set->btc |= b->bit;
			if (b->bit == BTC_BUG_SILENT)
				set->noise |= NOISE_BUG_SILENT;
			return 0;
		case K_NOISE:
			set->noise |= b->bit;
			return 0;
		case K_INJECT:
			return parse_inject(set, b->inject);
		case K_SHAPE:
			if (b->bit == SH_BYTE) {
				set->shape.chunk = 1;
				set->shape.gap_ns = 1000000u;
			} else if (b->bit == SH_SPLIT) {
				set->shape.split_at = 12;
				set->shape.gap_ns = 50000000u;
			} else {
				set->shape.close_mid = true;
			}
			return 0;
		case K_CONFIG:
		default:
			if (b->bit == CF_OBSOLETE)
				set->obsolete_version = true;
			else if (b->bit == CF_WRONG_PSK)
				set->wrong_psk = true;
			else
				set->wrong_prologue = true;
			return 0;
		}
	}
	fprintf(stderr, "peershake: unknown --bug '%s' (see peershake --list-bugs)\n", spec);
	return -1;
}

static const char *protos_word(unsigned p, unsigned t)
{
	if (p == P_BTC && t == T_V1)
		return "btc/v1";
	if (p == P_BTC && t == T_V2)
		return "btc/v2";
	return p == P_BOTH ? "both" : p == P_BTC ? "btc" : "noise";
}

static const char *roles_word(unsigned r)
{
	return r == R_BOTH ? "both" : r == R_INIT ? "initiator" : "responder";
}

/* The switches that set our v2 garbage's length themselves. */
static bool sets_garbage(const struct bug_use *u)
{
	return strcmp(u->name, "v2-garbage-4096") == 0 || strcmp(u->name, "v2-no-terminator") == 0;
}

int bug_check(const struct bug_set *set, const struct bug_run *run)
{
	for (size_t i = 0; i < set->nused; i++) {
		const struct bug_use *u = &set->used[i];
		if (!(u->protos & run->proto)) {
			fprintf(stderr,
				"peershake: --bug %s is a %s switch: it does nothing in %s (see "
				"peershake --list-bugs)\n",
				u->name, u->protos == P_BTC ? "Bitcoin" : "Noise", run->mode);
			return -1;
		}
		if (!(u->roles & run->roles)) {
			fprintf(stderr,
				"peershake: --bug %s applies to the %s only (%s); %s has no %s "
				"connection (see peershake --list-bugs)\n",
				u->name, roles_word(u->roles),
				u->roles == R_INIT ? "we connect" : "we accept", run->mode,
				roles_word(u->roles));
			return -1;
		}
		bool other_transport = run->proto == BUG_BTC && u->transports &&
				       !(u->transports & run->transports);
		if (other_transport && u->transports == T_V2) {
			fprintf(stderr,
				"peershake: --bug %s needs a BIP324 v2 connection: %s speaks v1 "
				"only "
				"here (%s; see peershake --list-bugs)\n",
				u->name, run->mode,
				run->roles & R_RESP ? "--v2transport 0"
						    : "give --v2transport 1 or auto");
			return -1;
		}
		if (other_transport) {
			fprintf(stderr,
				"peershake: --bug %s rewrites v1 frames: %s speaks v2 here "
				"(--v2transport 1 or auto; see peershake --list-bugs)\n",
				u->name, run->mode);
			return -1;
		}
		if (run->proto == BUG_BTC && run->v2_garbage == 0 &&
		    strcmp(u->name, "v2-flip-garbage") == 0) {
			fprintf(stderr, "peershake: --bug v2-flip-garbage needs a garbage byte to "
					"flip: not with "
					"--v2-garbage 0\n");
			return -1;
		}
		if (run->proto == BUG_BTC && strcmp(u->name, "bad-alone") == 0 &&
		    !btc_mis_alone_applies(set->btc)) {
			fprintf(stderr,
				"peershake: --bug bad-alone changes nothing alone: give it with "
				"bad-checksum, bad-checksum-last, cmd-not-padded, "
				"cmd-nonprintable, user-agent-257 or user-agent-noncanonical\n");
			return -1;
		}
		if (run->proto == BUG_BTC && strcmp(u->name, "user-agent-noncanonical") == 0 &&
		    (set->btc & BTC_BUG_VERSION_SHORT)) {
			fprintf(stderr,
				"peershake: --bug user-agent-noncanonical needs a user agent: "
				"not with version-short\n");
			return -1;
		}
		if (run->proto == BUG_BTC && run->v2_garbage >= 0 && sets_garbage(u)) {
			fprintf(stderr,
				"peershake: --bug %s sets our garbage's length itself: not with "
				"--v2-garbage\n",
				u->name);
			return -1;
		}
	}
	return 0;
}

void bug_list(FILE *f)
{
	fprintf(f, "%-30s %-6s %-9s %s\n", "SWITCH", "PROTO", "ROLE", "WHAT IT DOES");
	for (size_t i = 0; i < sizeof(bugs) / sizeof(bugs[0]); i++)
		fprintf(f, "%-30s %-6s %-9s %s\n", bugs[i].name,
			protos_word(bugs[i].protos, bugs[i].transports), roles_word(bugs[i].roles),
			bugs[i].summary);
}
