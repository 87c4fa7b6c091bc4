/*
 * handshake.h - the Bitcoin version handshake, both roles, sans-I/O, over
 * the v1 transport or BIP324's v2 (cfg->transport: btc/transport.h).
 *
 *   initiator                         responder (answers like Bitcoin Core)
 *   -> version
 *                                     <- version   (only after theirs)
 *                                     <- wtxidrelay, sendaddrv2 (both >= 70016)
 *                                     <- verack
 *   -> wtxidrelay, sendaddrv2 (>= 70016)
 *   -> verack
 *   -> getaddr (cfg.getaddr)
 *                                     <- addrv2, or addr (cfg.addrbook; once)
 *
 * It is a core in the shape of OpenSSH's ssh_api.h (ssh_input_append,
 * ssh_packet_next, ssh_output_ptr / ssh_output_consume) and obeys
 * core/contract.h: btc_hs_input (bytes in), btc_hs_next_event (events
 * out), btc_hs_output / btc_hs_consume (bytes to send), btc_hs_expiry /
 * btc_hs_handle_expiry, and the accessors below. Time comes in as now_ns (a
 * monotonic clock) on every call; the nonce comes from the RNG callback
 * given at init. Memory is fixed: the struct holds everything, the
 * transport's state included (btc/transport.h, v1 framing in btc/v1.h,
 * BIP324 in btc/v2.h), but for the buffers a caller gives for addresses
 * (cfg.addr_store, cfg.out_buf, cfg.rx_keep); payloads beyond BTC_HS_KEEP
 * bytes (or rx_keep's) are hashed (v1) or authenticated (v2) as they stream
 * by and never buffered. The switches
 * of struct btc_hs_config (bugs, inject) are applied by btc/misbehave.c.
 *
 * Over v2 the handshake is the same; before it the transport exchanges
 * keys (the initiator's version goes out once the responder's key is in)
 * and logs what it sends and takes of its own as SENT and RECV events
 * with cmd UNKNOWN, an empty command and a note, one event a piece: SENT
 * "v2 key", "v2 garbage", "v2 garbage terminator", "v2 decoy", "v2
 * version packet" (length: the key's 64, the garbage's or terminator's
 * size, a packet's contents); RECV "v2 key", "v2 garbage and terminator"
 * (length: the garbage's), "v2 version packet", "v2 decoy" (length: the
 * contents). So the bytes of the events still add up to what went out and
 * came in.
 *
 * SUCCESS: we have their version and their verack and have sent both ours.
 * PARTIAL: their version arrived, their verack did not.
 * FAILED: anything else that ended the handshake, with a PS_ERR_* reason.
 */
#ifndef PS_BTC_HANDSHAKE_H
#define PS_BTC_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btc/params.h"
#include "btc/transport.h"
#include "btc/wire.h"
#include "core/contract.h"
#include "core/err.h"

/* The output queue: a v1 handshake writes about 250 bytes; v2 first its
 * key, up to 4095 bytes of garbage, terminator and version packet, and a
 * misbehaving one a byte more garbage and up to 64 decoys (BTC_V2_BUG_*)
 * that may all still be queued when the messages follow (byte-at-a-time). */
#define BTC_HS_OUTBUF (BTC_V2_HANDSHAKE_MAX + 4096)

/* The caller's larger buffers (cfg.out_buf, cfg.rx_keep) for addresses:
 * an output queue with room for a responder's answer to getaddr besides,
 * one addr or addrv2 of up to BTC_ADDR_PAYLOAD_MAX bytes (btc/addr.h) in
 * its frame (v1: 24 bytes of header; v2: 3 + 1 + 12 + 16 at most); and a
 * receive buffer that keeps one whole. */
