/* libFuzzer target: the input as the head of an HTTP response a probed container sends
 * (probe_http_parse), and its Location, when there is one, resolved as a redirect against a fixed
 * request (probe_redirect_resolve); both must stay inside what they were given. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *loc = NULL;
	probe_url_t cur = { .https = size & 1, .host = "10.42.0.5", .port = 8443, .path = "/a/b?c" }, u;
	size_t ll = 0;
	int code;

	if (probe_http_parse(in, size, &code, &loc, &ll) == 0) {
		if (code < 0 || code > 999 || (loc && (loc < in || loc + ll > in + size)))
			abort();
	}
	/* the Location if there is one, else the whole input as one */
	if (!loc) {
		loc = in;
		ll = size;
	}
	if (probe_redirect_resolve(loc, ll, &cur, &u) == 0) {
		if (!u.path || u.path[0] != '/' || u.port < 1 || u.port > 65535 || !u.host[0])
			abort();
		free(u.path);
	}
	return 0;
}
