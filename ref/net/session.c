#include "net/session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK 16384

static const struct net_shape unshaped; /* all zero: as fast as the socket takes it */
#define DRAIN_NS (1000u * 1000000u)	/* at most 1 s to flush the last bytes */

/* How long a session that is over may hold its socket to flush what it
 * queued: DRAIN_NS, but never past limit (the handshake's deadline, or the
 * end of a linger), so a failure at the deadline with output unsent (a
 * stalled write) closes at once. advance() closes sooner when nothing is
 * left to send. */
static uint64_t drain_until(uint64_t now_ns, uint64_t limit_ns)
{
	uint64_t until = now_ns + DRAIN_NS;

	return limit_ns < until ? (limit_ns > now_ns ? limit_ns : now_ns) : until;
}

/* Hand every event the core has on, once each, in order. While the
 * exchange is pending, remember what it waits for: once it has ended, that
 * is what it was waiting for ("timed out waiting for verack"). */
static void drain(struct net_session *s)
{
	struct net_event ev;
	int err;

	while (s->core_ops->next_event(s->core, &ev))
		s->ops->on_event(s->ctx, s, &ev);
	if (s->core_ops->outcome(s->core, &err) == PS_PENDING)
		s->waiting = s->core_ops->waiting_for(s->core);
}

/* The outcome is known: tell the caller once. */
static void report(struct net_session *s, enum ps_outcome o, int err, uint64_t now_ns)
{
	if (s->reported)
		return;
	s->reported = true;
	s->outcome = o;
	s->err = err;
	if (s->started)
		s->note = s->core_ops->note(s->core);
	s->end_ns = now_ns;
	s->ops->on_result(s->ctx, s);
}

/* The SOCKS5 client is done with: wipe it (the credentials) and free it. */
static void socks_free(struct net_proxy *px)
{
	if (!px || !px->socks)
		return;
	px->rep = socks5_reply_code(px->socks);
	socks5_wipe(px->socks);
	free(px->socks);
	px->socks = NULL;
}

/* Close and hand the session back; the caller may free s in on_done, so
 * nothing here or in any caller reads s after this returns. */
static void finish(struct net_session *s, uint64_t now_ns)
{
	struct net_proxy *px = s->proxy;

	if (s->state == NET_SESS_DONE)
		return;
	if (!s->reported) {
		int err = s->err;
		enum ps_outcome o = PS_FAILED;
		if (s->started)
			o = s->core_ops->outcome(s->core, &err);
		if (o == PS_PENDING)
			o = PS_FAILED;
		report(s, o, err, now_ns);
	}
	s->state = NET_SESS_DONE;
	s->closed_ns = now_ns;
	if (s->started)
		s->core_ops->release(s->core);
	socks_free(px);
	if (s->watch_id >= 0)
		net_watch_del(s->loop, s->watch_id);
	s->watch_id = -1;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->ops->on_done(s->ctx, s);
	free(px); /* on_done may read it; s may be gone now */
}

/* Write what the core has queued, as the shape allows. PS_OK (possibly
 * partial), PS_ERR_CLOSED after a deliberate close mid-message, or an error. */
static int flush(struct net_session *s, uint64_t now_ns)
{
	const struct net_shape *sh = s->shape;
	const uint8_t *p;
	size_t n;

	while (!s->cut && (n = s->core_ops->output(s->core, &p)) > 0) {
		bool shaped = false;
		ssize_t w;

		if (now_ns < s->next_write_ns)
			return PS_OK;
		if (sh->close_mid) {
			/* half of the first message, then we hang up: the half
			 * that went out is counted, and nothing more is sent */
			w = send(s->fd, p, n / 2 ? n / 2 : 1, MSG_NOSIGNAL);
			if (w > 0)
				s->bytes_sent += (uint64_t)w;
			s->cut = true;
			return PS_ERR_CLOSED;
		}
		if (sh->split_at && s->bytes_sent < sh->split_at) {
			size_t left = (size_t)(sh->split_at - s->bytes_sent);
			if (n > left)
				n = left;
			shaped = true;
		}
		if (sh->chunk && n > sh->chunk) {
			n = sh->chunk;
			shaped = true;
		}
		w = send(s->fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return PS_OK;
			if (errno == EINTR)
				continue;
			return net_errno_to_ps(errno);
		}
		s->core_ops->consume(s->core, (size_t)w);
		s->bytes_sent += (uint64_t)w;
		if (shaped || sh->chunk) {
			s->next_write_ns = now_ns + sh->gap_ns;
			if (sh->gap_ns)
				return PS_OK;
		}
	}
	return PS_OK;
}

