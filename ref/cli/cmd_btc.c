/*
 * cmd_btc.c - the DNS-seed sweep, `btc connect` and `btc listen`: the
 * Bitcoin hooks of the common runner (cli/run.c) and the Bitcoin fields of
 * the lines cli/events.c writes.
 */
#include <stdlib.h>
#include <string.h>

#include "btc/handshake.h"
#include "cli/cmd.h"
#include "cli/run.h"
#include "crypto/crypto.h"
#include "net/cores.h"

struct btc_conn {
	struct run_conn rc; /* first */
	struct net_btc_core core;
};

struct btc_ctx {
	struct btc_hs_config cfg; /* the template every connection starts from */
};

static const struct btc_hs *conn_hs(const struct run_conn *c)
{
	return &((const struct btc_conn *)c)->core.hs;
}

/* Core's CheckIncomingNonce: an inbound version carrying the nonce of one
 * of our own outbound handshakes still in progress is ourselves. */
static bool is_local_nonce(void *ctx, uint64_t nonce)
{
	struct run *run = ctx;

	for (struct run_conn *c = run->conns; c; c = c->next)
		if (c->s.outbound && c->s.state == NET_SESS_OPEN && c->s.started &&
		    !btc_hs_ended(conn_hs(c)) && btc_hs_nonce(conn_hs(c)) == nonce)
			return true;
	return false;
}

static void btc_conn_init(struct run *run, struct run_conn *c)
{
	struct btc_conn *bc = (struct btc_conn *)c;
	struct btc_ctx *ctx = run->proto_ctx;

	bc->core.tmpl = &ctx->cfg;
	c->core = &bc->core;
}

static const char *services_names(uint64_t s, char *buf, size_t cap)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} bits[] = {
		{ BTC_NODE_NETWORK, "NETWORK" },
		{ BTC_NODE_BLOOM, "BLOOM" },
		{ BTC_NODE_WITNESS, "WITNESS" },
		{ BTC_NODE_COMPACT_FILTERS, "COMPACT_FILTERS" },
		{ BTC_NODE_NETWORK_LIMITED, "NETWORK_LIMITED" },
		{ BTC_NODE_P2P_V2, "P2P_V2" },
	};
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (!(s & bits[i].bit))
			continue;
		int w = snprintf(buf + n, cap - n, "%s%s", n ? "|" : "", bits[i].name);
		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
	}
	return buf;
}

static void peer_json(struct jobj *j, const struct btc_peer_info *p)
{
	jint(j, "version", p->version);
	jhex64(j, "services", p->services);
	jstrn(j, "user_agent", p->user_agent, p->user_agent_len);
	jint(j, "start_height", p->start_height);
	jbool(j, "relay", p->relay);
	jhex64(j, "nonce", p->nonce);
}

static void btc_event_json(struct run *run, struct run_conn *c, const struct net_event *ev,
			   struct jobj *j)
{
	const struct btc_peer_info *p = btc_hs_peer(conn_hs(c));

	(void)run;
	if (ev->kind == NET_EV_PEER && p)
		peer_json(j, p);
}

static void btc_result_json(struct run *run, struct run_conn *c, struct jobj *j)
{
	const struct btc_hs *hs = conn_hs(c);
	const struct btc_peer_info *p = btc_hs_peer(hs);

	(void)run;
	if (p)
		peer_json(j, p);
	juint(j, "bytes_in", btc_hs_bytes_in(hs));
	juint(j, "bytes_out", btc_hs_bytes_out(hs));
}

static void btc_result_text(struct run *run, struct run_conn *c, FILE *f)
{
	const struct btc_peer_info *p = btc_hs_peer(conn_hs(c));
	char names[128];

	(void)run;
	if (!p)
		return;
	fprintf(f, " version=%d services=0x%016llx", p->version, (unsigned long long)p->services);
	if (p->services)
		fprintf(f, " (%s)", services_names(p->services, names, sizeof(names)));
	fputs(" user_agent=\"", f);
	report_sanitized(f, p->user_agent, p->user_agent_len);
	fprintf(f, "\" height=%d relay=%d", p->start_height, p->relay ? 1 : 0);
}

static const struct run_proto btc_proto = {
	.name = "btc",
	.conn_size = sizeof(struct btc_conn),
	.core_ops = &net_btc_core_ops,
	.conn_init = btc_conn_init,
	.note_sep = ": ",
	.msg_key = "command",
	.event_json = btc_event_json,
	.result_json = btc_result_json,
	.result_text = btc_result_text,
};

int cmd_btc(struct cli_opts *o)
{
	struct btc_ctx ctx;
	struct run run;

	memset(&ctx, 0, sizeof(ctx));
	memcpy(ctx.cfg.magic, o->magic, 4);
	ctx.cfg.version = o->version;
	ctx.cfg.services = o->services;
	ctx.cfg.user_agent = o->user_agent;
	ctx.cfg.start_height = o->start_height;
	ctx.cfg.relay = o->relay;
	ctx.cfg.required_services = o->require_services;
	ctx.cfg.is_local_nonce = is_local_nonce;
	ctx.cfg.nonce_ctx = &run;
	ctx.cfg.rng = cry_rng;
	ctx.cfg.bugs = o->bugs.btc;
	memcpy(ctx.cfg.inject, o->bugs.inject, sizeof(ctx.cfg.inject));
	ctx.cfg.ninject = o->bugs.ninject;
	if (o->bugs.obsolete_version)
		ctx.cfg.version = BTC_MIN_PEER_VERSION - 1;
	if (!o->port)
		o->port = o->network->port;
	return run_exec(&run, o, &btc_proto, &ctx);
}
