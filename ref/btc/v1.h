/*
 * v1.h - the Bitcoin P2P v1 transport (Core's net.cpp V1Transport).
 *
 *   magic (4) | command (12) | length (4, LE) | checksum (4) | payload
 *
 * Its rules, in Core's order: a header with another network's magic or a
 * length over BTC_MAX_PAYLOAD ends the connection before any payload byte
 * is buffered; a complete message with a wrong checksum, else an invalid
 * command, is dropped and the connection kept. The payload is hashed as it
 * streams in; only its first BTC_HS_KEEP bytes are kept.
 *
 * The streaming reader is btc_v1_ops (btc/transport.h); btc_msg_decode
 * applies the same rules to one message in a buffer.
 */
#ifndef PS_BTC_V1_H
#define PS_BTC_V1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btc/wire.h"
#include "core/err.h"
#include "crypto/crypto.h"

/* The receive state of one v1 connection. */
struct btc_v1 {
	uint8_t magic[4];
	uint8_t hdr[BTC_HEADER_LEN]; /* the header as it arrives */
	size_t hdr_len;
	struct btc_header cur; /* decoded once all 24 bytes are in */
	bool in_payload;
	uint32_t payload_seen;
	uint8_t keep[BTC_HS_KEEP];
	struct cry_hash_ctx sum; /* SHA256 of the payload so far */
	uint8_t *big;		 /* btc_transport_set_keep's buffer instead of keep, or NULL */
	size_t big_cap;		 /* payload bytes it keeps */
};

/* The v1 transport's ops (struct btc_transport_ops in btc/transport.h). */
extern const struct btc_transport_ops btc_v1_ops;

/* Set v up for magic: no header byte seen. */
void btc_v1_init(struct btc_v1 *v, const uint8_t magic[4]);

/* Check a decoded header the way Core does, in its order: magic
 * (PS_ERR_BAD_MAGIC, Core disconnects), length over BTC_MAX_PAYLOAD
 * (PS_ERR_TOO_LARGE, Core disconnects before reading the payload), command
 * (PS_ERR_BAD_COMMAND: Core drops the message, once its payload is in and
 * only if the checksum matched). */
PS_MUST_CHECK int btc_header_check(const struct btc_header *h, const uint8_t magic[4]);

/* Decode one whole message from the start of (in, len) for magic: header,
 * the v1 rules above, payload. *used gets the bytes the message takes
 * (header + length), set also for PS_ERR_BAD_CHECKSUM and PS_ERR_BAD_COMMAND
 * so a stream can drop the message as Core does; 0 otherwise. *out is
 * written only on PS_OK. PS_ERR_NEED_MORE, PS_ERR_BAD_MAGIC,
 * PS_ERR_TOO_LARGE, PS_ERR_BAD_CHECKSUM, PS_ERR_BAD_COMMAND, and the payload
 * errors of btc_payload_decode. */
PS_MUST_CHECK int btc_msg_decode(struct btc_msg *out, size_t *used, const uint8_t magic[4],
				 const uint8_t *in, size_t len);

#endif
