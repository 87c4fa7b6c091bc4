/*
 * wire.h - the Bitcoin P2P v1 message codec (sans-I/O, no allocation).
 *
 * Framing: magic (4) | command (12, ASCII, NUL-padded) | length (4, LE) |
 * checksum (4: first bytes of SHA256d(payload)) | payload.
 *
 * Decoders take (in, len) and fill an output struct whose pointers are views
 * into the input. On any error they write nothing and consume nothing.
 * Returns are PS_OK or the PS_ERR_* listed above each prototype.
 * Encoders write into a struct ps_wcur and return PS_OK or PS_ERR_NOBUF,
 * leaving the cursor unchanged on failure.
 */
#ifndef PS_BTC_WIRE_H
#define PS_BTC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cursor.h"
#include "core/err.h"

#define BTC_HEADER_LEN	    24
#define BTC_COMMAND_LEN	    12
#define BTC_MAX_COMPACTSIZE 0x02000000u /* MAX_SIZE in Core's serialize.h */

/* ---- header ------------------------------------------------------------- */

struct btc_header {
	uint8_t magic[4];
	uint8_t command[BTC_COMMAND_LEN]; /* raw bytes as on the wire */
	uint32_t length;
	uint8_t checksum[4];
};

/* Decode the 24 header bytes. No semantic checks (see btc_header_check).
 * PS_ERR_NEED_MORE: len < 24. */
PS_MUST_CHECK int btc_header_decode(struct btc_header *out, const uint8_t *in, size_t len);

/* Write the 24 header bytes as given (no checksum computed). PS_ERR_NOBUF. */
PS_MUST_CHECK int btc_header_encode(struct ps_wcur *w, const struct btc_header *h);

/* Check a decoded header the way Bitcoin Core does, in its order: magic
 * (PS_ERR_BAD_MAGIC, Core disconnects), length over BTC_MAX_PAYLOAD
 * (PS_ERR_TOO_LARGE, Core disconnects before reading the payload), command
 * (PS_ERR_BAD_COMMAND, Core drops the message and keeps the connection). */
PS_MUST_CHECK int btc_header_check(const struct btc_header *h, const uint8_t magic[4]);

/* True when cmd is printable ASCII (0x20..0x7e) followed only by NULs (twelve
 * NULs included): CMessageHeader::IsMessageTypeValid. */
bool btc_command_valid(const uint8_t cmd[BTC_COMMAND_LEN]);

/* Fill cmd from a C string (<= 12 chars), NUL-padded. PS_ERR_INVALID_ARG. */
PS_MUST_CHECK int btc_command_set(uint8_t cmd[BTC_COMMAND_LEN], const char *name);

/* The 4-byte checksum of a payload: SHA256d(payload)[0..4). */
void btc_checksum(uint8_t out[4], const uint8_t *payload, size_t len);

/* ---- CompactSize and strings ---------------------------------------------- */

/* Decode a CompactSize at the cursor. PS_ERR_NEED_MORE; PS_ERR_NONCANONICAL
 * (not the shortest encoding: Core's "non-canonical ReadCompactSize()");
 * PS_ERR_TOO_LARGE (above BTC_MAX_COMPACTSIZE: "size too large"). */
PS_MUST_CHECK int btc_compactsize_decode(struct ps_rcur *c, uint64_t *out);

/* Encode v in its shortest form. PS_ERR_NOBUF. */
PS_MUST_CHECK int btc_compactsize_encode(struct ps_wcur *w, uint64_t v);

/* Decode a CompactSize-prefixed string of at most max bytes as a view.
 * PS_ERR_NEED_MORE, PS_ERR_NONCANONICAL, PS_ERR_TOO_LARGE (length > max). */
PS_MUST_CHECK int btc_varstr_decode(struct ps_rcur *c, const uint8_t **str, size_t *len,
				    size_t max);

PS_MUST_CHECK int btc_varstr_encode(struct ps_wcur *w, const uint8_t *str, size_t len);

/* ---- network address (the version message form: no time field) ------------- */

struct btc_netaddr {
	uint64_t services;
	uint8_t ip[16]; /* IPv6, or IPv4-mapped ::ffff:a.b.c.d */
	uint16_t port;	/* host order; big-endian on the wire */
};

PS_MUST_CHECK int btc_netaddr_decode(struct ps_rcur *c, struct btc_netaddr *out);
PS_MUST_CHECK int btc_netaddr_encode(struct ps_wcur *w, const struct btc_netaddr *a);

/* ---- messages ------------------------------------------------------------- */

enum btc_cmd {
	BTC_CMD_UNKNOWN = 0,
	BTC_CMD_VERSION,
	BTC_CMD_VERACK,
	BTC_CMD_WTXIDRELAY,
	BTC_CMD_SENDADDRV2,
	BTC_CMD_SENDTXRCNCL,
	BTC_CMD_SENDCMPCT,
	BTC_CMD_PING,
	BTC_CMD_PONG,
	BTC_CMD_FEEFILTER,
	BTC_CMD_SENDHEADERS,
	BTC_CMD_GETADDR,
	BTC_CMD_REJECT,
	BTC_CMD_COUNT_
};

