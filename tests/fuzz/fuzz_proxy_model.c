/* The proxy's model over arbitrary Service and EndpointSlice JSON: {"svc": {...}, "slices": [...]}
 * (what informers deliver is API-validated, but the model must not trust it): ports, addresses,
 * conditions, ranges, the trigger-time annotation. Also the address, CIDR and time parsers. */
#include <stdint.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proxy/proxy_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	proxy_model_cfg_t cfg = { .node_name = "node-a", .cluster_dns = { .v4 = 0x0a002b0a } };
	const json_t *slices[64];
	proxy_svcport_t *v = NULL, c;
	size_t n = 0, ns = 0, i;
	int f;
	json_t *j, *arr;
	char buf[64];

	if (size > 1 << 20)
		return 0;
	if (size < sizeof(buf)) {
		proxy_cidr_t cidr;
		uint32_t a;
		int64_t t;
		memcpy(buf, data, size);
		buf[size] = 0;
		proxy_addr_t a6;
		proxy_parse_ip4(buf, &a);
		proxy_parse_cidr4(buf, true, &cidr);
		proxy_parse_ip(buf, AF_UNSPEC, &a6);
		proxy_parse_cidr(buf, AF_UNSPEC, false, &cidr);
		proxy_parse_time(buf, &t);
	}
	j = json_loadb((const char *)data, size, 0, NULL);
	if (!j)
		return 0;
	arr = json_object_get(j, "slices");
	for (i = 0; i < json_array_size(arr) && ns < 64; i++)
		slices[ns++] = json_array_get(arr, i);
	/* both families' passes */
	for (f = 0; f < 2; f++) {
		cfg.family = f ? AF_INET6 : AF_INET;
		if (proxy_model_service(json_object_get(j, "svc"), slices, ns, &cfg, &v, &n) < 0)
			continue;
		for (i = 0; i < n; i++) {
			if (v[i].family != cfg.family)
				abort();
			if (proxy_svcport_copy(&v[i], &c) == 0) {
				if (!proxy_svcport_equal(&v[i], &c))
					abort();
				proxy_svcport_clear(&c);
			}
		}
		proxy_svcports_free(v, n);
		v = NULL;
		n = 0;
	}
	json_decref(j);
	return 0;
}