#define BTC_HS_ADDR_FRAME_MAX (BTC_ADDR_PAYLOAD_MAX + 64)
#define BTC_HS_OUT_ADDR	      (BTC_HS_OUTBUF + BTC_HS_ADDR_FRAME_MAX)
#define BTC_HS_RX_ADDR	      (BTC_V2_KEEP_OVERHEAD + BTC_ADDR_PAYLOAD_MAX)
#define BTC_HS_EVENTS	      96 /* a misbehaving side logs up to 64 decoys and its pieces in one call */

/* Deliberate misbehaviour, for conformance and resistance testing (peershake
 * --bug). Each changes what we send, never how we parse what we receive. */
enum {
	BTC_BUG_BAD_CHECKSUM = 1 << 0,	     /* version with a wrong checksum, then a correct one */
	BTC_BUG_WRONG_MAGIC = 1 << 1,	     /* every message with another magic */
	BTC_BUG_LENGTH_LARGER = 1 << 2,	     /* version header announces one byte more */
	BTC_BUG_LENGTH_SMALLER = 1 << 3,     /* version header announces one byte less */
	BTC_BUG_OVERSIZE = 1 << 4,	     /* version header announces 4,000,001; no payload */
	BTC_BUG_MAX_SIZE = 1 << 5,	     /* version header announces 4,000,000; no payload */
	BTC_BUG_CMD_NOT_PADDED = 1 << 6,     /* "version\0X..." then a correct version */
	BTC_BUG_CMD_NONPRINTABLE = 1 << 7,   /* "versio\x01n" then a correct version */
	BTC_BUG_EARLY_VERACK = 1 << 8,	     /* verack right after our version, not after theirs */
	BTC_BUG_VERACK_FIRST = 1 << 9,	     /* verack before our version */
	BTC_BUG_DUPLICATE_VERSION = 1 << 10, /* our version twice */
	BTC_BUG_REUSE_NONCE = 1 << 11,	     /* responder: our version carries the peer's nonce */
	BTC_BUG_NO_RELAY = 1 << 12,	     /* version without the relay byte */
	BTC_BUG_VERSION_SHORT = 1 << 13,     /* version with the four required fields only */
	BTC_BUG_VERSION_NO_HEIGHT = 1 << 14, /* version ending after the user agent */
	BTC_BUG_UA_256 = 1 << 15,	     /* a user agent of exactly 256 bytes */
	BTC_BUG_UA_257 = 1 << 16,	     /* a user agent of 257 bytes, then a correct version */
	BTC_BUG_GARBAGE_AFTER = 1 << 17,     /* 8 bytes of garbage after the version payload */
	BTC_BUG_NO_VERACK = 1 << 18,	     /* never send verack */
	BTC_BUG_VERACK_TWICE = 1 << 19,	     /* verack twice */
	BTC_BUG_SILENT = 1 << 20,	     /* send nothing at all */
	BTC_BUG_NO_FEATURES = 1 << 21,	     /* no wtxidrelay/sendaddrv2 even at 70016 */
	BTC_BUG_CHECKSUM_LAST = 1 << 22,     /* a version with its last checksum byte wrong */
	BTC_BUG_UA_NONCANONICAL = 1 << 23,   /* its user agent length non-canonical: fd LL 00 */
	BTC_BUG_BAD_ALONE = 1 << 24,	     /* the spoilt version alone: no correct one after */
	BTC_BUG_VERSION_TRAILING = 1 << 25, /* 4 bytes more in our version's payload, after relay */
};

/* Deliberate misbehaviour of the BIP324 v2 transport (cfg->v2_bugs): each
 * needs a v2 connection (kind V2, or DETECT when the peer turns out v2;
 * kind V1 refuses them). "Our version packet" is the transport's first
 * packet without the ignore bit; "our version" the Bitcoin message. */
