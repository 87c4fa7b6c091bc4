/*
 * peer.h - a Noise_NNpsk2 peer, both roles, sans-I/O: the state machine the
 * CLI and the conformance shims run over TCP.
 *
 * Wire protocol (exactly; the flynn/noise and dissononce shims speak it too).
 * Every Noise message is framed with its length, 2 bytes big-endian:
 *
 *   initiator                                responder
 *   -> e + P1                (msg1)
 *                            (msg2)          <- e, ee, psk + P2
 *   Split(): c1 initiator -> responder, c2 responder -> initiator
 *   -> c1(T)                 (transport)
 *                            (echo)          <- c2(T as received)
 *   checks echo == T: SUCCESS                SUCCESS once the echo is queued
 *
 * Four calls drive it, as btc/handshake.h: noise_peer_input (bytes in),
 * noise_peer_next_event (events out), noise_peer_output / noise_peer_consume
 * (bytes to send). Time comes in as now_ns (monotonic) on every call; the
 * ephemeral key comes from the RNG callback of the config.
 *
 * Memory: the struct is small (about 2 KiB); the big buffers are allocated
 * lazily, each to the exact size needed, and released by noise_peer_free:
 * - receive: at most one framed message is ever buffered. Its 2-byte header
 *   is kept in the struct; the declared length is checked against the
 *   smallest message the state accepts before a byte of the body is
 *   buffered, then exactly that many bytes are allocated (<= 65535). Bytes
 *   past the current frame are not buffered: they are parsed as the next
 *   frame after this one has been processed.
 * - send: the queued framed messages (one, in any honest exchange; two only
 *   if the caller has not consumed the previous one when the next is made).
 * - the received handshake payload and transport plaintext, exact size,
 *   kept for the accessors after SUCCESS.
 * Out of memory ends the handshake with PS_ERR_NOMEM.
 *
 * Failure wipes the handshake and transport keys and the PSK at once and
 * drops queued output; SUCCESS wipes them too (the peer sends nothing more).
 */
#ifndef PS_NOISE_PEER_H
#define PS_NOISE_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "crypto/crypto.h"
#include "noise/cipher.h"
#include "noise/handshake.h"
#include "noise/pattern.h"

#define NOISE_PEER_DEFAULT_PROTOCOL "Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s"
#define NOISE_PEER_EVENTS	    8

enum noise_peer_role { NOISE_PEER_INITIATOR, NOISE_PEER_RESPONDER };

enum noise_peer_outcome { NOISE_PEER_PENDING, NOISE_PEER_SUCCESS, NOISE_PEER_FAILED };

/* Deliberate misbehaviour, for conformance and resistance testing (peershake
 * --bug): each spoils what we send, never what we accept. "Our first
 * message" is msg1 for the initiator, msg2 for the responder. */
enum {
	NOISE_BUG_FLIP_MSG1 = 1 << 0,	    /* flip a bit of msg1's last byte (its tag) */
	NOISE_BUG_FLIP_MSG1_E = 1 << 1,	    /* flip a bit of msg1's ephemeral key */
	NOISE_BUG_FLIP_MSG2 = 1 << 2,	    /* flip a bit of msg2's tag */
	NOISE_BUG_FLIP_MSG2_E = 1 << 3,	    /* flip a bit of msg2's ephemeral key */
	NOISE_BUG_FLIP_TRANSPORT = 1 << 4,  /* flip a bit of our transport message's tag */
	NOISE_BUG_TRUNCATE_MSG1 = 1 << 5,   /* msg1 one byte short, framed as such */
	NOISE_BUG_TRUNCATE_MSG2 = 1 << 6,   /* msg2 one byte short, framed as such */
	NOISE_BUG_OVERSIZE_PREFIX = 1 << 7, /* our first message framed as 65535 bytes */
	NOISE_BUG_REPLAY_MSG1 = 1 << 8,	    /* initiator: msg1 sent twice */
	NOISE_BUG_LOW_ORDER_E = 1 << 9,	    /* our ephemeral key sent as all zeros */
	NOISE_BUG_ALTER_ECHO = 1 << 10,	    /* responder: echo another plaintext */
	NOISE_BUG_NO_ECHO = 1 << 11,	    /* responder: never echo */
	NOISE_BUG_SILENT = 1 << 12,	    /* send nothing at all */
	NOISE_BUG_ZERO_FRAME = 1 << 13,	    /* an empty frame before our first message */
};

