/*
 * broadside-faultproxy(1): a TCP proxy that simulates a bad network in
 * user space (this project's test machines have no netem).  This file
 * parses the options, owns the listener and the set of relays, and stops
 * on SIGTERM or SIGINT; relay.c moves the bytes and shaper.c decides when.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"
#include "log.h"
#include "loop.h"
#include "relay.h"

#define PROG "broadside-faultproxy"

/* How long accepting pauses when the process is out of descriptors. */
#define PROXY_EMFILE_PAUSE_MS 100

struct proxy {
	struct loop *loop;
	struct relay_config cfg;
	int listen_fd;
	struct loop_watch *listen_watch;
	int accepting;		/* the listener is watched for EPOLLIN */
	struct loop_timer *accept_timer;
	int sig_fd;
	struct loop_watch *sig_watch;
	struct relay **relays;
	size_t nrelays;
	size_t relays_cap;
	size_t max_conns;
	uint64_t next_index;
};

/* ---- options -------------------------------------------------------- */

enum {
	OPT_LISTEN = 256, OPT_TARGET, OPT_SEED, OPT_RESET_EVERY,
	OPT_BLACKHOLE_AFTER, OPT_BLACKHOLE_PCT, OPT_MAX_CONNS, OPT_QUEUE_BYTES,
	OPT_LOG_LEVEL, OPT_VERSION,
	/* Shaping options: OPT_SHAPE + 3 * what + where, where 0 is both
	 * directions, 1 up and 2 down. */
	OPT_SHAPE = 512,
};

enum { SHAPE_DELAY, SHAPE_JITTER, SHAPE_LOSS, SHAPE_BANDWIDTH, SHAPE_N };

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "delay-ms", required_argument, NULL, OPT_SHAPE + 0 },
	{ "up-delay-ms", required_argument, NULL, OPT_SHAPE + 1 },
	{ "down-delay-ms", required_argument, NULL, OPT_SHAPE + 2 },
	{ "jitter-ms", required_argument, NULL, OPT_SHAPE + 3 },
	{ "up-jitter-ms", required_argument, NULL, OPT_SHAPE + 4 },
	{ "down-jitter-ms", required_argument, NULL, OPT_SHAPE + 5 },
	{ "loss-pct", required_argument, NULL, OPT_SHAPE + 6 },
	{ "up-loss-pct", required_argument, NULL, OPT_SHAPE + 7 },
	{ "down-loss-pct", required_argument, NULL, OPT_SHAPE + 8 },
	{ "bandwidth", required_argument, NULL, OPT_SHAPE + 9 },
	{ "up-bandwidth", required_argument, NULL, OPT_SHAPE + 10 },
	{ "down-bandwidth", required_argument, NULL, OPT_SHAPE + 11 },
	{ "reset-every", required_argument, NULL, OPT_RESET_EVERY },
	{ "blackhole-after", required_argument, NULL, OPT_BLACKHOLE_AFTER },
	{ "blackhole-pct", required_argument, NULL, OPT_BLACKHOLE_PCT },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "queue-bytes", required_argument, NULL, OPT_QUEUE_BYTES },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " --listen ADDR:PORT --target ADDR:PORT [options]\n"
	    "Relays TCP connections and injects faults, per direction (up:\n"
	    "client to target, down: target to client).  Each shaping option\n"
	    "sets both directions; its up-/down- form sets one and wins.\n"
	    "  --delay-ms N           added latency (0)\n"
	    "  --jitter-ms N          random extra delay 0..N per chunk (0)\n"
	    "  --loss-pct P           chance a chunk is lost and waits a\n"
	    "                         retransmission timeout, 0 <= P < 100 (0)\n"
	    "  --bandwidth B          bytes per second, 0 unlimited (0)\n"
	    "  --reset-every S        mean seconds until a connection is\n"
	    "                         reset, 0 never (0)\n"
	    "  --blackhole-after S    seconds until chosen connections go\n"
	    "                         silent without closing (0)\n"
	    "  --blackhole-pct P      share of connections blackholed (100\n"
	    "                         with --blackhole-after, else 0)\n"
	    "  --seed N               seed for every random choice (0)\n"
	    "  --max-conns N          connections relayed at once (1024)\n"
	    "  --queue-bytes N        bytes held per direction (1048576)\n"
	    "  --log-level L          error, warn, info or debug (info)\n"
	    "  --help, --version\n");
}

