/*
 * crawl.c - `peershake crawl`: a breadth-first walk of the addresses peers
 * answer getaddr with. Every outbound connection is a `btc connect
 * --getaddr`; its result hands the addresses it kept to crawl_peer, which
 * dedups them in a keyed hash set (cli/crawlset.h) and queues the ones to
 * dial. One JSON Lines record per peer and per address recorded but not
 * dialled, a summary at the end.
 */
#include "cli/crawl.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/crawlset.h"
#include "cli/report.h"
#include "crypto/crypto.h"
#include "net/loop.h"

/* Distinct user agents, versions, service sets kept for the summary; the
 * rest count as "other" (a crawl of a hostile network must not grow them
 * without bound). */
#define TALLY_MAX 64
#define TALLY_KEY 96

struct tally {
	struct {
		char key[TALLY_KEY];
		size_t n;
	} e[TALLY_MAX];
	size_t used, other;
};

enum { OUT_SUCCESS, OUT_PARTIAL, OUT_FAILED, OUT_N };
enum { TR_V1, TR_V2, TR_NONE, TR_N };

struct crawl {
	const struct cli_opts *o;
	struct report rep; /* JSON Lines on stdout */
	struct crawl_set known;
	FILE *csv;
	size_t dialled, done, succeeded;
	size_t recorded, known_full, dup;
	/* the summary */
	size_t outcome[OUT_N], transport[TR_N];
	size_t net[8]; /* addresses known, by BIP 155 id */
	struct tally ua, version, services;
	uint64_t progress_ns;
	bool progress_shown;
};

static void tally_add(struct tally *t, const char *key)
{
	for (size_t i = 0; i < t->used; i++)
		if (strcmp(t->e[i].key, key) == 0) {
			t->e[i].n++;
			return;
		}
	if (t->used == TALLY_MAX) {
		t->other++;
		return;
	}
	snprintf(t->e[t->used].key, TALLY_KEY, "%s", key);
	t->e[t->used++].n = 1;
}

int crawl_create(struct crawl **out, const struct cli_opts *o)
{
	struct crawl *cr = calloc(1, sizeof(*cr));
	uint8_t key[16];
	size_t max;

	*out = NULL;
	if (!cr)
		return EXIT_RUNTIME;
	cr->o = o;
	report_init(&cr->rep, true, false, false);
	cry_random(key, sizeof(key));
	max = o->max_peers > SIZE_MAX / CLI_CRAWL_KNOWN_PER_PEER
		      ? SIZE_MAX
		      : (size_t)o->max_peers * CLI_CRAWL_KNOWN_PER_PEER;
	if (max < CLI_CRAWL_KNOWN_MIN)
		max = CLI_CRAWL_KNOWN_MIN;
	if (crawl_set_init(&cr->known, max, key) != PS_OK) {
		free(cr);
		return EXIT_RUNTIME;
	}
	if (o->has_proxy) {
		struct btc_addr p;
		bool allowed = false;

		memset(&p, 0, sizeof(p));
		/* every connection of the crawl is a TCP connection to the
		 * proxy, IP addresses and names alike: a proxy outside the
		 * filter would take every one outside it */
		if (crawl_addr_parse_ip(&p, o->proxy_host) == PS_OK)
			allowed = crawl_filter_allows(o->cidrs, o->ncidrs, &p);
		if (!allowed) {
			fprintf(stderr,
				"peershake: the --proxy address %s is outside --allow/--deny: "
				"every connection of the crawl goes to it\n",
				o->proxy_host);
			crawl_destroy(cr);
			return EXIT_USAGE;
		}
	}
	if (o->csv_file) {
		if (!(cr->csv = fopen(o->csv_file, "w"))) {
			fprintf(stderr, "peershake: --csv %s: %s\n", o->csv_file, strerror(errno));
			crawl_destroy(cr);
			return EXIT_USAGE;
		}
		fputs("peer,depth,outcome,reason,version,services,user_agent,start_height,"
		      "transport,addr_received,addr_new,connect_ms,duration_ms\n",
		      cr->csv);
	}
	*out = cr;
	return 0;
}

void crawl_destroy(struct crawl *cr)
{
	if (!cr)
		return;
	if (cr->csv)
		fclose(cr->csv);
	crawl_set_free(&cr->known);
	free(cr);
}

/* ---- the progress line ---- */

static void progress_clear(struct crawl *cr)
{
	if (cr->progress_shown) {
		fputs("\r\033[K", stderr);
		cr->progress_shown = false;
	}
}

