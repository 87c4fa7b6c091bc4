/*
 * v2.h - the BIP324 v2 transport (Core's net.cpp V2Transport), both roles,
 * and the responder's v1/v2 detection, sans-I/O, in fixed memory.
 *
 *   initiator                                responder
 *   -> key (64) + garbage (0..4095)
 *                                            <- key (64) + garbage (0..4095)
 *                                               + terminator (16) + decoys
 *                                               + version packet
 *   -> terminator (16) + decoys + version packet
 *   <-> packets: length (3) | header (1) + contents | tag (16)
 *
 * The ops (btc/transport.h) see it as the interface says: the key and
 * garbage go out first (the initiator's at open, a responder's on the first
 * byte it receives); ready() once the peer's key is in and our terminator
 * and version packet are queued; read() hands up, one per call, the
 * transport's own items (the peer's key, its garbage and terminator, its
 * version packet, each decoy: kind BTC_RX_V2_*, for the event log; the
 * layer above does not dispatch them) and messages (BTC_RX_MESSAGE:
 * contents = 1-byte short id, or 0x00 + the 12-byte type, then the
 * payload). Item by item the bytes they took add up to the input.
 *
 * Memory is fixed. The peer's garbage is not kept: its terminator is looked
 * for in a 16-byte window and each byte that leaves the window is
 * authenticated at once, as the first packet's aad, by the streamed AEAD
 * (btc/v2cipher.h). A packet's contents (up to 4,000,013 bytes) are never
 * held: they are authenticated as they arrive and only the first
 * BTC_V2_KEEP plaintext bytes are decrypted and kept, released after the
 * tag verified. Our own garbage is the ChaCha20 keystream of a 32-byte seed
 * from the RNG, so that the first packet's aad is rebuilt from 32 bytes,
 * not kept (a fixed garbage from the caller is read where it lies).
 *
 * Limits, as Core's: a packet whose decrypted length exceeds
 * BTC_V2_MAX_MSG_CONTENTS ends the connection on its length's third byte;
 * no terminator within 4095 + 16 bytes of garbage ends it on byte 4111;
 * a tag that does not verify ends it on the packet's last byte.
 *
 * Detection (responder, kind BTC_TRANSPORT_DETECT): Core's V1_PREFIX_LEN =
 * 16 bytes of magic + "version\0\0\0\0\0" switch the transport to v1 (the
 * ops become btc_v1_ops and the 16 bytes go to it); the first byte that
 * differs starts v2 and our key goes out. A responder's key whose bytes
 * 4..16 are "version\0\0\0\0\0" (another network's v1 version) is refused.
 */
#ifndef PS_BTC_V2_H
#define PS_BTC_V2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btc/v2cipher.h"
#include "btc/wire.h"
#include "core/cursor.h"
#include "core/err.h"
#include "crypto/crypto.h"
#include "crypto/secp.h"

#define BTC_V2_MAX_GARBAGE 4095 /* Core: MAX_GARBAGE_LEN */
/* The most garbage a misbehaving sender sends (v2-garbage-4096): one byte
 * over the limit. */
#define BTC_V2_MIS_MAX_GARBAGE (BTC_V2_MAX_GARBAGE + 1)
/* The most packets a sender puts between its terminator and its version
 * packet (struct btc_v2_fixed's pre_version). */
#define BTC_V2_MAX_PRE_VERSION 64
#define BTC_V2_V1_PREFIX       16 /* Core: V1_PREFIX_LEN */
/* Core's MAX_CONTENTS_LEN: "1 + CMessageHeader::MESSAGE_TYPE_SIZE +
 * std::min<size_t>(MAX_SIZE, MAX_PROTOCOL_MESSAGE_LENGTH)" */
#define BTC_V2_MAX_MSG_CONTENTS (1 + BTC_COMMAND_LEN + 4000000u)
/* The most a v2 transport queues of its own before any message: key,
 * garbage, terminator and an empty version packet. */
#define BTC_V2_HANDSHAKE_MAX                                                                       \
	(BTC_V2_ELLSWIFT_LEN + BTC_V2_MAX_GARBAGE + BTC_V2_GARBAGE_TERM_LEN + BTC_V2_EXPANSION)
/* Plaintext kept of each packet: header, a long type, BTC_HS_KEEP payload bytes. */
#define BTC_V2_KEEP_OVERHEAD (BTC_V2_HEADER_LEN + 1 + BTC_COMMAND_LEN)
#define BTC_V2_KEEP	     (BTC_V2_KEEP_OVERHEAD + BTC_HS_KEEP)

