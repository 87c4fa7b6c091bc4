#include "net/admit.h"

#include <string.h>

/* Since when c has sent nothing: a connection that never sent a byte has
 * been idle since it was accepted. */
static uint64_t idle_since(const struct net_admit_conn *c)
{
	return c->last_active_ns ? c->last_active_ns : c->accepted_ns;
}

/* True when a should go before b. An OVER entry is already closing: taking
 * its slot costs nothing, so it goes first. Then the one idle the longest
 * (Core's InactivityCheck drops a peer that has not finished the version
 * handshake in time; the longest-idle one is the nearest to that), then
 * the earlier accepted. */
static bool goes_before(const struct net_admit_conn *a, const struct net_admit_conn *b)
{
	if (a->state != b->state)
		return a->state == NET_ADMIT_OVER;
	if (idle_since(a) != idle_since(b))
		return idle_since(a) < idle_since(b);
	return a->accepted_ns < b->accepted_ns;
}

/* The entry to evict, of those from ip (or of all, ip NULL): the index, or
 * n when every one is HANDSHAKEN. */
static size_t pick(const struct net_admit_conn *tab, size_t n, const uint8_t *ip)
{
	size_t best = n;

	for (size_t i = 0; i < n; i++) {
		/* Core's ProtectOutboundConnections keeps what it must not lose
		 * out of the candidates; for a handshake suite that is a
		 * completed handshake */
		if (tab[i].state == NET_ADMIT_HANDSHAKEN)
			continue;
		if (ip && memcmp(tab[i].ip, ip, 16) != 0)
			continue;
		if (best == n || goes_before(&tab[i], &tab[best]))
			best = i;
	}
	return best;
}

void net_admit_decide(struct net_admit_decision *out, const struct net_admit_limits *lim,
		      const struct net_admit_conn *tab, size_t n, const uint8_t ip[16])
{
	size_t same = 0, victim;

	out->verdict = NET_ADMIT_ACCEPT;
	out->reason = NET_ADMIT_NONE;
	out->victim = 0;
	for (size_t i = 0; i < n; i++)
		if (memcmp(tab[i].ip, ip, 16) == 0)
			same++;
	if (same >= lim->max_per_ip) {
		/* evicting one of the address's own keeps the table's size,
		 * so the full check below has nothing more to do */
		victim = pick(tab, n, ip);
		out->reason = NET_ADMIT_PER_IP;
		out->verdict = victim < n ? NET_ADMIT_EVICT : NET_ADMIT_REFUSE;
		out->victim = victim < n ? victim : 0;
		return;
	}
	/* Core, CreateNodeFromAcceptedSocket:
	 *   if (nInbound >= m_max_inbound)
	 *   {
	 *       if (!AttemptToEvictConnection()) {
	 *           // No connection to evict, disconnect the new connection */
	if (n >= lim->max_inbound) {
		victim = pick(tab, n, NULL);
		out->reason = NET_ADMIT_FULL;
		out->verdict = victim < n ? NET_ADMIT_EVICT : NET_ADMIT_REFUSE;
		out->victim = victim < n ? victim : 0;
	}
}

/* The charge of entry i as the budget weighs it: req's with its need. */
static size_t mem_weight(const struct net_admit_mem *tab, size_t i, size_t req, size_t need)
{
	size_t c = tab[i].charge;

	return i == req ? (SIZE_MAX - c < need ? SIZE_MAX : c + need) : c;
}

/* True when entry a goes before entry b: the larger first, then the
 * earlier accepted, then the lower index (a strict order: no two tie). */
static bool mem_before(const struct net_admit_mem *tab, size_t a, size_t b, size_t req, size_t need)
{
	size_t wa = mem_weight(tab, a, req, need), wb = mem_weight(tab, b, req, need);

	if (wa != wb)
		return wa > wb;
	if (tab[a].accepted_ns != tab[b].accepted_ns)
		return tab[a].accepted_ns < tab[b].accepted_ns;
	return a < b;
}

size_t net_admit_memory_victims(size_t *victims, const struct net_admit_mem *tab, size_t n,
				size_t req, size_t need, size_t total, size_t budget)
{
	size_t k = 0, held = SIZE_MAX - total < need ? SIZE_MAX : total + need;

	/* The largest buffer is the one that costs the most and that a
	 * stalled peer fills the furthest; among equals the one that has
	 * waited longest has had the most time to authenticate. Each round
	 * takes the next in that order, so the order needs no sort and no
	 * memory: the next victim is the first entry after the last one. */
	while (held > budget && k < n) {
		size_t best = n;
		for (size_t i = 0; i < n; i++) {
			if (k && !mem_before(tab, victims[k - 1], i, req, need))
				continue; /* taken already */
			if (best == n || mem_before(tab, i, best, req, need))
				best = i;
		}
		if (best == n)
			break;
		victims[k++] = best;
		held -= mem_weight(tab, best, req, need) < held ? mem_weight(tab, best, req, need)
								: held;
	}
	return k;
}

const char *net_admit_reason_name(enum net_admit_reason r)
{
	switch (r) {
	case NET_ADMIT_FULL:
		return "full";
	case NET_ADMIT_PER_IP:
		return "per-ip";
	case NET_ADMIT_NO_FD:
		return "no-descriptors";
	case NET_ADMIT_MEMORY:
		return "memory";
	case NET_ADMIT_NONE:
	case NET_ADMIT_NREASONS:
	default:
		return "none";
	}
}
