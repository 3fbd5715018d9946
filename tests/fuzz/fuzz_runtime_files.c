/* libFuzzer target: the exec runtime's file parsers: the image map (agent/images.c), a pod
 * directory's spec.json, and status.json turned into containerStatuses (agent/runtime_dir.c). The
 * first byte picks the parser; the rest is the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/images.h"
#include "agent/runtime_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rt_spec_t *fixed;
	const char *text = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;
	char err[256];

	if (size == 0 || size > 512 * 1024)
		return 0;
	if (!fixed) {
		static const char spec[] = "{\"uid\":\"u\",\"name\":\"p\",\"containers\":[{\"name\":\"a\",\"image\":\"busybox\"},"
					   "{\"name\":\"b\",\"image\":\"x\",\"command\":[\"c\"],\"env\":[{\"name\":\"K\",\"value\":\"V\"}]}]}";

		if (rt_spec_parse(spec, sizeof(spec) - 1, &fixed, err, sizeof(err)) < 0)
			abort();
	}
	switch (data[0] % 3) {
	case 0: {
		images_map_t *m = NULL;
		image_target_t t;

		if (images_map_parse(text, len, &m, err, sizeof(err)) == 0) {
			(void)images_resolve(m, "registry.example/app:1", "/bin/true", "/nonexistent", &t);
			images_map_free(m);
		} else if (!memchr(err, '\0', sizeof(err))) {
			abort(); /* the message must be terminated */
		}
		break;
	}
	case 1: {
		rt_spec_t *s = NULL;

		if (rt_spec_parse(text, len, &s, err, sizeof(err)) == 0) {
			json_t *st = rt_status_to_k8s(s, NULL, 0, true);

			if (!st || json_array_size(st) != s->nctrs)
				abort();
			json_decref(st);
			rt_spec_free(s);
		}
		break;
	}
	default: {
		json_t *a = rt_status_to_k8s(fixed, text, len, true), *b = rt_status_to_k8s(fixed, text, len, false);

		/* One status per spec container, whatever the file says. */
		if (!a || !b || json_array_size(a) != 2 || json_array_size(b) != 2)
			abort();
		json_decref(a);
		json_decref(b);
		break;
	}
	}
	return 0;
}
