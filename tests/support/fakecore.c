#include "fakecore.h"

#include <stdio.h>
#include <string.h>

#include "testutil.h"

/* ---- the log ---- */

void tu_fake_mark(struct tu_fake_log *log, char c)
{
	if (c == 'e' && log->n && log->seq[log->n - 1] == 'e')
		return;
	assert_true(log->n + 1 < sizeof(log->seq));
	log->seq[log->n++] = c;
	log->seq[log->n] = 0;
}

size_t tu_fake_count(const struct tu_fake_log *log, char c)
{
	size_t k = 0;

	for (size_t i = 0; i < log->n; i++)
		k += log->seq[i] == c;
	return k;
}

long tu_fake_pos(const struct tu_fake_log *log, char c)
{
	const char *p = strchr(log->seq, c);

	return p ? p - log->seq : -1;
}

bool tu_event_equal(const struct net_event *a, const struct net_event *b)
{
	if (a->kind != b->kind || strcmp(a->msg, b->msg) != 0 || a->length != b->length ||
	    a->bytes != b->bytes || a->err != b->err || a->has_nonce != b->has_nonce ||
	    a->nonce != b->nonce)
		return false;
	if (!a->note || !b->note)
		return a->note == b->note;
	return strcmp(a->note, b->note) == 0;
}

/* ---- events ---- */

/* Into the ring, keeping the last slot for the one SUCCESS or FAILED. */
static void push(struct tu_fake *f, enum net_ev_kind kind, const char *msg, size_t len, int err,
		 const char *note)
{
	bool final = kind == NET_EV_SUCCESS || kind == NET_EV_FAILED;
	struct net_event *e;

	if (f->ev_count >= TU_FAKE_EVENTS - (final ? 0 : 1)) {
		f->ev_lost++;
		f->log->lost++;
		return;
	}
	e = &f->ev[(f->ev_head + f->ev_count++) % TU_FAKE_EVENTS];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	snprintf(e->msg, sizeof(e->msg), "%.*s", (int)len, msg ? msg : "");
	e->length = msg ? len : 0;
	e->bytes = msg ? len + 1 : 0;
	e->err = err;
	e->note = note;
	if (f->cfg.nonces && (kind == NET_EV_SENT || kind == NET_EV_RECV) &&
	    (strcmp(e->msg, "ping") == 0 || strcmp(e->msg, "pong") == 0)) {
		e->has_nonce = true;
		e->nonce = TU_FAKE_NONCE;
	}
	assert_true(f->log->nkept < TU_FAKE_LOG_EVENTS);
	f->log->kept[f->log->nkept++] = *e;
}

/* Queue line (with its newline) and say so. */
static void queue(struct tu_fake *f, const char *line)
{
	size_t n = strlen(line);

	assert_true(f->out_len + n <= sizeof(f->out));
	memcpy(f->out + f->out_len, line, n);
	f->out_len += n;
	push(f, NET_EV_SENT, line, n - 1, PS_OK, NULL);
}

static void succeed(struct tu_fake *f)
{
	if (f->outcome != PS_PENDING)
		return;
	f->outcome = PS_SUCCESS;
	push(f, NET_EV_SUCCESS, NULL, 0, PS_OK, NULL);
}

/* A pending exchange fails; after success the input ends (a disconnect).
 * Either way no more input is taken. Returns err. */
static int end_with(struct tu_fake *f, int err, const char *note)
{
	if (f->outcome == PS_PENDING) {
		f->outcome = PS_FAILED;
		f->err = err;
		f->note = note;
		push(f, NET_EV_FAILED, NULL, 0, err, note);
	} else if (!f->closed) {
		f->note = note;
		push(f, NET_EV_DISCONNECT, NULL, 0, err, note);
	}
	f->closed = true;
	return err;
}

/* ---- the ops ---- */

