/*
 * sock.h - non-blocking TCP sockets, address text, the fd limit.
 */
#ifndef PS_NET_SOCK_H
#define PS_NET_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/err.h"

#define NET_ADDRSTRLEN 64 /* "[ffff:...:ffff]:65535" and a NUL */

/* Start a non-blocking connect to ss, from source when not NULL (bound
 * first with IP_BIND_ADDRESS_NO_PORT, so the port is picked at connect and
 * not reserved per bind). *fd gets the socket; the connect may still be in
 * progress (wait for POLLOUT, then net_sock_error).
 * PS_OK, PS_ERR_REFUSED, PS_ERR_UNREACHABLE, PS_ERR_NO_LOCAL_PORT (no
 * ephemeral port left), PS_ERR_FAMILY (source and ss differ in family; no
 * socket is made), PS_ERR_SYSTEM (errno tells; a source that is not local:
 * EADDRNOTAVAIL). On error *fd is unchanged. */
PS_MUST_CHECK int net_sock_connect(int *fd, const struct sockaddr_storage *ss,
				   const struct sockaddr_storage *source);

/* Can connections be made from source (port 0)? Binds a throw-away socket
 * the way net_sock_connect does and closes it. PS_OK, PS_ERR_SYSTEM (errno
 * tells: EADDRNOTAVAIL when the address is not one of ours). */
PS_MUST_CHECK int net_sock_check_source(const struct sockaddr_storage *source);

/* A non-blocking listening socket on ss (SO_REUSEADDR). *fd gets it.
 * PS_OK, PS_ERR_SYSTEM (errno tells). */
PS_MUST_CHECK int net_sock_listen(int *fd, const struct sockaddr_storage *ss, int backlog);

/* Accept one connection as a non-blocking socket; *fd and *ss get it.
 * PS_OK, PS_ERR_NEED_MORE (nothing pending), PS_ERR_SYSTEM (errno tells). */
PS_MUST_CHECK int net_sock_accept(int *fd, struct sockaddr_storage *ss, int listen_fd);

/* The pending error of a socket (after a connect completes), as PS_ERR_*. */
int net_sock_error(int fd);

/* errno as a PS_ERR_*: refused, unreachable, timeout, closed, no local port
 * (EADDRNOTAVAIL, EADDRINUSE), else system. */
int net_errno_to_ps(int err);

/* "1.2.3.4:8333" or "[::1]:8333". */
void net_addr_format(char out[NET_ADDRSTRLEN], const struct sockaddr_storage *ss);

/* The local address of a connected socket, formatted; "?" on error. */
void net_sock_local(char out[NET_ADDRSTRLEN], int fd);

/* Parse a numeric IPv4/IPv6 host and port into ss. False if not numeric. */
bool net_addr_numeric(struct sockaddr_storage *ss, const char *host, uint16_t port);

/* The port of ss (host order). */
uint16_t net_addr_port(const struct sockaddr_storage *ss);

/* The address of ss as 16 bytes (IPv4 as ::ffff:a.b.c.d), Bitcoin's form;
 * all zero when ss holds no address (AF_UNSPEC). */
void net_addr_ip16(uint8_t out[16], const struct sockaddr_storage *ss);

/* Raise the soft RLIMIT_NOFILE towards want (capped by the hard limit, or
 * by 2^20 when that is unlimited; SIZE_MAX: as far as it goes). Returns
 * the soft limit now in force. */
size_t net_raise_nofile(size_t want);

#endif
