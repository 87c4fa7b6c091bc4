#include "core/err.h"

#include <stddef.h>

struct err_desc {
	int code;
	const char *name;
	const char *text;
};

static const struct err_desc errs[] = {
	{ PS_OK, "ok", "success" },
	{ PS_ERR_NEED_MORE, "need-more", "input ends before the item does" },
	{ PS_ERR_MALFORMED, "malformed", "malformed input" },
	{ PS_ERR_TOO_LARGE, "too-large", "declared length exceeds the limit" },
	{ PS_ERR_BAD_MAGIC, "bad-magic", "wrong network magic" },
	{ PS_ERR_BAD_CHECKSUM, "bad-checksum", "payload checksum mismatch" },
	{ PS_ERR_BAD_COMMAND, "bad-command", "command not printable ASCII with NUL padding" },
	{ PS_ERR_NONCANONICAL, "noncanonical", "CompactSize not in its shortest form" },
	{ PS_ERR_TRAILING, "trailing-bytes", "unexpected bytes after the payload's fields" },
	{ PS_ERR_NOBUF, "no-buffer", "output buffer too small" },
	{ PS_ERR_INVALID_ARG, "invalid-argument", "invalid argument" },
	{ PS_ERR_INVALID_STATE, "invalid-state", "operation not allowed in this state" },
	{ PS_ERR_UNSUPPORTED, "unsupported", "not supported by this build" },
	{ PS_ERR_NOMEM, "no-memory", "out of memory" },
	{ PS_ERR_OBSOLETE_VERSION, "obsolete-version", "peer protocol version below the minimum" },
	{ PS_ERR_SELF_CONNECT, "self-connect", "connected to self (nonce matches ours)" },
	{ PS_ERR_PROTOCOL, "protocol-error", "peer broke the handshake protocol" },
	{ PS_ERR_TIMEOUT, "timeout", "timed out" },
	{ PS_ERR_CLOSED, "closed", "connection closed by peer" },
	{ PS_ERR_MISSING_SERVICES, "missing-services", "peer lacks the required services" },
	{ PS_ERR_V2_HANDSHAKE, "v2-handshake",
	  "peer started a BIP324 v2 handshake (v1 only here)" },
	{ PS_ERR_DECRYPT, "decrypt-failed", "authentication tag did not verify" },
	{ PS_ERR_DH, "bad-dh", "Diffie-Hellman result is all zeros (low-order point)" },
	{ PS_ERR_NONCE_EXHAUSTED, "nonce-exhausted", "cipher nonce exhausted" },
	{ PS_ERR_CRYPTO, "crypto-error", "cryptographic library failure" },
	{ PS_ERR_BAD_SIZE, "bad-size", "message size is not the one the pattern requires" },
	{ PS_ERR_ECHO_MISMATCH, "echo-mismatch", "transport echo differs from the message sent" },
	{ PS_ERR_SYSTEM, "system-error", "system call failed" },
	{ PS_ERR_REFUSED, "refused", "connection refused" },
	{ PS_ERR_UNREACHABLE, "unreachable", "network unreachable" },
	{ PS_ERR_DNS, "dns-error", "name resolution failed" },
	{ PS_ERR_DNS_EMPTY, "dns-empty", "name has no addresses" },
	{ PS_ERR_NO_LOCAL_PORT, "no-local-port", "no local port free to connect from" },
	{ PS_ERR_FAMILY, "source-family", "the source address is of the other address family" },
	{ PS_ERR_EVICTED, "evicted", "evicted to make room for another connection" },
	{ PS_ERR_STOPPED, "stopped",
	  "ended by us: the run was stopped (a signal, or --count reached)" },
	{ PS_ERR_PROXY_GENERAL, "proxy-general-failure", "proxy: general SOCKS server failure" },
	{ PS_ERR_PROXY_NOT_ALLOWED, "proxy-not-allowed",
	  "proxy: connection not allowed by ruleset" },
	{ PS_ERR_PROXY_NET_UNREACH, "proxy-network-unreachable", "proxy: network unreachable" },
	{ PS_ERR_PROXY_HOST_UNREACH, "proxy-host-unreachable", "proxy: host unreachable" },
	{ PS_ERR_PROXY_REFUSED, "proxy-connection-refused", "proxy: connection refused" },
	{ PS_ERR_PROXY_TTL_EXPIRED, "proxy-ttl-expired", "proxy: TTL expired" },
	{ PS_ERR_PROXY_CMD_UNSUPPORTED, "proxy-command-not-supported",
	  "proxy: command not supported" },
	{ PS_ERR_PROXY_ATYP_UNSUPPORTED, "proxy-address-type-not-supported",
	  "proxy: address type not supported" },
	{ PS_ERR_PROXY_UNASSIGNED, "proxy-unassigned-reply", "proxy: unassigned reply code" },
	{ PS_ERR_PROXY_ONION_NOT_FOUND, "proxy-onion-descriptor-not-found",
	  "proxy: onion service descriptor can not be found" },
	{ PS_ERR_PROXY_ONION_INVALID, "proxy-onion-descriptor-invalid",
	  "proxy: onion service descriptor is invalid" },
	{ PS_ERR_PROXY_ONION_INTRO_FAILED, "proxy-onion-intro-failed",
	  "proxy: onion service introduction failed" },
	{ PS_ERR_PROXY_ONION_REND_FAILED, "proxy-onion-rendezvous-failed",
	  "proxy: onion service rendezvous failed" },
	{ PS_ERR_PROXY_ONION_AUTH_MISSING, "proxy-onion-auth-missing",
	  "proxy: onion service missing client authorization" },
	{ PS_ERR_PROXY_ONION_AUTH_WRONG, "proxy-onion-auth-wrong",
	  "proxy: onion service wrong client authorization" },
	{ PS_ERR_PROXY_ONION_BAD_ADDRESS, "proxy-onion-bad-address",
	  "proxy: onion service invalid address" },
	{ PS_ERR_PROXY_ONION_INTRO_TIMEOUT, "proxy-onion-intro-timeout",
	  "proxy: onion service introduction timed out" },
	{ PS_ERR_PROXY_NO_METHOD, "proxy-no-acceptable-method",
	  "proxy: no acceptable authentication method" },
	{ PS_ERR_PROXY_AUTH, "proxy-auth-failed", "proxy: auth failed" },
	{ PS_ERR_PROXY_CLOSED, "proxy-closed", "proxy: closed" },
	{ PS_ERR_PROXY_BAD_REPLY, "proxy-bad-reply", "proxy: bad reply" },
	{ PS_ERR_PROXY_TIMEOUT, "proxy-timeout", "proxy: timed out" },
	{ PS_ERR_PROXY_UNAVAILABLE, "proxy-unavailable", "proxy: cannot connect to the proxy" },
};

static const struct err_desc *err_find(int code)
{
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (errs[i].code == code)
			return &errs[i];
	return NULL;
}

const char *ps_errname(int code)
{
	const struct err_desc *d = err_find(code);
	return d ? d->name : "unknown-error";
}

const char *ps_strerror(int code)
{
	const struct err_desc *d = err_find(code);
	return d ? d->text : "unknown error";
}
