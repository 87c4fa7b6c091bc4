#include "net/btc_session.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 16384
#define DRAIN_NS   (1000u * 1000000u) /* at most 1 s to flush the last bytes */

/* The outcome is known: tell the caller once. */
static void report(struct btc_session *s, enum btc_outcome o, int err, uint64_t now_ns)
{
	if (s->reported)
		return;
	s->reported = true;
	s->outcome = o;
	s->err = err;
	s->end_ns = now_ns;
	s->ops->on_result(s->ctx, s);
}

/* Close and hand the session back; the caller may free s in on_done, so
 * nothing here or in any caller reads s after this returns. */
static void finish(struct btc_session *s, uint64_t now_ns)
{
	if (s->state == BTC_SESS_DONE)
		return;
	if (!s->reported) {
		enum btc_outcome o = btc_hs_outcome(&s->hs);
		if (s->state == BTC_SESS_CONNECTING || o == BTC_PENDING)
			o = BTC_FAILED;
		report(s, o, s->err ? s->err : s->hs.err, now_ns);
	}
	s->state = BTC_SESS_DONE;
	if (s->watch_id >= 0)
		net_watch_del(s->loop, s->watch_id);
	s->watch_id = -1;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->ops->on_done(s->ctx, s);
}

static void drain_events(struct btc_session *s)
{
	struct btc_event ev;

	while (btc_hs_next_event(&s->hs, &ev))
		s->ops->on_event(s->ctx, s, &ev);
}

/* Write what the core has queued. PS_OK (possibly partial) or an error. */
static int flush(struct btc_session *s)
{
	const uint8_t *p;
	size_t n;

	while ((n = btc_hs_output(&s->hs, &p)) > 0) {
		ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return PS_OK;
			if (errno == EINTR)
				continue;
			return net_errno_to_ps(errno);
		}
		btc_hs_consume(&s->hs, (size_t)w);
	}
	return PS_OK;
}

/* After anything happened: report a new outcome, pick the next state, and
 * wait for what that state needs. Returns false when the session finished
 * (s is gone). */
static bool advance(struct btc_session *s, uint64_t now_ns)
{
	const uint8_t *p;
	short events = POLLIN;
	enum btc_outcome o = btc_hs_outcome(&s->hs);
	bool pending_out;

	if (s->state == BTC_SESS_OPEN && o != BTC_PENDING) {
		report(s, o, o == BTC_SUCCESS ? PS_OK : s->hs.err, now_ns);
		if (o == BTC_SUCCESS && s->linger_ns) {
			s->state = BTC_SESS_LINGER;
			s->linger_until = now_ns + s->linger_ns;
		} else {
			s->state = BTC_SESS_DRAINING;
			s->linger_until = now_ns + DRAIN_NS;
		}
	}
	if (s->state == BTC_SESS_LINGER && s->hs.state == BTC_HS_CLOSED) {
		/* the peer closed, or broke a post-handshake rule */
		s->state = BTC_SESS_DRAINING;
		s->linger_until = now_ns + DRAIN_NS;
	}
	pending_out = btc_hs_output(&s->hs, &p) > 0;
	if (s->state == BTC_SESS_DRAINING && (!pending_out || now_ns >= s->linger_until)) {
		finish(s, now_ns);
		return false;
	}
	if (s->state == BTC_SESS_LINGER && now_ns >= s->linger_until) {
		finish(s, now_ns);
		return false;
	}
	if (pending_out)
		events |= POLLOUT;
	if (s->state == BTC_SESS_DRAINING)
		events = POLLOUT;
	net_watch_set_events(s->loop, s->watch_id, events);
	net_watch_set_deadline(s->loop, s->watch_id,
			       s->state == BTC_SESS_OPEN ? btc_hs_expiry(&s->hs) : s->linger_until);
	return true;
}

static void fail_early(struct btc_session *s, int err, uint64_t now_ns)
{
	s->err = err;
	report(s, BTC_FAILED, err, now_ns);
	finish(s, now_ns);
}

static void hs_start(struct btc_session *s, uint64_t now_ns)
{
	struct btc_hs_config cfg = s->cfg;
	int r;

	s->connected_ns = now_ns;
	net_sock_local(s->local, s->fd);
	cfg.timeout_ns = s->deadline_ns > now_ns ? s->deadline_ns - now_ns : 1;
	cfg.unix_time = (int64_t)time(NULL);
	cfg.peer.services = 0;
	net_addr_ip16(cfg.peer.ip, &s->addr);
	cfg.peer.port = net_addr_port(&s->addr);
	s->cfg = cfg;
	s->state = BTC_SESS_OPEN;
	if (s->ops->on_connected)
		s->ops->on_connected(s->ctx, s);
	r = btc_hs_init(&s->hs, s->outbound ? BTC_INITIATOR : BTC_RESPONDER, &s->cfg, now_ns);
	if (r != PS_OK) {
		fail_early(s, r, now_ns);
		return;
	}
	drain_events(s);
	if ((r = flush(s)) != PS_OK)
		btc_hs_close(&s->hs, r);
	drain_events(s);
	(void)advance(s, now_ns);
}

