/*
 * misbehave.h - the Bitcoin reference peer's deliberate misbehaviour
 * (peershake --bug), kept out of the honest handshake as BoGo keeps its
 * ProtocolBugs out of libssl.
 *
 * btc/handshake.c builds what an honest peer sends and asks these hooks,
 * at a few named points, what the switches (cfg->bugs, BTC_BUG_*) and the
 * injections (cfg->inject, send=CMD@WHEN) change: what goes out around its
 * own messages (and, for the delayed injections, when after the
 * handshake), how its version's fields and frames are rewritten, whether
 * features go out, how many veracks. No other file reads a BTC_BUG_* or
 * BTC_V2_BUG_* bit. The frame rewrites work on v1 frames (btc/v1.h); SENT
 * events are made from the frame after the rewrite, so the log shows what
 * went out.
 *
 * The v2 switches (cfg->v2_bugs) act in three places: the transport's
 * configuration at init (our garbage's length, decoys and version contents
 * through btc_v2_fixed, long types), the pieces the transport queues of
 * its own (key, garbage, terminator, version packet: a bit flipped, a
 * piece dropped, our output stopped after one), and the messages (raw v2
 * packets around our version, our version as a bare length or as a v1
 * frame).
 */
#ifndef PS_BTC_MISBEHAVE_H
#define PS_BTC_MISBEHAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btc/handshake.h"

/* One message the switches send besides (or instead of) the honest ones. */
enum btc_mis_kind {
	BTC_MIS_VERSION, /* a version of ours, with ua_len and rewrite */
	BTC_MIS_VERACK,
	BTC_MIS_INJECT,	  /* *inject, built by btc_mis_inject_msg */
	BTC_MIS_V2_PACKET /* a raw v2 packet: header, contents (a decoy, an unknown id) */
};

#define BTC_MIS_PACKET_MAX 16

struct btc_mis_send {
	enum btc_mis_kind kind;
	uint64_t rewrite; /* BTC_BUG_* frame rewrites for btc_mis_rewrite */
	size_t ua_len;	  /* a version: a user agent of this many bytes; 0 = ours */
	const struct btc_inject *inject;
	/* a version over v2: only the encrypted length of its packet,
	 * announcing BTC_V2_MAX_MSG_CONTENTS + 1 bytes that never come; our
	 * output stops after it (v2-oversize) */
	bool v2_length_only;
	/* BTC_MIS_V2_PACKET */
	uint8_t header;
	uint8_t contents[BTC_MIS_PACKET_MAX];
	size_t len;
	const char *note; /* the words of its SENT event */
};

/* Where extra messages may go, in the order the handshake reaches them. */
enum btc_mis_point {
	BTC_MIS_BEFORE_VERSION, /* before our version */
	BTC_MIS_AFTER_VERSION,	/* right after it */
	BTC_MIS_BEFORE_VERACK,	/* after the features, before our verack */
	BTC_MIS_AFTER_VERACK	/* after our veracks (none if we send none) */
};

#define BTC_MIS_MAX (BTC_MAX_INJECT + 6)

/* Our own version: false when nothing at all may be sent (silent); else
 * *ours is how it goes out (kind BTC_MIS_VERSION). */
bool btc_mis_our_version(const struct btc_hs_config *c, struct btc_mis_send *ours);

/* The messages to send at point, in order, into out; returns how many. */
size_t btc_mis_extra(const struct btc_hs_config *c, enum btc_mis_point at,
		     struct btc_mis_send out[BTC_MIS_MAX]);

/* The delayed injections (send=CMD@after-verack+MS, delay_ms > 0) of c
 * that go out once the handshake is done: bit i for c->inject[i]. None
 * where the undelayed after-verack ones go neither (no verack of ours
 * after theirs, silent); btc_mis_extra never returns a delayed one. */
uint32_t btc_mis_delayed_start(const struct btc_hs_config *c);

/* When the first of pending (bits as above) is due, the handshake done at
 * done_ns: done_ns plus its delay (saturating at UINT64_MAX - 1, so that a
 * due one is never taken for none); UINT64_MAX when pending is 0. */
uint64_t btc_mis_delayed_due(const struct btc_hs_config *c, uint64_t done_ns, uint32_t pending);

/* The ones of *pending due by now_ns, earliest first (equal due times in
 * the order given), into out; their bits are cleared from *pending.
 * Returns how many. */
size_t btc_mis_delayed(const struct btc_hs_config *c, uint64_t done_ns, uint64_t now_ns,
		       uint32_t *pending, struct btc_mis_send out[BTC_MIS_MAX]);

/* May wtxidrelay and sendaddrv2 go out (when the versions allow them)? */
bool btc_mis_features(const struct btc_hs_config *c);

