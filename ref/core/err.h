/*
 * err.h - the one flat, negative error space of peershake.
 *
 * Every fallible function of every layer returns 0 (PS_OK) or one of these.
 * "Need more bytes" (PS_ERR_NEED_MORE) is not "malformed" (PS_ERR_MALFORMED)
 * is not "too large" (PS_ERR_TOO_LARGE): a stream parser waits on the first,
 * fails the connection on the others.
 */
#ifndef PS_CORE_ERR_H
#define PS_CORE_ERR_H

#define PS_MUST_CHECK __attribute__((warn_unused_result))

enum {
	PS_OK = 0,

	/* parsing */
	PS_ERR_NEED_MORE = -1,	  /* input ends before the item does; retry with more */
	PS_ERR_MALFORMED = -2,	  /* input can never parse (bad encoding, bad field) */
	PS_ERR_TOO_LARGE = -3,	  /* a declared length exceeds the limit */
	PS_ERR_BAD_MAGIC = -4,	  /* Bitcoin message start is not the network's */
	PS_ERR_BAD_CHECKSUM = -5, /* Bitcoin payload checksum mismatch */
	PS_ERR_BAD_COMMAND = -6,  /* Bitcoin command not printable ASCII + NUL padding */
	PS_ERR_NONCANONICAL = -7, /* CompactSize not in its shortest form */
	PS_ERR_TRAILING = -8,	  /* bytes left after a fixed-layout payload */

	/* buffers and arguments */
	PS_ERR_NOBUF = -20,	    /* output buffer or queue too small */
	PS_ERR_INVALID_ARG = -21,   /* caller passed a value outside the contract */
	PS_ERR_INVALID_STATE = -22, /* call not allowed in the current state */
	PS_ERR_UNSUPPORTED = -23,   /* valid, but not something this build implements */
	PS_ERR_NOMEM = -24,	    /* allocation failed */

	/* handshakes */
	PS_ERR_OBSOLETE_VERSION = -40, /* peer's protocol version below the minimum */
	PS_ERR_SELF_CONNECT = -41,     /* peer's version nonce is one of ours */
	PS_ERR_PROTOCOL = -42,	       /* peer broke the handshake's rules */
	PS_ERR_TIMEOUT = -43,	       /* deadline passed */
	PS_ERR_CLOSED = -44,	       /* peer closed the connection */
	PS_ERR_MISSING_SERVICES = -45, /* outbound peer lacks the services we require */
	PS_ERR_V2_HANDSHAKE = -46,     /* peer speaks BIP324 v2 where we speak v1 only */

	/* crypto and Noise */
	PS_ERR_DECRYPT = -60,	      /* AEAD tag did not verify */
	PS_ERR_DH = -61,	      /* X25519 gave the all-zero (low-order) result */
	PS_ERR_NONCE_EXHAUSTED = -62, /* CipherState nonce reached 2^64-1 */
	PS_ERR_CRYPTO = -63,	      /* the crypto library failed otherwise */
	PS_ERR_BAD_SIZE = -64,	      /* Noise message not of the exact expected size */
	PS_ERR_ECHO_MISMATCH = -65,   /* Noise transport echo differs from what was sent */

	/* system (net and cli layers) */
	PS_ERR_SYSTEM = -80,	    /* a system call failed; errno tells why */
	PS_ERR_REFUSED = -81,	    /* TCP connection refused */
	PS_ERR_UNREACHABLE = -82,   /* no route, network unreachable */
	PS_ERR_DNS = -83,	    /* name resolution failed */
	PS_ERR_DNS_EMPTY = -84,	    /* name resolved to no addresses */
	PS_ERR_NO_LOCAL_PORT = -85, /* no local port (or address) free to connect from */
	PS_ERR_FAMILY = -86,	    /* the source address is of the other family */
	PS_ERR_EVICTED = -87,	    /* a full listener closed it to make room (net/admit.h) */
	PS_ERR_STOPPED = -88,	    /* we ended it: the run was stopped (a signal, --count) */

	/* a SOCKS5 proxy (core/socks5.h): each is the proxy's failure, never
	 * the peer's. -100..-108: the CONNECT reply's REP (RFC 1928 section 6),
	 * -109..-116: Tor's extended REP codes 0xF0..0xF7 (tor's
	 * socks-extensions.txt, as Core's Socks5ErrorString names them). */
	PS_ERR_PROXY_GENERAL = -100,		 /* REP 1: general SOCKS server failure */
	PS_ERR_PROXY_NOT_ALLOWED = -101,	 /* REP 2: connection not allowed by ruleset */
	PS_ERR_PROXY_NET_UNREACH = -102,	 /* REP 3: network unreachable */
	PS_ERR_PROXY_HOST_UNREACH = -103,	 /* REP 4: host unreachable */
	PS_ERR_PROXY_REFUSED = -104,		 /* REP 5: connection refused (by the target) */
	PS_ERR_PROXY_TTL_EXPIRED = -105,	 /* REP 6: TTL expired */
	PS_ERR_PROXY_CMD_UNSUPPORTED = -106,	 /* REP 7: command not supported */
	PS_ERR_PROXY_ATYP_UNSUPPORTED = -107,	 /* REP 8: address type not supported */
	PS_ERR_PROXY_UNASSIGNED = -108,		 /* REP 9..0xEF, 0xF8..0xFF: unassigned */
	PS_ERR_PROXY_ONION_NOT_FOUND = -109,	 /* REP 0xF0: onion descriptor not found */
	PS_ERR_PROXY_ONION_INVALID = -110,	 /* REP 0xF1: onion descriptor invalid */
	PS_ERR_PROXY_ONION_INTRO_FAILED = -111,	 /* REP 0xF2: introduction failed */
	PS_ERR_PROXY_ONION_REND_FAILED = -112,	 /* REP 0xF3: rendezvous failed */
	PS_ERR_PROXY_ONION_AUTH_MISSING = -113,	 /* REP 0xF4: client authorization missing */
	PS_ERR_PROXY_ONION_AUTH_WRONG = -114,	 /* REP 0xF5: client authorization wrong */
	PS_ERR_PROXY_ONION_BAD_ADDRESS = -115,	 /* REP 0xF6: invalid onion address */
	PS_ERR_PROXY_ONION_INTRO_TIMEOUT = -116, /* REP 0xF7: introduction timed out */
	PS_ERR_PROXY_NO_METHOD = -117,		 /* method 0xFF: none of ours acceptable */
	PS_ERR_PROXY_AUTH = -118,		 /* RFC 1929 STATUS not 0: auth failed */
	PS_ERR_PROXY_CLOSED = -119,		 /* the proxy closed mid-negotiation */
	PS_ERR_PROXY_BAD_REPLY = -120,		 /* a reply that breaks RFC 1928/1929 */
	PS_ERR_PROXY_TIMEOUT = -121,		 /* the deadline passed in the proxy phase */
	PS_ERR_PROXY_UNAVAILABLE = -122,	 /* no TCP connection to the proxy itself */
};

/* A short, stable, lower-case name for code ("need-more", "bad-checksum");
 * used in JSON output and as error tokens. Never NULL. */
const char *ps_errname(int code);

/* A one-line English description of code. Never NULL. */
const char *ps_strerror(int code);

#endif
