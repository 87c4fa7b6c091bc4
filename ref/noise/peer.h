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
 *   -> c1(T_1)               (transport 1)
 *                            (echo 1)        <- c2(T_1 as received)
 *   ...                      one at a time: T_k+1 only after echo k checked
 *   -> c1(T_N)               (transport N)
 *                            (echo N)        <- c2(T_N as received)
 *   checks each echo == T_k: SUCCESS         SUCCESS once echo N is queued
 *
 * N is cfg.messages (1 when 0). With N = 1, T_1 = T: the wire of the
 * exchange before the count existed. With N > 1, T_k = T || k as 2 bytes
 * big-endian (k = 1 .. N), so that no two plaintexts are alike and an echo
 * of the wrong message shows. Each message of a direction takes the next
 * nonce of that direction's CipherState (section 5.1: ENCRYPT(k, n++, ..)).
 *
 * The core obeys core/contract.h (prefix noise_peer): noise_peer_input
 * (bytes in), noise_peer_next_event (events out), noise_peer_output /
 * noise_peer_consume (bytes to send), expiry, close, and accessors for every
 * question. Time comes in as now_ns (monotonic) on every call; the
 * ephemeral key comes from the RNG callback of the config.
 *
 * Memory: none is allocated here (ref/noise has no malloc). The struct
 * holds the state and small fixed buffers; anything larger is a block lent
 * by cfg.mem (noise/mem.h), borrowed only when bytes that need it are there
 * and given back, wiped, as soon as it is done with, so a peer that
 * announces a 64 KiB frame and sends nothing more costs nothing beyond the
 * struct. sizeof(struct noise_peer) is 1,800 bytes on x86-64 (it was
 * 460,392 while every buffer was a whole-frame array inside it). Of that:
 * - receive (struct noise_frame_reader, noise/frame.h): at most one framed
 *   message, NOISE_FRAME_SMALL (128) bytes in the struct, a block of the
 *   frame's length once its 129th byte arrives, given back once the
 *   message has been handled. Its declared length is checked against the
 *   smallest message the state accepts before a byte of the body is
 *   buffered. Bytes past the current frame are not buffered: they are
 *   parsed as the next frame after this one has been processed.
 * - send: NOISE_PEER_OUT_SMALL (128) bytes in the struct (msg1 or msg2
 *   with a payload of up to 78 bytes, an echo of up to 110), else a block
 *   of what the queued frames need, at most NOISE_PEER_OUT_MAX: everything
 *   one exchange can have queued at once when the caller drains nothing:
 *   an empty frame (--bug zero-frame), msg1, its copy (--bug replay-msg1)
 *   and the transport message behind them with its corrupted twin (--bug
 *   corrupt-then-valid), each up to 2 + 65535 bytes. Frames are appended;
 *   the queue starts over, and gives its block back, when it is drained.
 *   No frame is copied to make room for another: a responder whose peer
 *   sends transport messages faster than it reads the echoes ends with
 *   PS_ERR_NOBUF once the queue cannot take the next echo.
 * - the received handshake payload and the last transport plaintext, kept
 *   for the accessors after SUCCESS: NOISE_PEER_KEEP_SMALL (32) bytes each
 *   in the struct, a block when longer. T_k is built in place in the send
 *   queue, so the count costs no memory.
 * A lender that refuses (its get returns PS_ERR_NOMEM, PS_ERR_EVICTED)
 * ends the exchange with that error, like any other failure.
 *
 * Failure wipes the handshake and transport keys and the PSK at once and
 * queues nothing more; what was queued before (and reported as MSG_SENT)
 * stays queued for the caller to send, so the event log stays true.
 * SUCCESS wipes the keys too (the peer sends nothing more).
 */
#ifndef PS_NOISE_PEER_H
#define PS_NOISE_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/contract.h"
#include "core/err.h"
#include "crypto/crypto.h"
#include "noise/cipher.h"
#include "noise/frame.h"
#include "noise/handshake.h"
#include "noise/mem.h"
#include "noise/pattern.h"

#define NOISE_PEER_DEFAULT_PROTOCOL "Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s"

enum noise_peer_role { NOISE_PEER_INITIATOR, NOISE_PEER_RESPONDER };

/* Deliberate misbehaviour, for conformance and resistance testing (peershake
 * --bug), applied by noise/misbehave.c: each spoils what we send, never what
 * we accept. "Our first message" is msg1 for the initiator, msg2 for the
 * responder. The role in brackets is the one in which the switch changes
 * anything on the wire; in the other role it does nothing. */
