/*
 * fakecore.h - a fake protocol core behind struct net_core_ops, for the
 * tests of net/session and cli/run: a line protocol small enough to reason
 * about, obeying core/contract.h.
 *
 * The initiator (PINGER) sends "ping\n" and succeeds on "pong\n"; the
 * responder (PONGER) answers every "ping\n" with "pong\n" and succeeds on
 * the first. Events: one SENT per line queued, one RECV per line taken,
 * DROPPED for a line it refuses (then FAILED), DISCONNECT for one it
 * refuses after success, SUCCESS or FAILED at the end; each event's msg is
 * the line without its newline, length the line's length and bytes that
 * plus one; with cfg.nonces the SENT and RECV events of "ping" and "pong"
 * carry TU_FAKE_NONCE as their nonce. The ring holds TU_FAKE_EVENTS and
 * keeps its last slot for the one SUCCESS or FAILED, so a burst of lines
 * loses events (events_lost). With cfg.late_ping_in the pinger sends one
 * more ping that long after its success, from handle_expiry: a core with
 * a timer after success, as Bitcoin's delayed injections.
 *
 * What the core did is recorded in a struct tu_fake_log that outlives it
 * (the core lives in the session's block, freed in on_done); a log may be
 * shared by several cores.
 */
#ifndef PS_TU_FAKECORE_H
#define PS_TU_FAKECORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/session.h"

enum tu_fake_mode {
	TU_FAKE_PINGER,	    /* sends "ping\n", succeeds on "pong\n" */
	TU_FAKE_PONGER,	    /* answers every "ping\n" with "pong\n", succeeds on the first */
	TU_FAKE_BY_ROLE,    /* PINGER when outbound, PONGER when inbound */
	TU_FAKE_FAIL_INPUT, /* any input fails it (PS_ERR_PROTOCOL) */
	TU_FAKE_SILENT,	    /* sends nothing, takes anything, never decides, waits for nothing */
	TU_FAKE_START_FAIL, /* start returns PS_ERR_INVALID_ARG */
};

/* What waiting_for says while pending: PINGER "pong" (then "second pong",
 * "third pong" over rounds), PONGER and FAIL_INPUT "ping", SILENT NULL;
 * NULL once ended. */
#define TU_FAKE_WAIT_PONG	 "pong"
#define TU_FAKE_WAIT_PONG_SECOND "second pong"
#define TU_FAKE_WAIT_PING	 "ping"

/* The notes (core/contract.h: the core's words on why it ended). */
#define TU_FAKE_NOTE_UNEXPECTED "unexpected line"
#define TU_FAKE_NOTE_TOO_LONG	"line too long"
#define TU_FAKE_NOTE_REFUSED	"input refused"
#define TU_FAKE_NOTE_DEADLINE	"deadline passed"
#define TU_FAKE_NOTE_CLOSED	"connection ended"

struct tu_fake_cfg {
	enum tu_fake_mode mode;
	uint64_t expiry_in;	  /* > 0: expire this long after start */
	bool expiry_from_timeout; /* expire when the session's time is up */
	unsigned burst;		  /* pinger: pings queued at start (0: one) */
	unsigned rounds;	  /* pinger: pongs before success, one ping each (0: one; <= 3) */
	unsigned answers;	  /* ponger: pings answered (0: every one) */
	bool extra_ping;	  /* pinger: after success, ping once more */
	bool junk_after_success;  /* pinger: after success, send a line the ponger refuses */
	/* pinger: after success, ping once more this long after it, from
	 * handle_expiry (its expiry says when, as a core that sends late;
	 * UINT64_MAX after success otherwise) */
	uint64_t late_ping_in;
	bool nonces; /* ping and pong events carry TU_FAKE_NONCE */
};

#define TU_FAKE_NONCE UINT64_C(0x0123456789abcdef)

#define TU_FAKE_EVENTS	   8
#define TU_FAKE_LOG_EVENTS 64

struct tu_fake_log {
	/* A trace, one letter a step: the core writes s (start), k (close)
	 * and x (release); a test adds its own with tu_fake_mark. */
	char seq[128];
	size_t n;
	int starts, inputs, closes, close_reason, releases;
	int pings, pongs;	     /* lines taken, every core of the log */
	uint64_t now_ns, timeout_ns; /* start's arguments (the last start) */
	uint64_t late_ns;	     /* when handle_expiry queued the late ping; 0: never */
	char got[64];		     /* every byte the cores were given */
	size_t got_len;
	/* every event the cores put in their rings, in order, and how many
	 * did not fit */
	struct net_event kept[TU_FAKE_LOG_EVENTS];
	size_t nkept;
	uint64_t lost;
};

struct tu_fake {
	struct tu_fake_cfg cfg;
	struct tu_fake_log *log;
	enum tu_fake_mode mode; /* cfg.mode with BY_ROLE resolved at start */
	enum ps_outcome outcome;
	int err;
	const char *note;
	bool closed; /* takes no more input */
	uint64_t expiry;
	uint64_t now_ns;  /* the last input's time */
	uint64_t late_at; /* the late ping's due time; 0: none pending */
	unsigned pongs, answered;
	char in[64];
	size_t in_len;
	uint8_t out[64];
	size_t out_len;
	struct net_event ev[TU_FAKE_EVENTS];
	unsigned ev_head, ev_count;
	uint64_t ev_lost;
};

extern const struct net_core_ops tu_fake_ops;

/* Set f up (before the session starts it) with cfg, recording into log. */
void tu_fake_init(struct tu_fake *f, const struct tu_fake_cfg *cfg, struct tu_fake_log *log);

/* Append c to the log's trace; a run of 'e' is kept as one. */
void tu_fake_mark(struct tu_fake_log *log, char c);

/* How often c stands in the trace, and where first (-1: nowhere). */
size_t tu_fake_count(const struct tu_fake_log *log, char c);
long tu_fake_pos(const struct tu_fake_log *log, char c);

/* Two events alike in every field (note by its text). */
bool tu_event_equal(const struct net_event *a, const struct net_event *b);

#endif
