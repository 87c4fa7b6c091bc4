/*
 * misbehave.h - the --bug switches of the Noise peer (NOISE_BUG_* of
 * noise/peer.h), in their own seam, as BoGo keeps ProtocolBugs out of
 * libssl: peer.c builds and queues what an honest peer sends, then asks
 * here how a switch changes it. Nothing here is reached when no bug is set
 * (bugs == 0 leaves every frame as it is).
 *
 * Four places a switch can act:
 * - a frame just queued (flips, truncation, oversize prefix, an empty frame
 *   before it, a copy after it, a corrupted twin before it, or nothing at
 *   all under --bug silent): noise_misbehave_frame, which also says which
 *   frames are queued now, so that every MSG_SENT event describes bytes
 *   that really are in the queue;
 * - the echo (another plaintext, a byte short, a byte long, or none):
 *   noise_misbehave_echoes, noise_misbehave_echo;
 * - the nonce of a transport message (one skipped): noise_misbehave_skips_nonce;
 * - the ephemeral key (the all-zero point): noise_misbehave_e_pub, passed to
 *   the HandshakeState through its test seam (noise_hs_config.e_pub).
 */
#ifndef PS_NOISE_MISBEHAVE_H
#define PS_NOISE_MISBEHAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "noise/peer.h"

/* The most frames one honest frame can become: an empty frame, the message
 * and its copy (msg1); a corrupted twin and the message (transport, echo). */
#define NOISE_MISBEHAVE_MAX_FRAMES 3

/* One frame in the output queue. */
struct noise_misbehave_out {
	enum noise_peer_msg msg; /* what it carries (NOISE_PEER_EMPTY: nothing) */
	size_t off;		 /* where it starts in the queue's buffer */
	size_t bytes;		 /* its size there: the prefix and the body as queued */
};

/* Rewrite the frame just queued for the bugs of role. On entry
 * q->buf[start .. q->len) holds exactly that frame: its 2-byte prefix, then
 * message `which`, the index-th of its kind (1 .. N for a transport message
 * or an echo, 0 otherwise). On return q->len is the new end of the queue and
 * frames[0 .. *n_frames) says what lies from start on, in order: one frame
 * with no bug that applies, none under --bug silent, up to
 * NOISE_MISBEHAVE_MAX_FRAMES otherwise. Frames before start are not touched.
 * The queue grows for the extra frames (noise_peer_queue_reserve).
 * Returns PS_OK, PS_ERR_NOBUF (the queue cannot take the extra frame; never
 * within NOISE_PEER_OUT_MAX, which is sized for the worst case), or the
 * lender's error (no block for the extra frames); on error the queue is as
 * on entry. */
PS_MUST_CHECK int
noise_misbehave_frame(struct noise_misbehave_out frames[NOISE_MISBEHAVE_MAX_FRAMES],
		      size_t *n_frames, struct noise_peer_queue *q, size_t start, uint64_t bugs,
		      enum noise_peer_role role, enum noise_peer_msg which, uint32_t index);

/* The room noise_misbehave_echo may need beyond the plaintext received. */
#define NOISE_MISBEHAVE_ECHO_EXTRA 32

/* Whether the responder echoes at all: false under --bug no-echo (it holds
 * the connection instead). */
bool noise_misbehave_echoes(uint64_t bugs);

/* What the responder echoes, in place: on entry buf[0 .. *len) is the
 * plaintext it received and buf has room for cap bytes; on return
 * buf[0 .. *len) is what it sends back: another plaintext (alter-echo), all
 * but the last byte (echo-prefix; an empty plaintext stays empty), the
 * plaintext and a zero byte (echo-extended).
 * Returns PS_OK, or PS_ERR_TOO_LARGE (echo-extended needs a byte more than
 * cap: the plaintext already is the largest a message can carry); on error
 * buf and *len are as on entry. */
PS_MUST_CHECK int noise_misbehave_echo(uint8_t *buf, size_t cap, size_t *len, uint64_t bugs);

/* Whether our transport message (initiator) or echo (responder) is sent
 * with the nonce one higher than its turn: --bug transport-nonce-skip on
 * the last one of the exchange (last: it is message N). */
bool noise_misbehave_skips_nonce(uint64_t bugs, bool last);

/* The public key our e token sends instead of ours (noise_hs_config.e_pub):
 * the all-zero point under --bug low-order-e, NULL otherwise. */
const uint8_t *noise_misbehave_e_pub(uint64_t bugs);

#endif