/* One packet to send as given: its header byte and contents. */
struct btc_v2_packet {
	uint8_t header;
	const uint8_t *contents;
	size_t len;
};

/* Test seams (unit tests, the generated vectors, misbehaviour): what is
 * otherwise drawn or fixed by the BIP. Every pointer must outlive the
 * transport. */
struct btc_v2_fixed {
	const uint8_t *privkey; /* 32 bytes, or NULL: from the RNG */
	const uint8_t
		*ellswift;	/* with privkey: its 64-byte encoding; NULL: encoded with the RNG */
	const uint8_t *garbage; /* garbage_len bytes, or NULL: from the RNG */
	/* packets between our terminator and our version packet: decoys (the
	 * ignore bit is set on each); the first carries the garbage as aad;
	 * at most BTC_V2_MAX_PRE_VERSION */
	const struct btc_v2_packet *pre_version;
	size_t n_pre_version;
	/* the version packet (the ignore bit is cleared); NULL: the BIP's
	 * TRANSPORT_VERSION, empty contents, header 0 */
	const struct btc_v2_packet *version;
};

/* What a v2 (or detecting) transport is opened with. */
struct btc_v2_config {
	/* the private key, the encoding's u, the garbage. Both must stay valid
	 * as long as the transport: a detecting responder draws its key only
	 * when the peer turns out to speak v2 */
	ps_rng_fn rng;
	void *rng_ctx;
	size_t garbage_len;		  /* 0..4095 bytes of garbage after our key */
	bool garbage_random;		  /* instead: a length uniform in 0..4095, as Core's
					     GenerateRandomGarbage */
	const struct btc_v2_fixed *fixed; /* NULL: nothing fixed */
	/* Misbehaviour (btc/misbehave.c sets these for peershake --bug; false
	 * honestly): */
	bool garbage_over; /* garbage_len may be 4096, one over the limit */
	bool long_types;   /* every message with its 12-byte type, never a short id */
};

/* What the transport queued of its own initiative, piece by piece, for the
 * layer above to log (and a switch to rewrite): btc_v2_take_sent. */
enum btc_v2_piece {
	BTC_V2_TX_KEY,	      /* our 64-byte key */
	BTC_V2_TX_GARBAGE,    /* our garbage (only when there is some) */
	BTC_V2_TX_TERMINATOR, /* our 16-byte garbage terminator */
	BTC_V2_TX_DECOY,      /* a decoy before the version packet */
	BTC_V2_TX_VERSION     /* the version packet */
};

struct btc_v2_tx {
	enum btc_v2_piece piece;
	uint32_t length; /* key 64, garbage and terminator their size; a packet: its contents */
	uint32_t bytes;	 /* the bytes it took of the output */
};

#define BTC_V2_TX_MAX (4 + BTC_V2_MAX_PRE_VERSION)

/* The state of one v2 connection (a member of struct btc_transport's union). */
struct btc_v2 {
	uint8_t magic[4];
	bool initiating;
	bool check_v1;		/* a responder: refuse a v1 version header in the key */
	uint8_t recv;		/* what is expected next (v2.c: enum v2_recv) */
	bool sent_key;		/* our key and garbage are queued */
	bool ready;		/* our terminator and version packet are queued */
	bool version_in;	/* their version packet verified: the session id is known */
	uint8_t session_id[32]; /* from then on, also after the end (it is public) */
	bool in_packet;		/* a packet's length is in */
	uint32_t got;		/* input bytes of the item being received */
	uint32_t pkt_len;
	uint16_t garbage_len;
	bool long_types; /* misbehaviour: no short ids */
	bool send_cut;	 /* a packet's length went out without its contents: no more packets */
	uint8_t ntx;	 /* pieces in tx, not yet taken */
	struct btc_v2_tx tx[BTC_V2_TX_MAX];
	uint8_t priv[CRY_SECP_PRIVLEN]; /* wiped once the keys are derived */
	uint8_t ours[BTC_V2_ELLSWIFT_LEN];
	uint8_t theirs[BTC_V2_ELLSWIFT_LEN];	 /* as it arrives (the v1 prefix first) */
	uint8_t window[BTC_V2_GARBAGE_TERM_LEN]; /* the last garbage bytes */
	uint8_t lenbuf[BTC_V2_LENGTH_LEN];
	uint8_t garbage_seed[32];
	const uint8_t *garbage_fixed;
	const struct btc_v2_fixed *fixed;
	struct btc_v2_config cfg;  /* for prepare(): a detecting responder's key comes late */
	uint8_t keep[BTC_V2_KEEP]; /* header and first contents bytes of a packet */
	uint8_t *big;		   /* btc_transport_set_keep's buffer instead of keep, or NULL */
	size_t big_len;		   /* its size: BTC_V2_KEEP_OVERHEAD + the payload it keeps */
	struct btc_v2c c;
	/* the frame write() queued last, for describe() */
	uint8_t last_command[BTC_COMMAND_LEN];
	uint32_t last_length;
	size_t last_size;
};

