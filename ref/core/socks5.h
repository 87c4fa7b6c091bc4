/*
 * socks5.h - the client side of SOCKS Protocol Version 5 (RFC 1928) with
 * Username/Password Authentication (RFC 1929), sans-I/O: the proxy phase
 * a session runs before its protocol core starts (net/session.h).
 *
 *   client                                   proxy
 *   -> greeting     VER 5 | NMETHODS | METHODS
 *                                            <- method   VER 5 | METHOD
 *   -> auth         VER 1 | ULEN | UNAME | PLEN | PASSWD      (method 2 only)
 *                                            <- status   VER 1 | STATUS
 *   -> connect      VER 5 | CMD 1 | RSV 0 | ATYP | DST.ADDR | DST.PORT
 *                                            <- reply    VER 5 | REP | RSV 0 |
 *                                                        ATYP | BND.ADDR | BND.PORT
 *
 * The shape of core/contract.h without time: socks5_input (bytes in),
 * socks5_next_event (events out), socks5_output / socks5_consume (bytes to
 * send), and the accessors. It has no clock: the session's deadline covers
 * the proxy phase, and socks5_close(PS_ERR_TIMEOUT) applies it. Two
 * differences from the contract, both because the bytes after the reply
 * belong to the tunnel, not to SOCKS:
 *  - socks5_input takes bytes only up to the end of the CONNECT reply and
 *    says how many it took (*used); what follows is the peer's;
 *  - socks5_want says how many more bytes the current reply can take at
 *    most, so a caller that reads no more than that never reads the
 *    peer's bytes into the proxy phase.
 *
 * Every reply is parsed validate-first: nothing is judged until the whole
 * reply is in (the CONNECT reply's length is known from its ATYP and, for
 * a name, its length byte), and a reply that breaks the RFCs fails with
 * PS_ERR_PROXY_BAD_REPLY. Every failure is a PS_ERR_PROXY_* (core/err.h):
 * a failure of the proxy is never reported as one of the peer. The
 * credentials are copied in at init and wiped by socks5_wipe.
 */
#ifndef PS_CORE_SOCKS5_H
#define PS_CORE_SOCKS5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/contract.h"
#include "core/err.h"

#define SOCKS5_VERSION	    5
#define SOCKS5_AUTH_VERSION 1 /* RFC 1929's subnegotiation version */

/* METHOD values (RFC 1928 section 3) */
#define SOCKS5_METHOD_NONE	 0x00
#define SOCKS5_METHOD_USERPASS	 0x02
#define SOCKS5_METHOD_UNACCEPTED 0xff

#define SOCKS5_CMD_CONNECT 1

/* ATYP values (RFC 1928 section 5) */
#define SOCKS5_ATYP_IPV4   1
#define SOCKS5_ATYP_DOMAIN 3
#define SOCKS5_ATYP_IPV6   4

#define SOCKS5_NAME_MAX 255 /* a one-byte length */
#define SOCKS5_CRED_MAX 255 /* ULEN, PLEN: one byte each */

/* The longest messages: greeting 2 + 2 methods; auth 3 + 255 + 255;
 * connect and reply 4 + 1 + 255 + 2. */
#define SOCKS5_REPLY_MAX 262
#define SOCKS5_OUTBUF	 (4 + 513 + 262)
#define SOCKS5_EVENTS	 8

/* An address as SOCKS carries it: DST of a request, BND of a reply. */
struct socks5_addr {
	uint8_t atyp;		       /* SOCKS5_ATYP_* */
	uint8_t addr[SOCKS5_NAME_MAX]; /* 4 or 16 bytes, or the name (no NUL) */
	size_t len;		       /* 4, 16, or 0..255 for a name */
	uint16_t port;
};

struct socks5_config {
	struct socks5_addr dest; /* a name goes as ATYP 3, unresolved */
	/* RFC 1929 credentials, 1..255 bytes each, both or neither (NULL,
	 * 0): with them methods 0 and 2 are offered, without only 0 */
	const uint8_t *user;
	size_t user_len;
	const uint8_t *pass;
	size_t pass_len;
};

