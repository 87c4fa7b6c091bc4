#include "loopback.h"

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/sock.h"
#include "testutil.h"

/* ---- bounded runs ---- */

static char alarm_msg[256];
static size_t alarm_len;

static void on_alarm(int sig)
{
	(void)sig;
	(void)!write(STDERR_FILENO, alarm_msg, alarm_len);
	_exit(1);
}

void tu_run_bounded(struct net_loop *loop, unsigned seconds, const char *what)
{
	int n = snprintf(alarm_msg, sizeof(alarm_msg), "%s\n", what);

	alarm_len = n < 0 ? 0 : (size_t)n < sizeof(alarm_msg) ? (size_t)n : sizeof(alarm_msg) - 1;
	signal(SIGALRM, on_alarm);
	alarm(seconds);
	assert_int_equal(net_loop_run(loop), PS_OK);
	alarm(0);
}

void tu_unwatch_close(struct net_loop *loop, int *watch, int *fd)
{
	if (*watch >= 0)
		net_watch_del(loop, *watch);
	*watch = -1;
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- plain sockets ---- */

int tu_listen_loopback(struct sockaddr_storage *addr, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(*addr);
	int lfd = -1;

	assert_true(net_addr_numeric(&ss, "127.0.0.1", 0));
	assert_int_equal(net_sock_listen(&lfd, &ss, backlog), PS_OK);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)addr, &len), 0);
	return lfd;
}

int tu_hold_port(struct sockaddr_storage *addr, bool reuse)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(*addr);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (reuse)
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_true(net_addr_numeric(&ss, "127.0.0.1", 0));
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	return fd;
}

/* ---- the world ---- */

static void maybe_over(struct tu_world *w)
{
	if (!w->live && w->lfd < 0 && w->guard >= 0) {
		net_watch_del(w->loop, w->guard);
		w->guard = -1;
	}
}

void tu_world_close_listener(struct tu_world *w)
{
	tu_unwatch_close(w->loop, &w->lwatch, &w->lfd);
}

static void on_listen(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct tu_world *w = ctx;
	struct sockaddr_storage ss;
	int fd, r;

	(void)loop, (void)revents, (void)now_ns;
	r = net_sock_accept(&fd, &ss, w->lfd);
	if (r == PS_ERR_NEED_MORE)
		return;
	assert_int_equal(r, PS_OK);
	/* one connection per world: stop listening first, so the loop can
	 * end as soon as the sessions are done */
	tu_world_close_listener(w);
	w->accept(w, fd, &ss);
	maybe_over(w);
}

void tu_world_abort_all(struct tu_world *w, int reason)
{
	while (w->live)
		net_session_abort(&w->live->s, reason);
	tu_world_close_listener(w);
	maybe_over(w);
}

static void on_guard(struct net_loop *loop, void *ctx, short revents, uint64_t now_ns)
{
	struct tu_world *w = ctx;

	(void)loop, (void)revents, (void)now_ns;
	w->guard_fired = true;
	net_watch_del(w->loop, w->guard);
	w->guard = -1;
	tu_world_close_listener(w);
	if (w->on_guard)
		w->on_guard(w);
	tu_world_abort_all(w, PS_ERR_TIMEOUT);
}

void tu_world_init(struct tu_world *w, bool listen,
		   void (*accept)(struct tu_world *w, int fd, const struct sockaddr_storage *from))
{
	memset(w, 0, sizeof(*w));
	w->lfd = w->lwatch = -1;
	w->accept = accept;
	w->loop = net_loop_create(false);
	assert_non_null(w->loop);
	w->guard = net_watch_add(w->loop, -1, 0, net_now_ns() + TU_GUARD_NS, on_guard, w);
	assert_true(w->guard >= 0);
	if (!listen)
		return;
	assert_non_null(accept);
	w->lfd = tu_listen_loopback(&w->laddr, 16);
	w->lwatch = net_watch_add(w->loop, w->lfd, POLLIN, UINT64_MAX, on_listen, w);
	assert_true(w->lwatch >= 0);
}

static void link_conn(struct tu_world *w, struct tu_conn *c)
{
	c->w = w;
	c->next = w->live;
	w->live = c;
}

void tu_world_connect(struct tu_world *w, struct tu_conn *c, const struct sockaddr_storage *to,
		      const struct net_session_params *p)
{
	link_conn(w, c);
	assert_int_equal(net_session_connect(&c->s, w->loop, to, p), PS_OK);
}

void tu_world_connect_proxy(struct tu_world *w, struct tu_conn *c,
			    const struct sockaddr_storage *proxy, const struct socks5_config *socks,
			    const struct net_session_params *p)
{
	link_conn(w, c);
	assert_int_equal(net_session_connect_proxy(&c->s, w->loop, proxy, socks, p), PS_OK);
}

void tu_world_accept(struct tu_world *w, struct tu_conn *c, int fd,
		     const struct sockaddr_storage *from, const struct net_session_params *p)
{
	link_conn(w, c);
	assert_int_equal(net_session_accept(&c->s, w->loop, fd, from, p), PS_OK);
}

void tu_world_done(struct tu_conn *c, size_t size)
{
	struct tu_world *w = c->w;

	assert_true(size >= sizeof(*c));
	assert_int_equal(c->s.state, NET_SESS_DONE);
	for (struct tu_conn **p = &w->live; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	/* scribble, then free: any later touch is ASan's to report */
	memset(c, 0xa5, size);
	free(c);
	maybe_over(w);
}

void tu_world_run(struct tu_world *w)
{
	tu_run_bounded(w->loop, TU_GUARD_NS / TU_SEC + 20,
		       "the loop did not end: a session left a watcher behind or never finished");
	if (w->guard_fired) {
		char why[512] = "";
		if (w->describe)
			w->describe(w, why, sizeof(why));
		fail_msg("the sessions did not end within %u s %s",
			 (unsigned)(TU_GUARD_NS / TU_SEC), why);
	}
	assert_null(w->live);
	assert_int_equal(w->lfd, -1);
}

void tu_world_free(struct tu_world *w)
{
	tu_world_close_listener(w);
	net_loop_destroy(w->loop);
}