struct noise_peer_config {
	/* "Noise_NNpsk2_25519_<cipher>_<hash>", the "Noise_" prefix optional;
	 * NULL = NOISE_PEER_DEFAULT_PROTOCOL. The pattern must be NNpsk2. */
	const char *protocol;
	uint8_t psk[NOISE_PSKLEN]; /* copied at init */
	/* The buffers below are not copied: they must outlive the peer. */
	const uint8_t *prologue;
	size_t prologue_len;
	const uint8_t *payload1; /* initiator: msg1 payload (P1) */
	size_t payload1_len;
	const uint8_t *payload2; /* responder: msg2 payload (P2) */
	size_t payload2_len;
	const uint8_t *transport; /* initiator: the transport plaintext T */
	size_t transport_len;
	uint64_t timeout_ns; /* deadline for the whole exchange, from init; 0 = none */
	ps_rng_fn rng;	     /* the ephemeral key */
	void *rng_ctx;
	uint64_t bugs; /* NOISE_BUG_* */
};

/* Which message an event is about. */
enum noise_peer_msg {
	NOISE_PEER_MSG_NONE,
	NOISE_PEER_MSG1,      /* -> e + P1 */
	NOISE_PEER_MSG2,      /* <- e, ee, psk + P2 */
	NOISE_PEER_TRANSPORT, /* -> c1(T) */
	NOISE_PEER_ECHO	      /* <- c2(T) */
};

enum noise_peer_ev_type {
	NOISE_PEER_EV_MSG_SENT,	      /* a message was queued for sending: msg, length */
	NOISE_PEER_EV_MSG_RECV,	      /* a message arrived and authenticated: msg, length */
	NOISE_PEER_EV_HANDSHAKE_DONE, /* Split() done: noise_peer_handshake_hash */
	NOISE_PEER_EV_SUCCESS,	      /* exchange complete: the accessors below */
	NOISE_PEER_EV_FAILED	      /* exchange over without success: err */
};

struct noise_peer_event {
	enum noise_peer_ev_type type;
	enum noise_peer_msg msg; /* MSG_SENT, MSG_RECV; NONE otherwise */
	size_t length;		 /* MSG_SENT, MSG_RECV: the Noise message, without the frame */
	int err;		 /* FAILED: PS_ERR_* */
};

/* Named for what each expects next. */
enum noise_peer_state {
	NOISE_PEER_EXPECT_MSG1,	     /* responder */
	NOISE_PEER_EXPECT_MSG2,	     /* initiator, msg1 queued */
	NOISE_PEER_EXPECT_TRANSPORT, /* responder, msg2 queued, split */
	NOISE_PEER_EXPECT_ECHO,	     /* initiator, transport queued */
	NOISE_PEER_DONE,	     /* SUCCESS; further input is ignored */
	NOISE_PEER_CLOSED	     /* FAILED; further input is ignored */
};

struct noise_peer {
	struct noise_peer_config cfg; /* cfg.psk wiped: the key lives in hs */
	enum noise_peer_role role;
	enum noise_peer_state state;
	enum noise_peer_outcome outcome;
	int err;
	uint64_t deadline_ns; /* UINT64_MAX: none */

	struct noise_protocol proto;
	struct noise_hs hs;
	struct noise_cs send, recv; /* after Split */
	uint8_t hash[NOISE_MAXHASHLEN];
	size_t hash_len; /* 0 until HANDSHAKE_DONE */

	/* receive: one frame at a time */
	uint8_t hdr[2];
	size_t hdr_len;
	uint8_t *body; /* allocated to body_need bytes once the header is in */
	size_t body_need, body_len;

	/* kept for the accessors */
	uint8_t *payload; /* P1 (responder) or P2 (initiator) */
	size_t payload_len;
	uint8_t *got_transport; /* T received (responder) or the echo (initiator) */
	size_t got_transport_len;

	/* send */
	uint8_t *out;
	size_t out_len, out_off;