enum {
	BTC_V2_BUG_GARBAGE_4096 = 1 << 0, /* 4096 bytes of garbage, one over the limit */
	BTC_V2_BUG_NO_TERMINATOR = 1
				   << 1, /* 4095 of garbage, 16 bytes not the terminator, no more */
	BTC_V2_BUG_WRONG_TERMINATOR = 1 << 2, /* a terminator with one bit flipped, then packets */
	BTC_V2_BUG_FLIP_LENGTH = 1 << 3,      /* one bit of our version packet's encrypted length */
	BTC_V2_BUG_FLIP_TAG = 1 << 4,	      /* one bit of our version packet's tag */
	BTC_V2_BUG_FLIP_GARBAGE = 1 << 5,     /* one garbage byte flipped after its use as aad */
	BTC_V2_BUG_DECOYS = 1 << 6,	      /* v2_decoys decoys before our version packet */
	BTC_V2_BUG_DECOY_BEFORE_VERSION = 1 << 7, /* a decoy right before our version */
	BTC_V2_BUG_DECOY_AFTER_VERSION = 1 << 8,  /* a decoy right after our version */
	BTC_V2_BUG_VERSION_CONTENTS = 1 << 9,	  /* our version packet with 8 bytes of contents */
	BTC_V2_BUG_UNKNOWN_SHORT_ID = 1 << 10, /* a message with short id 255 after our version */
	BTC_V2_BUG_OVERSIZE = 1 << 11,	       /* our version: a length of 4,000,014, no contents */
	BTC_V2_BUG_KEY_ONLY = 1 << 12,	       /* our key, then nothing at all */
	BTC_V2_BUG_V1_VERSION = 1 << 13,      /* our version as a v1 frame for the version packet */
	BTC_V2_BUG_CLOSE_AFTER_KEY = 1 << 14, /* our key, then we close */
	BTC_V2_BUG_LONG_TYPES = 1 << 15,      /* every message with its 12-byte type */
	BTC_V2_BUG_DECOY_PING = 1 << 16, /* after our verack, a decoy whose contents are a ping */
};

#define BTC_V2_MAX_DECOYS BTC_V2_MAX_PRE_VERSION

/* When an injected message goes out, relative to our own handshake messages. */
enum btc_when { BTC_BEFORE_VERSION, BTC_BEFORE_VERACK, BTC_AFTER_VERACK };

/* The longest delay of an injection (send=CMD@after-verack+MS): 10 minutes. */
#define BTC_INJECT_MAX_DELAY_MS 600000u

/* A message to send besides the handshake's own (peershake --bug send=CMD@WHEN).
 * cmd UNKNOWN sends "unknowncmd" with 4 bytes, or with empty_command an
 * all-NUL command (valid for Core: an unknown message).
 *
 * delay_ms (AFTER_VERACK only; 0 for the others, else btc_hs_init refuses
 * cfg): 0 sends it right after our verack; 1..BTC_INJECT_MAX_DELAY_MS
 * sends it that many milliseconds after the handshake is done, from
 * btc_hs_handle_expiry (btc_hs_expiry says when). "Done" is the moment
 * the core reaches DONE: the btc_hs_input call (its now_ns) that takes
 * their verack, with our verack queued already (it went out with our
 * answer to their version). That is the later of the two, the one moment
 * the core knows the time of both, the same in both roles, and the moment
 * the handshake deadline stops: the timer passes from the deadline to the
 * delayed sends with no gap and no overlap, and a target that counts its
 * own handshake deadline has had our verack before we start counting.
 * A delayed injection goes out only where an undelayed after-verack one
 * would (not with no-verack, early-verack, verack-before-version or
 * silent), and only while the caller keeps the connection and calls
 * btc_hs_handle_expiry (peershake: while --linger lasts; one due after
 * the linger ends never goes out). Several go out in order of their due
 * time, equal ones in the order given. */
struct btc_inject {
	enum btc_cmd cmd;
	enum btc_when when;
	bool empty_command;
	uint32_t delay_ms;
};

#define BTC_MAX_INJECT 8

