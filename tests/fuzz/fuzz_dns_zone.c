/* The zone index under arbitrary Service, EndpointSlice and Pod objects: chunks separated by NUL
 * bytes, each an op byte (kind, delete bit) and JSON. After applying them, a set of queries is
 * answered; then every object is deleted and the index must be back to its empty size (no name,
 * empty non-terminal or record left behind). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_wire.h"
#include "dns/dns_zone.h"

#define MAX_OBJS 64

static const char *const names[] = {
	"web.default.svc.cluster.local", "_http._tcp.web.default.svc.cluster.local", "db.prod.svc.cluster.local",
	"_pg._tcp.db.prod.svc.cluster.local", "db-0.db.prod.svc.cluster.local", "default.svc.cluster.local",
	"10-2-0-5.default.pod.cluster.local", "10.0.96.10.in-addr.arpa", "1.0.1.10.in-addr.arpa", "a.b.svc.cluster.local",
};
static const uint16_t types[] = { DNS_T_A, DNS_T_AAAA, DNS_T_SRV, DNS_T_PTR, DNS_T_ANY };

static void ask_all(const dns_zone_t *z)
{
	static uint8_t out[65535];
	uint8_t q[512], wire[DNS_NAME_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
			int n = dns_name_from_str(names[i], false, wire);
			const uint8_t hdr[12] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
			size_t len = 12;
			dns_query_t qq;
			size_t olen;
			memcpy(q, hdr, 12);
			memcpy(q + len, wire, (size_t)n);
			len += (size_t)n;
			q[len++] = 0;
			q[len++] = (uint8_t)types[t];
			q[len++] = 0;
			q[len++] = 1;
			if (dns_query_parse(q, len, t & 1, &qq) != 0)
				abort();
			if (dns_zone_answer(z, &qq, out, sizeof(out), &olen) == DNS_ZONE_ANSWERED &&
			    olen > dns_reply_limit(&qq, sizeof(out)))
				abort();
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dns_zone_t *z = dns_zone_new(NULL, 5);
	json_t *objs[MAX_OBJS];
	dns_kind_t kinds[MAX_OBJS];
	size_t nobj = 0, empty;

	if (!z || size > 1 << 16)
		goto out;
	empty = dns_zone_names(z);
	for (size_t pos = 0; pos < size && nobj < MAX_OBJS;) {
		const uint8_t *end = memchr(data + pos, 0, size - pos);
		size_t clen = end ? (size_t)(end - (data + pos)) : size - pos;
		if (clen >= 1) {
			dns_kind_t kind = (dns_kind_t)(data[pos] % 3);
			bool del = data[pos] & 0x80;
			json_t *o = json_loadb((const char *)data + pos + 1, clen - 1, 0, NULL);
			if (o) {
				dns_zone_apply(z, kind, o, del);
				objs[nobj] = o;
				kinds[nobj++] = kind;
			}
		}
		pos += clen + 1;
	}
	ask_all(z);
	for (size_t i = 0; i < nobj; i++) {
		dns_zone_apply(z, kinds[i], objs[i], true);
		json_decref(objs[i]);
	}
	if (dns_zone_names(z) != empty)
		abort();
	ask_all(z);
out:
	dns_zone_free(z);
	return 0;
}
