/*
 * cmd_noise.c - `noise connect` and `noise listen`: Noise_NNpsk2 over TCP,
 * each message framed with a 2-byte big-endian length, then --messages N
 * transport messages each echoed back (see noise/peer.h). The Noise hooks
 * of cli/run.c.
 *
 * The PSK never comes from argv: --psk-file FILE, --psk-env VAR, or the
 * PEERSHAKE_PSK environment variable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/events.h"
#include "cli/run.h"
#include "core/hex.h"
#include "crypto/crypto.h"
#include "net/cores.h"
#include "net/pool.h"

#define PSK_ENV_DEFAULT "PEERSHAKE_PSK"
#define PSK_FILE_MAX	256 /* bytes of --psk-file read; a key is 32, or 64 hex and a line end */

#define POOL_KEEP 16 /* idle blocks kept mapped (their pages dropped) */

struct noise_conn {
	struct run_conn rc;   /* first */
	struct noise_mem mem; /* lends from the pool, counting into lent */
	size_t lent;	      /* bytes this connection has borrowed now */
	struct net_noise_core core;
};

struct noise_ctx {
	struct noise_peer_config cfg; /* the template; its psk is wiped at the end */
	uint8_t *bufs[4];	      /* prologue, payload1, payload2, transport */
	struct net_pool *pool;	      /* every connection's blocks */
	struct noise_mem probe_mem;   /* the pool, uncounted (the start-up probe) */
	uint64_t budget;	      /* --max-unauth-mem */
	/* the budget's table, rebuilt when a request would pass it */
	struct net_admit_mem *mtab;
	struct noise_conn **mconns;
	size_t *mvictims;
	size_t mcap;
};

/* ---- memory: the pool and the budget for unauthenticated peers ---- */

static int probe_get(void *ctx, size_t len, void **block)
{
	struct noise_ctx *x = ctx;

	return (*block = net_pool_get(x->pool, len)) ? PS_OK : PS_ERR_NOMEM;
}

static void probe_put(void *ctx, void *block, size_t len)
{
	struct noise_ctx *x = ctx;

	net_pool_put(x->pool, block, len);
}

/* What the budget counts: an inbound connection whose peer has not shown
 * it holds the PSK (noise_peer_authenticated). Our own outbound ones are
 * not a peer's doing. */
static bool unauthenticated(const struct noise_conn *nc)
{
	return !nc->rc.s.outbound && nc->rc.s.started && !noise_peer_authenticated(&nc->core.peer);
}

/* The table of unauthenticated connections that hold memory, and nc (which
 * asks); *req its index, *total what they hold. PS_OK or PS_ERR_NOMEM. */
static int mem_table(struct run *run, struct noise_ctx *x, struct noise_conn *nc, size_t *n,
		     size_t *req, size_t *total)
{
	size_t k = 0;

	*total = 0;
	for (struct run_conn *c = run->conns; c; c = c->next) {
		struct noise_conn *e = (struct noise_conn *)c;
		if (e != nc && (!e->lent || !unauthenticated(e)))
			continue;
		if (k == x->mcap) {
			size_t cap = x->mcap ? x->mcap * 2 : 64;
			struct net_admit_mem *t = realloc(x->mtab, cap * sizeof(*t));
			struct noise_conn **cs;
			size_t *v;
			if (!t)
				return PS_ERR_NOMEM;
			x->mtab = t;
			if (!(cs = realloc(x->mconns, cap * sizeof(*cs))))
				return PS_ERR_NOMEM;
			x->mconns = cs;
			if (!(v = realloc(x->mvictims, cap * sizeof(*v))))
				return PS_ERR_NOMEM;
			x->mvictims = v;
			x->mcap = cap;
		}
		if (e == nc)
			*req = k;
		x->mtab[k].charge = e->lent;
		x->mtab[k].accepted_ns = c->s.start_ns;
		x->mconns[k++] = e;
		*total += e->lent;
	}
	*n = k;
	return PS_OK;
}

/* nc, not authenticated, asks for len bytes more: evict what the budget
 * says must go (net_admit_memory_victims). PS_OK: nc may borrow;
 * PS_ERR_EVICTED: nc itself went (its core fails with that); PS_ERR_NOMEM. */
