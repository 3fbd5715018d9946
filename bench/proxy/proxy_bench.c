/* Bench driver for the proxy's data plane: programs synthetic Services straight through
 * proxy_nft (no API server), so the figures measure programming alone.
 *   proxy_bench load N EPS [SVCBASE EPBASE]  full sync of N Services x EPS endpoints, then wait for
 *                                           SIGTERM (the rules stay for traffic tests)
 *   proxy_bench time N EPS ROUNDS            full sync of N, then ROUNDS one-Service changes
 *                                           (endpoint replaced, Service added, Service removed);
 *                                           prints "full_ms change_ms_median add_ms_median del_ms_median
 *                                           elements failures full_cpu_ms change_ms_p90"
 * Service i: ClusterIP 10.43.(i/250).(i%250+1) port 80/TCP; endpoints 10.42.x.y:8080.
 * PROXY_BENCH_FAMILY=6: table ip6 instead, ClusterIP fd00:43::<i>, endpoints fd00:42::<e>. */
#include <arpa/inet.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "proxy/proxy_nft.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time of this process, user + system (the kernel handles a batch inside our sendmsg) */
static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return htonl((a << 24) | (b << 16) | (c << 8) | d);
}

static int fam6;

/* prefix:: followed by v (32 bits) */
static proxy_addr_t ip6(uint16_t prefix, uint32_t v)
{
	proxy_addr_t a = { 0 };

	a.b[0] = 0xfd;
	a.b[1] = 0x00;
	a.b[2] = (uint8_t)(prefix >> 8);
	a.b[3] = (uint8_t)prefix;
	v = htonl(v);
	memcpy(a.b + 12, &v, 4);
	return a;
}