struct btc_transport;

/* The v2 transport's ops, and a detecting responder's (name NULL until it
 * knows: then btc_v2_ops or btc_v1_ops). */
extern const struct btc_transport_ops btc_v2_ops;
extern const struct btc_transport_ops btc_v2_detect_ops;

/* Set v up (btc_transport_open does, for kinds V2 and DETECT): our key from
 * cfg, our garbage; an initiator queues its key and garbage into out.
 * Returns PS_OK; PS_ERR_INVALID_ARG (no rng, garbage_len over 4095 (4096
 * with garbage_over), more than BTC_V2_MAX_PRE_VERSION packets before the
 * version packet, a fixed privkey that is not a valid key or an ellswift
 * that does not encode it); PS_ERR_NOBUF; PS_ERR_CRYPTO (the key could not
 * be made). */
PS_MUST_CHECK int btc_v2_init(struct btc_v2 *v, const uint8_t magic[4], bool initiating,
			      bool detect, const struct btc_v2_config *cfg, struct ps_wcur *out);

/* The 32-byte session id once their version packet verified (as Core's
 * GetInfo reports it: "Do not report v2 and session ID until the version
 * packet has been received and verified"); NULL otherwise, and for a
 * transport that is not v2. */
const uint8_t *btc_v2_session_id(const struct btc_transport *t);

/* What a v2 receiver waits for: "maybe_v1" (a responder before it knows),
 * "key", "garbage" (the terminator), "length" (a packet's length, or the
 * version packet not begun), "packet" (the rest of one), "idle" (between
 * packets after the version packet); NULL when t is not v2 or has ended. */
const char *btc_v2_waiting_for(const struct btc_transport *t);

/* Queue one packet with this header byte and contents as given (a decoy,
 * contents of one's own making), once ready(). Returns PS_OK;
 * PS_ERR_INVALID_STATE (not v2, not ready, or ended); PS_ERR_TOO_LARGE
 * (over 2^24 - 1 bytes); PS_ERR_NOBUF (out unchanged). */
PS_MUST_CHECK int btc_v2_write_packet(struct btc_transport *t, struct ps_wcur *out, uint8_t header,
				      const uint8_t *contents, size_t len);

/* Take what the transport queued of its own since the last call (v2 key,
 * garbage, terminator, decoys before the version packet, version packet),
 * in order, up to max pieces into tx; returns how many. Their bytes add up
 * to what it queued of its own initiative (write() and
 * btc_v2_write_packet, which the caller logs itself, are not among them).
 * 0 for a transport that is not v2. */
size_t btc_v2_take_sent(struct btc_transport *t, struct btc_v2_tx *tx, size_t max);

/* Misbehaviour (v2-oversize): queue only the 3 encrypted bytes of a
 * packet's length, announcing len contents bytes that never come. The send
 * side is then cut: write() and btc_v2_write_packet return
 * PS_ERR_INVALID_STATE, ready() is false. Returns PS_OK;
 * PS_ERR_INVALID_STATE (not v2, not ready, or ended); PS_ERR_TOO_LARGE
 * (len over 2^24 - 1); PS_ERR_NOBUF (out unchanged). */
PS_MUST_CHECK int btc_v2_write_length(struct btc_transport *t, struct ps_wcur *out, uint32_t len);

/* The short message id of a 12-byte type (BIP324's table, 1..28), or 0. */
uint8_t btc_v2_short_id(const uint8_t command[BTC_COMMAND_LEN]);

/* The type a short id stands for ("ping"), or NULL outside 1..28. */
const char *btc_v2_short_name(uint8_t id);

#endif