static int mem_room(struct run *run, struct noise_ctx *x, struct noise_conn *nc, size_t len)
{
	size_t n, req = 0, total, k;
	bool self = false;
	uint64_t now = net_now_ns();
	int r;

	if ((r = mem_table(run, x, nc, &n, &req, &total)) != PS_OK)
		return r;
	if (total + len <= x->budget)
		return PS_OK;
	k = net_admit_memory_victims(x->mvictims, x->mtab, n, req, len, total,
				     (size_t)(x->budget < SIZE_MAX ? x->budget : SIZE_MAX));
	for (size_t i = 0; i < k; i++) {
		struct noise_conn *v = x->mconns[x->mvictims[i]];
		run->evicted[NET_ADMIT_MEMORY]++;
		events_evicted(run, &v->rc, NET_ADMIT_MEMORY, now);
		if (v == nc)
			self = true; /* ends through its core: FAILED evicted */
		else
			net_session_abort(&v->rc.s, PS_ERR_EVICTED); /* gives its blocks back */
	}
	return self ? PS_ERR_EVICTED : PS_OK;
}

static int conn_get(void *ctx, size_t len, void **block)
{
	struct noise_conn *nc = ctx;
	struct run *run = nc->rc.run;
	struct noise_ctx *x = run->proto_ctx;
	void *b;
	int r;

	if (unauthenticated(nc) && (r = mem_room(run, x, nc, len)) != PS_OK)
		return r;
	if (!(b = net_pool_get(x->pool, len)))
		return PS_ERR_NOMEM;
	nc->lent += len;
	*block = b;
	return PS_OK;
}

static void conn_put(void *ctx, void *block, size_t len)
{
	struct noise_conn *nc = ctx;
	struct noise_ctx *x = nc->rc.run->proto_ctx;

	net_pool_put(x->pool, block, len);
	nc->lent -= len;
}

static const struct noise_peer *conn_peer(const struct run_conn *c)
{
	return &((const struct noise_conn *)c)->core.peer;
}

/* --psk-file's bytes into buf (at most cap - 1 of them: one byte more than
 * the limit is read, so *len == cap says "too long"); 0 or EXIT_USAGE, with
 * the reason. Opened non-blocking, so a FIFO cannot hang us before fstat
 * refuses it: only a regular file holds a key. */