static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return BS_ERR_INVALID;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return BS_ERR_INVALID;
	*out = v;
	return 0;
}

/* A finite number in [lo, hi) (hi_open) or [lo, hi]. */
static int
parse_double(const char *s, double lo, double hi, int hi_open, double *out)
{
	char *end;
	double v;

	if ((*s < '0' || *s > '9') && *s != '.')
		return BS_ERR_INVALID;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < lo || v > hi ||
	    (hi_open && v >= hi))
		return BS_ERR_INVALID;
	*out = v;
	return 0;
}

/*
 * Resolves "ADDR:PORT" ("[v6]:PORT" for IPv6) into *ss.  Returns 0 or
 * BS_ERR_INVALID.
 */
static int
parse_addr(const char *arg, int passive, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	const char *colon = strrchr(arg, ':');
	char *host;
	int rv = BS_ERR_INVALID;

	if (colon == NULL || colon == arg || colon[1] == '\0')
		return BS_ERR_INVALID;
	if (arg[0] == '[' && colon[-1] == ']')
		host = xstrndup(arg + 1, (size_t)(colon - arg - 2));
	else
		host = xstrndup(arg, (size_t)(colon - arg));
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || res == NULL)
		goto out;
	if (res->ai_addrlen > sizeof(*ss))
		goto out;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	rv = 0;
out:
	if (res != NULL)
		freeaddrinfo(res);
	free(host);
	return rv;
}

/* The shaping options as given: [what][both, up, down], with set flags. */
struct shape_args {
	double value[SHAPE_N][3];
	int set[SHAPE_N][3];
};

static void
shape_resolve(const struct shape_args *a, int where,
    struct shaper_params *p)
{
	double v[SHAPE_N];

	for (int w = 0; w < SHAPE_N; w++)
		v[w] = a->set[w][where] ? a->value[w][where] : a->value[w][0];
	p->delay_us = (uint64_t)(v[SHAPE_DELAY] * 1000.0);
	p->jitter_us = (uint64_t)(v[SHAPE_JITTER] * 1000.0);
	p->loss = v[SHAPE_LOSS] / 100.0;
	p->bandwidth = (uint64_t)v[SHAPE_BANDWIDTH];
}

static int
parse_shape(struct shape_args *a, int code, const char *arg)
{
	int what = (code - OPT_SHAPE) / 3, where = (code - OPT_SHAPE) % 3;
	uint64_t u;
	double d;

	if (what == SHAPE_LOSS) {
		if (parse_double(arg, 0, 100, 1, &d) != 0)
			return BS_ERR_INVALID;
	} else {
		/* An hour of delay, or a terabyte a second, is plenty. */
		if (parse_u64(arg, what == SHAPE_BANDWIDTH ? 1000000000000u :
		    3600000u, &u) != 0)
			return BS_ERR_INVALID;
		d = (double)u;
	}
	a->value[what][where] = d;
	a->set[what][where] = 1;
	return 0;
}

/* Opens the listening socket; 0 or BS_ERR_IO with errno set. */
static int
proxy_listen(struct proxy *p, const struct sockaddr_storage *ss,
    socklen_t len)
{
	int one = 1;

	p->listen_fd = socket(ss->ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->listen_fd < 0)
		return BS_ERR_IO;
	setsockopt(p->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(p->listen_fd, (const struct sockaddr *)ss, len) != 0 ||
	    listen(p->listen_fd, 511) != 0)
		return BS_ERR_IO;
	return 0;
}

enum { PARSE_RUN, PARSE_EXIT_OK, PARSE_EXIT_USAGE };

/* What parse_args() gathers before it can fill in the proxy. */
struct parse_state {
	struct shape_args shape;
	const char *listen_arg;
	struct sockaddr_storage listen_ss;
	socklen_t listen_len;
	enum log_level level;
	int target_set;
	int blackhole_after_set;
	int blackhole_pct_set;
};

