#include "cli/bugs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "noise/peer.h"

enum bug_kind { K_BTC, K_NOISE, K_INJECT, K_SHAPE, K_CONFIG };
enum { P_BTC = BUG_BTC, P_NOISE = BUG_NOISE, P_BOTH = BUG_BTC | BUG_NOISE };
enum { R_INIT = BUG_INITIATOR, R_RESP = BUG_RESPONDER, R_BOTH = BUG_INITIATOR | BUG_RESPONDER };

/* protos and roles: where the switch changes what goes on the wire. Given
 * anywhere else it would do nothing, so bug_check refuses it there. */
struct bug {
	const char *name;
	unsigned protos;
	unsigned roles;
	enum bug_kind kind;
	uint64_t bit;	     /* K_BTC, K_NOISE */
	const char *inject;  /* K_INJECT: "CMD@WHEN" */
	const char *summary; /* the --list-bugs line */
};

enum { SH_BYTE, SH_SPLIT, SH_CLOSE_MID, CF_OBSOLETE, CF_WRONG_PSK, CF_WRONG_PROLOGUE };

static const struct bug bugs[] = {
	/* Bitcoin: our version and its frame */
	{ "bad-checksum", P_BTC, R_BOTH, K_BTC, BTC_BUG_BAD_CHECKSUM, NULL,
	  "our version with a wrong checksum, then a correct one (Core: dropped, kept)" },
	{ "wrong-magic", P_BTC, R_BOTH, K_BTC, BTC_BUG_WRONG_MAGIC, NULL,
	  "every message we send with another network magic (Core: disconnect)" },
	{ "length-larger", P_BTC, R_BOTH, K_BTC, BTC_BUG_LENGTH_LARGER, NULL,
	  "our version's header announces one byte more than its payload" },
	{ "length-smaller", P_BTC, R_BOTH, K_BTC, BTC_BUG_LENGTH_SMALLER, NULL,
	  "our version's header announces one byte less than its payload" },
	{ "oversize", P_BTC, R_BOTH, K_BTC, BTC_BUG_OVERSIZE, NULL,
	  "a version header announcing 4,000,001 bytes (Core: disconnect at once)" },
	{ "max-size", P_BTC, R_BOTH, K_BTC, BTC_BUG_MAX_SIZE, NULL,
	  "a version header announcing exactly 4,000,000 bytes that never come" },
	{ "cmd-not-padded", P_BTC, R_BOTH, K_BTC, BTC_BUG_CMD_NOT_PADDED, NULL,
	  "command \"version\\0X\\0..\" (not NUL-padded), then a correct version" },
	{ "cmd-nonprintable", P_BTC, R_BOTH, K_BTC, BTC_BUG_CMD_NONPRINTABLE, NULL,
	  "command \"versio\\x01\" (non-printable), then a correct version" },
	{ "garbage-after-payload", P_BTC, R_BOTH, K_BTC, BTC_BUG_GARBAGE_AFTER, NULL,
	  "8 bytes of garbage after our version's payload" },
	{ "duplicate-version", P_BTC, R_BOTH, K_BTC, BTC_BUG_DUPLICATE_VERSION, NULL,
	  "our version twice (Core: the second ignored)" },
	{ "obsolete-version", P_BTC, R_BOTH, K_CONFIG, CF_OBSOLETE, NULL,
	  "announce protocol version 31799, below Core's minimum 31800" },
	{ "reuse-nonce", P_BTC, R_RESP, K_BTC, BTC_BUG_REUSE_NONCE, NULL,
	  "our version carries the peer's own nonce (a self-connection)" },
	{ "no-relay", P_BTC, R_BOTH, K_BTC, BTC_BUG_NO_RELAY, NULL,
	  "our version without the relay byte (optional for old versions)" },
	{ "version-no-height", P_BTC, R_BOTH, K_BTC, BTC_BUG_VERSION_NO_HEIGHT, NULL,
	  "our version ends after the user agent (no start height, no relay)" },
	{ "version-short", P_BTC, R_BOTH, K_BTC, BTC_BUG_VERSION_SHORT, NULL,
	  "our version has only the four required fields (ends after addr_recv)" },
	{ "user-agent-256", P_BTC, R_BOTH, K_BTC, BTC_BUG_UA_256, NULL,
	  "a user agent of exactly 256 bytes (Core's MAX_SUBVERSION_LENGTH)" },
	{ "user-agent-257", P_BTC, R_BOTH, K_BTC, BTC_BUG_UA_257, NULL,
	  "a version with a 257-byte user agent, then a correct version" },
	/* Bitcoin: order */
	{ "early-verack", P_BTC, R_INIT, K_BTC, BTC_BUG_EARLY_VERACK, NULL,
	  "verack right after our version, before theirs arrives" },
	{ "verack-before-version", P_BTC, R_BOTH, K_BTC, BTC_BUG_VERACK_FIRST, NULL,
	  "verack before our version" },
	{ "verack-twice", P_BTC, R_BOTH, K_BTC, BTC_BUG_VERACK_TWICE, NULL, "our verack twice" },
	{ "no-verack", P_BTC, R_BOTH, K_BTC, BTC_BUG_NO_VERACK, NULL,
	  "never send verack (the peer's handshake stays PARTIAL)" },
	{ "no-features", P_BTC, R_BOTH, K_BTC, BTC_BUG_NO_FEATURES, NULL,
	  "no wtxidrelay/sendaddrv2 even when both sides are at 70016" },
	{ "silent", P_BOTH, R_BOTH, K_BTC, BTC_BUG_SILENT, NULL, "send nothing at all" },
	{ "ping-before-version", P_BTC, R_BOTH, K_INJECT, 0, "ping@before-version",
	  "a ping before our version (Core: ignored)" },
	{ "unknown-before-version", P_BTC, R_BOTH, K_INJECT, 0, "unknown@before-version",
	  "an unknown command before our version (Core: ignored)" },
	{ "empty-command-before-version", P_BTC, R_BOTH, K_INJECT, 0, "empty@before-version",
	  "a message with an all-NUL command before our version" },
	{ "getaddr-before-verack", P_BTC, R_BOTH, K_INJECT, 0, "getaddr@before-verack",
	  "getaddr between version and verack (Core: \"Unsupported message prior to verack\")" },
	{ "sendtxrcncl-before-verack", P_BTC, R_BOTH, K_INJECT, 0, "sendtxrcncl@before-verack",
	  "sendtxrcncl between version and verack (BIP 330: allowed there)" },
	{ "wtxidrelay-after-verack", P_BTC, R_BOTH, K_INJECT, 0, "wtxidrelay@after-verack",
	  "wtxidrelay after our verack (Core: disconnect)" },
	{ "sendaddrv2-after-verack", P_BTC, R_BOTH, K_INJECT, 0, "sendaddrv2@after-verack",
	  "sendaddrv2 after our verack (Core: disconnect)" },
	{ "sendtxrcncl-after-verack", P_BTC, R_BOTH, K_INJECT, 0, "sendtxrcncl@after-verack",
	  "sendtxrcncl after our verack (Core, reconciliation off: ignored)" },
	{ "send=CMD@WHEN", P_BTC, R_BOTH, K_INJECT, 0, NULL,
	  "send CMD (version verack ping pong getaddr sendheaders feefilter sendcmpct "
	  "wtxidrelay sendaddrv2 sendtxrcncl reject unknown empty) before-version, "
	  "before-verack or after-verack" },
	/* transport, both protocols */
	{ "stall=MS", P_BOTH, R_BOTH, K_SHAPE, 0, NULL,
	  "send nothing for MS milliseconds after connect" },
	{ "byte-at-a-time", P_BOTH, R_BOTH, K_SHAPE, SH_BYTE, NULL,
	  "write one byte at a time, 1 ms apart" },
	{ "split-header", P_BOTH, R_BOTH, K_SHAPE, SH_SPLIT, NULL,
	  "split our first write after byte 12 (Bitcoin: inside the header), 50 ms pause" },
	{ "close-mid-message", P_BOTH, R_BOTH, K_SHAPE, SH_CLOSE_MID, NULL,
	  "send half of our first message, then close" },
	/* Noise */
	{ "wrong-psk", P_NOISE, R_BOTH, K_CONFIG, CF_WRONG_PSK, NULL,
	  "use the PSK with one bit flipped" },
	{ "wrong-prologue", P_NOISE, R_BOTH, K_CONFIG, CF_WRONG_PROLOGUE, NULL,
	  "use the prologue with one byte added" },
	{ "flip-msg1", P_NOISE, R_INIT, K_NOISE, NOISE_BUG_FLIP_MSG1, NULL,
	  "flip a bit of msg1's tag" },
	{ "flip-msg1-e", P_NOISE, R_INIT, K_NOISE, NOISE_BUG_FLIP_MSG1_E, NULL,
	  "flip a bit of msg1's ephemeral key" },
	{ "flip-msg2", P_NOISE, R_RESP, K_NOISE, NOISE_BUG_FLIP_MSG2, NULL,
	  "flip a bit of msg2's tag" },
	{ "flip-msg2-e", P_NOISE, R_RESP, K_NOISE, NOISE_BUG_FLIP_MSG2_E, NULL,
	  "flip a bit of msg2's ephemeral key" },
	{ "flip-transport", P_NOISE, R_BOTH, K_NOISE, NOISE_BUG_FLIP_TRANSPORT, NULL,
	  "flip a bit of our transport message's tag (the echo, as responder)" },
	{ "truncate-msg1", P_NOISE, R_INIT, K_NOISE, NOISE_BUG_TRUNCATE_MSG1, NULL,
	  "msg1 one byte short, framed as such" },
	{ "truncate-msg2", P_NOISE, R_RESP, K_NOISE, NOISE_BUG_TRUNCATE_MSG2, NULL,
	  "msg2 one byte short, framed as such" },
	{ "oversize-prefix", P_NOISE, R_BOTH, K_NOISE, NOISE_BUG_OVERSIZE_PREFIX, NULL,
	  "frame our first message as 65535 bytes; the rest never comes" },
	{ "zero-frame", P_NOISE, R_BOTH, K_NOISE, NOISE_BUG_ZERO_FRAME, NULL,
	  "an empty (length 0) frame before our first message" },
	{ "replay-msg1", P_NOISE, R_INIT, K_NOISE, NOISE_BUG_REPLAY_MSG1, NULL, "send msg1 twice" },
	{ "low-order-e", P_NOISE, R_BOTH, K_NOISE, NOISE_BUG_LOW_ORDER_E, NULL,
	  "our ephemeral key as all zeros, a low-order point" },
	{ "alter-echo", P_NOISE, R_RESP, K_NOISE, NOISE_BUG_ALTER_ECHO, NULL,
	  "echo a different plaintext" },
	{ "no-echo", P_NOISE, R_RESP, K_NOISE, NOISE_BUG_NO_ECHO, NULL, "never echo" },
	{ "echo-prefix", P_NOISE, R_RESP, K_NOISE, NOISE_BUG_ECHO_PREFIX, NULL,
	  "echo each plaintext without its last byte (a valid message, a prefix of T)" },
	{ "echo-extended", P_NOISE, R_RESP, K_NOISE, NOISE_BUG_ECHO_EXTENDED, NULL,
	  "echo each plaintext with a zero byte appended (starts with T, goes on)" },
	{ "transport-nonce-skip", P_NOISE, R_BOTH, K_NOISE, NOISE_BUG_NONCE_SKIP, NULL,
	  "encrypt our last transport message (echo, as responder) with the nonce one too high" },
	{ "corrupt-then-valid", P_NOISE, R_BOTH, K_NOISE, NOISE_BUG_CORRUPT_THEN_VALID, NULL,
	  "our first transport message (echo) twice at one nonce: tag spoilt, then valid" },
};