static void progress(struct crawl *cr, struct run *run)
{
	uint64_t now = net_now_ns();

	if (!cr->o->progress || !isatty(STDERR_FILENO) || now - cr->progress_ns < 100000000u)
		return;
	cr->progress_ns = now;
	fprintf(stderr, "\r\033[Kcrawl: %zu done, %zu queued, %zu ok, %zu addresses known",
		cr->done, run->qlen - run->qhead + run->active, cr->succeeded, cr->known.n);
	cr->progress_shown = true;
}

/* ---- addresses ---- */

static void target_addr(struct btc_addr *a, const struct run_target *t)
{
	memset(a, 0, sizeof(*a));
	if (t->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&t->addr;
		a->net = BTC_NET_IPV6;
		a->len = 16;
		memcpy(a->bytes, &s6->sin6_addr, 16);
		a->port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&t->addr;
		a->net = BTC_NET_IPV4;
		a->len = 4;
		memcpy(a->bytes, &s4->sin_addr, 4);
		a->port = ntohs(s4->sin_port);
	}
}

/* Why a new address is not dialled, or NULL when it is. */
static const char *why_not(struct crawl *cr, const struct btc_addr *a, uint64_t depth)
{
	const struct cli_opts *o = cr->o;

	switch (a->net) {
	case BTC_NET_IPV4:
	case BTC_NET_IPV6:
		if (!crawl_filter_allows(o->cidrs, o->ncidrs, a))
			return "not-allowed";
		break;
	case BTC_NET_TORV3:
	case BTC_NET_I2P:
		/* names for the proxy (ATYP 3); never resolved or dialled
		 * without one. The proxy itself passed the filter
		 * (crawl_create) */
		if (!o->has_proxy)
			return "no-proxy";
		break;
	default:
		/* CJDNS needs a route into its network we do not have */
		return "unreachable-network";
	}
	/* no TCP service listens on port 0, and a SOCKS5 CONNECT needs a
	 * DST.PORT (socks5_init refuses 0). I2P addresses as Core gossips
	 * them carry 0 (I2P_SAM31_PORT: SAM 3.1 has no ports), which only a
	 * SAM client dials */
	if (a->port == 0)
		return "port-0";
	if (depth > o->max_depth)
		return "max-depth";
	if (cr->dialled >= o->max_peers)
		return "max-peers";
	return NULL;
}

static void record(struct crawl *cr, const struct btc_addr *a, uint64_t depth, const char *from,
		   const char *why)
{
	char text[BTC_ADDR_STRLEN];
	struct jobj j;

	cr->recorded++;
	btc_addr_format(text, a);
	progress_clear(cr);
	report_begin(&cr->rep, &j, "crawl_addr");
	jstr(&j, "address", text);
	jstr(&j, "network", btc_net_name(a->net));
	juint(&j, "port", a->port);
	juint(&j, "depth", depth);
	if (from)
		jstr(&j, "from", from);
	jbool(&j, "dialled", false);
	jstr(&j, "reason", why);
	report_end(&j);
}

/* a is new: dial it (queue), or record why not. */
static void consider(struct crawl *cr, struct run *run, const struct btc_addr *a, uint64_t depth,
		     const char *from)
{
	const char *why = why_not(cr, a, depth);
	struct run_target t;

	if (a->net < sizeof(cr->net) / sizeof(cr->net[0]))
		cr->net[a->net]++;
	if (why) {
		record(cr, a, depth, from, why);
		return;
	}
	memset(&t, 0, sizeof(t));
	t.depth = (unsigned)depth;
	if (a->net == BTC_NET_TORV3 || a->net == BTC_NET_I2P) {
		btc_addr_format(t.host, a);
		t.port = a->port;
	} else if (a->net == BTC_NET_IPV4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&t.addr;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a->bytes, 4);
		s4->sin_port = htons(a->port);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t.addr;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->bytes, 16);
		s6->sin6_port = htons(a->port);
	}
	if (run_enqueue(run, &t) != PS_OK) {
		run->runtime_failure = true;
		return;
	}
	cr->dialled++;
}

bool crawl_seed(struct crawl *cr, struct run *run, const struct run_target *t)
{
	struct btc_addr a;
	int r;

	(void)run;
	if (t->host[0]) {
		/* a name given to the proxy as it is (only with --proxy,
		 * which crawl_create checked against the filter): an IP
		 * prefix says nothing about it */
		if (cr->dialled >= cr->o->max_peers)
			return false;
		cr->dialled++;
		return true;
	}
	target_addr(&a, t);
	r = crawl_set_add(&cr->known, &a);
	if (r == 0)
		return false; /* a seed given twice, or two names sharing one */
	if (r < 0) {
		cr->known_full++;
		return false;
	}
	if (a.net < sizeof(cr->net) / sizeof(cr->net[0]))
		cr->net[a.net]++;
	{
		const char *why = why_not(cr, &a, 0);
		if (why) {
			record(cr, &a, 0, NULL, why);
			return false;
		}
	}
	cr->dialled++;
	return true;
}

