/* libFuzzer target: the input as an ARP payload and as an ICMPv6 Neighbor Solicitation (the two
 * packet parsers of the load-balancer announcer). A parsed ARP packet must write back to the same
 * first 28 bytes; an answer must mirror the question; a parsed solicitation must have a unicast
 * target and, when it carried a link-layer option, one found inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/arp.h"
#include "agent/ndp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 1 };
	arp_pkt_t p, r;
	ndp_ns_t ns;
	uint8_t buf[ARP_PKT_LEN], na[NDP_NA_LEN];

	if (size > 2048)
		return 0;
	if (arp_parse(data, size, &p) == 0) {
		if (size < ARP_PKT_LEN || arp_build(buf, sizeof(buf), &p) != ARP_PKT_LEN ||
		    memcmp(buf, data, ARP_PKT_LEN) != 0)
			abort();
		if (arp_answer(&p, p.tpa, mac, &r) &&
		    (r.op != ARP_OP_REPLY || memcmp(r.tha, p.sha, 6) || memcmp(r.tpa, p.spa, 4) || memcmp(r.spa, p.tpa, 4)))
			abort();
	}
	if (ndp_ns_parse(data, size, 255, &ns) == 0) {
		if (size < 24 || ns.target[0] == 0xff || memcmp(ns.target, data + 8, 16) != 0)
			abort();
		if (ns.has_sll && !memmem(data + 24, size - 24, ns.sll, 6))
			abort();
		if (ndp_na_build(na, sizeof(na), ns.target, mac, NDP_NA_SOLICITED) != NDP_NA_LEN)
			abort();
	}
	if (ndp_ns_parse(data, size, 64, &ns) == 0)
		abort(); /* hop limit below 255 is always refused */
	return 0;
}
