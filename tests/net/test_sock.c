/*
 * test_sock.c - ref/net/sock: address text, numeric parsing, Bitcoin's
 * 16-byte form, ports, errno mapping, and real non-blocking sockets on
 * loopback (listen on port 0, connect, accept, a refused connect, the local
 * address), the fd limit.
 *
 * No sleeps: every wait is a poll() with a bounded timeout. Only 127.0.0.1
 * and ::1; the IPv6 case skips itself when ::1 cannot be bound.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/sock.h"
#include "testutil.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24 /* linux/in.h */
#endif

#define POLL_MS 5000 /* a bound, never a wait: loopback answers at once */

static struct sockaddr_storage v4(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage v6(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	return ss;
}

/* The address a socket is bound to. */
static struct sockaddr_storage bound(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	return ss;
}

/* poll one fd for events, at most POLL_MS; returns revents (0: timed out). */
static short wait_for(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };
	int r;

	do
		r = poll(&p, 1, POLL_MS);
	while (r < 0 && errno == EINTR);
	assert_true(r >= 0);
	return r ? p.revents : 0;
}

static bool is_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	assert_true(fl >= 0);
	return (fl & O_NONBLOCK) != 0;
}

static bool is_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	assert_true(fl >= 0);
	return (fl & FD_CLOEXEC) != 0;
}

/* ---- address text ---- */

static void test_format_v4(void **state)
{
	static const struct {
		const char *ip;
		uint16_t port;
		const char *want;
	} cases[] = {
		{ "1.2.3.4", 8333, "1.2.3.4:8333" },
		{ "127.0.0.1", 1, "127.0.0.1:1" },
		{ "0.0.0.0", 0, "0.0.0.0:0" },
		{ "255.255.255.255", 65535, "255.255.255.255:65535" },
		{ "10.0.0.10", 18444, "10.0.0.10:18444" },
	};
	char out[NET_ADDRSTRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss = v4(cases[i].ip, cases[i].port);
		memset(out, 'x', sizeof(out));
		net_addr_format(out, &ss);
		assert_string_equal(out, cases[i].want);
	}
}

static void test_format_v6(void **state)
{
	static const struct {
		const char *ip;
		uint16_t port;
		const char *want;
	} cases[] = {
		{ "::1", 8333, "[::1]:8333" },
		{ "::", 0, "[::]:0" },
		{ "2001:db8::7", 18333, "[2001:db8::7]:18333" },
		{ "::ffff:1.2.3.4", 8333, "[::ffff:1.2.3.4]:8333" },
		/* the longest text there is, and it fits NET_ADDRSTRLEN */
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
		  "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535" },
		{ "fe80:1:2:3:4:5:6:7", 1, "[fe80:1:2:3:4:5:6:7]:1" },
	};
	char out[NET_ADDRSTRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss = v6(cases[i].ip, cases[i].port);
		memset(out, 'x', sizeof(out));
		net_addr_format(out, &ss);
		assert_string_equal(out, cases[i].want);
		assert_true(strlen(out) < NET_ADDRSTRLEN);
	}
}

/* ---- numeric parsing ---- */

static void test_numeric_accepts(void **state)
{
	struct sockaddr_storage ss, want;

	(void)state;
	assert_true(net_addr_numeric(&ss, "127.0.0.1", 8333));
	want = v4("127.0.0.1", 8333);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_memory_equal(&ss, &want, sizeof(struct sockaddr_in));
	assert_int_equal(net_addr_port(&ss), 8333);

	assert_true(net_addr_numeric(&ss, "::1", 18444));
	want = v6("::1", 18444);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_memory_equal(&ss, &want, sizeof(struct sockaddr_in6));
	assert_int_equal(net_addr_port(&ss), 18444);

	/* an IPv4-mapped address stays IPv6, as written */
	assert_true(net_addr_numeric(&ss, "::ffff:10.1.2.3", 1));
	assert_int_equal(ss.ss_family, AF_INET6);

	assert_true(net_addr_numeric(&ss, "2001:DB8::A", 65535));
	want = v6("2001:db8::a", 65535);
	assert_memory_equal(&ss, &want, sizeof(struct sockaddr_in6));

	/* port 0 is the caller's business (listen on a free port) */
	assert_true(net_addr_numeric(&ss, "0.0.0.0", 0));
	assert_int_equal(net_addr_port(&ss), 0);
}

