/*
 * test_run.c - ref/cli/run: run_exec with a fake protocol over loopback.
 *
 * The fake protocol's core says "ping\n" and succeeds on "pong\n" (as an
 * initiator) or answers "ping\n" with "pong\n" (as a responder). run_exec
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
#include "net/sock.h"
#include "testutil.h"

/* ---- the fake protocol ---- */

struct fake_core {
	bool initiator;
	enum net_outcome outcome;
	int err;
	bool closed;
	char in[32];
	size_t in_len;
	char out[32];
	size_t out_len;
	uint64_t expiry;
};

static int fc_start(void *core, const struct net_session *s, uint64_t now_ns, uint64_t timeout_ns)
{
	struct fake_core *f = core;

	f->initiator = s->outbound;
	f->outcome = NET_PENDING;
	f->expiry = now_ns + timeout_ns;
	if (f->initiator) {
		memcpy(f->out, "ping\n", 5);
		f->out_len = 5;
	}
	return PS_OK;
}

static int fc_input(void *core, uint64_t now_ns, const uint8_t *data, size_t len)
{
	struct fake_core *f = core;

	(void)now_ns;
	for (size_t i = 0; i < len && f->outcome == NET_PENDING; i++) {
		if (data[i] != '\n') {
			if (f->in_len + 1 < sizeof(f->in))
				f->in[f->in_len++] = (char)data[i];
			continue;
		}
		f->in[f->in_len] = 0;
		f->in_len = 0;
		if (f->initiator && strcmp(f->in, "pong") == 0) {
			f->outcome = NET_SUCCESS;
		} else if (!f->initiator && strcmp(f->in, "ping") == 0) {
			memcpy(f->out + f->out_len, "pong\n", 5);
			f->out_len += 5;
			f->outcome = NET_SUCCESS;
		} else {
			f->outcome = NET_FAILED;
			f->err = PS_ERR_PROTOCOL;
			f->closed = true;
		}
	}
	return f->outcome == NET_FAILED ? f->err : PS_OK;
}

static size_t fc_output(void *core, const uint8_t **p)
{
	struct fake_core *f = core;

	*p = (const uint8_t *)f->out;
	return f->out_len;
}

static void fc_consume(void *core, size_t n)
{
	struct fake_core *f = core;

	memmove(f->out, f->out + n, f->out_len - n);
	f->out_len -= n;
}

static uint64_t fc_expiry(void *core)
{
	struct fake_core *f = core;

	return f->outcome == NET_PENDING ? f->expiry : UINT64_MAX;
}

static void fc_handle_expiry(void *core, uint64_t now_ns)
{
	struct fake_core *f = core;

	if (f->outcome == NET_PENDING && now_ns >= f->expiry) {
		f->outcome = NET_FAILED;
		f->err = PS_ERR_TIMEOUT;
		f->closed = true;
	}
}

static void fc_close(void *core, int reason)
{
	struct fake_core *f = core;

	if (f->outcome == NET_PENDING) {
		f->outcome = NET_FAILED;
		f->err = reason;
	}
	f->closed = true;
	f->out_len = 0;
}

static enum net_outcome fc_outcome(void *core, int *err)
{
	struct fake_core *f = core;

	*err = f->err;
	return f->outcome;
}

static bool fc_ended(void *core)
{
	struct fake_core *f = core;

	return f->closed;
}

static int releases;

static void fc_release(void *core)
{
	(void)core;
	releases++;
}

static const struct net_core_ops fc_ops = {
	.start = fc_start,
	.input = fc_input,
	.output = fc_output,
	.consume = fc_consume,
	.expiry = fc_expiry,
	.handle_expiry = fc_handle_expiry,
	.close = fc_close,
	.outcome = fc_outcome,
	.ended = fc_ended,
	.release = fc_release,
};

struct fake_conn {
	struct run_conn rc; /* first */
	struct fake_core core;
};

static int conn_inits, event_calls;

static void fp_conn_init(struct run *run, struct run_conn *c)
{
	struct fake_conn *fc = (struct fake_conn *)c;

	assert_int_equal(*(int *)run->proto_ctx, 0x5eed);
	conn_inits++;
	c->core = &fc->core;
}

static void fp_on_events(struct run *run, struct run_conn *c)
{
	(void)run, (void)c;
	event_calls++;
}

static const char *fp_stage(const struct run_conn *c)
{
	(void)c;
	return "pong";
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
	.core_ops = &fc_ops,
	.conn_init = fp_conn_init,
	.on_events = fp_on_events,
	.note_sep = ": ",
	.stage = fp_stage,
	.result_json = fp_result_json,
	.result_text = fp_result_text,
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
	socklen_t len = sizeof(ss);
	int lfd = -1, ufd, pipefd[2];

	assert_true(net_addr_numeric(&ss, "127.0.0.1", 0));
	assert_int_equal(net_sock_listen(&lfd, &ss, 16), PS_OK);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
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
	socklen_t len = sizeof(ss);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(net_addr_numeric(&ss, "127.0.0.1", 0));
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
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

/* Parse argv (as test_opts does) and run it with the fake protocol. */
static void run(struct outcome *res, const char *spec)
{
	char buf[1024], *argv[32];
	int argc = 0, saved_out, saved_err, ctx = 0x5eed;
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
		res->status = run_exec(&r, &o, &fake_proto, &ctx);
	}
	fflush(stdout);
	fflush(stderr);
	assert_true(dup2(saved_out, STDOUT_FILENO) >= 0);
	assert_true(dup2(saved_err, STDERR_FILENO) >= 0);
	close(saved_out);
	close(saved_err);
	free(o.connect);
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
	releases = conn_inits = 0;
	run(&res, spec);
	peer_stop(&pr);
	close(holder);

	assert_int_equal(res.status, EXIT_HANDSHAKE_OK);
	assert_string_equal(res.err, "");
	assert_int_equal(conn_inits, 2);
	assert_int_equal(releases, 1); /* the refused one never started */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_json),
		cmocka_unit_test(test_connect_text_none),
		cmocka_unit_test(test_queue_one_at_a_time),
		cmocka_unit_test(test_dns_names),
		cmocka_unit_test(test_usage_failures),
		cmocka_unit_test(test_listen_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