static const char *const inject_cmds[] = {
	"version",     "verack",    "ping",	 "pong",       "getaddr",
	"sendheaders", "feefilter", "sendcmpct", "wtxidrelay", "sendaddrv2",
	"sendtxrcncl", "reject",    "unknown",	 "empty",
};

/* Remember that spec was given, for bug_check. */
static int note_use(struct bug_set *set, const char *spec, unsigned protos, unsigned roles)
{
	if (set->nused == BUG_MAX_USES) {
		fprintf(stderr, "peershake: more than %d --bug switches\n", BUG_MAX_USES);
		return -1;
	}
	set->used[set->nused].name = spec;
	set->used[set->nused].protos = protos;
	set->used[set->nused].roles = roles;
	set->nused++;
	return 0;
}

static int parse_inject(struct bug_set *set, const char *spec)
{
	const char *at = strchr(spec, '@');
	char cmd[16];
	size_t n;
	struct btc_inject in;

	memset(&in, 0, sizeof(in));
	if (!at || (n = (size_t)(at - spec)) == 0 || n >= sizeof(cmd))
		goto bad;
	memcpy(cmd, spec, n);
	cmd[n] = 0;
	if (strcmp(at + 1, "before-version") == 0)
		in.when = BTC_BEFORE_VERSION;
	else if (strcmp(at + 1, "before-verack") == 0)
		in.when = BTC_BEFORE_VERACK;
	else if (strcmp(at + 1, "after-verack") == 0)
		in.when = BTC_AFTER_VERACK;
	else
		goto bad;
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
		"before-verack or after-verack (see peershake --list-bugs)\n",
		spec);
	return -1;
}