/* How many veracks to send after their version: 1 honestly, 0 or 2. */
unsigned btc_mis_veracks(const struct btc_hs_config *c);

/* Rewrite the fields of a version the honest path built: a user agent of
 * ua_len bytes (0: keep ours), the switches' missing groups, the peer's
 * nonce (peer: their accepted version, or NULL). */
void btc_mis_version_fields(const struct btc_hs_config *c, const struct btc_peer_info *peer,
			    size_t ua_len, struct btc_version *v);

/* The message an injection sends (any but a version: btc_mis_extra turns
 * those into BTC_MIS_VERSION). Nonces and salts come from c->rng. */
void btc_mis_inject_msg(const struct btc_hs_config *c, const struct btc_inject *in,
			struct btc_msg *m);

/* True when nothing at all may go out (BTC_BUG_SILENT): the transport's own
 * bytes (a v2 key) neither. */
bool btc_mis_silent(const struct btc_hs_config *c);

/* The switches of c that rewrite v1 frames (checksum, magic, length
 * fields, command bytes, bytes appended): they have no meaning on a v2
 * transport, whose frames are encrypted. */
uint64_t btc_mis_v1_frame_bugs(const struct btc_hs_config *c);

/* Does bad-alone (BTC_BUG_BAD_ALONE) change anything with these switches:
 * is one of them a spoilt version (bad-checksum, bad-checksum-last,
 * cmd-not-padded, cmd-nonprintable, user-agent-noncanonical,
 * user-agent-257)? */
bool btc_mis_alone_applies(uint64_t bugs);

/* Is cfg possible at all? PS_OK; PS_ERR_UNSUPPORTED (a v1 frame rewrite
 * with kind V2, a v2 switch with kind V1); PS_ERR_INVALID_ARG (v2_decoys
 * outside 1..BTC_V2_MAX_DECOYS with BTC_V2_BUG_DECOYS, bad-alone without a
 * spoilt version to send alone, user-agent-noncanonical with version-short
 * (no user agent to encode), an injection with a delay_ms before verack or
 * over BTC_INJECT_MAX_DELAY_MS). */
PS_MUST_CHECK int btc_mis_check(const struct btc_hs_config *c);

/* A DETECT responder learned the peer's transport (v2 or v1): the other
 * transport's switches drop out of c, which is the handshake's own copy. */
void btc_mis_transport_known(struct btc_hs_config *c, bool v2);

/* The v2 transport's configuration under the switches, into *v2 (whose
 * rng, garbage and fixed come from c): our garbage 4096 bytes long
 * (v2-garbage-4096, over the limit) or 4095 (v2-no-terminator), at least 1
 * byte (v2-flip-garbage: a random length is drawn from 1..4095), long
 * types; decoys before the version packet and the version packet's
 * contents built into *room (c->v2_fixed's other seams kept). room must
 * outlive the transport. Returns PS_OK; PS_ERR_INVALID_ARG (v2-flip-garbage
 * with a garbage of 0 bytes, a fixed garbage with a switch that sets its
 * length). */
PS_MUST_CHECK int btc_mis_v2_config(const struct btc_hs_config *c, struct btc_hs_v2mis *room,
				    struct btc_v2_config *v2);

/* What may go out after a piece of the v2 transport's own. */
enum btc_mis_v2_next {
	BTC_MIS_V2_GO_ON,     /* the piece goes out; so does what follows */
	BTC_MIS_V2_MUTE,      /* the piece goes out; nothing after it, ever */
	BTC_MIS_V2_CLOSE,     /* the piece goes out; then we close the connection */
	BTC_MIS_V2_V1_VERSION /* the piece does not go out, nor anything after it
			       * until our version, which goes as a v1 frame (and
			       * then nothing) */
};

/* Rewrite one piece the v2 transport queued of its own (btc_v2_take_sent),
 * at bytes[0..n) in the output queue, in place: a bit of the garbage, the
 * terminator, the version packet's length or tag. *note becomes the words
 * of its SENT event when a switch changed it (else untouched). Returns what
 * may follow it. */
enum btc_mis_v2_next btc_mis_v2_piece(const struct btc_hs_config *c, const struct btc_v2_tx *tx,
				      uint8_t *bytes, size_t n, const char **note);

/* Rewrite one queued v1 frame, frame[0..*n) with room for cap bytes: the
 * switches in rewrite, and for every frame the wrong magic if asked. *n
 * becomes the frame's new size (a header alone, or garbage appended).
 * PS_ERR_NOBUF when what is appended does not fit (nothing changed). */
PS_MUST_CHECK int btc_mis_rewrite(const struct btc_hs_config *c, uint64_t rewrite, uint8_t *frame,
				  size_t *n, size_t cap);

#endif