/* The core failed underneath us (a send or recv error, the peer closing). */
static void core_close(struct net_session *s, int reason, uint64_t now_ns)
{
	s->core_ops->close(s->core, reason);
	drain(s);
	if (s->state != NET_SESS_OPEN) {
		/* closed while lingering or draining: nothing left to send */
		s->state = NET_SESS_DRAINING;
		s->linger_until = now_ns;
	}
}

/* After anything happened: report a new outcome, pick the next state and
 * wait for what that state needs. Returns false when the session finished
 * (s is gone). */
static bool advance(struct net_session *s, uint64_t now_ns)
{
	const uint8_t *p;
	short events = POLLIN;
	int err = PS_OK;
	enum ps_outcome o = s->core_ops->outcome(s->core, &err);
	uint64_t deadline;
	bool pending_out;

	if (s->state == NET_SESS_OPEN && o != PS_PENDING) {
		report(s, o, err, now_ns);
		if (o == PS_SUCCESS && s->linger_ns) {
			s->state = NET_SESS_LINGER;
			s->linger_until = now_ns + s->linger_ns;
		} else {
			s->state = NET_SESS_DRAINING;
			s->linger_until = drain_until(now_ns, s->deadline_ns);
		}
	}
	if (s->state == NET_SESS_LINGER && s->core_ops->ended(s->core)) {
		/* the peer broke a post-handshake rule */
		s->state = NET_SESS_DRAINING;
		s->linger_until = drain_until(now_ns, s->linger_until);
	}
	pending_out = !s->cut && s->core_ops->output(s->core, &p) > 0;
	if ((s->state == NET_SESS_DRAINING && !pending_out) ||
	    (s->state != NET_SESS_OPEN && now_ns >= s->linger_until)) {
		finish(s, now_ns);
		return false;
	}
	deadline = s->state == NET_SESS_OPEN ? s->core_ops->expiry(s->core) : s->linger_until;
	if (s->state == NET_SESS_LINGER) {
		/* a success that lingers still has the core's timer (what it
		 * sends late); one past already was handled in this turn */
		uint64_t e = s->core_ops->expiry(s->core);
		if (e > now_ns && e < deadline)
			deadline = e;
	}
	if (pending_out && now_ns < s->next_write_ns) {
		/* a shaped write waits: wake for it, not for POLLOUT */
		if (s->next_write_ns < deadline)
			deadline = s->next_write_ns;
		pending_out = false;
	}
	if (pending_out)
		events |= POLLOUT;
	if (s->state == NET_SESS_DRAINING)
		events = pending_out ? POLLOUT : 0;
	net_watch_set_events(s->loop, s->watch_id, events);
	net_watch_set_deadline(s->loop, s->watch_id, deadline);
	return true;
}

static void fail_early(struct net_session *s, int err, uint64_t now_ns)
{
	s->err = err;
	report(s, PS_FAILED, err, now_ns);
	finish(s, now_ns);
}

static void core_start(struct net_session *s, uint64_t now_ns)
{
	int r;

	s->connected_ns = now_ns;
	if (s->proxy) {
		/* the peer sees the proxy's end: RFC 1928 section 6, "BND.ADDR
		 * contains the associated IP address" */
		socks5_addr_format(s->proxy->bound, socks5_bound(s->proxy->socks));
		socks_free(s->proxy); /* the credentials are spent */
	} else {
		net_sock_local(s->local_name, s->fd);
	}
	s->state = NET_SESS_OPEN;
	if (s->ops->on_connected)
		s->ops->on_connected(s->ctx, s);
	r = s->core_ops->start(s->core, s, now_ns,
			       s->deadline_ns > now_ns ? s->deadline_ns - now_ns : 1);
	s->started = r == PS_OK;
	if (r != PS_OK) {
		fail_early(s, r, now_ns);
		return;
	}
	drain(s);
	s->next_write_ns = now_ns + s->shape->stall_ns;
	if ((r = flush(s, now_ns)) != PS_OK)
		core_close(s, r, now_ns);
	(void)advance(s, now_ns);
}