/* Applies one option with a value; returns 0 or BS_ERR_INVALID. */
static int
parse_option(struct proxy *p, struct parse_state *st, int c, const char *arg)
{
	uint64_t u = 0;

	switch (c) {
	case OPT_LISTEN:
		st->listen_arg = arg;
		return parse_addr(arg, 1, &st->listen_ss, &st->listen_len);
	case OPT_TARGET:
		st->target_set = 1;
		return parse_addr(arg, 0, &p->cfg.target, &p->cfg.target_len);
	case OPT_SEED:
		return parse_u64(arg, UINT64_MAX, &p->cfg.seed);
	case OPT_RESET_EVERY:
		return parse_double(arg, 0, 1e6, 0, &p->cfg.reset_mean_s);
	case OPT_BLACKHOLE_AFTER:
		st->blackhole_after_set = 1;
		return parse_double(arg, 0, 1e6, 0, &p->cfg.blackhole_after_s);
	case OPT_BLACKHOLE_PCT:
		st->blackhole_pct_set = 1;
		return parse_double(arg, 0, 100, 0, &p->cfg.blackhole_pct);
	case OPT_MAX_CONNS:
		if (parse_u64(arg, 1000000, &u) != 0 || u == 0)
			return BS_ERR_INVALID;
		p->max_conns = (size_t)u;
		return 0;
	case OPT_QUEUE_BYTES:
		if (parse_u64(arg, 1u << 30, &u) != 0 || u == 0)
			return BS_ERR_INVALID;
		p->cfg.queue_max = (size_t)u;
		return 0;
	case OPT_LOG_LEVEL:
		return log_parse_level(arg, &st->level);
	default:
		return parse_shape(&st->shape, c, arg);
	}
}

/* The one line for what getopt_long() rejected (it returned '?'). */
static void
report_bad_option(const char *arg)
{
	const struct option *o = NULL;

	for (size_t i = 0; optopt != 0 && longopts[i].name != NULL; i++)
		if (longopts[i].val == optopt)
			o = &longopts[i];
	if (o == NULL)
		fprintf(stderr, PROG ": unknown option %s (try --help)\n", arg);
	else if (o->has_arg == no_argument)
		fprintf(stderr, PROG ": option --%s takes no value\n", o->name);
	else
		fprintf(stderr, PROG ": option --%s needs a value\n", o->name);
}

/*
 * Fills p from argv and opens the listener; on a bad option, or an
 * address that cannot be listened on, prints one line and says so.
 */
static int
parse_args(struct proxy *p, int argc, char **argv)
{
	struct parse_state st = { .level = LOG_LEVEL_INFO };
	int c, idx;

	p->cfg.queue_max = 1024 * 1024;
	p->max_conns = 1024;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, &idx)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return PARSE_EXIT_OK;
		}
		if (c == OPT_VERSION) {
			printf(PROG " %s\n", PACKAGE_VERSION);
			return PARSE_EXIT_OK;
		}
		if (c == '?') {
			report_bad_option(argv[optind - 1]);
			return PARSE_EXIT_USAGE;
		}
		if (parse_option(p, &st, c, optarg) != 0) {
			fprintf(stderr, PROG ": bad value for --%s: '%s'\n",
			    longopts[idx].name, optarg);
			return PARSE_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (try "
		    "--help)\n", argv[optind]);
		return PARSE_EXIT_USAGE;
	}
	if (st.listen_arg == NULL || !st.target_set) {
		fprintf(stderr, PROG ": --listen and --target are required "
		    "(try --help)\n");
		return PARSE_EXIT_USAGE;
	}
	if (st.blackhole_after_set && !st.blackhole_pct_set)
		p->cfg.blackhole_pct = 100;
	shape_resolve(&st.shape, 1, &p->cfg.up);
	shape_resolve(&st.shape, 2, &p->cfg.down);
	log_set_level(st.level);
	if (proxy_listen(p, &st.listen_ss, st.listen_len) != 0) {
		fprintf(stderr, PROG ": cannot listen on %s: %s\n",
		    st.listen_arg, strerror(errno));
		return PARSE_EXIT_USAGE;
	}
	return PARSE_RUN;
}

/* ---- accepting ------------------------------------------------------ */

static void
proxy_set_accepting(struct proxy *p, int on)
{
	if (p->accepting == on)
		return;
	p->accepting = on;
	loop_watch_modify(p->listen_watch, on ? EPOLLIN : 0);
}

static void
relay_done(struct relay *relay, void *arg)
{
	struct proxy *p = arg;

	for (size_t i = 0; i < p->nrelays; i++) {
		if (p->relays[i] == relay) {
			p->relays[i] = p->relays[--p->nrelays];
			break;
		}
	}
	relay_free(relay);
	if (p->accept_timer == NULL)
		proxy_set_accepting(p, 1);
}