static void test_numeric_refuses(void **state)
{
	static const char *bad[] = {
		"",	      "localhost",  "seed.bitcoin.sipa.be",
		"1.2.3",      "1.2.3.4.5",  "256.1.1.1",
		"1.2.3.4:80", "[::1]",	    "[::1]:8333",
		" 1.2.3.4",   "1.2.3.4 ",   "::1%lo",
		"::1::2",     "01.2.3.4",   "0x7f.0.0.1",
		"gggg::1",    "1.2.3.4/32",
	};
	struct sockaddr_storage ss;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (net_addr_numeric(&ss, bad[i], 8333))
			fail_msg("'%s' parsed as a numeric address", bad[i]);
	}
}

/* ---- ports and the 16-byte form ---- */

static void test_port(void **state)
{
	static const uint16_t ports[] = { 0, 1, 80, 8333, 0x1234, 0x8000, 65535 };
	struct sockaddr_storage a, b;

	(void)state;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		a = v4("1.2.3.4", ports[i]);
		b = v6("::1", ports[i]);
		assert_int_equal(net_addr_port(&a), ports[i]);
		assert_int_equal(net_addr_port(&b), ports[i]);
	}
	/* host order out of network order in: 8333 is 0x208d on the wire */
	a = v4("1.2.3.4", 8333);
	assert_int_equal(((const uint8_t *)&((struct sockaddr_in *)&a)->sin_port)[0], 0x20);
	assert_int_equal(((const uint8_t *)&((struct sockaddr_in *)&a)->sin_port)[1], 0x8d);
}

static void test_ip16(void **state)
{
	static const uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4 };
	static const uint8_t loop6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t doc6[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7
	};
	uint8_t out[16];
	struct sockaddr_storage ss;

	(void)state;
	ss = v4("1.2.3.4", 8333);
	memset(out, 0xaa, sizeof(out));
	net_addr_ip16(out, &ss);
	assert_memory_equal(out, mapped, 16);

	ss = v4("127.0.0.1", 1);
	memset(out, 0xaa, sizeof(out));
	net_addr_ip16(out, &ss);
	assert_int_equal(out[10], 0xff);
	assert_int_equal(out[11], 0xff);
	assert_int_equal(out[12], 127);
	assert_int_equal(out[15], 1);
	for (int i = 0; i < 10; i++)
		assert_int_equal(out[i], 0);

	ss = v6("::1", 1);
	net_addr_ip16(out, &ss);
	assert_memory_equal(out, loop6, 16);

	ss = v6("2001:db8::7", 1);
	net_addr_ip16(out, &ss);
	assert_memory_equal(out, doc6, 16);

	/* an IPv4-mapped IPv6 address gives the same bytes as its IPv4 */
	ss = v6("::ffff:1.2.3.4", 1);
	net_addr_ip16(out, &ss);
	assert_memory_equal(out, mapped, 16);
}