enum {
	NOISE_BUG_FLIP_MSG1 = 1 << 0,	/* [initiator] flip a bit of msg1's last byte (its tag) */
	NOISE_BUG_FLIP_MSG1_E = 1 << 1, /* [initiator] flip a bit of msg1's ephemeral key */
	NOISE_BUG_FLIP_MSG2 = 1 << 2,	/* [responder] flip a bit of msg2's tag */
	NOISE_BUG_FLIP_MSG2_E = 1 << 3, /* [responder] flip a bit of msg2's ephemeral key */
	NOISE_BUG_FLIP_TRANSPORT = 1 << 4,  /* [both] flip a bit of the tag of our transport
					     * message (initiator) or echo (responder) */
	NOISE_BUG_TRUNCATE_MSG1 = 1 << 5,   /* [initiator] msg1 one byte short, framed as such */
	NOISE_BUG_TRUNCATE_MSG2 = 1 << 6,   /* [responder] msg2 one byte short, framed as such */
	NOISE_BUG_OVERSIZE_PREFIX = 1 << 7, /* [both] our first message framed as 65535 bytes */
	NOISE_BUG_REPLAY_MSG1 = 1 << 8,	    /* [initiator] msg1 sent twice */
	NOISE_BUG_LOW_ORDER_E = 1 << 9,	    /* [both] our ephemeral key sent as all zeros */
	NOISE_BUG_ALTER_ECHO = 1 << 10,	    /* [responder] echo another plaintext */
	NOISE_BUG_NO_ECHO = 1 << 11,	    /* [responder] never echo (hold the connection) */
	NOISE_BUG_SILENT = 1 << 12,	    /* [both] send nothing at all */
	NOISE_BUG_ZERO_FRAME = 1 << 13,	    /* [both] an empty frame before our first message */
	NOISE_BUG_ECHO_PREFIX = 1 << 14,    /* [responder] echo all but the last byte of each
					     * plaintext (an empty one as it is) */
	NOISE_BUG_ECHO_EXTENDED = 1 << 15,  /* [responder] echo each plaintext with a zero
					     * byte appended */
	NOISE_BUG_NONCE_SKIP = 1 << 16,	    /* [both] our last transport message (initiator)
					     * or last echo (responder) encrypted with the
					     * nonce one higher than its turn */
	NOISE_BUG_CORRUPT_THEN_VALID = 1 << 17, /* [both] our first transport message
						 * (initiator) or first echo (responder)
						 * twice at the same nonce: bit 7 of its last
						 * byte (the tag) flipped, then as made */
};
/* The switches are the bits 0 .. NOISE_BUG_COUNT - 1. */
#define NOISE_BUG_COUNT 18

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
	/* N, the transport messages each way (see the wire protocol above);
	 * 0 is 1. At most NOISE_PEER_MAX_MESSAGES. Both sides must agree: a
	 * responder succeeds after echo N, an initiator after checking it. */
	uint32_t messages;
	/* Section 5: "If DecryptWithAd() signals an error due to DECRYPT()
	 * failure, then the input message is discarded. The application may
	 * choose to delete the CipherState and terminate the session on such
	 * an error, or may continue to attempt communications." false: a
	 * transport message or echo whose tag does not verify ends the
	 * exchange (PS_ERR_DECRYPT). true: it is discarded (a MSG_DROPPED
	 * event), the nonce stays where it was (section 5.1), and the next
	 * message is read in its place. Handshake messages are never retried
	 * ("If any error is signaled by the DECRYPT() or DH() functions then
	 * the handshake has failed"), nor are messages of a bad size. */
	bool continue_on_decrypt_failure;
	uint64_t timeout_ns; /* deadline for the whole exchange, from init; 0 = none */
	ps_rng_fn rng;	     /* the ephemeral key */
	void *rng_ctx;
	uint64_t bugs; /* NOISE_BUG_* */
	/* Lends the blocks for anything larger than the peer's small buffers
	 * (noise/mem.h); not copied, it must outlive the peer. NULL: none, so
	 * any message, payload or plaintext past them fails with
	 * PS_ERR_NOMEM. */
	const struct noise_mem *mem;
};

