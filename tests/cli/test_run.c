/*
 * test_run.c - ref/cli/run (and the lines cli/events.c writes for it):
 * run_exec with a fake protocol over loopback, and once with the real
 * Noise core and adapter.
 *
 * The fake protocol's core (tests/support/fakecore.h) says "ping\n" and
 * succeeds on "pong\n" (as an initiator) or answers "ping\n" with "pong\n"
 * (as a responder), with an event per line; it expires at the session's
 * --timeout. run_exec
 * owns its loop, so the other end lives in a forked child: a TCP listener
 * that answers pings and a UDP DNS responder (peer.test -> 127.0.0.1,
 * anything else NXDOMAIN), both on sockets the parent opened first so
 * their ports are known. The child ends when the parent closes a pipe (or
 * after 20 s) and is reaped by its pid. run_exec writes to stdout and
 * stderr: both are captured through temporary files on fds 1 and 2, and
 * every stdout line in JSON mode must parse with cJSON.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cJSON.h>

#include "cli/opts.h"
#include "cli/run.h"
#include "crypto/crypto.h"
#include "fakecore.h"
#include "loopback.h"
#include "net/cores.h"
#include "net/sock.h"
#include "testutil.h"

/* ---- the fake protocol: tests/support/fakecore.h ---- */

static struct tu_fake_cfg fake_cfg; /* every connection's; reset before each test */
static struct tu_fake_log fake_log; /* every connection's; reset by run() */

struct fake_conn {
	struct run_conn rc; /* first */
	struct tu_fake core;
};

static int conn_inits;

static void fp_conn_init(struct run *run, struct run_conn *c)
{
	struct fake_conn *fc = (struct fake_conn *)c;

	assert_int_equal(*(int *)run->proto_ctx, 0x5eed);
	conn_inits++;
	tu_fake_init(&fc->core, &fake_cfg, &fake_log);
	c->core = &fc->core;
}

static void fp_event_json(struct run *run, struct run_conn *c, const struct net_event *ev,
			  struct jobj *j)
{
	(void)run, (void)c, (void)j;
	/* only for a PEER or KEYS event, which the fake core never makes */
	fail_msg("event_json called for an event of kind %d", ev->kind);
}

static void fp_result_json(struct run *run, struct run_conn *c, struct jobj *j)
{
	(void)run, (void)c;
	jstr(j, "fake", "yes");
}

static void fp_result_text(struct run *run, struct run_conn *c, FILE *f)
{
	(void)run, (void)c;
	fputs("fake=yes", f);
}

static const struct run_proto fake_proto = {
	.name = "fake",
	.conn_size = sizeof(struct fake_conn),
	.core_ops = &tu_fake_ops,
	.conn_init = fp_conn_init,
	.note_sep = ": ",
	.msg_key = "line",
	.event_json = fp_event_json,
	.result_json = fp_result_json,
	.result_text = fp_result_text,
};

static int reset_fake(void **state)
{
	(void)state;
	memset(&fake_cfg, 0, sizeof(fake_cfg));
	fake_cfg.mode = TU_FAKE_BY_ROLE;
	fake_cfg.expiry_from_timeout = true; /* the session's --timeout */
	conn_inits = 0;
	return 0;
}

/* ---- a Noise protocol: the real core and adapter (net/cores.h) ---- */

/* The initiator's deadline: shorter than the run's --timeout, so that it
 * gives up (and closes) while the responder still holds. */
#define NOISE_INITIATOR_NS (300 * TU_MS)

struct noise_conn {
	struct run_conn rc; /* first */
	struct net_noise_core core;
};

struct noise_ctx {
	struct noise_peer_config cfg; /* the template */
	uint64_t seed;
	int results;
};

static const uint8_t NOISE_T[] = "held, not echoed";

static int np_start(void *core, const struct net_session *s, uint64_t now_ns, uint64_t timeout_ns)
{
	return net_noise_core_ops.start(core, s, now_ns,
					s->outbound ? NOISE_INITIATOR_NS : timeout_ns);
}

static struct net_core_ops np_ops; /* net_noise_core_ops with np_start */

static void np_conn_init(struct run *run, struct run_conn *c)
{
	struct noise_conn *nc = (struct noise_conn *)c;
	struct noise_ctx *ctx = run->proto_ctx;

	/* what --bug no-echo parsed into; the template says the same */
	assert_int_equal(run->o->bugs.noise, NOISE_BUG_NO_ECHO);
	nc->core.tmpl = &ctx->cfg;
	c->core = &nc->core;
}

