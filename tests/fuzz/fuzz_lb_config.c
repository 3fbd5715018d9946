/* libFuzzer target: the portico-lb ConfigMap parser. The input is taken as ConfigMap data when it
 * is JSON, and always as the text of data.pools; a configuration that parses is then used by the
 * address allocator (a few assignments and a release), so range arithmetic on odd pools is
 * exercised too. The input as a webhook reply body is checked along the way. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "controllers/lb_logic.h"
#include "lib/lb_config.h"
#include "lib/lb_pool.h"

#define FUZZ_MAX_INPUT 65536

static void use(const lb_config_t *cfg)
{
	lb_pool_t *p;
	lb_request_t r;
	lb_addr_t out[LB_POOL_MAX_IPS];
	char err[256], key[16];
	size_t n;

	if (lb_pool_new(&p) < 0)
		return;
	if (lb_pool_set_ranges(p, cfg->pools, cfg->npools) == 0) {
		for (int i = 0; i < 6; i++) {
			memset(&r, 0, sizeof(r));
			snprintf(key, sizeof(key), "ns/s%d", i);
			r.key = key;
			r.share = i % 2 ? "k" : NULL;
			r.nports = 1;
			r.ports[0].port = 80 + i % 3;
			memcpy(r.ports[0].proto, "TCP", 4);
			r.families[0] = i % 3 ? AF_INET : AF_INET6;
			r.families[1] = i % 3 ? AF_INET6 : AF_INET;
			if (i == 5 && cfg->npools) {
				r.requested[0] = cfg->pools[0].last;
				r.nrequested = 1;
			}
			lb_pool_assign(p, &r, out, &n, err, sizeof(err));
		}
		lb_pool_release(p, "ns/s1");
		lb_pool_free_count(p, AF_INET, 1000);
		lb_pool_free_count(p, AF_INET6, 1000);
	}
	lb_pool_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lb_config_t cfg;
	char err[512], *in;
	json_t *j, *wrap, *ing = NULL;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (j) {
		if (lb_config_parse(j, &cfg, err, sizeof(err)) == 0) {
			use(&cfg);
			lb_config_free(&cfg);
		}
		if (lb_webhook_reply("ensure", 200, j, &ing, err, sizeof(err)) == 0)
			json_decref(ing);
		json_decref(j);
	}
	wrap = json_pack("{s:s}", "pools", in);
	if (wrap) {
		if (lb_config_parse(wrap, &cfg, err, sizeof(err)) == 0) {
			use(&cfg);
			lb_config_free(&cfg);
		}
		json_decref(wrap);
	}
	free(in);
	return 0;
}
