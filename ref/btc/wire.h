/*
 * wire.h - the Bitcoin P2P v1 message codec (sans-I/O, no allocation).
 *
 * Framing: magic (4) | command (12, ASCII, NUL-padded) | length (4, LE) |
 * checksum (4: first bytes of SHA256d(payload)) | payload.
 *
 * One argument order across this header: the output first, then the input.
 * Buffer decoders are *_decode(out, in, len); cursor decoders are
 * *_decode(out, cursor, ...) and advance the cursor. They fill an output
 * whose pointers are views into the input, and on any error write nothing
 * and consume nothing. Returns are PS_OK or the PS_ERR_* listed above each
 * prototype. Encoders take the write cursor first (it is their output),
 * return PS_OK or PS_ERR_NOBUF, and leave the cursor unchanged on failure.
 *
 * The v1 framing rules (magic, size limit, checksum, Core's drop order) are
 * the v1 transport's, in btc/v1.h; this file is the codec under it.
 */
#ifndef PS_BTC_WIRE_H
#define PS_BTC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btc/addr.h"
#include "core/cursor.h"
#include "core/err.h"

#define BTC_HEADER_LEN	    24
#define BTC_COMMAND_LEN	    12
#define BTC_MAX_COMPACTSIZE 0x02000000u /* MAX_SIZE in Core's serialize.h */

/* Payload bytes a transport keeps of each message for decoding: a version
 * needs at most 4+8+8+26+26+8+3+256+4+1 = 344, and an addr relayed
 * unasked (Core relays at most 10 entries) at most 1 + 10 x 49 = 491.
 * Longer payloads are hashed as they stream by and never buffered; a
 * reader of getaddr answers (up to BTC_ADDR_PAYLOAD_MAX, btc/addr.h)
 * gives the transport a buffer of its own (btc_transport_set_keep). */
#define BTC_HS_KEEP 512

/* ---- header ------------------------------------------------------------- */

struct btc_header {
	uint8_t magic[4];
	uint8_t command[BTC_COMMAND_LEN]; /* raw bytes as on the wire */
	uint32_t length;
	uint8_t checksum[4];
};

/* Decode the 24 header bytes. No semantic checks (btc/v1.h: btc_header_check).
 * PS_ERR_NEED_MORE: len < 24. */
PS_MUST_CHECK int btc_header_decode(struct btc_header *out, const uint8_t *in, size_t len);

/* Write the 24 header bytes as given (no checksum computed). PS_ERR_NOBUF. */
PS_MUST_CHECK int btc_header_encode(struct ps_wcur *w, const struct btc_header *h);

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
PS_MUST_CHECK int btc_compactsize_decode(uint64_t *out, struct ps_rcur *c);

/* Encode v in its shortest form. PS_ERR_NOBUF. */
PS_MUST_CHECK int btc_compactsize_encode(struct ps_wcur *w, uint64_t v);

/* Decode a CompactSize-prefixed string of at most max bytes as a view.
 * PS_ERR_NEED_MORE, PS_ERR_NONCANONICAL, PS_ERR_TOO_LARGE (length > max). */
PS_MUST_CHECK int btc_varstr_decode(const uint8_t **str, size_t *len, struct ps_rcur *c,
				    size_t max);

PS_MUST_CHECK int btc_varstr_encode(struct ps_wcur *w, const uint8_t *str, size_t len);

/* ---- network address (the version message form: no time field) ------------- */

struct btc_netaddr {
	uint64_t services;
	uint8_t ip[16]; /* IPv6, or IPv4-mapped ::ffff:a.b.c.d */
	uint16_t port;	/* host order; big-endian on the wire */
};

#define BTC_NETADDR_LEN 26 /* services (8) | ip (16) | port (2) */

/* PS_ERR_NEED_MORE (fewer than 26 bytes). */
PS_MUST_CHECK int btc_netaddr_decode(struct btc_netaddr *out, struct ps_rcur *c);
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
	BTC_CMD_ADDR,	/* btc/addr.h */
	BTC_CMD_ADDRV2, /* BIP 155 */
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

/* version, services, timestamp, addr_recv: the fields every version has,
 * and all Core reads before it judges the peer's services and version. */
#define BTC_VERSION_REQUIRED_LEN (4 + 8 + 8 + BTC_NETADDR_LEN)

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
		/* addr, addrv2: decoding checks the payload (btc_addr_each) and
		 * sets info, entries NULL and n 0: the caller reads the entries
		 * from payload with btc_addr_each or btc_addr_decode. Encoding
		 * writes entries[0 .. n). */
		struct {
			const struct btc_addr *entries;
			size_t n;
			struct btc_addr_info info;
		} addr;
	} u;
	const uint8_t *payload;
	size_t payload_len;
};

/* Decode the payload of cmd into out. PS_ERR_NEED_MORE never: a payload is
 * complete by definition, so a short one is PS_ERR_MALFORMED. Also
 * PS_ERR_NONCANONICAL, PS_ERR_TOO_LARGE (user agent > 256 bytes; an addr or
 * addrv2 of more than 1,000 entries, btc/addr.h),
 * PS_ERR_TRAILING (bytes after a fixed-layout payload; version is exempt,
 * as Core ignores what follows the relay byte and reports it in trailing). */
PS_MUST_CHECK int btc_payload_decode(struct btc_msg *out, enum btc_cmd cmd,
				     const uint8_t command[BTC_COMMAND_LEN], const uint8_t *payload,
				     size_t len);

/* The payload size of a fixed-layout command (verack 0, ping 8, sendcmpct 9,
 * sendtxrcncl 12, ...), or -1 for the variable ones (version, reject, addr,
 * addrv2, unknown). A ping may also be empty (BIP 31); this is its size with a
 * nonce. btc_payload_decode refuses a longer payload with PS_ERR_TRAILING;
 * decoding the first btc_payload_fixed_len bytes is reading "the fields the
 * handler needs", as Core's handlers do. */
int btc_payload_fixed_len(enum btc_cmd cmd);

/* Encode a known message's payload (cmd must not be UNKNOWN). For version,
 * the fields in `present` are written in order and stop at the first absent
 * one, as an old peer would send them. PS_ERR_NOBUF, PS_ERR_INVALID_ARG. */
PS_MUST_CHECK int btc_payload_encode(struct ps_wcur *w, const struct btc_msg *m);

/* Encode a whole message (header with checksum, then payload) for magic.
 * PS_ERR_NOBUF, PS_ERR_INVALID_ARG. */
PS_MUST_CHECK int btc_msg_encode(struct ps_wcur *w, const uint8_t magic[4],
				 const struct btc_msg *m);

#endif