static int fake_start(void *core, const struct net_session *s, uint64_t now_ns, uint64_t timeout_ns)
{
	struct tu_fake *f = core;
	unsigned burst = f->cfg.burst ? f->cfg.burst : 1;

	f->log->starts++;
	tu_fake_mark(f->log, 's');
	f->log->now_ns = now_ns;
	f->log->timeout_ns = timeout_ns;
	/* started only once the connection is up */
	assert_int_equal(s->state, NET_SESS_OPEN);
	assert_true(s->fd >= 0);
	f->mode = f->cfg.mode;
	if (f->mode == TU_FAKE_BY_ROLE)
		f->mode = s->outbound ? TU_FAKE_PINGER : TU_FAKE_PONGER;
	if (f->mode == TU_FAKE_START_FAIL)
		return PS_ERR_INVALID_ARG;
	f->outcome = PS_PENDING;
	f->expiry = UINT64_MAX;
	if (f->cfg.expiry_in)
		f->expiry = now_ns + f->cfg.expiry_in;
	if (f->cfg.expiry_from_timeout)
		f->expiry = now_ns + timeout_ns;
	if (f->mode == TU_FAKE_PINGER)
		for (unsigned i = 0; i < burst; i++)
			queue(f, "ping\n");
	return PS_OK;
}

/* One whole line (without its newline) arrived. */
static void on_line(struct tu_fake *f, const char *line, size_t len)
{
	unsigned rounds = f->cfg.rounds ? f->cfg.rounds : 1;

	if (f->mode == TU_FAKE_PINGER && strcmp(line, "pong") == 0) {
		push(f, NET_EV_RECV, line, len, PS_OK, NULL);
		f->log->pongs++;
		if (++f->pongs < rounds) {
			queue(f, "ping\n");
			return;
		}
		if (f->pongs > rounds)
			return;
		succeed(f);
		if (f->cfg.extra_ping)
			queue(f, "ping\n");
		if (f->cfg.late_ping_in)
			f->late_at = f->now_ns + f->cfg.late_ping_in;
		if (f->cfg.junk_after_success)
			queue(f, "junk\n");
		return;
	}
	if (f->mode == TU_FAKE_PONGER && strcmp(line, "ping") == 0) {
		push(f, NET_EV_RECV, line, len, PS_OK, NULL);
		f->log->pings++;
		if (!f->cfg.answers || f->answered < f->cfg.answers) {
			f->answered++;
			queue(f, "pong\n");
		}
		succeed(f);
		return;
	}
	if (f->outcome == PS_PENDING)
		push(f, NET_EV_DROPPED, line, len, PS_ERR_PROTOCOL, TU_FAKE_NOTE_UNEXPECTED);
	(void)end_with(f, PS_ERR_PROTOCOL, TU_FAKE_NOTE_UNEXPECTED);
}

static int fake_input(void *core, uint64_t now_ns, const uint8_t *data, size_t len)
{
	struct tu_fake *f = core;
	struct tu_fake_log *log = f->log;
	int ret = PS_OK;

	f->now_ns = now_ns;
	log->inputs++;
	assert_true(len > 0);
	for (size_t i = 0; i < len && log->got_len + 1 < sizeof(log->got); i++)
		log->got[log->got_len++] = (char)data[i];
	/* the session stops reading once the core says it has ended */
	assert_false(f->closed);
	if (f->mode == TU_FAKE_SILENT)
		return PS_OK;
	if (f->mode == TU_FAKE_FAIL_INPUT)
		return end_with(f, PS_ERR_PROTOCOL, TU_FAKE_NOTE_REFUSED);
	for (size_t i = 0; i < len && !f->closed; i++) {
		if (data[i] != '\n') {
			if (f->in_len + 1 >= sizeof(f->in)) {
				ret = end_with(f, PS_ERR_TOO_LARGE, TU_FAKE_NOTE_TOO_LONG);
				break;
			}
			f->in[f->in_len++] = (char)data[i];
			continue;
		}
		f->in[f->in_len] = 0;
		on_line(f, f->in, f->in_len);
		f->in_len = 0;
		if (f->closed)
			ret = PS_ERR_PROTOCOL;
	}
	return ret;
}