/* Read what is there into the core. A few reads per turn keep one fast
 * peer from starving the rest. */
static void on_readable(struct net_session *s, uint64_t now_ns)
{
	uint8_t buf[READ_CHUNK];

	for (int i = 0; i < 4 && !s->core_ops->ended(s->core); i++) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			s->last_recv_ns = now_ns;
			/* an error ends the core's handshake; advance() sees it */
			(void)s->core_ops->input(s->core, now_ns, buf, (size_t)n);
			drain(s);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		s->peer_closed = true;
		core_close(s, n == 0 ? PS_ERR_CLOSED : net_errno_to_ps(errno), now_ns);
		return;
	}
}

/* ---- the proxy phase ---- */

/* Hand the SOCKS5 client's events on; remember what it waits for. */
static void proxy_drain(struct net_session *s)
{
	struct socks5_event ev;

	while (socks5_next_event(s->proxy->socks, &ev))
		if (s->ops->on_proxy_event)
			s->ops->on_proxy_event(s->ctx, s, &ev);
	if (socks5_outcome(s->proxy->socks) == PS_PENDING)
		s->waiting = socks5_waiting_for(s->proxy->socks);
}

/* Write what the SOCKS5 client queued (never shaped: the --bug shapes are
 * the protocol's). PS_OK (possibly partial) or the error. */
static int proxy_flush(struct net_session *s)
{
	const uint8_t *p;
	size_t n;

	while ((n = socks5_output(s->proxy->socks, &p)) > 0) {
		ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return PS_OK;
			if (errno == EINTR)
				continue;
			return net_errno_to_ps(errno);
		}
		socks5_consume(s->proxy->socks, (size_t)w);
	}
	return PS_OK;
}

/* Read the proxy's replies, never more than the one being read can take:
 * what follows the CONNECT reply is the peer's and stays in the socket
 * for the core. */