static void mk(proxy_svcport_t *sp, unsigned i, unsigned eps, unsigned salt, uint32_t ep_override)
{
	char key[64];
	unsigned k;

	memset(sp, 0, sizeof(*sp));
	snprintf(key, sizeof(key), "bench/s%u:/TCP", i);
	sp->key = strdup(key);
	sp->ns = strdup("bench");
	sp->name = strdup(key);
	sp->port_name = strdup("");
	sp->proto = PROXY_PROTO_TCP;
	sp->port = getenv("PROXY_BENCH_SVC_PORT") ? (uint16_t)atoi(getenv("PROXY_BENCH_SVC_PORT")) : 80;
	sp->family = fam6 ? AF_INET6 : AF_INET;
	if (fam6)
		sp->cluster_ip = ip6(0x43, i + 1);
	else
		sp->cluster_ip.v4 = ip4(10, 43, 1 + i / 250, i % 250 + 1);
	if (getenv("PROXY_BENCH_AFFINITY"))
		sp->affinity_sec = (uint32_t)atoi(getenv("PROXY_BENCH_AFFINITY"));
	sp->n_all = eps;
	sp->all = calloc(eps, sizeof(proxy_ep_t));
	for (k = 0; k < eps; k++) {
		unsigned e = i * eps + k + salt;
		if (fam6)
			sp->all[k].addr = ip6(0x42, e + 1);
		else
			sp->all[k].addr.v4 = ep_override ? ep_override : ip4(10, 42, (e / 250) % 250, e % 250 + 1);
		sp->all[k].has_node = !ep_override; /* endpoints on other nodes (no hairpin entry) */
		sp->all[k].port = getenv("PROXY_BENCH_EP_PORT") ? (uint16_t)atoi(getenv("PROXY_BENCH_EP_PORT")) : 8080;
	}
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static volatile sig_atomic_t stop;
static void on_sig(int s) { stop = 1; }

int main(int argc, char **argv)
{
	proxy_nft_cfg_t cfg = { 0 };
	proxy_nft_t *n;
	proxy_svcport_t sp;
	unsigned N, E, i, rounds = 0;
	uint32_t ep_override = 0;
	double t0, c0, full, full_cpu, *ch, *ad, *de;
	int rc;

	if (argc < 4) {
		fprintf(stderr, "usage: proxy_bench load|time N EPS [ROUNDS|EP_IP]\n");
		return 2;
	}
	N = (unsigned)atoi(argv[2]);
	E = (unsigned)atoi(argv[3]);
	if (!strcmp(argv[1], "time"))
		rounds = argc > 4 ? (unsigned)atoi(argv[4]) : 20;
	else if (argc > 4)
		inet_pton(AF_INET, argv[4], &ep_override); /* every endpoint this address (connect tests) */
	fam6 = getenv("PROXY_BENCH_FAMILY") && !strcmp(getenv("PROXY_BENCH_FAMILY"), "6");
	cfg.family = fam6 ? AF_INET6 : AF_INET;
	proxy_parse_cidr(fam6 ? "fd00:42::/64" : "10.42.0.0/16", AF_UNSPEC, false, &cfg.cluster_cidr);
	proxy_parse_cidr(fam6 ? "fd00:43::/64" : "10.43.0.0/16", AF_UNSPEC, false, &cfg.service_cidr);
	if (fam6)
		proxy_parse_ip("2001:db8::1", AF_INET6, &cfg.nodeport_addrs[0]);
	else
		cfg.nodeport_addrs[0].v4 = ip4(192, 0, 2, 1);
	cfg.n_nodeport_addrs = 1;
	if (getenv("PROXY_BENCH_DEBUG"))
		log_level = LOG_DEBUG;
	if ((rc = proxy_nft_new(&cfg, &n)) < 0) {
		fprintf(stderr, "proxy_nft_new: %s\n", strerror(-rc));
		return 1;
	}
	for (i = 0; i < N; i++) {
		mk(&sp, i, E, 0, ep_override);
		proxy_nft_stage(n, sp.key, &sp);
		proxy_svcport_clear(&sp);
	}
	t0 = now_ms();
	c0 = cpu_ms();
	rc = proxy_nft_commit(n, true);
	full = now_ms() - t0;
	full_cpu = cpu_ms() - c0;
	if (rc < 0) {
		fprintf(stderr, "full sync: %s\n", strerror(-rc));
		return 1;
	}
	if (!strcmp(argv[1], "load")) {
		printf("loaded %u services in %.1f ms\n", N, full);
		fflush(stdout);
		signal(SIGTERM, on_sig);
		signal(SIGINT, on_sig);
		while (!stop)
			pause();
		proxy_nft_free(n);
		return 0;
	}
	ch = calloc(rounds, sizeof(double));
	ad = calloc(rounds, sizeof(double));
	de = calloc(rounds, sizeof(double));
	for (i = 0; i < rounds; i++) {
		unsigned s = (i * 7919u) % N;
		/* one endpoint of one Service replaced */
		mk(&sp, s, E, 1 + i, 0);
		proxy_nft_stage(n, sp.key, &sp);
		proxy_svcport_clear(&sp);
		t0 = now_ms();
		if ((rc = proxy_nft_commit(n, false)) != 0)
			fprintf(stderr, "change: %d\n", rc);
		ch[i] = now_ms() - t0;
		/* a Service added */
		mk(&sp, N + i, E, 0, 0);
		proxy_nft_stage(n, sp.key, &sp);
		t0 = now_ms();
		if ((rc = proxy_nft_commit(n, false)) != 0)
			fprintf(stderr, "add: %d\n", rc);
		ad[i] = now_ms() - t0;
		/* and removed */
		proxy_nft_stage(n, sp.key, NULL);
		proxy_svcport_clear(&sp);
		t0 = now_ms();
		if ((rc = proxy_nft_commit(n, false)) != 0)
			fprintf(stderr, "del: %d\n", rc);
		de[i] = now_ms() - t0;
	}
	qsort(ch, rounds, sizeof(double), cmpd);
	qsort(ad, rounds, sizeof(double), cmpd);
	qsort(de, rounds, sizeof(double), cmpd);
	{
		proxy_nft_stats_t st;
		proxy_nft_get_stats(n, &st);
		printf("%.1f %.3f %.3f %.3f %zu %lu %.1f %.3f\n", full, ch[rounds / 2], ad[rounds / 2], de[rounds / 2],
		       st.elements, st.failures, full_cpu, ch[rounds * 9 / 10]);
	}
	proxy_nft_delete_table(n);
	proxy_nft_free(n);
	free(ch);
	free(ad);
	free(de);
	return 0;
}
