/* libFuzzer target for the patch engines: the input is a target document and a patch separated by
 * the first NUL byte; both are parsed as JSON and fed to the merge, JSON and strategic engines
 * (strategic for a kind picked by the input length, and for no kind). Checks that the target and
 * patch are never modified and that failures produce no result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/patch.h"

#define FUZZ_MAX_DOC (64 * 1024)

static void check_untouched(const json_t *orig, const json_t *copy)
{
	if (!json_equal((json_t *)orig, (json_t *)copy))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen, plen;
	json_t *t, *p, *tc, *pc, *out = NULL;
	char *err = NULL;
	int rc;

	if (!nul)
		return 0;
	tlen = (size_t)(nul - data);
	plen = size - tlen - 1;
	if (tlen > FUZZ_MAX_DOC || plen > FUZZ_MAX_DOC)
		return 0;
	t = json_loadb((const char *)data, tlen, JSON_DECODE_ANY, NULL);
	p = json_loadb((const char *)nul + 1, plen, JSON_DECODE_ANY, NULL);
	if (!t || !p)
		goto done;
	tc = json_deep_copy(t);
	pc = json_deep_copy(p);

	rc = patch_merge(t, p, &out);
	if ((rc == 0) != (out != NULL))
		abort();
	json_decref(out);
	out = NULL;

	rc = patch_json(t, p, &out, &err);
	if ((rc == 0) != (out != NULL) || (rc == 0 && err))
		abort();
	json_decref(out);
	free(err);
	out = NULL;
	err = NULL;

	if (json_is_object(t)) {
		const k8s_resource_t *kinds[2] = { &k8s_resources[size % k8s_resources_n], NULL };
		for (int i = 0; i < 2; i++) {
			rc = patch_strategic(kinds[i], t, p, &out, &err);
			if ((rc == 0) != (out != NULL) || (rc == 0 && err))
				abort();
			json_decref(out);
			free(err);
			out = NULL;
			err = NULL;
		}
	}
	check_untouched(t, tc);
	check_untouched(p, pc);
	json_decref(tc);
	json_decref(pc);
done:
	json_decref(t);
	json_decref(p);
	return 0;
}