static void proxy_readable(struct net_session *s)
{
	uint8_t buf[SOCKS5_REPLY_MAX];

	for (int i = 0; i < 8 && !socks5_ended(s->proxy->socks); i++) {
		size_t used, want = socks5_want(s->proxy->socks);
		ssize_t n = recv(s->fd, buf, want < sizeof(buf) ? want : sizeof(buf), 0);

		if (n > 0) {
			/* an error ends the phase; proxy_advance reports it */
			if (socks5_input(s->proxy->socks, buf, (size_t)n, &used) != PS_OK)
				return;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		socks5_close(s->proxy->socks, n == 0 ? PS_ERR_CLOSED : net_errno_to_ps(errno));
		return;
	}
}

/* After anything happened in the proxy phase: fail, start the core once
 * the tunnel is up and our last SOCKS bytes are out, or wait. */
static void proxy_advance(struct net_session *s, uint64_t now_ns)
{
	const uint8_t *p;
	enum ps_outcome o = socks5_outcome(s->proxy->socks);
	bool pending_out = socks5_output(s->proxy->socks, &p) > 0;
	short events = POLLIN;

	if (o == PS_FAILED) {
		s->note = socks5_note(s->proxy->socks); /* static words: outlive the client */
		s->proxy->rep = socks5_reply_code(s->proxy->socks);
		fail_early(s, socks5_error(s->proxy->socks), now_ns);
		return;
	}
	if (o == PS_SUCCESS && !pending_out) {
		core_start(s, now_ns);
		return;
	}
	if (o == PS_SUCCESS)
		events = 0; /* what comes in now is the peer's: the core reads it */
	if (pending_out)
		events |= POLLOUT;
	net_watch_set_events(s->loop, s->watch_id, events);
	net_watch_set_deadline(s->loop, s->watch_id, s->deadline_ns);
}

static void proxy_start(struct net_session *s, uint64_t now_ns)
{
	int r;

	s->proxy->connected_ns = now_ns;
	net_sock_local(s->proxy->local, s->fd);
	s->state = NET_SESS_PROXY;
	if (s->ops->on_proxy_connected)
		s->ops->on_proxy_connected(s->ctx, s);
	proxy_drain(s); /* the greeting, queued at init */
	if ((r = proxy_flush(s)) != PS_OK) {
		socks5_close(s->proxy->socks, r);
		proxy_drain(s);
	}
	proxy_advance(s, now_ns);
}

static void proxy_io(struct net_session *s, short revents, uint64_t now_ns)
{
	int r;

	if (revents == 0) {
		socks5_close(s->proxy->socks, PS_ERR_TIMEOUT);
	} else {
		if ((revents & (POLLIN | POLLHUP | POLLERR)) && !socks5_ended(s->proxy->socks))
			proxy_readable(s);
		if (socks5_outcome(s->proxy->socks) != PS_FAILED && (r = proxy_flush(s)) != PS_OK) {
			if (socks5_outcome(s->proxy->socks) == PS_SUCCESS) {
				/* the reply came before our request was out, then the
				 * link broke: the proxy's failure all the same */
				proxy_drain(s);
				fail_early(s, PS_ERR_PROXY_CLOSED, now_ns);
				return;
			}
			socks5_close(s->proxy->socks, r);
		}
	}
	proxy_drain(s);
	proxy_advance(s, now_ns);
}

static void on_io(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct net_session *s = ctx;
	int r;

	(void)loop;
	if (s->state == NET_SESS_CONNECTING) {
		if (revents == 0) {
			fail_early(s, s->proxy ? PS_ERR_PROXY_TIMEOUT : PS_ERR_TIMEOUT, now_ns);
		} else if ((r = net_sock_error(s->fd)) != PS_OK) {
			if (s->proxy) {
				s->proxy->cause = r;
				r = PS_ERR_PROXY_UNAVAILABLE;
			}
			fail_early(s, r, now_ns);
		} else if (s->proxy) {
			proxy_start(s, now_ns);
		} else {
			core_start(s, now_ns);
		}
		return;
	}
	if (s->state == NET_SESS_PROXY) {
		proxy_io(s, revents, now_ns);
		return;
	}
	if ((revents == 0 && s->state == NET_SESS_OPEN) ||
	    (s->state == NET_SESS_LINGER && now_ns >= s->core_ops->expiry(s->core))) {
		/* what it queues there goes out with the flush below */
		s->core_ops->handle_expiry(s->core, now_ns);
		drain(s);
	}
	if (revents & (POLLIN | POLLHUP | POLLERR))
		on_readable(s, now_ns);
	if (s->state != NET_SESS_DRAINING || s->linger_until > now_ns)
		if ((r = flush(s, now_ns)) != PS_OK)
			core_close(s, r, now_ns);
	(void)advance(s, now_ns);
}

static void setup(struct net_session *s, struct net_loop *loop, const struct sockaddr_storage *addr,
		  const struct net_session_params *p)
{
	void *user = s->user;

	memset(s, 0, sizeof(*s));
	s->user = user;
	s->loop = loop;
	s->fd = -1;
	s->watch_id = -1;
	s->addr = *addr;
	net_addr_format(s->addr_name, addr);
	s->core_ops = p->core_ops;
	s->core = p->core;
	s->shape = p->shape ? p->shape : &unshaped;
	s->linger_ns = p->linger_ns;
	s->ops = p->ops;
	s->ctx = p->ctx;
	s->outcome = PS_PENDING;
	s->start_ns = net_now_ns();
	s->deadline_ns = p->timeout_ns ? s->start_ns + p->timeout_ns : UINT64_MAX;
}

/* The TCP connect of an outbound session, to the peer or to its proxy,
 * and the watcher that sees it complete. A connect that fails at once is
 * the session's result (PS_OK: it is reported, as a later failure would
 * be); through a proxy, one that is not a system error is the proxy's
 * (PS_ERR_PROXY_UNAVAILABLE, the cause kept). PS_ERR_NOMEM: no watcher. */
static int dial(struct net_session *s, const struct sockaddr_storage *to,
		const struct sockaddr_storage *source)
{
	int r = net_sock_connect(&s->fd, to, source);

	if (r != PS_OK) {
		if (s->proxy && r != PS_ERR_SYSTEM) {
			s->proxy->cause = r;
			r = PS_ERR_PROXY_UNAVAILABLE;
		}
		fail_early(s, r, net_now_ns());
		return PS_OK;
	}
	s->watch_id = net_watch_add(s->loop, s->fd, POLLOUT, s->deadline_ns, on_io, s);
	if (s->watch_id < 0) {
		fail_early(s, PS_ERR_NOMEM, net_now_ns());
		return PS_ERR_NOMEM;
	}
	return PS_OK;
}

int net_session_connect(struct net_session *s, struct net_loop *loop,
			const struct sockaddr_storage *addr, const struct net_session_params *p)
{
	setup(s, loop, addr, p);
	s->outbound = true;
	s->state = NET_SESS_CONNECTING;
	return dial(s, addr, p->source);
}

int net_session_connect_proxy(struct net_session *s, struct net_loop *loop,
			      const struct sockaddr_storage *proxy,
			      const struct socks5_config *socks, const struct net_session_params *p)
{
	const struct socks5_addr *d = &socks->dest;
	struct sockaddr_storage addr;
	struct net_proxy *px;
	int r;

	/* the peer's address when it is one; a name stays a name */
	memset(&addr, 0, sizeof(addr));
	if (d->atyp == SOCKS5_ATYP_IPV4 && d->len == 4) {
		struct sockaddr_in *a = (struct sockaddr_in *)&addr;
		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, d->addr, 4);
		a->sin_port = htons(d->port);
	} else if (d->atyp == SOCKS5_ATYP_IPV6 && d->len == 16) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&addr;
		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, d->addr, 16);
		a->sin6_port = htons(d->port);
	}
	setup(s, loop, &addr, p);
	s->outbound = true;
	s->state = NET_SESS_CONNECTING;
	if (!(px = calloc(1, sizeof(*px)))) {
		fail_early(s, PS_ERR_NOMEM, net_now_ns());
		return PS_ERR_NOMEM;
	}
	s->proxy = px; /* freed by finish, whatever happens now */
	socks5_addr_format(px->peer, d);
	net_addr_format(px->name, proxy);
	px->rep = -1;
	if (!(px->socks = malloc(sizeof(*px->socks)))) {
		fail_early(s, PS_ERR_NOMEM, net_now_ns());
		return PS_ERR_NOMEM;
	}
	if ((r = socks5_init(px->socks, socks)) != PS_OK) {
		fail_early(s, r, net_now_ns());
		return PS_OK;
	}
	return dial(s, proxy, p->source);
}

int net_session_accept(struct net_session *s, struct net_loop *loop, int fd,
		       const struct sockaddr_storage *addr, const struct net_session_params *p)
{
	setup(s, loop, addr, p);
	s->outbound = false;
	s->fd = fd;
	s->watch_id = net_watch_add(loop, fd, POLLIN, s->deadline_ns, on_io, s);
	if (s->watch_id < 0) {
		fail_early(s, PS_ERR_NOMEM, net_now_ns());
		return PS_ERR_NOMEM;
	}
	core_start(s, net_now_ns());
	return PS_OK;
}

void net_session_abort(struct net_session *s, int reason)
{
	uint64_t now = net_now_ns();

	if (s->state == NET_SESS_DONE)
		return;
	if (!s->started) {
		fail_early(s, reason, now);
		return;
	}
	s->core_ops->close(s->core, reason);
	drain(s);
	finish(s, now);
}

const char *net_session_name(const struct net_session *s)
{
	return s->proxy ? s->proxy->peer : s->addr_name;
}

const char *net_session_local(const struct net_session *s)
{
	return s->proxy ? s->proxy->bound : s->local_name;
}