/* What one side announces and how it behaves. */
struct btc_hs_config {
	uint8_t magic[4];
	int32_t version;	/* our protocol version (default BTC_PROTOCOL_VERSION) */
	uint64_t services;	/* our service bits */
	const char *user_agent; /* our subversion, <= 256 bytes */
	int32_t start_height;
	bool relay;
	int64_t unix_time;	    /* the version timestamp, from the caller's clock */
	struct btc_netaddr peer;    /* the peer's address, for addr_recv */
	uint64_t timeout_ns;	    /* handshake deadline, from init; 0 = none */
	uint64_t required_services; /* initiator: refuse peers lacking these */
	/* Responder: true when nonce is the nonce of one of our own outbound
	 * handshakes (Core: CheckIncomingNonce). May be NULL. */
	bool (*is_local_nonce)(void *ctx, uint64_t nonce);
	void *nonce_ctx;
	ps_rng_fn rng;
	void *rng_ctx;
	uint64_t bugs; /* BTC_BUG_* */
	struct btc_inject inject[BTC_MAX_INJECT];
	size_t ninject;
	/* The transport: BTC_TRANSPORT_V1 (0, the default), BTC_TRANSPORT_V2
	 * (BIP324 only, either role) or BTC_TRANSPORT_DETECT (a responder
	 * serving both, told apart by the first 16 bytes, as Core with v2 on).
	 * v2: garbage of v2_garbage_len bytes (0..4095) after our key, or with
	 * v2_garbage_random a length uniform in 0..4095 as Core; the key, u and
	 * garbage from rng. v2_fixed: test seams (btc/v2.h), NULL honestly;
	 * it must outlive hs. The v1 frame rewrites of bugs (checksum, magic,
	 * lengths, command bytes, garbage after) have no v2 meaning, and the
	 * v2_bugs no v1 meaning: kind V2 refuses the first, kind V1 the
	 * second; DETECT takes both and drops the other transport's once it
	 * knows the peer's. */
	enum btc_transport_kind transport;
	size_t v2_garbage_len;
	bool v2_garbage_random;
	const struct btc_v2_fixed *v2_fixed;
	uint32_t v2_bugs;   /* BTC_V2_BUG_* */
	unsigned v2_decoys; /* with BTC_V2_BUG_DECOYS: 1..BTC_V2_MAX_DECOYS */

	/* Addresses (btc/addr.h).
	 * Responder: the first getaddr after the handshake is answered as
	 * Core answers one on an inbound connection, from addrbook[0 ..
	 * naddrbook) (Core's addrman; NULL or 0: nothing goes out, as from an
	 * empty one), in one addrv2 to a peer that sent sendaddrv2, else one
	 * addr holding only the IPv4 and IPv6 entries. How many: Core's
	 * GetAddr_, min(BTC_MAX_ADDR_TO_SEND, addr_pct * naddrbook / 100)
	 * (addr_pct 0: no percentage cap; Core's is BTC_MAX_PCT_ADDR_TO_SEND),
	 * drawn at random (rng) from the entries whose time is neither more
	 * than 10 minutes after unix_time nor more than 30 days before it
	 * (IsTerrible), then those Core would not push left out (invalid:
	 * btc_addr_valid; not addr-compatible for an addr). A later getaddr is
	 * ignored. addrbook must outlive hs.
	 * Initiator with getaddr: getaddr goes out right after our verack (as
	 * Core sends it to an outbound peer); the addr and addrv2 that come
	 * in are counted, and their entries kept in addr_store[0 ..
	 * addr_store_cap) (NULL: counted only; those past the cap counted in
	 * over_cap), for getaddr_wait_ns after the handshake is done
	 * (btc_hs_getaddr_waiting). Any role counts what comes in. */
	const struct btc_addr *addrbook;
	size_t naddrbook;
	unsigned addr_pct;
	bool getaddr;
	uint64_t getaddr_wait_ns;
	struct btc_addr *addr_store;
	size_t addr_store_cap;
	/* Larger buffers, the caller's, outliving hs (NULL: the struct's
	 * own). out_buf (out_buf_len >= BTC_HS_OUTBUF bytes, else ignored):
	 * the output queue, btc_hs_output then up to out_buf_len; a
	 * responder's answer to getaddr needs BTC_HS_OUT_ADDR. rx_keep
	 * (rx_keep_len bytes): payloads kept up to rx_keep_len -
	 * BTC_V2_KEEP_OVERHEAD bytes instead of BTC_HS_KEEP
	 * (btc_transport_set_keep); a getaddr initiator needs BTC_HS_RX_ADDR
	 * to read Core's answer whole. Without them an addr or addrv2 over
	 * BTC_HS_KEEP is dropped ("addr payload longer than we keep") and an
	 * answer that does not fit is not sent (counted as lost). The v2
	 * plaintext in rx_keep is wiped when the connection ends. */
	uint8_t *out_buf;
	size_t out_buf_len;
	uint8_t *rx_keep;
	size_t rx_keep_len;
};