static void test_errno_to_ps(void **state)
{
	(void)state;
	assert_int_equal(net_errno_to_ps(ECONNREFUSED), PS_ERR_REFUSED);
	assert_int_equal(net_errno_to_ps(ENETUNREACH), PS_ERR_UNREACHABLE);
	assert_int_equal(net_errno_to_ps(EHOSTUNREACH), PS_ERR_UNREACHABLE);
	assert_int_equal(net_errno_to_ps(ETIMEDOUT), PS_ERR_TIMEOUT);
	assert_int_equal(net_errno_to_ps(ECONNRESET), PS_ERR_CLOSED);
	assert_int_equal(net_errno_to_ps(EPIPE), PS_ERR_CLOSED);
	/* out of local ports is ours, never the peer's "unreachable" */
	assert_int_equal(net_errno_to_ps(EADDRNOTAVAIL), PS_ERR_NO_LOCAL_PORT);
	assert_int_equal(net_errno_to_ps(EADDRINUSE), PS_ERR_NO_LOCAL_PORT);
	assert_int_equal(net_errno_to_ps(EBADF), PS_ERR_SYSTEM);
	assert_int_equal(net_errno_to_ps(ENOMEM), PS_ERR_SYSTEM);
	assert_int_equal(net_errno_to_ps(0), PS_ERR_SYSTEM);
}

/* ---- real sockets on loopback ---- */

/* Listen on ip:0, connect, accept; check both ends. */
static void connect_accept(const struct sockaddr_storage *where)
{
	struct sockaddr_storage lss, peer, target;
	char a[NET_ADDRSTRLEN], b[NET_ADDRSTRLEN];
	int lfd = -1, cfd = -1, afd = -1, one = 0;
	socklen_t olen = sizeof(one);
	short rev;

	assert_int_equal(net_sock_listen(&lfd, where, 8), PS_OK);
	assert_true(lfd >= 0);
	assert_true(is_nonblocking(lfd));
	assert_true(is_cloexec(lfd));
	lss = bound(lfd);
	assert_int_equal(lss.ss_family, where->ss_family);
	assert_int_not_equal(net_addr_port(&lss), 0);

	/* nothing pending yet */
	assert_int_equal(net_sock_accept(&afd, &peer, lfd), PS_ERR_NEED_MORE);
	assert_int_equal(afd, -1);

	target = lss;
	assert_int_equal(net_sock_connect(&cfd, &target, NULL), PS_OK);
	assert_true(cfd >= 0);
	assert_true(is_nonblocking(cfd));
	assert_true(is_cloexec(cfd));
	assert_int_equal(getsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, &olen), 0);
	assert_int_not_equal(one, 0);

	rev = wait_for(cfd, POLLOUT);
	assert_true(rev & POLLOUT);
	assert_int_equal(net_sock_error(cfd), PS_OK);

	rev = wait_for(lfd, POLLIN);
	assert_true(rev & POLLIN);
	memset(&peer, 0, sizeof(peer));
	assert_int_equal(net_sock_accept(&afd, &peer, lfd), PS_OK);
	assert_true(afd >= 0);
	assert_true(is_nonblocking(afd));
	assert_true(is_cloexec(afd));
	assert_int_equal(net_sock_error(afd), PS_OK);

	/* the accepted peer is the connecting socket's local end */
	net_addr_format(a, &peer);
	net_sock_local(b, cfd);
	assert_string_equal(a, b);
	/* the accepted socket's local end is the listening address */
	net_addr_format(a, &lss);
	net_sock_local(b, afd);
	assert_string_equal(a, b);

	/* and it carries bytes both ways */
	assert_int_equal(send(cfd, "ping", 4, MSG_NOSIGNAL), 4);
	assert_true(wait_for(afd, POLLIN) & POLLIN);
	{
		char buf[8];
		assert_int_equal(recv(afd, buf, sizeof(buf), 0), 4);
		assert_memory_equal(buf, "ping", 4);
		/* non-blocking: an empty socket says so instead of waiting */
		assert_int_equal(recv(afd, buf, sizeof(buf), 0), -1);
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	}

	/* a second listener on the same address is refused (no SO_REUSEPORT) */
	{
		int l2 = -1;
		assert_int_equal(net_sock_listen(&l2, &lss, 8), PS_ERR_SYSTEM);
		assert_int_equal(errno, EADDRINUSE);
		assert_int_equal(l2, -1);
	}
	/* the one connection was taken: the queue is empty again */
	{
		int none = -1;
		assert_int_equal(net_sock_accept(&none, &peer, lfd), PS_ERR_NEED_MORE);
		assert_int_equal(none, -1);
	}
	close(afd);
	close(cfd);
	close(lfd);
}