/* Which message an event is about. */
enum noise_peer_msg {
	NOISE_PEER_MSG_NONE,
	NOISE_PEER_MSG1,      /* -> e + P1 */
	NOISE_PEER_MSG2,      /* <- e, ee, psk + P2 */
	NOISE_PEER_TRANSPORT, /* -> c1(T_k) */
	NOISE_PEER_ECHO,      /* <- c2(T_k) */
	NOISE_PEER_EMPTY      /* an empty frame (sent only under --bug zero-frame) */
};

enum noise_peer_ev_type {
	NOISE_PEER_EV_MSG_SENT,	      /* a frame was queued for sending: msg, length, bytes */
	NOISE_PEER_EV_MSG_RECV,	      /* a message arrived and authenticated: msg, length, bytes */
	NOISE_PEER_EV_MSG_DROPPED,    /* a transport message or echo arrived, did not
				       * authenticate and was discarded (only with
				       * continue_on_decrypt_failure): msg, length, bytes, err */
	NOISE_PEER_EV_HANDSHAKE_DONE, /* Split() done: noise_peer_handshake_hash */
	NOISE_PEER_EV_SUCCESS,	      /* exchange complete: the accessors below */
	NOISE_PEER_EV_FAILED	      /* exchange over without success: err */
};

struct noise_peer_event {
	enum noise_peer_ev_type type;
	enum noise_peer_msg msg; /* MSG_SENT, MSG_RECV, MSG_DROPPED; NONE otherwise */
	/* MSG_SENT: what the frame's 2-byte prefix declares, as queued (after
	 * any --bug rewrote it); MSG_RECV, MSG_DROPPED: the message's length. */
	size_t length;
	/* MSG_SENT: the bytes this frame put in the output queue (prefix and
	 * body as queued; an oversize prefix declares more than follows);
	 * MSG_RECV, MSG_DROPPED: 2 + length. The MSG_SENT bytes of an exchange add up to
	 * what noise_peer_output hands out (unless a failure dropped the queue
	 * or events were lost). */
	size_t bytes;
	/* MSG_SENT, MSG_RECV, MSG_DROPPED of a transport message or echo: its
	 * place k (1 .. N) in the exchange; 0 for any other message */
	uint32_t index;
	int err; /* FAILED, MSG_DROPPED: PS_ERR_* */
};

/* Named for what each expects next. */
enum noise_peer_state {
	NOISE_PEER_EXPECT_MSG1,	     /* responder */
	NOISE_PEER_EXPECT_MSG2,	     /* initiator, msg1 queued */
	NOISE_PEER_EXPECT_TRANSPORT, /* responder, msg2 queued, split */
	NOISE_PEER_EXPECT_ECHO,	     /* initiator, transport queued */
	NOISE_PEER_HOLD,	     /* responder under --bug no-echo: the transport message
				      * came, its echo is withheld; more transport messages are
				      * read and answered by nothing, until close or deadline */
	NOISE_PEER_DONE,	     /* SUCCESS; further input is ignored */
	NOISE_PEER_CLOSED	     /* FAILED; further input is ignored */
};

#define NOISE_PEER_EVENTS 8
/* The largest payload a handshake message can carry (65535 - e - tag), and
 * the largest transport plaintext (65535 - tag). */
#define NOISE_PEER_MAX_PAYLOAD	 (NOISE_MAX_MSG - NOISE_DHLEN - NOISE_TAGLEN)
#define NOISE_PEER_MAX_TRANSPORT (NOISE_MAX_MSG - NOISE_TAGLEN)
/* The output queue: an empty frame, then four whole frames (msg1, its
 * replay, the transport message and its corrupted twin), none drained. */
#define NOISE_PEER_OUT_MAX (NOISE_FRAME_HDR + 4 * NOISE_FRAME_MAX)
/* T_k carries k in 2 bytes. */
#define NOISE_PEER_MAX_MESSAGES 65535

/* The send queue's own bytes, and each kept plaintext's (see Memory). */
#define NOISE_PEER_OUT_SMALL  128
#define NOISE_PEER_KEEP_SMALL 32

/* The frames queued for sending; buf.p[off .. len) waits. len never passes
 * NOISE_PEER_OUT_MAX. */
struct noise_peer_queue {
	size_t off, len;
	struct noise_buf buf;
	uint8_t small[NOISE_PEER_OUT_SMALL];
};

