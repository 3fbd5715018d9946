/* libFuzzer target: strict unknown-field detection on arbitrary JSON, against every served kind
 * and the Scale subresource, plus the error message built from what it finds. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/resources.h"
#include "lib/schema.h"

/* Well above any manifest worth fuzzing; keeps each run fast. */
#define FUZZ_MAX_INPUT (64 * 1024)

static void fuzz_one(const schema_type_t *t, const json_t *obj)
{
	json_t *fields = NULL;
	int n = schema_unknown_fields_type(t, obj, &fields);

	if (n < 0)
		return;
	if ((size_t)n != json_array_size(fields) || n > SCHEMA_MAX_UNKNOWN)
		abort(); /* an invariant of the API, so a finding */
	free(schema_strict_error(fields));
	json_decref(fields);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *obj;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	obj = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!obj)
		return 0;
	for (size_t i = 0; i < k8s_resources_n; i++) {
		json_t *fields = NULL;
		int n = schema_unknown_fields(&k8s_resources[i], obj, &fields);
		if (n >= 0) {
			free(schema_strict_error_for(&k8s_resources[i], fields));
			json_decref(fields);
		}
	}
	fuzz_one(schema_type_by_kind("autoscaling", "Scale"), obj);
	json_decref(obj);
	return 0;
}