static bool fake_next_event(void *core, struct net_event *ev)
{
	struct tu_fake *f = core;

	if (!f->ev_count)
		return false;
	*ev = f->ev[f->ev_head];
	f->ev_head = (f->ev_head + 1) % TU_FAKE_EVENTS;
	f->ev_count--;
	return true;
}

static size_t fake_output(void *core, const uint8_t **p)
{
	struct tu_fake *f = core;

	*p = f->out;
	return f->out_len;
}

static void fake_consume(void *core, size_t n)
{
	struct tu_fake *f = core;

	assert_true(n <= f->out_len);
	memmove(f->out, f->out + n, f->out_len - n);
	f->out_len -= n;
}

static uint64_t fake_expiry(void *core)
{
	struct tu_fake *f = core;

	if (f->outcome == PS_PENDING)
		return f->expiry;
	return f->late_at && !f->closed ? f->late_at : UINT64_MAX;
}

static void fake_handle_expiry(void *core, uint64_t now_ns)
{
	struct tu_fake *f = core;

	if (f->outcome == PS_PENDING && now_ns >= f->expiry)
		(void)end_with(f, PS_ERR_TIMEOUT, TU_FAKE_NOTE_DEADLINE);
	if (f->outcome == PS_SUCCESS && !f->closed && f->late_at && now_ns >= f->late_at) {
		f->late_at = 0;
		f->log->late_ns = now_ns;
		queue(f, "ping\n");
	}
}

static void fake_close(void *core, int reason)
{
	struct tu_fake *f = core;

	f->log->closes++;
	f->log->close_reason = reason;
	tu_fake_mark(f->log, 'k');
	if (f->outcome == PS_PENDING)
		(void)end_with(f, reason, TU_FAKE_NOTE_CLOSED);
	f->closed = true;
	f->out_len = 0;
}

static enum ps_outcome fake_outcome(void *core, int *err)
{
	struct tu_fake *f = core;

	*err = f->err;
	return f->outcome;
}

static bool fake_ended(void *core)
{
	struct tu_fake *f = core;

	return f->closed || f->outcome == PS_FAILED;
}

static const char *fake_note(void *core)
{
	struct tu_fake *f = core;

	return f->note;
}

static const char *fake_waiting_for(void *core)
{
	static const char *const pongs[] = { TU_FAKE_WAIT_PONG, TU_FAKE_WAIT_PONG_SECOND,
					     "third pong" };
	struct tu_fake *f = core;

	if (f->outcome != PS_PENDING || f->closed)
		return NULL;
	switch (f->mode) {
	case TU_FAKE_PINGER:
		return pongs[f->pongs < 3 ? f->pongs : 2];
	case TU_FAKE_PONGER:
	case TU_FAKE_FAIL_INPUT:
		return TU_FAKE_WAIT_PING;
	case TU_FAKE_SILENT:
	case TU_FAKE_BY_ROLE:
	case TU_FAKE_START_FAIL:
	default:
		return NULL;
	}
}

static uint64_t fake_events_lost(void *core)
{
	struct tu_fake *f = core;

	return f->ev_lost;
}

static void fake_release(void *core)
{
	struct tu_fake *f = core;

	f->log->releases++;
	tu_fake_mark(f->log, 'x');
}

const struct net_core_ops tu_fake_ops = {
	.start = fake_start,
	.input = fake_input,
	.next_event = fake_next_event,
	.output = fake_output,
	.consume = fake_consume,
	.expiry = fake_expiry,
	.handle_expiry = fake_handle_expiry,
	.close = fake_close,
	.outcome = fake_outcome,
	.ended = fake_ended,
	.note = fake_note,
	.waiting_for = fake_waiting_for,
	.events_lost = fake_events_lost,
	.release = fake_release,
};

void tu_fake_init(struct tu_fake *f, const struct tu_fake_cfg *cfg, struct tu_fake_log *log)
{
	assert_non_null(log);
	assert_true(cfg->rounds <= 3);
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	f->log = log;
	f->mode = cfg->mode;
	f->outcome = PS_PENDING;
	f->expiry = UINT64_MAX;
}