/* Make q hold at least need bytes (its queued ones kept): PS_OK,
 * PS_ERR_NOBUF (need over NOISE_PEER_OUT_MAX), or the lender's error; on
 * error q is as on entry. (For noise/misbehave.c.) */
PS_MUST_CHECK int noise_peer_queue_reserve(struct noise_peer_queue *q, size_t need);

/* What a peer keeps of its noise_peer_config past init; the buffers stay
 * the caller's. The PSK and the protocol went into the handshake state (so
 * no copy of the key lies outside it); the prologue, payload1, messages,
 * timeout, rng and mem were read at init only. */
struct noise_peer_kept {
	const uint8_t *payload2; /* responder: P2, sent once msg1 has come */
	size_t payload2_len;
	const uint8_t *transport; /* initiator: T, each T_k made from it */
	size_t transport_len;
	uint64_t bugs; /* NOISE_BUG_* */
	bool continue_on_decrypt_failure;
};

struct noise_peer {
	struct noise_peer_kept cfg;
	enum noise_peer_role role;
	enum noise_peer_state state;
	enum ps_outcome outcome;
	int err;
	const char *note;		/* after a failure: the message it is about */
	enum noise_peer_msg failed_msg; /* ... as a message, and its place */
	uint32_t failed_index;
	uint64_t deadline_ns; /* UINT64_MAX: none */

	struct noise_hs hs;
	struct noise_cs send, recv; /* after Split */
	uint8_t hash[NOISE_MAXHASHLEN];
	size_t hash_len; /* 0 until HANDSHAKE_DONE */

	struct noise_peer_event ev[NOISE_PEER_EVENTS];
	unsigned ev_head, ev_count;
	uint64_t ev_lost;

	uint32_t n_messages; /* N (cfg.messages, 0 made 1) */
	uint32_t n_sent;     /* transport messages (initiator) or echoes (responder) queued */
	uint32_t n_recv;     /* transport messages (responder) or echoes (initiator) taken */
	uint64_t n_dropped;  /* messages discarded (continue_on_decrypt_failure) */

	bool authenticated; /* see noise_peer_authenticated */

	/* kept for the accessors */
	bool has_payload, has_transport;
	size_t payload_len, transport_len;
	struct noise_buf payload;   /* P1 (responder) or P2 (initiator) */
	struct noise_buf transport; /* T received (responder), the echo (initiator) */
	uint8_t payload_small[NOISE_PEER_KEEP_SMALL];
	uint8_t transport_small[NOISE_PEER_KEEP_SMALL];

	struct noise_frame_reader rx; /* receive: one frame at a time */
	struct noise_peer_queue out;  /* send */
};

/* Set up peer for role with cfg at time now_ns. The initiator queues msg1 at
 * once (a MSG_SENT event). Call noise_peer_free when done, whatever happened.
 * The struct must stay where it is until then (it points into itself).
 * Returns PS_OK; PS_ERR_INVALID_ARG (no rng, bad role, a NULL buffer with a
 * nonzero length); PS_ERR_MALFORMED / PS_ERR_UNSUPPORTED (protocol name does
 * not parse, pattern not NNpsk2, cipher or hash unsupported);
 * PS_ERR_TOO_LARGE (a payload would make its message exceed 65535 bytes:
 * payload1 over 65487 bytes, payload2 over 65487, T over 65519, or over
 * 65517 when N > 1, T_k then being 2 bytes longer); PS_ERR_CRYPTO.
 * messages over NOISE_PEER_MAX_MESSAGES is PS_ERR_INVALID_ARG. Nothing is
 * queued on any error. On error nothing needs freeing. */
PS_MUST_CHECK int noise_peer_init(struct noise_peer *peer, enum noise_peer_role role,
				  const struct noise_peer_config *cfg, uint64_t now_ns);

/* Feed len received bytes (any split: one byte at a time works). All are
 * consumed. Returns PS_OK, or the PS_ERR_* that ended the exchange now (also
 * reported as a FAILED event): PS_ERR_BAD_SIZE (a message shorter than its
 * fixed part), PS_ERR_DECRYPT (a tag did not verify: wrong PSK, prologue,
 * tampering; a transport message or echo only without
 * continue_on_decrypt_failure), PS_ERR_DH (a low-order ephemeral key),
 * PS_ERR_ECHO_MISMATCH (an echo that authenticated but is not T_k),
 * PS_ERR_TIMEOUT (now_ns past the deadline), PS_ERR_NOBUF (a responder's
 * queue cannot take the next echo: the peer does not read them),
 * PS_ERR_TOO_LARGE (--bug echo-extended of a 65519-byte plaintext).
 * Input after the end is ignored (PS_OK). */
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

