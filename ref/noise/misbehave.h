/*
 * misbehave.h - the --bug switches of the Noise peer (NOISE_BUG_* of
 * noise/peer.h), in their own seam, as BoGo keeps ProtocolBugs out of
 * libssl: peer.c builds and queues what an honest peer sends, then asks
 * here how a switch changes it. Nothing here is reached when no bug is set
 * (bugs == 0 leaves every frame as it is).
 *
 * Three places a switch can act:
 * - a frame just queued (flips, truncation, oversize prefix, an empty frame
 *   before it, a copy after it, or nothing at all under --bug silent):
 *   noise_misbehave_frame, which also says which frames are queued now, so
 *   that every MSG_SENT event describes bytes that really are in the queue;
 * - the echo (another plaintext, or none): noise_misbehave_echo;
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
 * and its copy. */
#define NOISE_MISBEHAVE_MAX_FRAMES 3

/* One frame in the output queue. */
struct noise_misbehave_out {
	enum noise_peer_msg msg; /* what it carries (NOISE_PEER_EMPTY: nothing) */
	size_t off;		 /* where it starts in the queue's buffer */
	size_t bytes;		 /* its size there: the prefix and the body as queued */
};

/* Rewrite the frame just queued for the bugs of role. On entry
 * q->buf[start .. q->len) holds exactly that frame: its 2-byte prefix, then
 * message `which`. On return q->len is the new end of the queue and
 * frames[0 .. *n_frames) says what lies from start on, in order: one frame
 * with no bug that applies, none under --bug silent, up to
 * NOISE_MISBEHAVE_MAX_FRAMES otherwise. Frames before start are not touched.
 * Returns PS_OK, or PS_ERR_NOBUF (the queue cannot take the extra frame; not
 * with NOISE_PEER_OUT_MAX, which is sized for the worst case); on error the
 * queue is as on entry. */
PS_MUST_CHECK int
noise_misbehave_frame(struct noise_misbehave_out frames[NOISE_MISBEHAVE_MAX_FRAMES],
		      size_t *n_frames, struct noise_peer_queue *q, size_t start, uint64_t bugs,
		      enum noise_peer_role role, enum noise_peer_msg which);

/* What the responder echoes: on entry (*pt, *pt_len) is the plaintext it
 * received, on return what it sends back. Returns false when it sends
 * nothing (--bug no-echo: it holds the connection instead). */
bool noise_misbehave_echo(const uint8_t **pt, size_t *pt_len, uint64_t bugs);

/* The public key our e token sends instead of ours (noise_hs_config.e_pub):
 * the all-zero point under --bug low-order-e, NULL otherwise. */
const uint8_t *noise_misbehave_e_pub(uint64_t bugs);

#endif
