/* Allocation cost as the ranges fill: a /16 service CIDR (65534 ClusterIPs) and the default NodePort
 * range (2768 ports), filled to the last value through the allocation transaction the API server uses
 * (svc_txn_begin + svc_txn_commit). Prints the mean time per allocation in the 1% of the range that
 * ends at 10%, 50%, 90%, 99% and 100% fill; flat numbers mean the bitmap scan does not degrade.
 *
 * Build and run (from the repository root; bench/alloc/run.sh does this):
 *   gcc -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -Isrc \
 *       bench/alloc/alloc.c src/lib/svc_*.c src/lib/field_err.c src/lib/meta_validate.c -ljansson -o /tmp/bench_alloc
 *   /tmp/bench_alloc
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/service.h"

static const int marks[] = { 10, 50, 90, 99, 100 };

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* One ready-to-allocate Service: what svc_admit() would hand to svc_txn_begin(). */
static json_t *service(const svc_config_t *cfg, const char *type)
{
	json_t *svc = json_pack("{s:{s:s, s:[{s:i}]}}", "spec", "type", type, "ports", "port", 80), *errs = json_array();

	svc_default(svc);
	svc_prepare_create(svc);
	svc_init_ip_families(svc, NULL, cfg, errs);
	json_decref(errs);
	return svc;
}

/* Fills the range `runs` times; sums[p] accumulates the time of allocations falling in percentile p. */
static int fill(const svc_config_t *cfg, const char *type, int pool, int runs, double *sums, long *counts)
{
	for (int run = 0; run < runs; run++) {
		svc_alloc_t *a;
		uint32_t used, size;

		if (svc_alloc_new(cfg, &a) < 0)
			return -1;
		svc_alloc_usage(a, pool, &used, &size);
		for (uint32_t i = 0; i < size; i++) {
			json_t *svc = service(cfg, type), *errs = json_array();
			svc_txn_t *t;
			double t0 = now_ns(), dt;
			int r = svc_txn_begin(a, svc, NULL, errs, &t);

			if (r == 0)
				svc_txn_commit(a, t);
			dt = now_ns() - t0;
			if (r < 0) {
				fprintf(stderr, "allocation %u of %u failed: %d %s\n", i + 1, size, r, svc_alloc_errmsg(a));
				return -1;
			}
			/* allocation i+1 brings the fill to (i+1)/size: it belongs to percentile ceil(100*(i+1)/size) */
			int p = (int)(((uint64_t)(i + 1) * 100 + size - 1) / size);

			sums[p] += dt;
			counts[p]++;
			json_decref(svc);
			json_decref(errs);
		}
		svc_alloc_usage(a, pool, &used, &size);
		if (used != size) {
			fprintf(stderr, "range not full: %u of %u\n", used, size);
			return -1;
		}
		svc_alloc_free(a);
	}
	return 0;
}

static int report(const char *what, const char *cidrs, const char *ports, const char *type, int pool, int runs)
{
	svc_config_t cfg;
	double sums[101] = { 0 };
	long counts[101] = { 0 };

	if (svc_config_init(&cfg, cidrs, ports) < 0 || fill(&cfg, type, pool, runs, sums, counts) < 0)
		return -1;
	printf("%s (%d run%s)\n", what, runs, runs > 1 ? "s" : "");
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		printf("  %3d%% full: %8.0f ns per allocation\n", marks[i], sums[marks[i]] / (double)counts[marks[i]]);
	return 0;
}

int main(void)
{
	/* A ClusterIP Service takes one IP; a NodePort one also takes a port (its IPs come from a /16 so the
	 * IP range outlasts the port range). */
	if (report("ClusterIPs, 10.43.0.0/16 (65534 values)", "10.43.0.0/16", NULL, "ClusterIP", 0, 3) < 0 ||
	    report("NodePorts, 30000-32767 (2768 values)", "10.43.0.0/16", "30000-32767", "NodePort", 2, 20) < 0)
		return 1;
	return 0;
}
