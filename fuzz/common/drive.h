/*
 * drive.h - drivers shared by several harnesses: a Bitcoin handshake
 * configuration, a well-formed message builder with the checksum and magic
 * filled in, and the Bitcoin handshake state machine driven by a sequence of
 * operations the input chooses (btc_hs_initiator, btc_hs_responder).
 */
#ifndef PS_FUZZ_DRIVE_H
#define PS_FUZZ_DRIVE_H

#include "fuzz.h"

#include "btc/handshake.h"

/* A default configuration for magic: our version 70016, NETWORK|WITNESS,
 * no deadline, nonces from rng. */
void fuzz_btc_config(struct btc_hs_config *cfg, const uint8_t magic[4], struct fuzz_rng *rng);

/* Build one whole message (header with the right magic, length and
 * checksum) into out (capacity cap) from the input: the command is one of
 * the known ones or 12 bytes of the input; the payload is either a
 * structured one for the command (version fields, a ping nonce) or raw
 * bytes. Returns its length (0 if it did not fit). */
size_t fuzz_btc_message(struct fdp *f, const uint8_t magic[4], uint8_t *out, size_t cap);

/* Run the handshake in role on the operations of (data, size), checking its
 * invariants after each. */
void fuzz_btc_hs_run(enum btc_role role, const uint8_t *data, size_t size);

/* Two events are the same (type, command, length, error, note). */
bool fuzz_btc_event_eq(const struct btc_event *a, const struct btc_event *b);

/* After a success that still stands, a ping of our own with a nonce from
 * f (as --linger answers and sends); otherwise nothing, and nothing is
 * taken from f. The queue may be full. */
void fuzz_btc_ping(struct btc_hs *hs, struct fdp *f);

#endif
