/* DNS queries off the network: parse anything, answer it against a small zone over UDP and TCP,
 * and check the invariants a server relies on: a reply never exceeds its limit, always parses as
 * a message of ours, and echoes the query id. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_wire.h"
#include "dns/dns_zone.h"

static dns_zone_t *zone;

static void load(dns_kind_t kind, const char *json)
{
	json_t *o = json_loads(json, 0, NULL);
	if (o)
		dns_zone_apply(zone, kind, o, false);
	json_decref(o);
}

static void setup(void)
{
	zone = dns_zone_new(NULL, 5);
	if (!zone)
		abort();
	load(DNS_KIND_SERVICE, "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"clusterIPs\":"
			       "[\"10.96.0.10\",\"fd00::10\"],\"ports\":[{\"name\":\"http\",\"port\":80},{\"port\":81}]}}");
	load(DNS_KIND_SERVICE, "{\"metadata\":{\"name\":\"db\",\"namespace\":\"prod\"},\"spec\":{\"clusterIP\":\"None\"}}");
	load(DNS_KIND_ENDPOINTSLICE,
	     "{\"metadata\":{\"name\":\"db-1\",\"namespace\":\"prod\",\"labels\":{\"kubernetes.io/service-name\":"
	     "\"db\"}},\"endpoints\":[{\"addresses\":[\"10.1.0.1\"],\"hostname\":\"db-0\"},{\"addresses\":"
	     "[\"10.1.0.2\"]},{\"addresses\":[\"fd00::1:2\"]}],\"ports\":[{\"name\":\"pg\",\"port\":5432}]}");
	load(DNS_KIND_SERVICE, "{\"metadata\":{\"name\":\"ext\",\"namespace\":\"default\"},\"spec\":{\"type\":"
			       "\"ExternalName\",\"externalName\":\"example.com\"}}");
	load(DNS_KIND_POD, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"default\"},\"status\":{\"podIP\":\"10.2.0.5\"}}");
}

static void check_reply(const uint8_t *q, const uint8_t *out, size_t olen, size_t limit)
{
	dns_rd_t r;
	uint8_t name[DNS_NAME_MAX];

	if (olen > limit || olen < DNS_HDR_LEN)
		abort();
	if (out[0] != q[0] || out[1] != q[1] || !(out[2] & 0x80))
		abort();
	/* walk the reply: every name decompresses, every count is honest, nothing trails */
	dns_rd_init(&r, out, olen);
	dns_rd_skip(&r, 4);
	unsigned qd = dns_rd_u16(&r), n = 0;
	for (int i = 0; i < 3; i++)
		n += dns_rd_u16(&r);
	for (unsigned i = 0; i < qd; i++) {
		dns_rd_name(&r, name);
		dns_rd_skip(&r, 4);
	}
	for (unsigned i = 0; i < n; i++) {
		dns_rd_name(&r, name);
		dns_rd_skip(&r, 8);
		dns_rd_skip(&r, dns_rd_u16(&r));
	}
	if (r.err || r.pos != olen)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65535];
	dns_query_t q;
	size_t olen;

	if (!zone)
		setup();
	for (int tcp = 0; tcp < 2; tcp++) {
		if (dns_query_parse(data, size, tcp, &q) < 0)
			continue;
		size_t limit = dns_reply_limit(&q, sizeof(out));
		int r = dns_zone_answer(zone, &q, out, sizeof(out), &olen);
		if (r == DNS_ZONE_ANSWERED)
			check_reply(data, out, olen, limit);
		else if (r == DNS_ZONE_NOTAUTH && dns_reply_error(&q, DNS_RCODE_REFUSED, out, sizeof(out), &olen) == 0)
			check_reply(data, out, olen, limit);
		/* a small buffer must never be overrun either */
		if (dns_zone_answer(zone, &q, out, 40, &olen) == DNS_ZONE_ANSWERED && olen > 40)
			abort();
	}
	return 0;
}