/* The messages of the exchange, in order. */
enum socks5_msg {
	SOCKS5_MSG_GREETING,	/* sent: the methods we offer */
	SOCKS5_MSG_METHOD,	/* received: the method the proxy chose */
	SOCKS5_MSG_AUTH,	/* sent: RFC 1929 username/password */
	SOCKS5_MSG_AUTH_STATUS, /* received: RFC 1929 status */
	SOCKS5_MSG_CONNECT,	/* sent: CONNECT to dest */
	SOCKS5_MSG_REPLY,	/* received: the CONNECT reply */
};

enum socks5_ev_type {
	SOCKS5_EV_SENT,	   /* a message went into the output queue */
	SOCKS5_EV_RECV,	   /* a whole reply arrived and was judged */
	SOCKS5_EV_SUCCESS, /* the tunnel is up: bytes from now on are the peer's */
	SOCKS5_EV_FAILED,  /* the proxy phase ended otherwise: err, note */
};

struct socks5_event {
	enum socks5_ev_type type;
	enum socks5_msg msg; /* SENT, RECV */
	size_t bytes;	     /* SENT, RECV: the message's size on the wire */
	/* RECV METHOD: the method; RECV AUTH_STATUS: STATUS; RECV REPLY:
	 * REP; SENT GREETING: how many methods; SENT AUTH: ULEN (the name
	 * and password themselves are never in an event) */
	uint8_t code;
	/* SENT CONNECT: DST; RECV REPLY: BND; else NULL. Points into the
	 * struct socks5 and lives as long as it. */
	const struct socks5_addr *addr;
	int err;	  /* FAILED: the PS_ERR_PROXY_*; RECV of a failing reply too */
	const char *note; /* FAILED: static words on what was wrong, or NULL */
};

enum socks5_state {
	SOCKS5_EXPECT_METHOD,
	SOCKS5_EXPECT_AUTH_STATUS,
	SOCKS5_EXPECT_REPLY,
	SOCKS5_TUNNEL, /* success */
	SOCKS5_FAILED,
};

struct socks5 {
	enum socks5_state state;
	int err;
	const char *note;
	bool offer_userpass;
	uint8_t user[SOCKS5_CRED_MAX], pass[SOCKS5_CRED_MAX];
	size_t user_len, pass_len;
	struct socks5_addr dest, bound;
	uint8_t in[SOCKS5_REPLY_MAX]; /* the reply being read */
	size_t in_len;
	uint8_t rep; /* the CONNECT reply's REP, once read */
	uint8_t out[SOCKS5_OUTBUF];
	size_t out_len;
	struct socks5_event ev[SOCKS5_EVENTS];
	size_t ev_head, ev_len;
	uint64_t bytes_in, bytes_out;
};

/* Set up and queue the greeting. PS_ERR_INVALID_ARG (nothing queued): an
 * ATYP not 1, 3 or 4, an address length not 4, 16 or 1..255 to match it,
 * port 0, credentials of 0 or over 255 bytes or only one of the two. */
PS_MUST_CHECK int socks5_init(struct socks5 *s, const struct socks5_config *cfg);

/* Take up to len bytes of the proxy's replies: *used gets how many were
 * taken, at most up to the end of the CONNECT reply (the rest are the
 * peer's). Returns PS_OK (waiting for more, or the tunnel is up), or the
 * PS_ERR_PROXY_* that ended the phase during this call. After the end:
 * PS_OK, *used 0. */
PS_MUST_CHECK int socks5_input(struct socks5 *s, const uint8_t *data, size_t len, size_t *used);

/* How many more bytes the reply being read can take at most (>= 1 while
 * pending, 0 after the end). */
size_t socks5_want(const struct socks5 *s);