enum btc_ev_type {
	BTC_EV_SENT,	  /* a message was queued for sending: cmd, length, bytes */
	BTC_EV_RECV,	  /* a complete, valid message arrived: cmd, length, note */
	BTC_EV_DROPPED,	  /* a message was dropped (Core drops it too): err */
	BTC_EV_VERSION,	  /* their version arrived and was accepted: btc_hs_peer */
	BTC_EV_SUCCESS,	  /* handshake complete */
	BTC_EV_FAILED,	  /* handshake over without success: err (and outcome) */
	BTC_EV_DISCONNECT /* after success, the peer broke a rule (or did not read: a
			   * delayed injection found the queue full): err, note */
};

/* SENT events describe the frame as it went into the output queue, after
 * any switch rewrote it: command and length are the header's fields as
 * queued, bytes what the frame took of the queue (header + payload +
 * anything appended, or the header alone when a switch cut the payload;
 * v2: the packet). RECV and DROPPED: the message's header fields, and
 * bytes the input it took (24 + payload; v2: the packet). The v2
 * transport's own bytes: see above. A FAILED or DISCONNECT that a message or header
 * ended without a RECV or DROPPED for it: that message's fields and the
 * bytes it took (24 for a header). Other events about a message carry its
 * command and length with bytes 0 (its RECV counted them); events about
 * none (a timeout, a close) carry none. */
struct btc_event {
	enum btc_ev_type type;
	enum btc_cmd cmd;		   /* btc_cmd_from_bytes of the command field */
	char command[BTC_COMMAND_LEN + 1]; /* printable copy, non-printables as '?' */
	uint32_t length;		   /* the header's length field */
	uint64_t bytes;
	int err; /* PS_ERR_* for DROPPED, FAILED, DISCONNECT */
	/* SENT and RECV of a ping or pong whose payload is exactly 8 bytes:
	 * has_nonce, and nonce those 8 bytes read little-endian (as
	 * btc_payload_decode reads it). Any other event, or a ping or pong of
	 * another size (BIP 31's empty ping; a longer one, whose nonce Core
	 * would read), has none: has_nonce false, nonce 0. */
	bool has_nonce;
	const char *note; /* static text or NULL ("ignored: before version") */
	uint64_t nonce;
	/* SENT of an addr or addrv2, and RECV of one whose payload passed
	 * btc_addr_each: has_count, count the entries it carries. A RECV's
	 * entries kept (cfg.addr_store) are btc_hs_addrs()[store_first ..
	 * store_first + store_n). Other events: false, 0, 0, 0. */
	bool has_count;
	uint32_t count; /* at most MAX_SIZE (0x02000000) */
	uint32_t store_first, store_n;
};

/* What we learned of the peer from its version message. */
struct btc_peer_info {
	int32_t version;
	uint64_t services;
	int64_t timestamp;
	uint64_t nonce;
	int32_t start_height;
	bool relay;
	unsigned present;
	char user_agent[BTC_MAX_SUBVERSION + 1]; /* as received, NUL-terminated */
	size_t user_agent_len;
};

