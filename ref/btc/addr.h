/*
 * addr.h - the addr and addrv2 messages (sans-I/O, no allocation).
 *
 *   addr   (Core's V1 network format): count (CompactSize), then count x
 *          time (u32 LE) | services (u64 LE) | address (16 bytes, IPv6 or
 *          IPv4-mapped ::ffff:a.b.c.d) | port (u16 BE)       = 30 bytes
 *   addrv2 (BIP 155): count (CompactSize), then count x
 *          time (u32 LE) | services (CompactSize) | network id (u8) |
 *          address (CompactSize length, then the bytes) | port (u16 BE)
 *
 * BIP 155's networks: 1 IPv4 (4 bytes), 2 IPv6 (16), 3 TORV2 (10), 4 TORV3
 * (32), 5 I2P (32), 6 CJDNS (16). Core v31.1 knows 1, 2, 4, 5 and 6; TORV2
 * and ids it does not know are read and skipped ("silently drop them and
 * have the unserialization code consume subsequent ones which may be known
 * to us", netaddress.cpp SetNetFromBIP155Network). A known id with another
 * length, or any address over 512 bytes, fails the whole message.
 *
 * Decoding is validate-first, in two passes over the payload: the first
 * checks every entry and writes nothing; only then are entries handed out
 * (into the caller's bounded array, or one at a time to a callback).
 * Nothing is allocated, and never by the announced count: a count that
 * the payload cannot hold (fewer than count x the smallest entry bytes)
 * fails before any entry is read. Errors, in Core's order:
 *   PS_ERR_MALFORMED: what Core's deserializer throws on (the payload ends
 *     inside an entry; a count over MAX_SIZE; a known network with an
 *     address of another length; an address over 512 bytes; a
 *     non-canonical CompactSize). Core logs the exception and ignores the
 *     message; the connection stays.
 *   PS_ERR_TOO_LARGE: the message parses and has more than
 *     BTC_MAX_ADDR_TO_SEND entries. Core: Misbehaving, "%s message size =
 *     %u": the peer is disconnected.
 * Bytes after the last entry are not an error: Core's handler reads the
 * vector and never looks at what follows (info->trailing counts them).
 */
#ifndef PS_BTC_ADDR_H
#define PS_BTC_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cursor.h"
#include "core/err.h"

/* Core net_processing.cpp: "The maximum number of address records permitted
 * in an ADDR message." */
#define BTC_MAX_ADDR_TO_SEND 1000
/* Core: "the maximum percentage of addresses from our addrman to return in
 * response to a getaddr message." */
#define BTC_MAX_PCT_ADDR_TO_SEND 23
/* Core netaddress.h CNetAddr::MAX_ADDRV2_SIZE: "Maximum size of an address
 * as defined in BIP155 (in bytes)." */
#define BTC_MAX_ADDRV2_SIZE 512

#define BTC_ADDR_V1_ENTRY_LEN 30 /* time 4 | services 8 | address 16 | port 2 */
/* The smallest addrv2 entry: time 4, services 1, id 1, length 1 (0), port 2. */
#define BTC_ADDRV2_ENTRY_MIN 9
/* The largest addrv2 entry of a network we keep: a 9-byte services, a 32-byte
 * address. */
#define BTC_ADDRV2_ENTRY_MAX (4 + 9 + 1 + 1 + 32 + 2)
/* The largest addr or addrv2 payload of at most BTC_MAX_ADDR_TO_SEND entries
 * of the networks we keep: what one getaddr answer can take. */
#define BTC_ADDR_PAYLOAD_MAX (3 + BTC_MAX_ADDR_TO_SEND * BTC_ADDRV2_ENTRY_MAX)

/* BIP 155 network ids. */
enum btc_net {
	BTC_NET_IPV4 = 1,
	BTC_NET_IPV6 = 2,
	BTC_NET_TORV2 = 3, /* obsolete: read and skipped, as Core does */
	BTC_NET_TORV3 = 4,
	BTC_NET_I2P = 5,
	BTC_NET_CJDNS = 6,
};

enum btc_addr_fmt {
	BTC_ADDR_FMT_V1, /* addr */
	BTC_ADDR_FMT_V2	 /* addrv2 */
};

/* One address record, of a network we keep (IPv4, IPv6, TORV3, I2P,
 * CJDNS). An addr entry's 16 bytes become IPv4 when IPv4-mapped, else
 * IPv6, as Core's SetLegacyIPv6 reads them. */
struct btc_addr {
	uint32_t time;	   /* unix seconds */
	uint64_t services; /* service bits */
	uint8_t net;	   /* BTC_NET_* */
	uint8_t len;	   /* the address's bytes: 4, 16 or 32 (btc_net_addr_len) */
	uint8_t bytes[32];
	uint16_t port; /* host order; big-endian on the wire */
};

