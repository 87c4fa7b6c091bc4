/*
 * v2drive.h - the Bitcoin handshake over the BIP324 v2 transport, driven
 * by a sequence of operations the input chooses, against a scripted peer
 * (btc_v2_initiator, btc_v2_responder and their _realcrypto twins).
 *
 * The peer is a raw v2 transport of the other role (struct btc_transport
 * through its ops, keys from the input's seed): it takes what our side
 * sends, so its key, garbage, terminator and version packet are honest and
 * its cipher agrees with ours; the input then has it send messages
 * (version, verack, pings, any command), decoys and packets of any header
 * and contents, or puts raw bytes and flipped bits into its stream, and
 * chooses how that stream reaches our side (in pieces of any size). In the
 * fuzz build the AEAD is a copy with an all-zero tag and the length cipher
 * a copy, so raw bytes become packets too; the terminator, derived from the
 * real ECDH, only the peer can give (the "assist").
 */
#ifndef PS_FUZZ_V2DRIVE_H
#define PS_FUZZ_V2DRIVE_H

#include "fuzz.h"

#include "btc/handshake.h"

/* Run the v2 handshake in role on the operations of (data, size),
 * checking its invariants after each. */
void fuzz_btc_v2_run(enum btc_role role, const uint8_t *data, size_t size);

/* True when n bytes at mem hold the 32 bytes of key somewhere (an
 * all-zero key is never looked for). */
bool fuzz_holds_key(const void *mem, size_t n, const uint8_t key[32]);

#endif