/* ---- records ---- */

static void csv_field(FILE *f, const char *s, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"')
			fputs("\"\"", f);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void key_sanitized(char *out, size_t cap, const char *s, size_t len)
{
	size_t k = 0;

	for (size_t i = 0; i < len && k + 7 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];
		/* JSON's escape, valid in a key as it is */
		if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
			k += (size_t)snprintf(out + k, cap - k, "\\u%04x", ch);
		else
			out[k++] = (char)ch;
	}
	out[k] = 0;
}

void crawl_peer(struct crawl *cr, struct run *run, const struct run_conn *c,
		const struct btc_hs *hs)
{
	const struct net_session *s = &c->s;
	const struct btc_peer_info *p = s->started ? btc_hs_peer(hs) : NULL;
	const char *transport = s->started ? btc_hs_transport(hs) : NULL;
	const struct btc_addr *a = NULL;
	size_t n = 0, nnew = 0, bynet[8] = { 0 };
	/* a copy: consider() queues, and the queue may move */
	unsigned hops = run_conn_target(c)->depth;
	uint64_t depth = (uint64_t)hops + 1;
	uint64_t connect_ms =
		s->connected_ns > s->start_ns ? (s->connected_ns - s->start_ns) / 1000000u : 0;
	uint64_t duration_ms = (s->end_ns - s->start_ns) / 1000000u;
	int out = s->outcome == PS_SUCCESS   ? OUT_SUCCESS
		  : s->outcome == PS_PARTIAL ? OUT_PARTIAL
					     : OUT_FAILED;
	struct jobj j;
	char buf[TALLY_KEY];

	cr->done++;
	cr->outcome[out]++;
	if (out == OUT_SUCCESS)
		cr->succeeded++;
	if (s->started)
		a = btc_hs_addrs(hs, &n);
	for (size_t i = 0; a && i < n; i++) {
		int r = crawl_set_add(&cr->known, &a[i]);
		if (a[i].net < 8)
			bynet[a[i].net]++;
		if (r == 0) {
			cr->dup++;
		} else if (r < 0) {
			cr->known_full++;
		} else {
			nnew++;
			consider(cr, run, &a[i], depth, net_session_name(s));
		}
	}
	cr->transport[!transport ? TR_NONE : strcmp(transport, "v2") == 0 ? TR_V2 : TR_V1]++;
	if (p) {
		key_sanitized(buf, sizeof(buf), p->user_agent, p->user_agent_len);
		tally_add(&cr->ua, buf);
		snprintf(buf, sizeof(buf), "%d", p->version);
		tally_add(&cr->version, buf);
		snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)p->services);
		tally_add(&cr->services, buf);
	}

	progress_clear(cr);
	report_begin(&cr->rep, &j, "crawl_peer");
	jstr(&j, "peer", net_session_name(s));
	juint(&j, "depth", hops);
	jstr(&j, "outcome", ps_outcome_name(s->outcome));
	if (s->outcome != PS_SUCCESS)
		jstr(&j, "reason", ps_errname(s->err));
	if (transport)
		jstr(&j, "transport", transport);
	if (p) {
		jint(&j, "version", p->version);
		jhex64(&j, "services", p->services);
		jstrn(&j, "user_agent", p->user_agent, p->user_agent_len);
		jint(&j, "start_height", p->start_height);
	}
	juint(&j, "addr_received", s->started ? btc_hs_addr_tally(hs)->entries_in : 0);
	juint(&j, "addr_kept", n);
	juint(&j, "addr_new", nnew);
	for (uint8_t k = BTC_NET_IPV4; k <= BTC_NET_CJDNS; k++)
		if (k != BTC_NET_TORV2) {
			char name[32];
			snprintf(name, sizeof(name), "addr_%s", btc_net_name(k));
			juint(&j, name, bynet[k]);
		}
	juint(&j, "connect_ms", connect_ms);
	juint(&j, "duration_ms", duration_ms);
	report_end(&j);
	fflush(cr->rep.out);

	if (cr->csv) {
		fprintf(cr->csv, "%s,%u,%s,%s,", net_session_name(s), hops,
			ps_outcome_name(s->outcome),
			s->outcome == PS_SUCCESS ? "" : ps_errname(s->err));
		if (p) {
			fprintf(cr->csv, "%d,0x%016llx,", p->version,
				(unsigned long long)p->services);
			csv_field(cr->csv, p->user_agent, p->user_agent_len);
			fprintf(cr->csv, ",%d,", p->start_height);
		} else {
			fputs(",,,,", cr->csv);
		}
		fprintf(cr->csv, "%s,%llu,%zu,%llu,%llu\n", transport ? transport : "",
			(unsigned long long)(s->started ? btc_hs_addr_tally(hs)->entries_in : 0),
			nnew, (unsigned long long)connect_ms, (unsigned long long)duration_ms);
	}
	progress(cr, run);
}