/* true and *ev while events wait, oldest first. */
bool socks5_next_event(struct socks5 *s, struct socks5_event *ev);

/* The bytes waiting to be sent; n of them were sent. */
size_t socks5_output(const struct socks5 *s, const uint8_t **p);
void socks5_consume(struct socks5 *s, size_t n);

/* The connection to the proxy ended (PS_ERR_CLOSED: it closed, becomes
 * PS_ERR_PROXY_CLOSED; PS_ERR_TIMEOUT: the deadline, PS_ERR_PROXY_TIMEOUT;
 * any other reason, a socket error, is PS_ERR_PROXY_CLOSED too, since
 * what broke is the link to the proxy). Nothing after the end. */
void socks5_close(struct socks5 *s, int reason);

/* PENDING, SUCCESS (the tunnel is up) or FAILED. */
enum ps_outcome socks5_outcome(const struct socks5 *s);
/* PS_OK, or the PS_ERR_PROXY_* that ended it. */
int socks5_error(const struct socks5 *s);
bool socks5_ended(const struct socks5 *s);
/* After a failure, static words on what was wrong ("reply version is not
 * 5"), or NULL. */
const char *socks5_note(const struct socks5 *s);
/* What the exchange waits for now ("method selection", "auth status",
 * "connect reply"), or NULL after the end. */
const char *socks5_waiting_for(const struct socks5 *s);
/* BND of the CONNECT reply once it was read (success or a failing REP),
 * else NULL. */
const struct socks5_addr *socks5_bound(const struct socks5 *s);
/* The REP of the CONNECT reply once read, else -1. */
int socks5_reply_code(const struct socks5 *s);
uint64_t socks5_bytes_in(const struct socks5 *s);
uint64_t socks5_bytes_out(const struct socks5 *s);

/* Zero the credentials and the output queue (which held them). */
void socks5_wipe(struct socks5 *s);

/* "greeting", "method", "auth", "auth-status", "connect", "reply". */
const char *socks5_msg_name(enum socks5_msg m);

/* The PS_ERR_PROXY_* of a failing REP (RFC 1928 section 6; Tor's 0xF0..
 * 0xF7), PS_OK for 0. */
int socks5_rep_error(uint8_t rep);

/* ---- the reply decoders (validate first: on error *out is untouched) */

/* The method-selection reply (RFC 1928 section 3), exactly 2 bytes.
 * PS_ERR_NEED_MORE (len < 2), PS_ERR_MALFORMED (VER not 5). */
PS_MUST_CHECK int socks5_method_decode(uint8_t *method, const uint8_t *buf, size_t len);

/* The RFC 1929 status reply, exactly 2 bytes. PS_ERR_NEED_MORE,
 * PS_ERR_MALFORMED (VER not 1). */
PS_MUST_CHECK int socks5_status_decode(uint8_t *status, const uint8_t *buf, size_t len);

/* The CONNECT reply (RFC 1928 section 6) at the start of buf: *rep, *bound
 * and *used (its size: 10, 22, or 7 + the name's length) on PS_OK.
 * PS_ERR_NEED_MORE: buf ends before the reply does (*need, when not NULL,
 * gets the reply's whole size once the header tells it, else the least
 * that can tell it); PS_ERR_MALFORMED: VER not 5, RSV not 0, ATYP not
 * 1, 3 or 4. Bytes after the reply are not looked at. */
PS_MUST_CHECK int socks5_reply_decode(uint8_t *rep, struct socks5_addr *bound, size_t *used,
				      size_t *need, const uint8_t *buf, size_t len);

/* The address as text: "1.2.3.4:80", "[::1]:80", "name:80" (a name's
 * bytes outside printable ASCII as '?'). out holds at least
 * SOCKS5_ADDRSTRLEN bytes. */
#define SOCKS5_ADDRSTRLEN (SOCKS5_NAME_MAX + 8)
void socks5_addr_format(char *out, const struct socks5_addr *a);

#endif