/* ---- the state: public for sizing only ---------------------------------------
 * Callers allocate struct btc_hs (it holds everything, no heap) and reach
 * it only through the functions below: nothing outside ref/btc reads its
 * fields, which may change with any commit. */

enum btc_hs_state {
	BTC_HS_EXPECT_VERSION, /* nothing from them yet (we may have sent ours) */
	BTC_HS_EXPECT_VERACK,  /* their version arrived; ours and our verack sent */
	BTC_HS_DONE,	       /* success; still answers ping */
	BTC_HS_CLOSED	       /* failed, disconnected or closed: input is ignored */
};

/* What the v2 switches send in the transport's place (btc/misbehave.c
 * fills it at init): the seams of btc_v2_fixed, with room for decoys and a
 * version packet's contents. */
#define BTC_MIS_DECOY_MAX	 7 /* a decoy's contents: 0..7 random bytes */
#define BTC_MIS_VERSION_CONTENTS 8 /* v2-version-contents: 8 random bytes */
struct btc_hs_v2mis {
	struct btc_v2_fixed fixed;
	struct btc_v2_packet pre[BTC_V2_MAX_DECOYS];
	struct btc_v2_packet version;
	uint8_t contents[BTC_V2_MAX_DECOYS * BTC_MIS_DECOY_MAX + BTC_MIS_VERSION_CONTENTS];
};

/* What may still go out under the switches (btc/misbehave.c). */
enum btc_hs_out {
	BTC_HS_OUT_OPEN,       /* as the handshake queues it */
	BTC_HS_OUT_V1_VERSION, /* nothing until our version, which goes as a v1 frame */
	BTC_HS_OUT_MUTED       /* nothing more, ever */
};

struct btc_hs {
	struct btc_hs_config cfg;
	enum btc_role role;
	enum btc_hs_state state;
	enum ps_outcome outcome;
	int err;	  /* PS_OK, or what ended it */
	const char *note; /* the words of the FAILED or DISCONNECT that ended it */
	uint64_t nonce;	  /* the nonce in our version */
	uint64_t deadline_ns;
	uint64_t done_ns; /* when it reached DONE: delayed injections count from here */
	bool sent_version, got_version;
	struct btc_peer_info peer;

	struct btc_transport tr; /* framing, limits; the receive buffer */
	uint64_t bytes_in, msgs_in;

	uint8_t out[BTC_HS_OUTBUF]; /* unless cfg.out_buf */
	size_t out_len;
	uint64_t bytes_out;
	enum btc_hs_out out_state;
	uint32_t delayed; /* bit i: cfg.inject[i] is delayed and not yet sent */
	bool detected;	  /* a DETECT responder knows the peer's transport */
	struct btc_hs_v2mis v2mis;

	struct btc_event ev[BTC_HS_EVENTS];
	unsigned ev_head, ev_count;
	uint64_t ev_lost; /* informational events that did not fit */

	bool peer_addrv2;	/* they sent sendaddrv2 before their verack */
	bool getaddr_recvd;	/* Core's m_getaddr_recvd */
	bool getaddr_over;	/* initiator with getaddr: the wait has ended */
	uint64_t getaddr_until; /* when it ends (from done_ns) */
	size_t addr_kept;	/* entries in cfg.addr_store */
	struct btc_addr_tally {
		uint64_t msgs_in;    /* addr and addrv2 taken (after verack, parsed) */
		uint64_t entries_in; /* the entries they announced */
		uint64_t skipped;    /* of them addrv2 entries of TORV2 or unknown ids */
		uint64_t over_cap;   /* of them kept ones that found addr_store full */
		uint64_t msgs_out;   /* our getaddr answers (0 or 1) */
		uint64_t entries_out;
	} addr;
};

