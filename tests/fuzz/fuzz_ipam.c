/* libFuzzer target: the input as the contents of an IPAM record (DATA/ipam/<ip>) and as a podCIDR.
 * A parsed record must be a valid uid that an allocator accepts; a parsed CIDR must give a range
 * whose capacity matches its prefix. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ipam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char uid[IPAM_UID_MAX + 1];
	if (size > 512)
		return 0;
	if (ipam_record_parse((const char *)data, size, uid, sizeof(uid)) == 0) {
		if (!ipam_uid_valid(uid) || strlen(uid) > IPAM_UID_MAX)
			abort();
		ipam_t *ip;
		uint32_t a, b;
		if (ipam_new("10.42.1.0/30", NULL, &ip) == 0) {
			if (ipam_alloc(ip, uid, &a) != 0 || ipam_lookup(ip, uid, &b) != 0 || a != b || a != 0x0a2a0102)
				abort();
			ipam_free(ip);
		}
	}
	char *in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = 0;
	ipam_t *ip;
	if (ipam_new(in, NULL, &ip) == 0) {
		int prefix = ipam_prefix(ip);
		if (prefix < 16 || prefix > 30 || ipam_capacity(ip) != ((size_t)1 << (32 - prefix)) - 3 ||
		    (ipam_network(ip) & (((uint32_t)1 << (32 - prefix)) - 1)) != 0)
			abort();
		ipam_free(ip);
	}
	free(in);
	return 0;
}