int bug_add(struct bug_set *set, const char *spec)
{
	if (strncmp(spec, "send=", 5) == 0) {
		if (note_use(set, spec, P_BTC, R_BOTH) != 0)
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
		return note_use(set, spec, P_BOTH, R_BOTH);
	}
	for (size_t i = 0; i < sizeof(bugs) / sizeof(bugs[0]); i++) {
		const struct bug *b = &bugs[i];
		if (strcmp(spec, b->name) != 0)
			continue;
		if (note_use(set, b->name, b->protos, b->roles) != 0)
			return -1;
		switch (b->kind) {
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

static const char *protos_word(unsigned p)
{
	return p == P_BOTH ? "both" : p == P_BTC ? "btc" : "noise";
}

static const char *roles_word(unsigned r)
{
	return r == R_BOTH ? "both" : r == R_INIT ? "initiator" : "responder";
}

int bug_check(const struct bug_set *set, unsigned proto, unsigned roles, const char *mode)
{
	for (size_t i = 0; i < set->nused; i++) {
		const struct bug_use *u = &set->used[i];
		if (!(u->protos & proto)) {
			fprintf(stderr,
				"peershake: --bug %s is a %s switch: it does nothing in %s (see "
				"peershake --list-bugs)\n",
				u->name, u->protos == P_BTC ? "Bitcoin" : "Noise", mode);
			return -1;
		}
		if (!(u->roles & roles)) {
			fprintf(stderr,
				"peershake: --bug %s applies to the %s only (%s); %s has no %s "
				"connection (see peershake --list-bugs)\n",
				u->name, roles_word(u->roles),
				u->roles == R_INIT ? "we connect" : "we accept", mode,
				roles_word(u->roles));
			return -1;
		}
	}
	return 0;
}

void bug_list(FILE *f)
{
	fprintf(f, "%-30s %-5s %-9s %s\n", "SWITCH", "PROTO", "ROLE", "WHAT IT DOES");
	for (size_t i = 0; i < sizeof(bugs) / sizeof(bugs[0]); i++)
		fprintf(f, "%-30s %-5s %-9s %s\n", bugs[i].name, protos_word(bugs[i].protos),
			roles_word(bugs[i].roles), bugs[i].summary);
}