static void test_connect_accept_v4(void **state)
{
	struct sockaddr_storage ss = v4("127.0.0.1", 0);

	(void)state;
	connect_accept(&ss);
}

static bool v6_available(void)
{
	struct sockaddr_storage ss = v6("::1", 0);
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = bind(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in6)) == 0;
	close(fd);
	return ok;
}

static void test_connect_accept_v6(void **state)
{
	struct sockaddr_storage ss = v6("::1", 0);
	int lfd = -1, v6only = 0;
	socklen_t len = sizeof(v6only);

	(void)state;
	if (!v6_available()) {
		printf("SKIP: ::1 cannot be bound here\n");
		skip();
	}
	connect_accept(&ss);
	/* an IPv6 listener is IPv6 only: 0.0.0.0 stays free for IPv4 */
	assert_int_equal(net_sock_listen(&lfd, &ss, 1), PS_OK);
	assert_int_equal(getsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len), 0);
	assert_int_not_equal(v6only, 0);
	close(lfd);
}

/* A connect to a port where nothing listens: the socket is bound (so no
 * other process can take the port meanwhile) but not listening, so the
 * kernel answers with a reset. The failure shows at once or after POLLOUT. */
static void test_connect_refused(void **state)
{
	struct sockaddr_storage ss = v4("127.0.0.1", 0), target;
	int holder, fd = -1, r;

	(void)state;
	holder = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(holder >= 0);
	assert_int_equal(bind(holder, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
	target = bound(holder);

	r = net_sock_connect(&fd, &target, NULL);
	if (r == PS_OK) {
		short rev = wait_for(fd, POLLOUT);
		assert_true(rev != 0);
		assert_int_equal(net_sock_error(fd), PS_ERR_REFUSED);
		/* the pending error is read once */
		assert_int_equal(net_sock_error(fd), PS_OK);
		close(fd);
	} else {
		assert_int_equal(r, PS_ERR_REFUSED);
		assert_int_equal(errno, ECONNREFUSED);
		assert_int_equal(fd, -1); /* untouched, nothing leaked */
	}
	close(holder);
}

/* The same with a listener that has just been closed. */
static void test_connect_to_closed_listener(void **state)
{
	struct sockaddr_storage ss = v4("127.0.0.1", 0), target;
	int lfd = -1, fd = -1, r;

	(void)state;
	assert_int_equal(net_sock_listen(&lfd, &ss, 1), PS_OK);
	target = bound(lfd);
	close(lfd);
	r = net_sock_connect(&fd, &target, NULL);
	if (r == PS_OK) {
		assert_true(wait_for(fd, POLLOUT) != 0);
		assert_int_equal(net_sock_error(fd), PS_ERR_REFUSED);
		close(fd);
	} else {
		assert_int_equal(r, PS_ERR_REFUSED);
	}
}

/* connect from a source address: bound first, any port. */
static void test_connect_from_source(void **state)
{
	struct sockaddr_storage ss = v4("127.0.0.1", 0), lss, src, peer;
	char a[NET_ADDRSTRLEN];
	int lfd = -1, cfd = -1, afd = -1;
	bool have2;

	(void)state;
	assert_int_equal(net_sock_listen(&lfd, &ss, 8), PS_OK);
	lss = bound(lfd);

	/* 127.0.0.2 where the kernel routes all of 127/8, else 127.0.0.1 */
	src = v4("127.0.0.2", 0);
	{
		int probe = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(probe >= 0);
		have2 = bind(probe, (struct sockaddr *)&src, sizeof(struct sockaddr_in)) == 0;
		close(probe);
	}
	if (!have2)
		src = v4("127.0.0.1", 0);
	assert_int_equal(net_sock_connect(&cfd, &lss, &src), PS_OK);
	assert_true(wait_for(cfd, POLLOUT) & POLLOUT);
	assert_int_equal(net_sock_error(cfd), PS_OK);
	net_sock_local(a, cfd);
	assert_int_equal(strncmp(a, have2 ? "127.0.0.2:" : "127.0.0.1:", 10), 0);
	assert_true(wait_for(lfd, POLLIN) & POLLIN);
	assert_int_equal(net_sock_accept(&afd, &peer, lfd), PS_OK);
	assert_int_equal(memcmp(&((struct sockaddr_in *)&peer)->sin_addr,
				&((struct sockaddr_in *)&src)->sin_addr, 4),
			 0);
	close(afd);
	close(cfd);

	/* a source that is not ours: a system error before any connect,
	 * nothing leaked; of the other family: its own reason, no socket */
	cfd = -1;
	src = v4("192.0.2.1", 0);
	assert_int_equal(net_sock_connect(&cfd, &lss, &src), PS_ERR_SYSTEM);
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(cfd, -1);
	src = v6("::1", 0);
	assert_int_equal(net_sock_connect(&cfd, &lss, &src), PS_ERR_FAMILY);
	assert_int_equal(cfd, -1);
	close(lfd);
}

/* A bound source does not reserve its port at bind: IP_BIND_ADDRESS_NO_PORT
 * is set before bind, so the port is picked at connect, per destination. */
static void test_connect_from_source_no_port_reserved(void **state)
{
	struct sockaddr_storage ss = v4("127.0.0.1", 0), lss, src;
	int lfd = -1, cfd = -1, on = 0;
	socklen_t len = sizeof(on);

	(void)state;
	assert_int_equal(net_sock_listen(&lfd, &ss, 8), PS_OK);
	lss = bound(lfd);
	src = v4("127.0.0.1", 0);
	assert_int_equal(net_sock_connect(&cfd, &lss, &src), PS_OK);
	assert_int_equal(getsockopt(cfd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, &len), 0);
	assert_int_equal(on, 1);
	close(cfd);
	/* without a source nothing is bound, and the option is not set */
	cfd = -1;
	on = 1;
	assert_int_equal(net_sock_connect(&cfd, &lss, NULL), PS_OK);
	assert_int_equal(getsockopt(cfd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, &len), 0);
	assert_int_equal(on, 0);
	close(cfd);
	close(lfd);
}

/* net_sock_check_source: ours binds, another host's does not (EADDRNOTAVAIL). */
static void test_check_source(void **state)
{
	struct sockaddr_storage src;

	(void)state;
	src = v4("127.0.0.1", 0);
	assert_int_equal(net_sock_check_source(&src), PS_OK);
	src = v4("192.0.2.1", 0);
	errno = 0;
	assert_int_equal(net_sock_check_source(&src), PS_ERR_SYSTEM);
	assert_int_equal(errno, EADDRNOTAVAIL);
	src = v6("2001:db8::1", 0);
	assert_int_equal(net_sock_check_source(&src), PS_ERR_SYSTEM);
}

static void test_sock_errors(void **state)
{
	struct sockaddr_storage ss;
	char out[NET_ADDRSTRLEN];
	int p[2], fd = -1;

	(void)state;
	/* not a socket: the getsockopt/getsockname failure is reported */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(net_sock_error(p[0]), PS_ERR_SYSTEM);
	net_sock_local(out, p[0]);
	assert_string_equal(out, "?");
	close(p[0]);
	close(p[1]);
	net_sock_local(out, -1);
	assert_string_equal(out, "?");

	/* an address family there is no socket for */
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNSPEC;
	assert_int_equal(net_sock_connect(&fd, &ss, NULL), PS_ERR_SYSTEM);
	assert_int_equal(fd, -1);
	assert_int_equal(net_sock_listen(&fd, &ss, 1), PS_ERR_SYSTEM);
	assert_int_equal(fd, -1);

	/* accept on something that is not listening */
	{
		struct sockaddr_storage l = v4("127.0.0.1", 0);
		int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(s >= 0);
		assert_int_equal(bind(s, (struct sockaddr *)&l, sizeof(struct sockaddr_in)), 0);
		assert_int_equal(net_sock_accept(&fd, &ss, s), PS_ERR_SYSTEM);
		assert_int_equal(fd, -1);
		close(s);
	}
}

static void test_sock_local(void **state)
{
	struct sockaddr_storage ss = v4("127.0.0.1", 0), lss;
	char out[NET_ADDRSTRLEN], want[NET_ADDRSTRLEN];
	int lfd = -1;

	(void)state;
	assert_int_equal(net_sock_listen(&lfd, &ss, 1), PS_OK);
	lss = bound(lfd);
	net_addr_format(want, &lss);
	net_sock_local(out, lfd);
	assert_string_equal(out, want);
	assert_int_equal(strncmp(out, "127.0.0.1:", 10), 0);
	close(lfd);
}

static void test_raise_nofile(void **state)
{
	struct rlimit before, after;
	size_t got;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &before), 0);

	/* asking for less than there is lowers nothing */
	got = net_raise_nofile(0);
	assert_int_equal(got, (size_t)before.rlim_cur);
	got = net_raise_nofile(1);
	assert_int_equal(got, (size_t)before.rlim_cur);

	/* asking for more: at least what there was, at most the hard limit */
	got = net_raise_nofile((size_t)before.rlim_cur + 1);
	assert_true(got >= (size_t)before.rlim_cur);
	if (before.rlim_max != RLIM_INFINITY)
		assert_true(got <= (size_t)before.rlim_max);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &after), 0);
	assert_int_equal(got, (size_t)after.rlim_cur);

	/* far more than allowed: capped, never lowered, never an error */
	got = net_raise_nofile(SIZE_MAX / 2);
	assert_true(got >= (size_t)before.rlim_cur);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &after), 0);
	assert_int_equal(got, (size_t)after.rlim_cur);
	assert_int_equal(after.rlim_max, before.rlim_max);
}