/* Set up hs for role with cfg at time now_ns. The initiator queues its
 * version at once (v2: its key and garbage; the version once the
 * responder's key is in). cfg->user_agent must outlive hs. An initiator
 * with BTC_V2_BUG_CLOSE_AFTER_KEY is over when this returns PS_OK: FAILED,
 * PS_ERR_CLOSED, its key in the output (the caller sends it and closes).
 * PS_ERR_INVALID_ARG (user agent > 256 bytes, no rng, DETECT for an
 * initiator, an injection with a delay_ms other than 0 before verack or
 * over BTC_INJECT_MAX_DELAY_MS, v2_decoys outside 1..64 with BTC_V2_BUG_DECOYS,
 * BTC_V2_BUG_FLIP_GARBAGE with no garbage, a fixed garbage with a switch
 * that sets its length, and btc_transport_open's), PS_ERR_UNSUPPORTED (a
 * v1 frame rewrite with kind V2, a v2 switch with kind V1), PS_ERR_NOBUF,
 * PS_ERR_CRYPTO. */
PS_MUST_CHECK int btc_hs_init(struct btc_hs *hs, enum btc_role role,
			      const struct btc_hs_config *cfg, uint64_t now_ns);

/* Feed len received bytes. All are consumed; the state and events change.
 * Returns PS_OK, or the PS_ERR_* that ended the handshake during this call
 * (also reported as a FAILED or DISCONNECT event). Input after the end is
 * ignored and returns PS_OK (core/contract.h). */
PS_MUST_CHECK int btc_hs_input(struct btc_hs *hs, uint64_t now_ns, const uint8_t *data, size_t len);

/* The peer closed its side (reason PS_ERR_CLOSED), the transport failed
 * (reason), or we ended it (PS_ERR_STOPPED): ends a pending handshake as
 * PARTIAL (their version came, and it was a close, a stop or a timeout) or
 * FAILED. After success it
 * only ends the input (btc_hs_ended); the outcome stays SUCCESS and
 * btc_hs_error PS_OK. */
void btc_hs_close(struct btc_hs *hs, int reason);

/* The time at which btc_hs_handle_expiry must be called, UINT64_MAX for
 * none: while pending, the handshake deadline; once done, when the next
 * delayed injection (struct btc_inject delay_ms) is due, UINT64_MAX when
 * none waits (always, without delayed injections); after the end,
 * UINT64_MAX. Once done it may be earlier than the deadline was. */
uint64_t btc_hs_expiry(const struct btc_hs *hs);

/* Apply the deadline: past it, a pending handshake ends with
 * PS_ERR_TIMEOUT. Once done there is no deadline: the delayed injections
 * due by now_ns are queued (SENT events), and nothing else changes; one
 * that does not fit the output queue ends the connection as a DISCONNECT
 * with PS_ERR_NOBUF, "output queue full" (the peer does not read), as an
 * undelayed injection ends the handshake. Before the time, a no-op. */
void btc_hs_handle_expiry(struct btc_hs *hs, uint64_t now_ns);

/* Take the next event into *ev. Returns true if there was one. */
bool btc_hs_next_event(struct btc_hs *hs, struct btc_event *ev);

/* The bytes waiting to be sent: *p and the count (at most BTC_HS_OUTBUF,
 * or cfg.out_buf_len with the caller's queue). */
size_t btc_hs_output(const struct btc_hs *hs, const uint8_t **p);

/* n bytes of the output were sent. */
void btc_hs_consume(struct btc_hs *hs, size_t n);

/* ---- accessors (core/contract.h) ---- */

/* PENDING until the handshake is over; then SUCCESS, PARTIAL or FAILED.
 * A DISCONNECT after success leaves it SUCCESS. */
enum ps_outcome btc_hs_outcome(const struct btc_hs *hs);

/* PS_OK, or the PS_ERR_* that ended it: a FAILED's, or a DISCONNECT's after
 * success. PS_OK after a plain success, closed or not. */
