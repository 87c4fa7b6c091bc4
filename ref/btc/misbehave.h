/*
 * misbehave.h - the Bitcoin reference peer's deliberate misbehaviour
 * (peershake --bug), kept out of the honest handshake as BoGo keeps its
 * ProtocolBugs out of libssl.
 *
 * btc/handshake.c builds what an honest peer sends and asks these hooks,
 * at a few named points, what the switches (cfg->bugs, BTC_BUG_*) and the
 * injections (cfg->inject, send=CMD@WHEN) change: what goes out around its
 * own messages, how its version's fields and frames are rewritten, whether
 * features go out, how many veracks. No other file reads a BTC_BUG_* bit.
 * The frame rewrites work on v1 frames (btc/v1.h); SENT events are made
 * from the frame after the rewrite, so the log shows what went out.
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
	BTC_MIS_INJECT /* *inject, built by btc_mis_inject_msg */
};

struct btc_mis_send {
	enum btc_mis_kind kind;
	uint64_t rewrite; /* BTC_BUG_* frame rewrites for btc_mis_rewrite */
	size_t ua_len;	  /* a version: a user agent of this many bytes; 0 = ours */
	const struct btc_inject *inject;
};

/* Where extra messages may go, in the order the handshake reaches them. */
enum btc_mis_point {
	BTC_MIS_BEFORE_VERSION, /* before our version */
	BTC_MIS_AFTER_VERSION,	/* right after it */
	BTC_MIS_BEFORE_VERACK,	/* after the features, before our verack */
	BTC_MIS_AFTER_VERACK	/* after our veracks (none if we send none) */
};

#define BTC_MIS_MAX (BTC_MAX_INJECT + 3)

/* Our own version: false when nothing at all may be sent (silent); else
 * *ours is how it goes out (kind BTC_MIS_VERSION). */
bool btc_mis_our_version(const struct btc_hs_config *c, struct btc_mis_send *ours);

/* The messages to send at point, in order, into out; returns how many. */
size_t btc_mis_extra(const struct btc_hs_config *c, enum btc_mis_point at,
		     struct btc_mis_send out[BTC_MIS_MAX]);

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

/* Rewrite one queued v1 frame, frame[0..*n) with room for cap bytes: the
 * switches in rewrite, and for every frame the wrong magic if asked. *n
 * becomes the frame's new size (a header alone, or garbage appended).
 * PS_ERR_NOBUF when what is appended does not fit (nothing changed). */
PS_MUST_CHECK int btc_mis_rewrite(const struct btc_hs_config *c, uint64_t rewrite, uint8_t *frame,
				  size_t *n, size_t cap);

#endif