/* Read what is there into the core. A few reads per turn keep one fast
 * peer from starving the rest. */
static void on_readable(struct btc_session *s, uint64_t now_ns)
{
	uint8_t buf[READ_CHUNK];

	for (int i = 0; i < 4 && s->hs.state != BTC_HS_CLOSED; i++) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			/* an error ends the core's handshake; advance() sees it */
			if (btc_hs_input(&s->hs, now_ns, buf, (size_t)n) != PS_OK)
				s->err = s->hs.err;
			drain_events(s);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		btc_hs_close(&s->hs, n == 0 ? PS_ERR_CLOSED : net_errno_to_ps(errno));
		drain_events(s);
		if (s->state != BTC_SESS_OPEN) {
			/* closed while lingering or draining: nothing left to send */
			s->state = BTC_SESS_DRAINING;
			s->linger_until = now_ns;
		}
		return;
	}
}

static void on_io(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct btc_session *s = ctx;
	int r;

	(void)loop;
	if (s->state == BTC_SESS_CONNECTING) {
		if (revents == 0)
			fail_early(s, PS_ERR_TIMEOUT, now_ns);
		else if ((r = net_sock_error(s->fd)) != PS_OK)
			fail_early(s, r, now_ns);
		else
			hs_start(s, now_ns);
		return;
	}
	if (revents == 0 && s->state == BTC_SESS_OPEN) {
		btc_hs_handle_expiry(&s->hs, now_ns);
		drain_events(s);
	}
	if (revents & (POLLIN | POLLHUP | POLLERR))
		on_readable(s, now_ns);
	if (s->state != BTC_SESS_DRAINING || s->linger_until > now_ns) {
		if ((r = flush(s)) != PS_OK) {
			btc_hs_close(&s->hs, r);
			drain_events(s);
			if (s->state != BTC_SESS_OPEN) {
				s->state = BTC_SESS_DRAINING;
				s->linger_until = now_ns;
			}
		}
	}
	(void)advance(s, now_ns);
}

static int session_setup(struct btc_session *s, struct net_loop *loop,
			 const struct sockaddr_storage *addr, const struct btc_hs_config *cfg,
			 uint64_t linger_ns, const struct btc_session_ops *ops, void *ctx)
{
	void *user = s->user;

	memset(s, 0, sizeof(*s));
	s->user = user;
	s->loop = loop;
	s->fd = -1;
	s->watch_id = -1;
	s->addr = *addr;
	net_addr_format(s->name, addr);
	s->cfg = *cfg;
	s->linger_ns = linger_ns;
	s->ops = ops;
	s->ctx = ctx;
	s->outcome = BTC_PENDING;
	s->start_ns = net_now_ns();
	s->deadline_ns = cfg->timeout_ns ? s->start_ns + cfg->timeout_ns : UINT64_MAX;
	return PS_OK;
}

int btc_session_connect(struct btc_session *s, struct net_loop *loop,
			const struct sockaddr_storage *addr, const struct btc_hs_config *cfg,
			uint64_t linger_ns, const struct btc_session_ops *ops, void *ctx)
{
	int r;

	(void)session_setup(s, loop, addr, cfg, linger_ns, ops, ctx);
	s->outbound = true;
	s->state = BTC_SESS_CONNECTING;
	r = net_sock_connect(&s->fd, addr);
	if (r != PS_OK) {
		fail_early(s, r, net_now_ns());
		return PS_OK;
	}
	s->watch_id = net_watch_add(loop, s->fd, POLLOUT, s->deadline_ns, on_io, s);
	if (s->watch_id < 0) {
		fail_early(s, PS_ERR_NOMEM, net_now_ns());
		return PS_ERR_NOMEM;
	}
	return PS_OK;
}

int btc_session_accept(struct btc_session *s, struct net_loop *loop, int fd,
		       const struct sockaddr_storage *addr, const struct btc_hs_config *cfg,
		       uint64_t linger_ns, const struct btc_session_ops *ops, void *ctx)
{
	(void)session_setup(s, loop, addr, cfg, linger_ns, ops, ctx);
	s->outbound = false;
	s->fd = fd;
	s->watch_id = net_watch_add(loop, fd, POLLIN, s->deadline_ns, on_io, s);
	if (s->watch_id < 0) {
		fail_early(s, PS_ERR_NOMEM, net_now_ns());
		return PS_ERR_NOMEM;
	}
	hs_start(s, net_now_ns());
	return PS_OK;
}

void btc_session_abort(struct btc_session *s, int reason)
{
	uint64_t now = net_now_ns();

	if (s->state == BTC_SESS_DONE)
		return;
	if (s->state == BTC_SESS_CONNECTING) {
		fail_early(s, reason, now);
		return;
	}
	btc_hs_close(&s->hs, reason);
	drain_events(s);
	finish(s, now);
}