/* The command for raw command bytes (exact NUL-padded match), or UNKNOWN. */
enum btc_cmd btc_cmd_from_bytes(const uint8_t cmd[BTC_COMMAND_LEN]);

/* The wire name of a known command ("version"); "" for UNKNOWN. */
const char *btc_cmd_name(enum btc_cmd cmd);

/* Which fields of a version message were present: Core reads the fields after
 * addr_recv only while bytes remain, so old peers may stop early. */
enum {
	BTC_VERSION_HAS_FROM_NONCE = 1 << 0, /* addr_from and nonce */
	BTC_VERSION_HAS_USER_AGENT = 1 << 1,
	BTC_VERSION_HAS_HEIGHT = 1 << 2,
	BTC_VERSION_HAS_RELAY = 1 << 3,
};

struct btc_version {
	int32_t version;
	uint64_t services;
	int64_t timestamp;
	struct btc_netaddr addr_recv;
	struct btc_netaddr addr_from;
	uint64_t nonce;
	const uint8_t *user_agent; /* view, not NUL-terminated */
	size_t user_agent_len;	   /* <= BTC_MAX_SUBVERSION */
	int32_t start_height;
	uint8_t relay;	  /* the raw byte; Core reads it as a bool */
	unsigned present; /* BTC_VERSION_HAS_* */
	size_t trailing;  /* bytes after the last field, ignored as Core does */
};

struct btc_sendtxrcncl { /* BIP 330 */
	uint32_t version;
	uint64_t salt;
};

struct btc_sendcmpct { /* BIP 152 */
	uint8_t announce;
	uint64_t version;
};

struct btc_reject { /* BIP 61 (removed from Core in 0.20; still sent by bcoin) */
	const uint8_t *message;
	size_t message_len;
	uint8_t code;
	const uint8_t *reason;
	size_t reason_len;
	const uint8_t *data; /* optional 32-byte hash, NULL when absent */
	size_t data_len;
};

/* A decoded message. For the empty-payload commands (verack, wtxidrelay,
 * sendaddrv2, sendheaders, getaddr) only cmd is set; for UNKNOWN the raw
 * command bytes and payload view are. */
struct btc_msg {
	enum btc_cmd cmd;
	uint8_t command[BTC_COMMAND_LEN];
	union {
		struct btc_version version;
		struct btc_sendtxrcncl sendtxrcncl;
		struct btc_sendcmpct sendcmpct;
		struct {
			uint64_t nonce;
			bool has_nonce; /* BIP 31: pings before 60001 carry none */
		} ping;			/* also pong */
		int64_t feerate;	/* feefilter */
		struct btc_reject reject;
	} u;
	const uint8_t *payload;
	size_t payload_len;
};

/* Decode the payload of cmd into out. PS_ERR_NEED_MORE never: a payload is
 * complete by definition, so a short one is PS_ERR_MALFORMED. Also
 * PS_ERR_NONCANONICAL, PS_ERR_TOO_LARGE (user agent > 256 bytes),
 * PS_ERR_TRAILING (bytes after a fixed-layout payload; version is exempt,
 * as Core ignores what follows the relay byte and reports it in trailing). */
PS_MUST_CHECK int btc_payload_decode(struct btc_msg *out, enum btc_cmd cmd,
				     const uint8_t command[BTC_COMMAND_LEN], const uint8_t *payload,
				     size_t len);

/* Encode a known message's payload (cmd must not be UNKNOWN). For version,
 * the fields in `present` are written in order and stop at the first absent
 * one, as an old peer would send them. PS_ERR_NOBUF, PS_ERR_INVALID_ARG. */
PS_MUST_CHECK int btc_payload_encode(struct ps_wcur *w, const struct btc_msg *m);

/* Encode a whole message (header with checksum, then payload) for magic.
 * PS_ERR_NOBUF, PS_ERR_INVALID_ARG. */
PS_MUST_CHECK int btc_msg_encode(struct ps_wcur *w, const uint8_t magic[4],
				 const struct btc_msg *m);

/* Decode one whole message from the start of (in, len) for magic: header,
 * header checks, checksum, payload. *used gets the bytes the message takes
 * (header + length), set also for PS_ERR_BAD_CHECKSUM and PS_ERR_BAD_COMMAND
 * so a stream can drop the message as Core does; 0 otherwise.
 * PS_ERR_NEED_MORE, PS_ERR_BAD_MAGIC, PS_ERR_TOO_LARGE, PS_ERR_BAD_COMMAND,
 * PS_ERR_BAD_CHECKSUM, and the payload errors of btc_payload_decode. */
PS_MUST_CHECK int btc_msg_decode(struct btc_msg *out, size_t *used, const uint8_t magic[4],
				 const uint8_t *in, size_t len);

#endif