static void np_event_json(struct run *run, struct run_conn *c, const struct net_event *ev,
			  struct jobj *j)
{
	const uint8_t *h;
	size_t n;

	(void)run;
	assert_int_equal(ev->kind, NET_EV_KEYS);
	h = noise_peer_handshake_hash(&((struct noise_conn *)c)->core.peer, &n);
	assert_non_null(h);
	juint(j, "hash_len", n);
}

/* Both results are in: stop the listening run (nothing would succeed). */
static void np_result(struct run *run)
{
	struct noise_ctx *ctx = run->proto_ctx;

	if (++ctx->results == 2)
		net_loop_stop(run->loop);
}

static void np_result_json(struct run *run, struct run_conn *c, struct jobj *j)
{
	(void)c;
	jstr(j, "noise", "yes");
	np_result(run);
}

static void np_result_text(struct run *run, struct run_conn *c, FILE *f)
{
	(void)c;
	fputs("noise=yes", f);
	np_result(run);
}

static const struct run_proto noise_proto = {
	.name = "noise",
	.conn_size = sizeof(struct noise_conn),
	.core_ops = &np_ops,
	.conn_init = np_conn_init,
	.note_sep = " on ",
	.msg_key = "message",
	.event_json = np_event_json,
	.result_json = np_result_json,
	.result_text = np_result_text,
};

/* ---- the peer, in a child process ---- */

struct peer {
	pid_t pid;
	int ctl; /* the parent's end of the pipe: closing it ends the child */
	uint16_t tcp_port, dns_port;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Answer one DNS query: peer.test A -> 127.0.0.1, peer.test AAAA -> no
 * data, anything else NXDOMAIN. */
static void dns_answer(int fd)
{
	uint8_t q[512], a[600];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
	char name[256];
	size_t off = 12, nl = 0, alen;
	bool known;
	uint16_t qtype;

	if (n < 12)
		return;
	while (off < (size_t)n && q[off] && q[off] < 64 && nl + q[off] + 1 < sizeof(name)) {
		if (nl)
			name[nl++] = '.';
		for (uint8_t i = 0; i < q[off] && off + 1 + i < (size_t)n; i++)
			name[nl++] = (char)tolower(q[off + 1 + i]);
		off += 1u + q[off];
	}
	name[nl] = 0;
	off += 1; /* the root label */
	if ((size_t)n < off + 4)
		return;
	qtype = get16(q + off);
	off += 4;
	known = strcmp(name, "peer.test") == 0;
	memcpy(a, q, off);
	a[2] = (uint8_t)(0x80 | (q[2] & 0x79));
	a[3] = (uint8_t)(0x80 | (known ? 0 : 3));
	a[6] = a[7] = a[8] = a[9] = a[10] = a[11] = 0;
	alen = off;
	if (known && qtype == 1) {
		static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0,   1, 0, 0,
					      0,    60,	  0, 4, 127, 0, 0, 1 };
		memcpy(a + alen, rr, sizeof(rr));
		alen += sizeof(rr);
		a[7] = 1;
	}
	(void)sendto(fd, a, alen, 0, (struct sockaddr *)&from, flen);
}

static void child(int lfd, int ufd, int ctl)
{
	struct pollfd p[16];
	char buf[16][32];
	size_t blen[16];
	int n = 3;

	p[0] = (struct pollfd){ ctl, POLLIN, 0 };
	p[1] = (struct pollfd){ lfd, POLLIN, 0 };
	p[2] = (struct pollfd){ ufd, POLLIN, 0 };
	for (;;) {
		int r = poll(p, (nfds_t)n, 20000);
		if (r <= 0 && !(r < 0 && errno == EINTR))
			_exit(2);
		if (p[0].revents)
			_exit(0); /* the parent closed the pipe */
		if (p[1].revents & POLLIN) {
			int fd = accept(lfd, NULL, NULL);
			if (fd >= 0 && n < 16) {
				blen[n] = 0;
				p[n++] = (struct pollfd){ fd, POLLIN, 0 };
			} else if (fd >= 0) {
				close(fd);
			}
		}
		if (p[2].revents & POLLIN)
			dns_answer(ufd);
		for (int i = 3; i < n; i++) {
			ssize_t k;
			if (!p[i].revents)
				continue;
			k = read(p[i].fd, buf[i] + blen[i], sizeof(buf[i]) - blen[i]);
			if (k <= 0) {
				close(p[i].fd);
				p[i] = p[--n];
				blen[i] = blen[n];
				memcpy(buf[i], buf[n], sizeof(buf[i]));
				i--;
				continue;
			}
			blen[i] += (size_t)k;
			if (blen[i] >= 5 && memcmp(buf[i], "ping\n", 5) == 0) {
				(void)!write(p[i].fd, "pong\n", 5);
				blen[i] = 0;
			}
			if (blen[i] == sizeof(buf[i]))
				blen[i] = 0;
		}
	}
}