/* PS_PENDING until the exchange is over; then PS_SUCCESS or PS_FAILED (never
 * PS_PARTIAL). */
enum ps_outcome noise_peer_outcome(const struct noise_peer *peer);

/* The PS_ERR_* of a FAILED exchange (PS_OK otherwise). */
int noise_peer_error(const struct noise_peer *peer);

/* True once the exchange is over (SUCCESS or FAILED): input is ignored from
 * then on. A responder holding the connection (--bug no-echo) has not ended. */
bool noise_peer_ended(const struct noise_peer *peer);

/* After a failure, the message it is about, as words: "message 1",
 * "message 2", "the transport message" or "the echo". That is the message
 * that was being read when a frame failed (its size, its tag, a low-order
 * key in it or in the DH that follows it, a wrong echo), else the one the
 * exchange waited for when the deadline passed or the connection closed.
 * A responder holding the connection under --bug no-echo waits for nothing:
 * a close or the deadline there gives "after the transport message, echo
 * withheld". NULL before a failure, and after SUCCESS. Static text. */
const char *noise_peer_note(const struct noise_peer *peer);

/* After a failure, the message it is about (as noise_peer_note says it)
 * and, for a transport message or an echo, its place k (1 .. N) in
 * *index (0 otherwise). NOISE_PEER_MSG_NONE (and 0) before a failure,
 * after SUCCESS, and for a responder that held the connection (--bug
 * no-echo: it waited for nothing). */
enum noise_peer_msg noise_peer_failed_on(const struct noise_peer *peer, uint32_t *index);

/* True once the other side has shown it holds the PSK: a message only a
 * holder could make has verified. NNpsk2 mixes the PSK in at the end of
 * msg2 (psk2), so for the initiator that is msg2; for the responder msg1
 * proves nothing (anyone can make one) and the first transport message that
 * verifies is the proof. Until then a connection is what a listener's
 * memory budget for unauthenticated peers counts. Stays true after the end. */
bool noise_peer_authenticated(const struct noise_peer *peer);

/* Transport messages done: for the initiator the echoes checked, for the
 * responder the echoes queued. N after SUCCESS. */
uint32_t noise_peer_messages(const struct noise_peer *peer);

/* Transport messages and echoes discarded because their tag did not
 * verify (continue_on_decrypt_failure); 0 without it. */
uint64_t noise_peer_dropped(const struct noise_peer *peer);

/* What the exchange waits for now, in the same words as noise_peer_note:
 * "message 1", "message 2", "the transport message", "the echo". NULL once
 * it ended, and while a responder holds the connection (--bug no-echo):
 * it then waits for nothing. Static text. */
const char *noise_peer_waiting_for(const struct noise_peer *peer);

/* Events dropped because the ring (NOISE_PEER_EVENTS) was full: only a
 * misbehaving exchange can make that many undrained. The last slot is kept
 * for the one SUCCESS or FAILED, which is never dropped. */
uint64_t noise_peer_events_lost(const struct noise_peer *peer);

/* The short name of a message, as in JSON: "msg1", "msg2", "transport",
 * "echo", "empty" (the empty frame of --bug zero-frame), "none". Never NULL. */
const char *noise_peer_msg_name(enum noise_peer_msg m);

/* The handshake hash (32 or 64 bytes), from HANDSHAKE_DONE on; NULL before. */
const uint8_t *noise_peer_handshake_hash(const struct noise_peer *peer, size_t *len);

/* The handshake payload received: P1 for the responder, P2 for the
 * initiator. NULL (and *len 0) before it arrived. */
const uint8_t *noise_peer_payload(const struct noise_peer *peer, size_t *len);

/* The last transport plaintext received: for the responder the initiator's
 * T_k (which it echoed; under --bug no-echo the last one held), for the
 * initiator the echo (equal to T_N on SUCCESS). NULL (and *len 0) before
 * the first arrived. */
const uint8_t *noise_peer_transport(const struct noise_peer *peer, size_t *len);

/* Wipe every secret and every buffer (received, kept, queued). The peer may
 * be freed after a failed init too (it is then a no-op), and twice. */
void noise_peer_free(struct noise_peer *peer);

#endif
