#include "net/cores.h"

#include <time.h>

/* ---- Bitcoin v1 ---- */

static int btc_start(void *core, const struct net_session *s, uint64_t now_ns, uint64_t timeout_ns)
{
	struct net_btc_core *c = core;

	c->cfg.timeout_ns = timeout_ns;
	c->cfg.unix_time = (int64_t)time(NULL);
	c->cfg.peer.services = 0;
	net_addr_ip16(c->cfg.peer.ip, &s->addr);
	c->cfg.peer.port = net_addr_port(&s->addr);
	return btc_hs_init(&c->hs, s->outbound ? BTC_INITIATOR : BTC_RESPONDER, &c->cfg, now_ns);
}

static int btc_input(void *core, uint64_t now_ns, const uint8_t *data, size_t len)
{
	return btc_hs_input(&((struct net_btc_core *)core)->hs, now_ns, data, len);
}

static size_t btc_output(void *core, const uint8_t **p)
{
	return btc_hs_output(&((struct net_btc_core *)core)->hs, p);
}

static void btc_consume(void *core, size_t n)
{
	btc_hs_consume(&((struct net_btc_core *)core)->hs, n);
}

static uint64_t btc_expiry(void *core)
{
	return btc_hs_expiry(&((struct net_btc_core *)core)->hs);
}

static void btc_handle_expiry(void *core, uint64_t now_ns)
{
	btc_hs_handle_expiry(&((struct net_btc_core *)core)->hs, now_ns);
}

static void btc_close(void *core, int reason)
{
	btc_hs_close(&((struct net_btc_core *)core)->hs, reason);
}

static enum net_outcome btc_outcome(void *core, int *err)
{
	const struct btc_hs *hs = &((struct net_btc_core *)core)->hs;

	*err = hs->err;
	switch (btc_hs_outcome(hs)) {
	case BTC_SUCCESS:
		*err = PS_OK;
		return NET_SUCCESS;
	case BTC_PARTIAL:
		return NET_PARTIAL;
	case BTC_FAILED:
		return NET_FAILED;
	case BTC_PENDING:
	default:
		return NET_PENDING;
	}
}

static bool btc_ended(void *core)
{
	return ((struct net_btc_core *)core)->hs.state == BTC_HS_CLOSED;
}

static void btc_release(void *core)
{
	(void)core; /* the handshake holds no heap memory and no secret */
}

const struct net_core_ops net_btc_core_ops = {
	.start = btc_start,
	.input = btc_input,
	.output = btc_output,
	.consume = btc_consume,
	.expiry = btc_expiry,
	.handle_expiry = btc_handle_expiry,
	.close = btc_close,
	.outcome = btc_outcome,
	.ended = btc_ended,
	.release = btc_release,
};

/* ---- Noise NNpsk2 ---- */

static int noise_start(void *core, const struct net_session *s, uint64_t now_ns,
		       uint64_t timeout_ns)
{
	struct net_noise_core *c = core;
	int r;

	c->cfg.timeout_ns = timeout_ns;
	r = noise_peer_init(&c->peer, s->outbound ? NOISE_PEER_INITIATOR : NOISE_PEER_RESPONDER,
			    &c->cfg, now_ns);
	return r;
}

static int noise_input(void *core, uint64_t now_ns, const uint8_t *data, size_t len)
{
	return noise_peer_input(&((struct net_noise_core *)core)->peer, now_ns, data, len);
}

static size_t noise_output(void *core, const uint8_t **p)
{
	return noise_peer_output(&((struct net_noise_core *)core)->peer, p);
}

static void noise_consume(void *core, size_t n)
{
	noise_peer_consume(&((struct net_noise_core *)core)->peer, n);
}

static uint64_t noise_expiry(void *core)
{
	return noise_peer_expiry(&((struct net_noise_core *)core)->peer);
}

static void noise_handle_expiry(void *core, uint64_t now_ns)
{
	noise_peer_handle_expiry(&((struct net_noise_core *)core)->peer, now_ns);
}

static void noise_close(void *core, int reason)
{
	noise_peer_close(&((struct net_noise_core *)core)->peer, reason);
}

static enum net_outcome noise_outcome(void *core, int *err)
{
	const struct noise_peer *p = &((struct net_noise_core *)core)->peer;

	*err = noise_peer_error(p);
	switch (noise_peer_outcome(p)) {
	case PS_SUCCESS:
		return NET_SUCCESS;
	case PS_FAILED:
		return NET_FAILED;
	case PS_PENDING:
	case PS_PARTIAL:
	default:
		return NET_PENDING;
	}
}

static bool noise_ended(void *core)
{
	/* after SUCCESS or FAILED the peer ignores input */
	return noise_peer_ended(&((struct net_noise_core *)core)->peer);
}

static void noise_release(void *core)
{
	noise_peer_free(&((struct net_noise_core *)core)->peer);
}

const struct net_core_ops net_noise_core_ops = {
	.start = noise_start,
	.input = noise_input,
	.output = noise_output,
	.consume = noise_consume,
	.expiry = noise_expiry,
	.handle_expiry = noise_handle_expiry,
	.close = noise_close,
	.outcome = noise_outcome,
	.ended = noise_ended,
	.release = noise_release,
};
