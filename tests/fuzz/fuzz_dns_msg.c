/* Upstream replies are untrusted: dns_msg_match/dns_msg_check on arbitrary bytes (question
 * "example.test A", the id the input carries or a fixed one), then the stored form, the client reply and the ExternalName
 * append on whatever passed. */
#include <stdint.h>
#include <string.h>

#include "dns/dns_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t msg[65535], out[65535];
	static const uint8_t q[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's',
				     't', 0, 0, 1, 0, 1, 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0 };
	uint8_t name[DNS_NAME_MAX];
	dns_query_t qq;
	dns_msg_info_t info;
	size_t olen;

	if (size > sizeof(msg))
		return 0;
	dns_name_from_str("example.test", true, name);
	if (dns_query_parse(q, sizeof(q), size & 1, &qq) != 0)
		return 0;
	memcpy(msg, data, size);
	uint16_t id = size >= 2 && (size & 2) ? (uint16_t)(data[0] << 8 | data[1]) : 0x1234;
	if (dns_msg_match(msg, size, NULL, NULL, id, name, DNS_T_A, DNS_C_IN, &info) == 0) {
		size_t len = dns_msg_strip(msg, &info);
		dns_msg_reply(&qq, msg, len, size % 7, out, sizeof(out), &olen);
		dns_wr_t w;
		dns_wr_init(&w, out, 1232);
		w.len = 12 + qq.qname_len + 4;
		memset(out, 0, w.len);
		dns_msg_append_answers(&w, msg, len);
		dns_wr_finish(&w);
	}
	return 0;
}