	struct noise_peer_event ev[NOISE_PEER_EVENTS];
	unsigned ev_head, ev_count;
};

/* Set up peer for role with cfg at time now_ns. The initiator queues msg1 at
 * once (a MSG_SENT event). Call noise_peer_free when done, whatever happened.
 * The struct must stay where it is until then (it points into itself).
 * Returns PS_OK; PS_ERR_INVALID_ARG (no rng, bad role, a NULL buffer with a
 * nonzero length); PS_ERR_MALFORMED / PS_ERR_UNSUPPORTED (protocol name does
 * not parse, pattern not NNpsk2, cipher or hash unsupported);
 * PS_ERR_TOO_LARGE (a payload would make its message exceed 65535 bytes);
 * PS_ERR_NOMEM; PS_ERR_CRYPTO. On error nothing needs freeing. */
PS_MUST_CHECK int noise_peer_init(struct noise_peer *peer, enum noise_peer_role role,
				  const struct noise_peer_config *cfg, uint64_t now_ns);

/* Feed len received bytes (any split: one byte at a time works). All are
 * consumed. Returns PS_OK, or the PS_ERR_* that ended the exchange now (also
 * reported as a FAILED event): PS_ERR_BAD_SIZE (a message shorter than its
 * fixed part), PS_ERR_DECRYPT (a tag did not verify: wrong PSK, prologue,
 * tampering), PS_ERR_DH (a low-order ephemeral key), PS_ERR_ECHO_MISMATCH,
 * PS_ERR_TIMEOUT (now_ns past the deadline), PS_ERR_NOMEM. Input after the
 * end is ignored (PS_OK). */
PS_MUST_CHECK int noise_peer_input(struct noise_peer *peer, uint64_t now_ns, const uint8_t *data,
				   size_t len);

/* Take the next event into *ev. Returns true if there was one. */
bool noise_peer_next_event(struct noise_peer *peer, struct noise_peer_event *ev);

/* The bytes waiting to be sent: *data and the count (0: nothing). */
size_t noise_peer_output(const struct noise_peer *peer, const uint8_t **data);

/* n bytes of the output were sent (n <= what noise_peer_output returned). */
void noise_peer_consume(struct noise_peer *peer, size_t n);

/* The time at which noise_peer_handle_expiry must be called; UINT64_MAX for
 * none (no timeout, or the exchange is over). */
uint64_t noise_peer_expiry(const struct noise_peer *peer);

/* Apply the deadline: past it, a pending exchange ends with PS_ERR_TIMEOUT. */
void noise_peer_handle_expiry(struct noise_peer *peer, uint64_t now_ns);

/* The peer closed its side (reason PS_ERR_CLOSED) or the transport failed
 * (reason): a pending exchange ends FAILED with reason. No effect after
 * the end. */
void noise_peer_close(struct noise_peer *peer, int reason);

/* PENDING until the exchange is over; then SUCCESS or FAILED. */
enum noise_peer_outcome noise_peer_outcome(const struct noise_peer *peer);

/* The PS_ERR_* of a FAILED exchange (PS_OK otherwise). */
int noise_peer_error(const struct noise_peer *peer);

/* "SUCCESS", "FAILED", "PENDING". */
const char *noise_peer_outcome_name(enum noise_peer_outcome o);

/* The handshake hash (32 or 64 bytes), from HANDSHAKE_DONE on; NULL before. */
const uint8_t *noise_peer_handshake_hash(const struct noise_peer *peer, size_t *len);

/* The handshake payload received: P1 for the responder, P2 for the
 * initiator. NULL (and *len 0) before it arrived. */
const uint8_t *noise_peer_payload(const struct noise_peer *peer, size_t *len);

/* The transport plaintext received: for the responder the initiator's T
 * (which it echoed), for the initiator the echo (equal to T on SUCCESS).
 * NULL (and *len 0) before it arrived. */
const uint8_t *noise_peer_transport(const struct noise_peer *peer, size_t *len);

/* Wipe every secret and free the buffers. The peer may be freed after a
 * failed init too (it is then a no-op). */
void noise_peer_free(struct noise_peer *peer);

#endif
