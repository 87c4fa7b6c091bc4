/*
 * transport.h - what the Bitcoin handshake needs of a P2P transport.
 *
 * Bitcoin Core keeps the transports (net.cpp V1Transport, V2Transport)
 * apart from message processing (net_processing.cpp ProcessMessage): the
 * transport frames, limits and (for BIP 324) encrypts; the layer above sees
 * whole messages. Here too: btc/handshake.c speaks to a struct
 * btc_transport only through its ops table, and btc/v1.c is the v1 framing
 * (magic | command | length | checksum | payload).
 *
 * The interface serves the BIP 324 v2 transport (btc/v2.h) as well:
 *  - a pre-message phase: open() may queue bytes of its own (v2: the
 *    64-byte ElligatorSwift key and 0..4095 bytes of garbage) and read() may
 *    queue more in answer to the peer's (the terminator, the version
 *    packet); until ready() the transport carries no message, and the
 *    handshake holds back its own.
 *  - the transport's own items: read() hands up, besides messages, what
 *    the transport took for itself (v2: the peer's key, its garbage and
 *    terminator, its version packet, decoys), one per call, with kind
 *    other than BTC_RX_MESSAGE: the handshake logs them and dispatches
 *    nothing. Items and messages together account for every input byte.
 *  - decrypted lengths and contents: read() hands up a message with its
 *    announced length, the first BTC_HS_KEEP bytes of its payload, and a
 *    verdict; the size limit is the transport's (v1: the header's length
 *    field, v2: the decrypted length, both checked before any content is
 *    buffered).
 *  - message types: command[] is always the 12-byte NUL-padded form; a
 *    transport with short ids (v2) maps them to it.
 *  - switching: read() may replace t->ops and the state in t->u (a
 *    responder's "detect" state, after Core's V1_PREFIX_LEN = 16 bytes:
 *    magic + "version\0\0\0\0\0" is v1, anything else v2). The handshake
 *    calls through t->ops on every call, so it follows.
 * Memory is fixed: every transport's state is a member of the union in
 * struct btc_transport, held inside struct btc_hs; no allocation.
 */
#ifndef PS_BTC_TRANSPORT_H
#define PS_BTC_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btc/v1.h"
#include "btc/v2.h"
#include "btc/wire.h"
#include "core/cursor.h"
#include "core/err.h"

enum btc_role { BTC_INITIATOR, BTC_RESPONDER };

enum btc_transport_kind {
	BTC_TRANSPORT_V1 = 0, /* v1 framing (btc/v1.h), either role */
	BTC_TRANSPORT_V2,     /* BIP324 only (btc/v2.h), either role */
	BTC_TRANSPORT_DETECT  /* a responder serving both: v1 or v2 by the first 16 bytes */
};

/* What read() took: a message, or an item of the transport's own. */
enum btc_rx_kind {
	BTC_RX_MESSAGE = 0, /* a message for the layer above */
	BTC_RX_V2_KEY,	    /* the peer's 64-byte key */
	BTC_RX_V2_GARBAGE,  /* its garbage and terminator: length = the garbage's */
	BTC_RX_V2_VERSION,  /* its version packet (contents ignored): length = contents */
	BTC_RX_V2_DECOY	    /* a decoy, verified and ignored: length = contents */
};

/* A message (or an item) the transport took from the input, complete. */
struct btc_rx_msg {
	enum btc_rx_kind kind;
	uint8_t command[BTC_COMMAND_LEN]; /* raw, as received (v2: a short id's type; an
					   * item: zeros) */
	enum btc_cmd cmd;		  /* btc_cmd_from_bytes(command), computed once */
	uint32_t length;		  /* the announced payload length (v2: the contents'
					   * after the type; a dropped message's: all of them) */
	const uint8_t *payload;		  /* the first `kept` payload bytes (v2: of a dropped
					   * message or an item, its contents); valid until
					   * the next call into the transport */
	size_t kept;			  /* min(length, BTC_HS_KEEP), or the cap of
					   * btc_transport_set_keep */
	uint64_t bytes;			  /* input bytes the message took (v1: 24 + length;
					   * v2: its packet, 20 + contents) */
	uint8_t header;			  /* v2: the packet's header byte; v1: 0 */
	int verdict;			  /* PS_OK, or why Core drops it and keeps the connection:
					   * PS_ERR_BAD_CHECKSUM, PS_ERR_BAD_COMMAND */
	const char *note;		  /* static words on a drop, an item or a fatal error,
					   * or NULL */
};