/* ---- the summary ---- */

static const char *const outcome_names[OUT_N] = { "SUCCESS", "PARTIAL", "FAILED" };
static const char *const transport_names[TR_N] = { "v1", "v2", "none" };

/* "key":{"a":1,"b":2} written into j's line: JSON object values, which
 * struct jobj does not build, written here with its escaping */
static void tally_json(struct jobj *j, const char *key, const struct tally *t)
{
	FILE *f = j->r->out;

	fprintf(f, ",\"%s\":{", key);
	for (size_t i = 0; i < t->used; i++) {
		/* keys were sanitized to printable ASCII without quotes */
		fprintf(f, "%s\"%s\":%zu", i ? "," : "", t->e[i].key, t->e[i].n);
	}
	if (t->other)
		fprintf(f, "%s\"other\":%zu", t->used ? "," : "", t->other);
	fputc('}', f);
}

static void counts_json(struct jobj *j, const char *key, const char *const *names, const size_t *n,
			size_t k)
{
	FILE *f = j->r->out;

	fprintf(f, ",\"%s\":{", key);
	for (size_t i = 0; i < k; i++)
		fprintf(f, "%s\"%s\":%zu", i ? "," : "", names[i], n[i]);
	fputc('}', f);
}

static const char *const net_names[5] = { "ipv4", "ipv6", "torv3", "i2p", "cjdns" };

static void net_counts(const struct crawl *cr, size_t out[5])
{
	out[0] = cr->net[BTC_NET_IPV4];
	out[1] = cr->net[BTC_NET_IPV6];
	out[2] = cr->net[BTC_NET_TORV3];
	out[3] = cr->net[BTC_NET_I2P];
	out[4] = cr->net[BTC_NET_CJDNS];
}

/* ---- HTML ---- */

static void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* One row of a chart: the key (hostile text: escaped, in the attribute
 * too), the count, its share of the chart's total, and a bar scaled to the
 * chart's largest count (rounded up: a count above 0 always shows). */
static void html_bar(FILE *f, const char *label, size_t n, size_t max, size_t total)
{
	unsigned pct = max ? (unsigned)((n * 100 + max - 1) / max) : 0;
	unsigned share = total ? (unsigned)((n * 100 + total / 2) / total) : 0;

	fputs("<tr data-key=\"", f);
	html_text(f, label);
	fprintf(f, "\" data-count=\"%zu\"><td class=\"k\">", n);
	html_text(f, label);
	fprintf(f,
		"</td><td class=\"n\">%zu</td><td class=\"p\">%u%%</td><td class=\"b\">"
		"<div class=\"bar\" style=\"width:%u%%\"></div></td></tr>\n",
		n, share, pct);
}

/* A chart: <h2>title</h2> and a table whose data-chart is the summary
 * line's key for the same counts. */
static void html_chart_begin(FILE *f, const char *title, const char *key)
{
	fprintf(f, "<h2>%s</h2>\n<table class=\"chart\" data-chart=\"%s\">\n", title, key);
}

static void html_section(FILE *f, const char *title, const char *key, const char *const *names,
			 const size_t *n, size_t k)
{
	size_t max = 0, total = 0;

	for (size_t i = 0; i < k; i++) {
		total += n[i];
		if (n[i] > max)
			max = n[i];
	}
	html_chart_begin(f, title, key);
	for (size_t i = 0; i < k; i++)
		html_bar(f, names[i], n[i], max, total);
	fputs("</table>\n", f);
}

/* A tally, largest first (ties in the order first seen), "other" last. */
static void html_tally(FILE *f, const char *title, const char *key, const struct tally *t)
{
	size_t max = t->other, total = t->other, order[TALLY_MAX];

	for (size_t i = 0; i < t->used; i++) {
		size_t k = i;
		total += t->e[i].n;
		if (t->e[i].n > max)
			max = t->e[i].n;
		for (; k > 0 && t->e[order[k - 1]].n < t->e[i].n; k--)
			order[k] = order[k - 1];
		order[k] = i;
	}
	html_chart_begin(f, title, key);
	for (size_t i = 0; i < t->used; i++)
		html_bar(f, t->e[order[i]].key, t->e[order[i]].n, max, total);
	if (t->other)
		html_bar(f, "other", t->other, max, total);
	fputs("</table>\n", f);
}

