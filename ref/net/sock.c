#define _GNU_SOURCE /* accept4 */
#include "net/sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24 /* linux/in.h, Linux 4.2 */
#endif

#define NOFILE_UNLIMITED_CAP ((rlim_t)1 << 20)

static socklen_t ss_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

int net_errno_to_ps(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return PS_ERR_REFUSED;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
		return PS_ERR_UNREACHABLE;
	case EADDRNOTAVAIL: /* connect: no ephemeral port left (ours, not the peer's) */
	case EADDRINUSE:    /* bind: the same, when the port is picked at bind */
		return PS_ERR_NO_LOCAL_PORT;
	case ETIMEDOUT:
		return PS_ERR_TIMEOUT;
	case ECONNRESET:
	case EPIPE:
		return PS_ERR_CLOSED;
	default:
		return PS_ERR_SYSTEM;
	}
}

/* Bind s to source. IP_BIND_ADDRESS_NO_PORT first: without it bind picks
 * the port and reserves it for every destination, so a run of many
 * connections from one source runs out of ports long before the 4-tuple
 * would; with it the port is picked at connect, per destination. */
static int bind_source(int s, const struct sockaddr_storage *source)
{
	int one = 1;

	(void)setsockopt(s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	return bind(s, (const struct sockaddr *)source, ss_len(source));
}

int net_sock_connect(int *fd, const struct sockaddr_storage *ss,
		     const struct sockaddr_storage *source)
{
	int s, one = 1;

	if (source && source->ss_family != ss->ss_family)
		return PS_ERR_FAMILY;
	s = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return PS_ERR_SYSTEM;
	if (source && bind_source(s, source) != 0) {
		int e = errno;
		close(s);
		errno = e;
		return e == EADDRINUSE ? PS_ERR_NO_LOCAL_PORT : PS_ERR_SYSTEM;
	}
	/* handshake messages are small and answered: do not wait on Nagle */
	(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s, (const struct sockaddr *)ss, ss_len(ss)) != 0 && errno != EINPROGRESS) {
		int e = errno;
		close(s);
		errno = e;
		return net_errno_to_ps(e);
	}
	*fd = s;
	return PS_OK;
}

int net_sock_check_source(const struct sockaddr_storage *source)
{
	int s = socket(source->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), r = PS_OK;

	if (s < 0)
		return PS_ERR_SYSTEM;
	if (bind_source(s, source) != 0)
		r = PS_ERR_SYSTEM;
	{
		int e = errno;
		close(s);
		errno = e;
	}
	return r;
}

int net_sock_listen(int *fd, const struct sockaddr_storage *ss, int backlog)
{
	int s = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (s < 0)
		return PS_ERR_SYSTEM;
	(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		(void)setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s, (const struct sockaddr *)ss, ss_len(ss)) != 0 || listen(s, backlog) != 0) {
		int e = errno;
		close(s);
		errno = e;
		return PS_ERR_SYSTEM;
	}
	*fd = s;
	return PS_OK;
}

int net_sock_accept(int *fd, struct sockaddr_storage *ss, int listen_fd)
{
	socklen_t len = sizeof(*ss);
	int s;

	do
		s = accept4(listen_fd, (struct sockaddr *)ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	while (s < 0 && errno == EINTR);
	if (s < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? PS_ERR_NEED_MORE : PS_ERR_SYSTEM;
	*fd = s;
	return PS_OK;
}

int net_sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return net_errno_to_ps(errno);
	return err ? net_errno_to_ps(err) : PS_OK;
}

void net_addr_format(char out[NET_ADDRSTRLEN], const struct sockaddr_storage *ss)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(out, NET_ADDRSTRLEN, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(out, NET_ADDRSTRLEN, "%s:%u", ip, ntohs(s4->sin_port));
	}
}

void net_sock_local(char out[NET_ADDRSTRLEN], int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		snprintf(out, NET_ADDRSTRLEN, "?");
		return;
	}
	net_addr_format(out, &ss);
}

bool net_addr_numeric(struct sockaddr_storage *ss, const char *host, uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return true;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return true;
	}
	return false;
}

uint16_t net_addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

void net_addr_ip16(uint8_t out[16], const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		return;
	}
	if (ss->ss_family != AF_INET) {
		/* no address (a name reached through a proxy): all zero, as
		 * Core's CService{} */
		memset(out, 0, 16);
		return;
	}
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
}

size_t net_raise_nofile(size_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < want) {
		rlim_t target = want;
		if (rl.rlim_max != RLIM_INFINITY && target > rl.rlim_max)
			target = rl.rlim_max;
		/* Linux refuses a soft limit over fs.nr_open (2^20 by
		 * default), and an unlimited hard limit does not lift that */
		if (rl.rlim_max == RLIM_INFINITY && target > NOFILE_UNLIMITED_CAP)
			target = NOFILE_UNLIMITED_CAP;
		rl.rlim_cur = target;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	return (size_t)rl.rlim_cur;
}