/* SIZE_MAX: as far as the hard limit allows (what a listener asks for),
 * from a soft limit lowered first; then the soft limit is put back. */
static void test_raise_nofile_to_the_hard_limit(void **state)
{
	struct rlimit before, low, after;
	size_t got;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &before), 0);
	if (before.rlim_max != RLIM_INFINITY && before.rlim_max < 128)
		skip();
	low = before;
	low.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	got = net_raise_nofile(SIZE_MAX);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &after), 0);
	assert_int_equal(got, (size_t)after.rlim_cur);
	if (before.rlim_max != RLIM_INFINITY)
		assert_int_equal(got, (size_t)before.rlim_max);
	else /* 2^20, unless fs.nr_open is lower and setrlimit said no */
		assert_true(got == (size_t)1 << 20 || got == 64);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &before), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_v4),
		cmocka_unit_test(test_format_v6),
		cmocka_unit_test(test_numeric_accepts),
		cmocka_unit_test(test_numeric_refuses),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_ip16),
		cmocka_unit_test(test_errno_to_ps),
		cmocka_unit_test(test_connect_accept_v4),
		cmocka_unit_test(test_connect_accept_v6),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_connect_to_closed_listener),
		cmocka_unit_test(test_connect_from_source),
		cmocka_unit_test(test_connect_from_source_no_port_reserved),
		cmocka_unit_test(test_check_source),
		cmocka_unit_test(test_sock_errors),
		cmocka_unit_test(test_sock_local),
		cmocka_unit_test(test_raise_nofile),
		cmocka_unit_test(test_raise_nofile_to_the_hard_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