int btc_hs_error(const struct btc_hs *hs);

/* True once input is no longer taken: failed, or disconnected or closed
 * after success. */
bool btc_hs_ended(const struct btc_hs *hs);

/* The static note of the FAILED or DISCONNECT that ended it ("wrong network
 * magic"), or NULL. */
const char *btc_hs_note(const struct btc_hs *hs);

/* "version" before their version, "verack" after it, NULL once done or
 * ended. */
const char *btc_hs_waiting_for(const struct btc_hs *hs);

/* Informational events dropped because the ring was full (VERSION,
 * SUCCESS, FAILED and one DISCONNECT never are), and pongs dropped because
 * the output queue was. */
uint64_t btc_hs_events_lost(const struct btc_hs *hs);

/* What their version said, once it was accepted; NULL before. */
const struct btc_peer_info *btc_hs_peer(const struct btc_hs *hs);

/* The nonce of our version. */
uint64_t btc_hs_nonce(const struct btc_hs *hs);

/* Bytes taken by btc_hs_input before the end, and bytes consumed from the
 * output. */
uint64_t btc_hs_bytes_in(const struct btc_hs *hs);
uint64_t btc_hs_bytes_out(const struct btc_hs *hs);

/* Messages the transport completed (valid or dropped), and the input bytes
 * it holds of one not yet complete: with them bytes_in splits into whole
 * messages and a partial one (for tests and fuzzers). */
uint64_t btc_hs_msgs_in(const struct btc_hs *hs);
size_t btc_hs_rx_pending(const struct btc_hs *hs);

/* ---- the transport (btc/transport.h) ---- */

/* "v1" or "v2", the transport in use; NULL while a DETECT responder has not
 * told them apart. */
const char *btc_hs_transport(const struct btc_hs *hs);

/* The 32-byte BIP324 session id (what Core's getpeerinfo shows as
 * session_id), once the peer's version packet verified; NULL otherwise
 * (v1, keys not agreed yet, or after the end). */
const uint8_t *btc_hs_session_id(const struct btc_hs *hs);

/* True when this is a v2 initiator that has sent at least a v1 header's
 * worth (24 bytes) and received not one byte: the peer may be a v1 node
 * that hung up on our key, and a new connection with v1 is worth a try.
 * Core's ShouldReconnectV1: "We only reconnect in the very first state and
 * when the receive buffer is empty ... Check if we've sent enough for the
 * other side to disconnect us (if it was V1)". Ask once the connection is
 * over. */
bool btc_hs_v2_peer_silent(const struct btc_hs *hs);

/* ---- addresses (btc/addr.h) ---- */

/* True when the peer sent sendaddrv2 between its version and its verack
 * (BIP 155; Core: "peer.m_wants_addrv2 = true"). */
bool btc_hs_peer_sendaddrv2(const struct btc_hs *hs);

/* An initiator with cfg.getaddr whose handshake is done and whose
 * getaddr_wait_ns has not run out, and the connection still open: the
 * answer may still be coming. False otherwise. btc_hs_expiry includes the
 * wait's end. */
bool btc_hs_getaddr_waiting(const struct btc_hs *hs);

/* The entries kept in cfg.addr_store so far, *n of them (NULL, 0 without a
 * store). */
const struct btc_addr *btc_hs_addrs(const struct btc_hs *hs, size_t *n);

/* The counts of addr and addrv2 in and out. */
const struct btc_addr_tally *btc_hs_addr_tally(const struct btc_hs *hs);

/* Queue a message of our own (used after the handshake and by tools),
 * logged as a SENT event. PS_ERR_NOBUF when the queue is full,
 * PS_ERR_INVALID_STATE before the transport can carry messages. PS_OK
 * with nothing queued once a switch stopped our output (silent, v2 key-only
 * and the like). */
PS_MUST_CHECK int btc_hs_send(struct btc_hs *hs, const struct btc_msg *m);

#endif