static void html_total(FILE *f, const char *key, const char *label, size_t n)
{
	fprintf(f, "<tr data-key=\"%s\"><th>%s</th><td>%zu</td></tr>\n", key, label, n);
}

/* A page of static HTML and inline CSS: no script, nothing loaded (the
 * Content-Security-Policy forbids both, should a key ever escape). */
static int write_html(const struct crawl *cr, const char *path)
{
	FILE *f = fopen(path, "w");
	size_t nets[5];
	int bad;

	if (!f) {
		fprintf(stderr, "peershake: --html %s: %s\n", path, strerror(errno));
		return EXIT_RUNTIME;
	}
	net_counts(cr, nets);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" "
	      "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	      "<title>peershake crawl</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:2em;color:#222}\n"
	      "table{border-collapse:collapse;margin-bottom:1.2em}\n"
	      "table.chart{table-layout:fixed;width:820px}\n"
	      "td,th{padding:3px 8px;vertical-align:middle}th{text-align:left;font-weight:normal}\n"
	      "#totals td{text-align:right;font-weight:bold}\n"
	      "td.k{width:320px;font-family:monospace;overflow-wrap:anywhere}\n"
	      "td.n{width:70px;text-align:right}td.p{width:50px;text-align:right;color:#666}\n"
	      "table.chart tr:nth-child(even){background:#f3f5f8}\n"
	      ".bar{background:#3b7dd8;height:16px}\n"
	      "</style></head><body>\n<h1>peershake crawl</h1>\n<table id=\"totals\">\n",
	      f);
	html_total(f, "peers", "peers dialled", cr->done);
	html_total(f, "succeeded", "handshakes succeeded", cr->succeeded);
	html_total(f, "known", "addresses known", cr->known.n);
	html_total(f, "duplicates", "addresses heard again", cr->dup);
	html_total(f, "recorded", "addresses recorded, not dialled", cr->recorded);
	html_total(f, "known_full", "addresses past the known-set bound", cr->known_full);
	fputs("</table>\n", f);
	html_section(f, "Outcome", "outcome", outcome_names, cr->outcome, OUT_N);
	html_section(f, "Transport", "transport", transport_names, cr->transport, TR_N);
	html_section(f, "Addresses known by network", "network", net_names, nets, 5);
	html_tally(f, "User agent", "user_agent", &cr->ua);
	html_tally(f, "Protocol version", "version", &cr->version);
	html_tally(f, "Service bits", "services", &cr->services);
	fputs("</body></html>\n", f);
	bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		fprintf(stderr, "peershake: --html %s: write failed\n", path);
		return EXIT_RUNTIME;
	}
	return 0;
}

int crawl_finish(struct crawl *cr, struct run *run)
{
	struct jobj j;
	size_t nets[5];
	int status = 0;

	(void)run;
	progress_clear(cr);
	net_counts(cr, nets);
	report_begin(&cr->rep, &j, "crawl_summary");
	juint(&j, "peers", cr->done);
	juint(&j, "dialled", cr->dialled);
	juint(&j, "succeeded", cr->succeeded);
	juint(&j, "known", cr->known.n);
	juint(&j, "known_max", cr->known.max);
	juint(&j, "known_full", cr->known_full);
	juint(&j, "duplicates", cr->dup);
	juint(&j, "recorded", cr->recorded);
	counts_json(&j, "outcome", outcome_names, cr->outcome, OUT_N);
	counts_json(&j, "transport", transport_names, cr->transport, TR_N);
	counts_json(&j, "network", net_names, nets, 5);
	tally_json(&j, "user_agent", &cr->ua);
	tally_json(&j, "version", &cr->version);
	tally_json(&j, "services", &cr->services);
	report_end(&j);
	fflush(cr->rep.out);
	if (cr->csv) {
		int bad = ferror(cr->csv);
		if (fclose(cr->csv) != 0 || bad) {
			fprintf(stderr, "peershake: --csv %s: write failed\n", cr->o->csv_file);
			status = EXIT_RUNTIME;
		}
		cr->csv = NULL;
	}
	if (cr->o->html_file && write_html(cr, cr->o->html_file) != 0)
		status = EXIT_RUNTIME;
	return status;
}