static int psk_file_read(uint8_t *buf, size_t cap, size_t *len, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	const char *bad = NULL;

	*len = 0;
	if (fd < 0) {
		fprintf(stderr, "peershake: cannot read PSK file '%s': %s\n", path,
			strerror(errno));
		return EXIT_USAGE;
	}
	if (fstat(fd, &st) != 0)
		bad = strerror(errno);
	else if (S_ISDIR(st.st_mode))
		bad = "is a directory";
	else if (!S_ISREG(st.st_mode))
		bad = "is not a regular file";
	while (!bad && *len < cap) {
		ssize_t n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			bad = strerror(errno);
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	if (bad) {
		fprintf(stderr,
			"peershake: PSK file '%s' %s (want 32 bytes, raw or as 64 hex digits)\n",
			path, bad);
		return EXIT_USAGE;
	}
	return 0;
}

/* The PSK from --psk-file (32 raw bytes, or 64 hex digits and a line end)
 * or from the variable (64 hex digits); 0 or EXIT_USAGE, with the reason. */
static int psk_load(uint8_t psk[NOISE_PSKLEN], const struct cli_opts *o)
{
	uint8_t buf[PSK_FILE_MAX + 1];
	size_t len = 0;
	int r;

	if (o->psk_file) {
		r = psk_file_read(buf, sizeof(buf), &len, o->psk_file);
		if (r != 0) {
			/* said why */
		} else if (len == 0) {
			fprintf(stderr,
				"peershake: PSK file '%s' is empty (want 32 bytes, raw or "
				"as 64 hex digits)\n",
				o->psk_file);
			r = EXIT_USAGE;
		} else if (len > PSK_FILE_MAX) {
			fprintf(stderr,
				"peershake: PSK file '%s' holds more than %d bytes: want 32 raw "
				"bytes or 64 hex digits\n",
				o->psk_file, PSK_FILE_MAX);
			r = EXIT_USAGE;
		} else if (ps_key_parse(psk, NOISE_PSKLEN, buf, len) != PS_OK) {
			fprintf(stderr,
				"peershake: PSK file '%s' holds %zu bytes: want 32 raw bytes "
				"or 64 hex digits\n",
				o->psk_file, len);
			r = EXIT_USAGE;
		}
		cry_memzero(buf, sizeof(buf));
		return r;
	}
	{
		const char *var = o->psk_env ? o->psk_env : PSK_ENV_DEFAULT;
		const char *val = getenv(var);
		if (!val || !*val) {
			fprintf(stderr,
				"peershake: no PSK: give --psk-file FILE, --psk-env VAR or set "
				"%s (64 hex digits)\n",
				PSK_ENV_DEFAULT);
			return EXIT_USAGE;
		}
		len = strlen(val);
		if (len != 2 * NOISE_PSKLEN ||
		    ps_key_parse(psk, NOISE_PSKLEN, (const uint8_t *)val, len) != PS_OK) {
			fprintf(stderr,
				"peershake: PSK in $%s is %zu characters: want 64 hex digits\n",
				var, len);
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* Decode an option's hex (syntax checked by cli_parse) into a new buffer. */
static int hex_arg(uint8_t **out, size_t *len, const char *hex)
{
	size_t n = hex ? strlen(hex) : 0;

	*out = NULL;
	*len = 0;
	if (!n)
		return 0;
	if (!(*out = malloc(n / 2)) || ps_hex_decode(*out, n / 2, len, hex, n) != PS_OK)
		return EXIT_RUNTIME;
	return 0;
}

static void noise_conn_init(struct run *run, struct run_conn *c)
{
	struct noise_conn *nc = (struct noise_conn *)c;
	struct noise_ctx *ctx = run->proto_ctx;

	nc->core.tmpl = &ctx->cfg; /* the PSK stays in the one template */
	nc->mem = (struct noise_mem){ conn_get, conn_put, nc };
	nc->core.mem = &nc->mem;
	c->core = &nc->core;
}

/* hex of (p, n), or "" */
static void json_hex(struct jobj *j, const char *key, const uint8_t *p, size_t n)
{
	char *hex = malloc(2 * n + 1);

	if (!hex)
		return;
	ps_hex_encode(hex, p, n);
	jstr(j, key, hex);
	free(hex);
}

static void text_hex(FILE *f, const char *key, const uint8_t *p, size_t n)
{
	fprintf(f, " %s=", key);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

/* After a failure, the message it is about as "msg1", "msg2",
 * "transport:K", "echo:K" (K its place, 1 .. N), or NULL (before the
 * connection, or a responder holding it under --bug no-echo). */
static const char *failed_on(const struct noise_peer *p, char *buf, size_t cap)
{
	uint32_t k;
	enum noise_peer_msg m = noise_peer_failed_on(p, &k);

	if (m == NOISE_PEER_MSG_NONE)
		return NULL;
	if (!k)
		return noise_peer_msg_name(m);
	snprintf(buf, cap, "%s:%u", noise_peer_msg_name(m), (unsigned)k);
	return buf;
}

static void noise_result_json(struct run *run, struct run_conn *c, struct jobj *j)
{
	const struct noise_ctx *ctx = run->proto_ctx;
	const struct noise_peer *p = conn_peer(c);
	const uint8_t *h, *pl, *t;
	const char *on;
	char buf[32];
	size_t hl, pll, tl;

	if ((h = noise_peer_handshake_hash(p, &hl)))
		json_hex(j, "handshake_hash", h, hl);
	if ((pl = noise_peer_payload(p, &pll)))
		json_hex(j, c->s.outbound ? "payload2" : "payload1", pl, pll);
	if ((t = noise_peer_transport(p, &tl)))
		json_hex(j, "transport", t, tl);
	if (!c->s.connected_ns)
		return; /* no exchange to speak of */
	juint(j, "messages", noise_peer_messages(p));
	if (ctx->cfg.continue_on_decrypt_failure)
		juint(j, "discarded", noise_peer_dropped(p));
	if ((on = failed_on(p, buf, sizeof(buf))))
		jstr(j, "failed_on", on);
}

static void noise_result_text(struct run *run, struct run_conn *c, FILE *f)
{
	const struct noise_ctx *ctx = run->proto_ctx;
	const struct noise_peer *p = conn_peer(c);
	const uint8_t *h, *pl, *t;
	size_t hl, pll, tl;

	if ((h = noise_peer_handshake_hash(p, &hl)))
		text_hex(f, "handshake_hash", h, hl);
	if ((pl = noise_peer_payload(p, &pll)))
		text_hex(f, c->s.outbound ? "payload2" : "payload1", pl, pll);
	if ((t = noise_peer_transport(p, &tl)))
		text_hex(f, "transport", t, tl);
	if (ctx->cfg.messages > 1)
		fprintf(f, " messages=%u", (unsigned)noise_peer_messages(p));
	if (ctx->cfg.continue_on_decrypt_failure)
		fprintf(f, " discarded=%llu", (unsigned long long)noise_peer_dropped(p));
}

static void noise_event_json(struct run *run, struct run_conn *c, const struct net_event *ev,
			     struct jobj *j)
{
	const uint8_t *h;
	size_t hl;

	(void)run;
	if (ev->kind == NET_EV_KEYS && (h = noise_peer_handshake_hash(conn_peer(c), &hl)))
		json_hex(j, "handshake_hash", h, hl);
}

const struct run_proto cmd_noise_proto = {
	.name = "noise",
	.conn_size = sizeof(struct noise_conn),
	.core_ops = &net_noise_core_ops,
	.conn_init = noise_conn_init,
	.note_sep = " on ",
	.msg_key = "message",
	.event_json = noise_event_json,
	.result_json = noise_result_json,
	.result_text = noise_result_text,
};

int cmd_noise(struct cli_opts *o)
{
	struct noise_ctx ctx;
	struct noise_peer_config *cfg = &ctx.cfg;
	struct run run;
	int status;

	memset(&ctx, 0, sizeof(ctx));
	if ((status = psk_load(cfg->psk, o)) != 0)
		goto out;
	if (!(ctx.pool = net_pool_create(NOISE_MEM_BLOCK, POOL_KEEP))) {
		fprintf(stderr, "peershake: out of memory\n");
		status = EXIT_RUNTIME;
		goto out;
	}
	ctx.probe_mem = (struct noise_mem){ probe_get, probe_put, &ctx };
	ctx.budget = o->max_unauth_mem_set ? o->max_unauth_mem : CLI_DEFAULT_MAX_UNAUTH_MEM;
	cfg->mem = &ctx.probe_mem; /* each connection's own lender replaces it */
	cfg->protocol = o->protocol;
	cfg->rng = cry_rng;
	cfg->bugs = o->bugs.noise;
	cfg->messages = o->messages ? o->messages : 1;
	cfg->continue_on_decrypt_failure = o->continue_on_decrypt_failure;
	if (o->bugs.wrong_psk)
		cfg->psk[0] ^= 0x01;
	if ((status = hex_arg(&ctx.bufs[0], &cfg->prologue_len, o->prologue_hex)) != 0 ||
	    (status = hex_arg(&ctx.bufs[1], &cfg->payload1_len, o->payload1_hex)) != 0 ||
	    (status = hex_arg(&ctx.bufs[2], &cfg->payload2_len, o->payload2_hex)) != 0 ||
	    (status = hex_arg(&ctx.bufs[3], &cfg->transport_len, o->transport_hex)) != 0)
		goto out;
	if (o->bugs.wrong_prologue) {
		/* one byte more than agreed */
		uint8_t *p = realloc(ctx.bufs[0], cfg->prologue_len + 1);
		if (!p) {
			status = EXIT_RUNTIME;
			goto out;
		}
		p[cfg->prologue_len++] = 0x5a;
		ctx.bufs[0] = p;
	}
	cfg->prologue = ctx.bufs[0];
	cfg->payload1 = ctx.bufs[1];
	cfg->payload2 = ctx.bufs[2];
	cfg->transport = ctx.bufs[3];

	/* Refuse what the peer would refuse later, before any connection: a
	 * protocol name we cannot run, a payload too large for its message. */
	{
		struct noise_peer probe;
		int r = noise_peer_init(&probe, NOISE_PEER_INITIATOR, cfg, 0);
		noise_peer_free(&probe);
		if (r == PS_OK) {
			struct noise_peer_config c2 = *cfg;
			c2.payload1_len = 0; /* payload2 is the responder's */
			r = noise_peer_init(&probe, NOISE_PEER_RESPONDER, &c2, 0);
			noise_peer_free(&probe);
			cry_memzero(&c2, sizeof(c2)); /* a copy of the PSK */
		}
		if (r != PS_OK) {
			fprintf(stderr, "peershake: %s: %s\n",
				r == PS_ERR_TOO_LARGE
					? "a payload makes its message exceed 65535 bytes"
					: "cannot run that Noise protocol",
				ps_strerror(r));
			status = EXIT_USAGE;
			goto out;
		}
	}
	status = run_exec(&run, o, &cmd_noise_proto, &ctx);
out:
	cry_memzero(cfg->psk, sizeof(cfg->psk));
	for (size_t i = 0; i < 4; i++)
		free(ctx.bufs[i]);
	free(ctx.mtab);
	free(ctx.mconns);
	free(ctx.mvictims);
	net_pool_destroy(ctx.pool);
	return status;
}
