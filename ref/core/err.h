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
};

/* A short, stable, lower-case name for code ("need-more", "bad-checksum");
 * used in JSON output and as error tokens. Never NULL. */
const char *ps_errname(int code);

/* A one-line English description of code. Never NULL. */
const char *ps_strerror(int code);

#endif