static void peer_start(struct peer *pr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = tu_listen_loopback(&ss, 16), ufd, pipefd[2];

	pr->tcp_port = net_addr_port(&ss);

	ufd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(ufd >= 0);
	assert_true(net_addr_numeric(&ss, "127.0.0.1", 0));
	assert_int_equal(bind(ufd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
	len = sizeof(ss);
	assert_int_equal(getsockname(ufd, (struct sockaddr *)&ss, &len), 0);
	pr->dns_port = net_addr_port(&ss);

	assert_int_equal(pipe(pipefd), 0);
	fflush(stdout);
	fflush(stderr);
	pr->pid = fork();
	assert_true(pr->pid >= 0);
	if (pr->pid == 0) {
		close(pipefd[1]);
		child(lfd, ufd, pipefd[0]);
	}
	close(pipefd[0]);
	close(lfd);
	close(ufd);
	pr->ctl = pipefd[1];
}

static void peer_stop(struct peer *pr)
{
	int status = -1;

	close(pr->ctl);
	assert_int_equal(waitpid(pr->pid, &status, 0), pr->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A port where nothing listens, held bound (not listening) so no other
 * process takes it meanwhile. */
static int refused_port(uint16_t *port)
{
	struct sockaddr_storage ss;
	int fd = tu_hold_port(&ss, false);

	*port = net_addr_port(&ss);
	return fd;
}

/* ---- running ---- */

struct outcome {
	int status;
	char *out, *err; /* what went to stdout and stderr */
	cJSON *events[64];
	size_t nevents;
};

static char *slurp(FILE *f)
{
	long n;
	char *buf;

	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* Parse argv (as test_opts does) and run it with proto. */
static void run_with(struct outcome *res, const char *spec, const struct run_proto *proto,
		     void *ctx)
{
	char buf[1024], *argv[32];
	int argc = 0, saved_out, saved_err;
	FILE *fout = tmpfile(), *ferr = tmpfile();
	struct cli_opts o;
	struct run r;

	memset(res, 0, sizeof(*res));
	assert_true(strlen(spec) + 11 < sizeof(buf));
	snprintf(buf, sizeof(buf), "peershake|%s", spec);
	argv[argc++] = buf;
	for (char *c = buf; *c; c++)
		if (*c == '|') {
			*c = 0;
			assert_true(argc < 31);
			argv[argc++] = c + 1;
		}
	argv[argc] = NULL;

	assert_non_null(fout);
	assert_non_null(ferr);
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	assert_true(dup2(fileno(fout), STDOUT_FILENO) >= 0);
	assert_true(dup2(fileno(ferr), STDERR_FILENO) >= 0);
	optind = 0;
	res->status = cli_parse(&o, argc, argv);
	if (res->status == 0) {
		o.progress = false;
		res->status = run_exec(&r, &o, proto, ctx);
	}
	fflush(stdout);
	fflush(stderr);
	assert_true(dup2(saved_out, STDOUT_FILENO) >= 0);
	assert_true(dup2(saved_err, STDERR_FILENO) >= 0);
	close(saved_out);
	close(saved_err);
	cli_free(&o);
	res->out = slurp(fout);
	res->err = slurp(ferr);

	/* JSON Lines: every line an object with an event */
	if (strncmp(res->out, "{", 1) == 0) {
		char *copy = strdup(res->out), *save = NULL;
		assert_non_null(copy);
		for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			cJSON *ev = cJSON_Parse(l);
			if (!ev)
				fail_msg("a stdout line is not JSON: %s", l);
			assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ev, "event")));
			assert_true(res->nevents < 64);
			res->events[res->nevents++] = ev;
		}
		free(copy);
	}
}

/* The same with the fake protocol, its log reset first. */
static void run(struct outcome *res, const char *spec)
{
	int ctx = 0x5eed;

	memset(&fake_log, 0, sizeof(fake_log));
	run_with(res, spec, &fake_proto, &ctx);
}

static void outcome_free(struct outcome *res)
{
	for (size_t i = 0; i < res->nevents; i++)
		cJSON_Delete(res->events[i]);
	free(res->out);
	free(res->err);
}

static const char *sfield(const cJSON *ev, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double nfield(const cJSON *ev, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, k);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

/* The i-th event named name whose peer is peer (NULL: any). */
static const cJSON *find(const struct outcome *res, const char *name, const char *peer)
{
	for (size_t i = 0; i < res->nevents; i++) {
		const char *e = sfield(res->events[i], "event");
		const char *p = sfield(res->events[i], "peer");
		if (strcmp(e, name) == 0 && (!peer || (p && strcmp(p, peer) == 0)))
			return res->events[i];
	}
	return NULL;
}

static size_t count(const struct outcome *res, const char *name)
{
	size_t k = 0;

	for (size_t i = 0; i < res->nevents; i++)
		k += strcmp(sfield(res->events[i], "event"), name) == 0;
	return k;
}

/* ---- the tests ---- */

/* One peer answers, one refuses: exit 0, every event in JSON. */
static void test_connect_json(void **state)
{
	struct peer pr;
	struct outcome res;
	uint16_t rport;
	int holder = refused_port(&rport);
	char spec[200], good[32], bad[32];
	const cJSON *ev;

	(void)state;
	peer_start(&pr);
	snprintf(good, sizeof(good), "127.0.0.1:%u", pr.tcp_port);
	snprintf(bad, sizeof(bad), "127.0.0.1:%u", rport);
	snprintf(spec, sizeof(spec), "-j|btc|connect|%s|%s", good, bad);
	run(&res, spec);
	peer_stop(&pr);
	close(holder);

	assert_int_equal(res.status, EXIT_HANDSHAKE_OK);
	assert_string_equal(res.err, "");
	assert_int_equal(conn_inits, 2);
	assert_int_equal(fake_log.starts, 1); /* the refused one never started */
	assert_int_equal(fake_log.releases, 1);
	assert_int_equal(count(&res, "started"), 2);
	assert_int_equal(count(&res, "result"), 2);
	assert_int_equal(count(&res, "summary"), 1);

	ev = find(&res, "started", good);
	assert_non_null(ev);
	assert_string_equal(sfield(ev, "proto"), "fake");
	assert_string_equal(sfield(ev, "direction"), "outbound");

	ev = find(&res, "connected", good);
	assert_non_null(ev);
	assert_int_equal(strncmp(sfield(ev, "local"), "127.0.0.1:", 10), 0);
	assert_null(find(&res, "connected", bad));

	ev = find(&res, "result", good);
	assert_non_null(ev);
	assert_string_equal(sfield(ev, "result"), "SUCCESS");
	assert_string_equal(sfield(ev, "direction"), "outbound");
	assert_string_equal(sfield(ev, "fake"), "yes");
	assert_null(sfield(ev, "reason"));
	assert_true(nfield(ev, "duration_ms") >= 0);

	ev = find(&res, "result", bad);
	assert_non_null(ev);
	assert_string_equal(sfield(ev, "result"), "FAILED");
	assert_string_equal(sfield(ev, "reason"), "refused");
	assert_string_equal(sfield(ev, "detail"), "refused");
	assert_null(sfield(ev, "fake")); /* never started: no protocol fields */

	assert_null(sfield(ev, "events_lost")); /* none lost: no field */

	/* the core's events, one line each, the message under msg_key */
	assert_int_equal(count(&res, "sent"), 1);
	assert_int_equal(count(&res, "recv"), 1);
	ev = find(&res, "sent", good);
	assert_non_null(ev);
	assert_string_equal(sfield(ev, "proto"), "fake");
	assert_string_equal(sfield(ev, "line"), "ping");
	assert_true(nfield(ev, "length") == 4);
	assert_true(nfield(ev, "bytes") == 5);
	assert_null(sfield(ev, "error"));
	/* a core that logs no nonce: no field */
	assert_null(cJSON_GetObjectItemCaseSensitive(ev, "nonce"));
	ev = find(&res, "recv", good);
	assert_non_null(ev);
	assert_string_equal(sfield(ev, "line"), "pong");
	assert_true(nfield(ev, "length") == 4);
	assert_true(nfield(ev, "bytes") == 5);
	assert_null(find(&res, "sent", bad));

	ev = find(&res, "closed", good);
	assert_non_null(ev);
	assert_non_null(sfield(ev, "by"));
	assert_null(find(&res, "closed", bad));

	ev = find(&res, "summary", NULL);
	assert_non_null(ev);
	assert_true(nfield(ev, "peers") == 2);
	assert_true(nfield(ev, "success") == 1);
	assert_true(nfield(ev, "partial") == 0);
	assert_true(nfield(ev, "failed") == 1);
	/* the summary is the last line */
	assert_ptr_equal(ev, res.events[res.nevents - 1]);
	outcome_free(&res);
}

/* A core's nonce (struct net_event has_nonce, nonce) in both forms: JSON
 * "nonce":"0x" and 16 hex digits, as the version's nonce; text " nonce=". */
static void test_nonce_json_and_text(void **state)
{
	struct peer pr;
	struct outcome res;
	char spec[100], good[32], want[120];
	const cJSON *ev;

	(void)state;
	fake_cfg.nonces = true;
	peer_start(&pr);
	snprintf(good, sizeof(good), "127.0.0.1:%u", pr.tcp_port);
	snprintf(spec, sizeof(spec), "-j|btc|connect|%s", good);
	run(&res, spec);
	assert_int_equal(res.status, EXIT_HANDSHAKE_OK);
	ev = find(&res, "sent", good);
	assert_non_null(ev);
	assert_string_equal(sfield(ev, "line"), "ping");
	assert_string_equal(sfield(ev, "nonce"), "0x0123456789abcdef");
	ev = find(&res, "recv", good);
	assert_non_null(ev);
	assert_string_equal(sfield(ev, "line"), "pong");
	assert_string_equal(sfield(ev, "nonce"), "0x0123456789abcdef");
	/* only on the messages that carry one */
	for (size_t i = 0; i < res.nevents; i++) {
		const char *e = sfield(res.events[i], "event");
		if (strcmp(e, "sent") != 0 && strcmp(e, "recv") != 0)
			assert_null(cJSON_GetObjectItemCaseSensitive(res.events[i], "nonce"));
	}
	outcome_free(&res);

	snprintf(spec, sizeof(spec), "-v|btc|connect|%s", good);
	run(&res, spec);
	peer_stop(&pr);
	assert_int_equal(res.status, EXIT_HANDSHAKE_OK);
	snprintf(want, sizeof(want), "  %s -> ping (4 bytes) nonce=0x0123456789abcdef\n", good);
	if (!strstr(res.out, want))
		fail_msg("no '%s' in:\n%s", want, res.out);
	snprintf(want, sizeof(want), "  %s <- pong (4 bytes) nonce=0x0123456789abcdef\n", good);
	if (!strstr(res.out, want))
		fail_msg("no '%s' in:\n%s", want, res.out);
	outcome_free(&res);
}

/* Nothing answers: exit 1; the text form. */
static void test_connect_text_none(void **state)
{
	struct outcome res;
	uint16_t rport;
	int holder = refused_port(&rport);
	char spec[100], want[100];

	(void)state;
	snprintf(spec, sizeof(spec), "btc|connect|127.0.0.1:%u", rport);
	run(&res, spec);
	close(holder);
	assert_int_equal(res.status, EXIT_NO_HANDSHAKE);
	snprintf(want, sizeof(want), "STARTED  127.0.0.1:%u\n", rport);
	assert_non_null(strstr(res.out, want));
	/* "FAILED   ADDR refused (N ms)" (the protocol's fields, absent here,
	 * would stand between the address and the reason) */
	snprintf(want, sizeof(want), "FAILED   127.0.0.1:%u ", rport);
	{
		const char *line = strstr(res.out, want);
		assert_non_null(line);
		line += strlen(want);
		line += strspn(line, " ");
		assert_int_equal(strncmp(line, "refused (", 9), 0);
	}
	assert_non_null(strstr(res.out, "Summary: 1 peers: Success 0, Partial 0, Failed 1"));
	outcome_free(&res);
}

/* --max-concurrent 1: three addresses, one at a time. */
static void test_queue_one_at_a_time(void **state)
{
	struct outcome res;
	uint16_t p1, p2, p3;
	int h1 = refused_port(&p1), h2 = refused_port(&p2), h3 = refused_port(&p3);
	char spec[200];
	long open = 0, most = 0;

	(void)state;
	snprintf(spec, sizeof(spec),
		 "-j|--max-concurrent|1|btc|connect|127.0.0.1:%u|127.0.0.1:%u|127.0.0.1:%u", p1, p2,
		 p3);
	run(&res, spec);
	close(h1);
	close(h2);
	close(h3);
	assert_int_equal(res.status, EXIT_NO_HANDSHAKE);
	assert_int_equal(count(&res, "started"), 3);
	assert_int_equal(count(&res, "result"), 3);
	for (size_t i = 0; i < res.nevents; i++) {
		const char *e = sfield(res.events[i], "event");
		if (strcmp(e, "started") == 0)
			open++;
		else if (strcmp(e, "result") == 0)
			open--;
		if (open > most)
			most = open;
	}
	assert_int_equal(most, 1);
	outcome_free(&res);
}

/* A name through the DNS server, with the port of the target; a name that
 * does not resolve makes the run a usage failure. */
static void test_dns_names(void **state)
{
	struct peer pr;
	struct outcome res;
	char spec[200], good[32];
	const cJSON *ev, *arr;

	(void)state;
	peer_start(&pr);
	snprintf(spec, sizeof(spec), "-j|--dns-server|127.0.0.1:%u|btc|connect|peer.test:%u",
		 pr.dns_port, pr.tcp_port);
	run(&res, spec);
	assert_int_equal(res.status, EXIT_HANDSHAKE_OK);
	ev = find(&res, "resolved", NULL);
	assert_non_null(ev);
	assert_string_equal(sfield(ev, "name"), "peer.test");
	assert_true(nfield(ev, "count") == 1);
	arr = cJSON_GetObjectItemCaseSensitive(ev, "addresses");
	assert_true(cJSON_IsArray(arr));
	snprintf(good, sizeof(good), "127.0.0.1:%u", pr.tcp_port);
	assert_string_equal(cJSON_GetArrayItem(arr, 0)->valuestring, good);
	ev = find(&res, "result", good);
	assert_non_null(ev);
	assert_string_equal(sfield(ev, "result"), "SUCCESS");
	outcome_free(&res);

	snprintf(spec, sizeof(spec),
		 "-j|--dns-server|127.0.0.1:%u|btc|connect|nowhere.test:1|peer.test:%u",
		 pr.dns_port, pr.tcp_port);
	run(&res, spec);
	peer_stop(&pr);
	/* the other name still ran, but the exit says usage */
	assert_int_equal(res.status, EXIT_USAGE);
	ev = find(&res, "dns_error", NULL);
	assert_non_null(ev);
	assert_string_equal(sfield(ev, "name"), "nowhere.test");
	assert_string_equal(sfield(ev, "error"), "dns-error");
	assert_non_null(strstr(res.err, "nowhere.test: does not resolve"));
	assert_non_null(find(&res, "result", good));
	outcome_free(&res);
}

/* What cli_parse lets through but run_exec refuses, before any socket. */
static void test_usage_failures(void **state)
{
	static const struct {
		const char *argv;
		const char *says;
	} cases[] = {
		{ "btc|connect|127.0.0.1", "want HOST:PORT" }, /* no port, no default */
		{ "--source|nonsense|btc|connect|127.0.0.1:1", "bad --source" },
		{ "btc|listen|nonsense", "bad listen address" },
		{ "btc|listen|127.0.0.1", "bad listen address" },
		{ "--connect|[::1]x|btc|listen|127.0.0.1:0", "bad --connect" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct outcome res;
		run(&res, cases[i].argv);
		if (res.status != EXIT_USAGE)
			fail_msg("'%s': exit %d, want %d", cases[i].argv, res.status, EXIT_USAGE);
		if (!strstr(res.err, cases[i].says))
			fail_msg("'%s': stderr '%s' does not say '%s'", cases[i].argv, res.err,
				 cases[i].says);
		outcome_free(&res);
	}
}

/* Listen, also connect out to the peer, stop after one success. */
static void test_listen_count(void **state)
{
	struct peer pr;
	struct outcome res;
	char spec[200], good[32];
	const cJSON *ev;

	(void)state;
	peer_start(&pr);
	snprintf(good, sizeof(good), "127.0.0.1:%u", pr.tcp_port);
	snprintf(spec, sizeof(spec), "-j|--count|1|--connect|%s|btc|listen|127.0.0.1:0", good);
	run(&res, spec);
	peer_stop(&pr);
	assert_int_equal(res.status, EXIT_HANDSHAKE_OK);
	ev = find(&res, "listening", NULL);
	assert_non_null(ev);
	assert_ptr_equal(ev, res.events[0]);
	assert_string_equal(sfield(ev, "proto"), "fake");
	assert_int_equal(strncmp(sfield(ev, "addr"), "127.0.0.1:", 10), 0);
	assert_true(nfield(ev, "port") > 0);
	ev = find(&res, "result", good);
	assert_non_null(ev);
	assert_string_equal(sfield(ev, "result"), "SUCCESS");
	ev = find(&res, "summary", NULL);
	assert_true(nfield(ev, "success") == 1);
	outcome_free(&res);
}

/* A peer that takes the connection and never answers (a listener nobody
 * accepts from): the initiator times out waiting for its pong, and the
 * result says so, in JSON and in text. */
static void test_timeout_waiting(void **state)
{
	struct outcome res;
	struct sockaddr_storage ss;
	int lfd = tu_listen_loopback(&ss, 16);
	char spec[200], peer[32], want[100];
	const cJSON *ev;

	(void)state;
	snprintf(peer, sizeof(peer), "127.0.0.1:%u", net_addr_port(&ss));
	snprintf(spec, sizeof(spec), "-j|--timeout|100|btc|connect|%s", peer);
	run(&res, spec);
	assert_int_equal(res.status, EXIT_NO_HANDSHAKE);
	ev = find(&res, "result", peer);
	assert_non_null(ev);
	assert_string_equal(sfield(ev, "result"), "FAILED");
	assert_string_equal(sfield(ev, "reason"), "timeout");
	assert_string_equal(sfield(ev, "detail"), "timed out waiting for " TU_FAKE_WAIT_PONG);
	assert_true(nfield(ev, "duration_ms") >= 100);
	assert_int_equal(fake_log.releases, 1);
	outcome_free(&res);

	snprintf(spec, sizeof(spec), "--timeout|100|btc|connect|%s", peer);
	run(&res, spec);
	close(lfd);
	assert_int_equal(res.status, EXIT_NO_HANDSHAKE);
	snprintf(want, sizeof(want), "FAILED   %s fake=yes timed out waiting for pong (", peer);
	if (!strstr(res.out, want))
		fail_msg("no '%s' in:\n%s", want, res.out);
	outcome_free(&res);
}

/* A core that lost events (ten pings queued at once: the ring keeps seven)
 * says so in its result line, with the core's count; the lines of the
 * events it kept are printed. */
static void test_events_lost_json(void **state)
{
	struct peer pr;
	struct outcome res;
	char spec[200], good[32];
	const cJSON *ev;

	(void)state;
	fake_cfg.burst = 10;
	peer_start(&pr);
	snprintf(good, sizeof(good), "127.0.0.1:%u", pr.tcp_port);
	snprintf(spec, sizeof(spec), "-j|btc|connect|%s", good);
	run(&res, spec);
	peer_stop(&pr);
	assert_int_equal(res.status, EXIT_HANDSHAKE_OK);
	assert_int_equal(fake_log.lost, 10 - (TU_FAKE_EVENTS - 1));
	assert_int_equal(count(&res, "sent"), TU_FAKE_EVENTS - 1);
	ev = find(&res, "result", good);
	assert_non_null(ev);
	assert_string_equal(sfield(ev, "result"), "SUCCESS");
	assert_true(nfield(ev, "events_lost") == (double)fake_log.lost);
	outcome_free(&res);
}

/* `noise listen --bug no-echo`, with the run also connecting to itself:
 * the responder takes the transport message and holds it; the initiator
 * (given a shorter deadline) gives up waiting for the echo and closes. The
 * responder then waited for nothing (noise/peer.h: a held responder's
 * waiting_for is NULL), so its result is "closed by peer" and the core's
 * note, never "before the transport message", which it had already. */
static void test_noise_no_echo_closed(void **state)
{
	struct noise_ctx ctx;
	struct outcome res;
	struct sockaddr_storage ss;
	int holder = tu_hold_port(&ss, true);
	char spec[200], addr[32];
	const cJSON *ini = NULL, *resp = NULL;
	const char *detail;

	(void)state;
	np_ops = net_noise_core_ops;
	np_ops.start = np_start;
	memset(&ctx, 0, sizeof(ctx));
	for (unsigned i = 0; i < NOISE_PSKLEN; i++)
		ctx.cfg.psk[i] = (uint8_t)(0x30 + i);
	ctx.cfg.transport = NOISE_T;
	ctx.cfg.transport_len = sizeof(NOISE_T) - 1;
	ctx.cfg.rng = tu_rng;
	ctx.seed = 77;
	ctx.cfg.rng_ctx = &ctx.seed;
	ctx.cfg.bugs = NOISE_BUG_NO_ECHO;
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", net_addr_port(&ss));
	snprintf(spec, sizeof(spec), "-j|--timeout|5000|--bug|no-echo|--connect|%s|noise|listen|%s",
		 addr, addr);
	run_with(&res, spec, &noise_proto, &ctx);
	close(holder);
	cry_memzero(ctx.cfg.psk, sizeof(ctx.cfg.psk));

	assert_int_equal(res.status, EXIT_NO_HANDSHAKE);
	assert_int_equal(ctx.results, 2);
	for (size_t i = 0; i < res.nevents; i++) {
		const cJSON *ev = res.events[i];
		if (strcmp(sfield(ev, "event"), "result") != 0)
			continue;
		if (strcmp(sfield(ev, "direction"), "outbound") == 0)
			ini = ev;
		else
			resp = ev;
	}
	assert_non_null(ini);
	assert_non_null(resp);
	/* the initiator: out of time waiting for the echo */
	assert_string_equal(sfield(ini, "result"), "FAILED");
	assert_string_equal(sfield(ini, "reason"), "timeout");
	assert_string_equal(sfield(ini, "detail"), "timed out waiting for the echo");
	/* the responder: the transport message came, no echo went out */
	assert_int_equal(count(&res, "handshake"), 2);
	{
		size_t trans_in = 0, echo_out = 0;
		for (size_t i = 0; i < res.nevents; i++) {
			const cJSON *ev = res.events[i];
			const char *m = sfield(ev, "message");
			if (!m || strcmp(sfield(ev, "peer"), sfield(resp, "peer")) != 0)
				continue;
			trans_in += strcmp(sfield(ev, "event"), "recv") == 0 &&
				    strcmp(m, "transport") == 0;
			echo_out +=
				strcmp(sfield(ev, "event"), "sent") == 0 && strcmp(m, "echo") == 0;
		}
		assert_int_equal(trans_in, 1);
		assert_int_equal(echo_out, 0);
	}
	assert_string_equal(sfield(resp, "result"), "FAILED");
	assert_string_equal(sfield(resp, "reason"), "closed");
	detail = sfield(resp, "detail");
	assert_non_null(detail);
	if (strncmp(detail, "closed by peer", 14) != 0 || strstr(detail, "before") ||
	    !strstr(detail, "echo withheld"))
		fail_msg("a held no-echo responder closed by its initiator reports '%s'", detail);
	outcome_free(&res);
}

static int group_setup(void **state)
{
	(void)state;
	return cry_init() == PS_OK ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_connect_json, reset_fake),
		cmocka_unit_test_setup(test_nonce_json_and_text, reset_fake),
		cmocka_unit_test_setup(test_connect_text_none, reset_fake),
		cmocka_unit_test_setup(test_queue_one_at_a_time, reset_fake),
		cmocka_unit_test_setup(test_dns_names, reset_fake),
		cmocka_unit_test_setup(test_usage_failures, reset_fake),
		cmocka_unit_test_setup(test_listen_count, reset_fake),
		cmocka_unit_test_setup(test_timeout_waiting, reset_fake),
		cmocka_unit_test_setup(test_events_lost_json, reset_fake),
		cmocka_unit_test_setup(test_noise_no_echo_closed, reset_fake),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