struct btc_transport;

struct btc_transport_ops {
	const char *name; /* "v1", "v2"; NULL while a responder tells them apart */

	/* Take input from (in, len) until one message is complete or the
	 * input is used up; *used gets the bytes taken. PS_OK with *got true:
	 * *msg is the message (verdict inside). PS_OK with *got false: all
	 * len bytes are taken and no message is complete yet. A fatal
	 * PS_ERR_* (PS_ERR_BAD_MAGIC, PS_ERR_TOO_LARGE, ...) ends the
	 * connection: msg->note says why, msg->command, msg->length and
	 * msg->bytes describe what ended it. Bytes the transport must send of
	 * its own go to out (v1 has none): PS_ERR_NOBUF when they do not fit. */
	int (*read)(struct btc_transport *t, struct btc_rx_msg *msg, bool *got, size_t *used,
		    struct ps_wcur *out, const uint8_t *in, size_t len);

	/* Frame one message (command, payload) into out. PS_ERR_NOBUF
	 * (cursor unchanged). Only while ready(). */
	int (*write)(struct btc_transport *t, struct ps_wcur *out,
		     const uint8_t command[BTC_COMMAND_LEN], const uint8_t *payload, size_t len);

	/* What the n bytes at frame, one frame as write() queued it and a
	 * switch may have rewritten it, say: the command and the length
	 * field. PS_ERR_MALFORMED when n is too short to say (v2, whose
	 * frames cannot be read back: when frame is not the n bytes write()
	 * queued last). */
	int (*describe)(const struct btc_transport *t, uint8_t command[BTC_COMMAND_LEN],
			uint32_t *length, const uint8_t *frame, size_t n);

	/* True once messages can be written (v1: always; v2: after the key
	 * exchange). */
	bool (*ready)(const struct btc_transport *t);

	/* Input bytes taken for a message (or an item) not yet complete. */
	size_t (*rx_pending)(const struct btc_transport *t);

	/* The connection is over: wipe every secret. v2: keys, key
	 * material, plaintext kept; afterwards ready() is false and read()
	 * and write() return PS_ERR_INVALID_STATE. v1 keeps no secret and
	 * does nothing. */
	void (*end)(struct btc_transport *t);
};

struct btc_transport {
	const struct btc_transport_ops *ops;
	union {
		struct btc_v1 v1;
		struct btc_v2 v2;
	} u;
};

/* Keep up to cap payload bytes of each message in buf instead of the
 * state's own BTC_HS_KEEP (for a reader of long messages: a getaddr
 * answer). buf, the caller's, must hold BTC_V2_KEEP_OVERHEAD + cap bytes
 * (v2 decrypts the packet's header and type into it too) and outlive t;
 * the v2 plaintext in it is wiped at end(). A responder still telling v1
 * from v2 takes it once it knows (call again then); cap below
 * BTC_HS_KEEP or a NULL buf: the state's own again. */
void btc_transport_set_keep(struct btc_transport *t, uint8_t *buf, size_t cap);

/* Set t up as a transport of kind for magic in role, queueing into out
 * whatever it sends first (v1: nothing; a v2 initiator: its key and
 * garbage). v2 (kinds V2 and DETECT) needs v2, which may be NULL for v1.
 * PS_ERR_INVALID_ARG (unknown kind, DETECT for an initiator, no v2 config,
 * and btc_v2_init's), PS_ERR_NOBUF, PS_ERR_CRYPTO. */
PS_MUST_CHECK int btc_transport_open(struct btc_transport *t, enum btc_transport_kind kind,
				     const uint8_t magic[4], enum btc_role role,
				     const struct btc_v2_config *v2, struct ps_wcur *out);

#endif