static int64_t
accept_timer_cb(struct loop *loop, void *arg)
{
	struct proxy *p = arg;

	(void)loop;
	p->accept_timer = NULL;
	if (p->nrelays < p->max_conns)
		proxy_set_accepting(p, 1);
	return LOOP_TIMER_STOP;
}

static void
listener_event(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct proxy *p = arg;
	struct relay *relay;
	int cfd;

	(void)events;
	while (p->nrelays < p->max_conns) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				log_warn("accept: %s; pausing",
				    strerror(errno));
				proxy_set_accepting(p, 0);
				p->accept_timer = loop_timer_add(loop,
				    PROXY_EMFILE_PAUSE_MS, accept_timer_cb, p);
			}
			return;
		}
		if (relay_new(&relay, loop, &p->cfg, cfd, p->next_index,
		    relay_done, p) != 0) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			log_warn("conn %llu: %s", (unsigned long long)
			    p->next_index, strerror(errno));
			setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(cfd);
			p->next_index++;
			continue;
		}
		log_debug("conn %llu: accepted",
		    (unsigned long long)p->next_index);
		p->next_index++;
		if (p->nrelays == p->relays_cap) {
			p->relays_cap = p->relays_cap ? p->relays_cap * 2 : 64;
			p->relays = xreallocarray(p->relays, p->relays_cap,
			    sizeof(*p->relays));
		}
		p->relays[p->nrelays++] = relay;
	}
	/* Full: the backlog holds the rest until a relay ends. */
	proxy_set_accepting(p, 0);
}

static void
signal_event(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)arg;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		log_info("stopping on signal %u", si.ssi_signo);
	loop_stop(loop);
}

/* Prints the line that tests wait for, with the port really bound. */
static int
print_listening(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN], port[8];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host),
	    port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return BS_ERR_IO;
	if (ss.ss_family == AF_INET6)
		printf("listening on [%s]:%s\n", host, port);
	else
		printf("listening on %s:%s\n", host, port);
	fflush(stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	struct proxy p = { .listen_fd = -1, .sig_fd = -1 };
	sigset_t mask;
	int status = 1;

	switch (parse_args(&p, argc, argv)) {
	case PARSE_EXIT_OK:
		status = 0;
		goto out;
	case PARSE_EXIT_USAGE:
		status = 2;
		goto out;
	default:
		break;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	p.sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (p.sig_fd < 0 || loop_new(&p.loop) != 0) {
		log_error("start-up: %s", strerror(errno));
		goto out;
	}
	p.sig_watch = loop_watch_add(p.loop, p.sig_fd, EPOLLIN, signal_event,
	    &p);
	p.listen_watch = loop_watch_add(p.loop, p.listen_fd, EPOLLIN,
	    listener_event, &p);
	if (p.sig_watch == NULL || p.listen_watch == NULL ||
	    print_listening(p.listen_fd) != 0) {
		log_error("start-up: %s", strerror(errno));
		goto out;
	}
	p.accepting = 1;
	log_info("relaying to the target with seed %llu; up: delay %llu ms, "
	    "jitter %llu ms, loss %g%%, %llu B/s; down: delay %llu ms, "
	    "jitter %llu ms, loss %g%%, %llu B/s",
	    (unsigned long long)p.cfg.seed,
	    (unsigned long long)p.cfg.up.delay_us / 1000,
	    (unsigned long long)p.cfg.up.jitter_us / 1000, p.cfg.up.loss * 100,
	    (unsigned long long)p.cfg.up.bandwidth,
	    (unsigned long long)p.cfg.down.delay_us / 1000,
	    (unsigned long long)p.cfg.down.jitter_us / 1000,
	    p.cfg.down.loss * 100, (unsigned long long)p.cfg.down.bandwidth);
	status = loop_run(p.loop) == 0 ? 0 : 1;
out:
	for (size_t i = 0; i < p.nrelays; i++)
		relay_free(p.relays[i]);
	free(p.relays);
	loop_timer_cancel(p.accept_timer);
	loop_free(p.loop);
	if (p.sig_fd >= 0)
		close(p.sig_fd);
	if (p.listen_fd >= 0)
		close(p.listen_fd);
	return status;
}