/* What one message held besides the entries handed out. */
struct btc_addr_info {
	uint64_t count;	  /* the entries it announced (and held) */
	uint64_t skipped; /* of them addrv2 entries of TORV2 or an unknown id */
	size_t trailing;  /* bytes after the last entry, ignored as Core does */
};

/* The address length of a network we keep (4, 16, 32), else 0. TORV2 is
 * 10 in BIP 155 but 0 here: not kept. */
size_t btc_net_addr_len(uint8_t net);

/* "ipv4", "ipv6", "torv2", "torv3", "i2p", "cjdns"; "unknown" otherwise. */
const char *btc_net_name(uint8_t net);

/* Core's CNetAddr::IsValid: false for the unspecified IPv6 address (::),
 * IPv4 0.0.0.0 and 255.255.255.255, the documentation prefix 2001:db8::/32,
 * an IPv6 address with an IPv4-mapped (::ffff:0:0/96), TORV2-in-IPv6
 * (fd87:d87e:eb43::/48) or internal (fd6b:88c0:8724::/48) prefix, and a
 * CJDNS address not starting with 0xfc. Core never sends an invalid
 * address in answer to getaddr (PushAddress: "if (addr.IsValid() ..."). */
bool btc_addr_valid(const struct btc_addr *a);

/* Core's IsAddrV1Compatible: IPv4 and IPv6 fit in an addr entry; TORV3,
 * I2P and CJDNS only in addrv2. */
bool btc_addr_v1_compatible(const struct btc_addr *a);

/* Check one addr (fmt V1) or addrv2 (V2) payload, the whole of it, and
 * hand out its entries of the networks we keep, in order, to fn (which may
 * be NULL: check only). fn is called only after the whole payload passed;
 * on error it is never called and *info is not written. info may be NULL.
 * PS_ERR_MALFORMED, PS_ERR_TOO_LARGE (above); PS_ERR_INVALID_ARG (fmt). */
PS_MUST_CHECK int btc_addr_each(struct btc_addr_info *info, enum btc_addr_fmt fmt,
				const uint8_t *payload, size_t len,
				void (*fn)(void *ctx, const struct btc_addr *a), void *ctx);

/* The same into out[0 .. cap): *n gets the entries written. PS_ERR_NOBUF
 * (more entries to keep than cap; nothing written) besides btc_addr_each's.
 * cap BTC_MAX_ADDR_TO_SEND always suffices. */
PS_MUST_CHECK int btc_addr_decode(struct btc_addr *out, size_t cap, size_t *n,
				  struct btc_addr_info *info, enum btc_addr_fmt fmt,
				  const uint8_t *payload, size_t len);

/* Encode one entry. PS_ERR_NOBUF; PS_ERR_INVALID_ARG (a network we do not
 * keep, a len other than btc_net_addr_len, or for V1 a network that does not
 * fit: TORV3, I2P, CJDNS). Cursor unchanged on failure. */
PS_MUST_CHECK int btc_addr_entry_encode(struct ps_wcur *w, enum btc_addr_fmt fmt,
					const struct btc_addr *a);

/* Encode a whole payload: the count n, then the n entries. n is not capped
 * (a misbehaving sender may want 1,001). PS_ERR_NOBUF, PS_ERR_INVALID_ARG
 * as btc_addr_entry_encode. Cursor unchanged on failure. */
PS_MUST_CHECK int btc_addr_encode(struct ps_wcur *w, enum btc_addr_fmt fmt,
				  const struct btc_addr *a, size_t n);

/* ---- text ---- */

/* Room for any address's text: a TORV3 ".onion" is 56 + 6 characters. */
#define BTC_ADDR_STRLEN 64

/* The address as Core writes it (ToStringAddr): IPv4 dotted, IPv6 and CJDNS
 * as RFC 5952 text, TORV3 "<56 base32>.onion" (with Tor's SHA3 checksum and
 * version 3), I2P "<52 base32>.b32.i2p". Always NUL-terminated. */
void btc_addr_format(char out[BTC_ADDR_STRLEN], const struct btc_addr *a);

/* Parse an address (no port) into a's net, len and bytes, as Core's
 * SetSpecial / LookupHost read one: IPv4 dotted, IPv6 (fc00::/8 is taken
 * as CJDNS, as Core does with -cjdnsreachable), a TORV3 ".onion" whose
 * checksum and version (3) check, an I2P ".b32.i2p" of 52 base32
 * characters. Case-insensitive for the base32 names. a's time, services and
 * port are left alone. PS_ERR_MALFORMED (nothing written). */
PS_MUST_CHECK int btc_addr_parse(struct btc_addr *a, const char *s, size_t len);

#endif
