/*
 * sha3.h - SHA3-256 (FIPS 202), for the checksum of Tor v3 onion addresses.
 *
 * Tor's rend-spec-v3 ("Encoding onion addresses"): CHECKSUM =
 * H(".onion checksum" | PUBKEY | VERSION)[:2] with H = SHA3-256. None of the
 * crypto libraries linked here has SHA3 (libsodium has SHA-2 and BLAKE2
 * only), so this is the Keccak-f[1600] permutation in plain C, public data
 * only: nothing secret is ever hashed with it.
 */
#ifndef PS_CRYPTO_SHA3_H
#define PS_CRYPTO_SHA3_H

#include <stddef.h>
#include <stdint.h>

/* out = SHA3-256(in). */
void cry_sha3_256(uint8_t out[32], const uint8_t *in, size_t len);

#endif
