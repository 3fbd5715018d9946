/* libFuzzer target: the input as a CRI log file (crilog_render with every filter, in pieces split
 * at the first byte's choice, as a follow stream sees them), as one line, and as an RFC 3339 time
 * whose formatted form must parse back to the same instant. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/crilog.h"

static void sink(const char *data, size_t len, void *arg)
{
	size_t *n = arg;

	/* touch every byte handed out, so ASan sees any read past the input */
	for (size_t i = 0; i < len; i++)
		*n += (unsigned char)data[i] != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	crilog_filter_t f = { .timestamps = size & 1, .since_ns = (size & 2) ? 1700000000000000000LL : 0,
			      .limit = (size & 4) ? (int64_t)size / 2 : -1 };
	crilog_line_t l;
	size_t n = 0, split = size ? data[0] % (size + 1) : 0, used;
	int64_t ns, back;
	char buf[48];

	used = crilog_render(&f, in, split, false, sink, &n);
	if (used > split)
		abort();
	/* the caller keeps the unconsumed rest and appends the next piece */
	crilog_render(&f, in + used, size - used, true, sink, &n);
	if (crilog_parse_line(in, size, &l) == 0 && (l.msg < in || l.msg + l.msg_len > in + size))
		abort();
	if (crilog_parse_time(in, size, &ns) == 0) {
		size_t k = crilog_format_time(ns, buf, sizeof(buf));
		if (crilog_parse_time(buf, k, &back) != 0 || back != ns)
			abort();
	}
	if (crilog_tail_start(in, size, (long)(size % 7)) > size)
		abort();
	return 0;
}
