/* libFuzzer target: arbitrary bytes as an application/vnd.kubernetes.protobuf request body. Inputs
 * without the "k8s\0" prefix also get one, so the fuzzer spends its time inside the envelope and the
 * object decoder. Any result is fine except a crash, a leak, or a success without a JSON object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const uint8_t *data, size_t size)
{
	json_t *o = NULL;
	char *err = NULL;
	int r = pb_decode_object(data, size, &o, &err);

	if (r == 0) {
		/* The result must be a well-formed object the JSON path could have produced. */
		char *s;
		if (!json_is_object(o) || !json_is_string(json_object_get(o, "kind")))
			abort();
		s = json_dumps(o, JSON_COMPACT);
		if (!s)
			abort();
		free(s);
		json_decref(o);
	} else if (o) {
		abort(); /* output written on failure */
	}
	free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;

	if (size > PB_MAX_BODY)
		return 0;
	one(data, size);
	if (size >= 4 && memcmp(data, "k8s", 4) == 0)
		return 0;
	buf = malloc(size + 4);
	if (!buf)
		return 0;
	memcpy(buf, "k8s", 4);
	if (size)
		memcpy(buf + 4, data, size);
	one(buf, size + 4);
	free(buf);
	return 0;
}
