/* Request bodies: the YAML and JSON decoders the REST layer runs on untrusted input (the fast JSON
 * parser must build jansson's tree or leave the input to jansson), then the strict unknown-field check
 * and the Status builder over whatever decoded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/field_err.h"
#include "lib/json_in.h"
#include "lib/resources.h"
#include "lib/schema.h"
#include "lib/status.h"
#include "lib/yaml_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = NULL, *unknown = NULL;
	char *err = NULL;

	if (size > 1 << 20)
		return 0;
	if (yaml_to_json((const char *)data, size, &j, &err) == 0) {
		for (size_t i = 0; i < k8s_resources_n && json_is_object(j); i++) {
			if (schema_unknown_fields(&k8s_resources[i], j, &unknown) == 0) {
				char *msg = schema_strict_error(unknown);
				free(msg);
			}
			json_decref(unknown);
			unknown = NULL;
		}
		json_decref(j);
	}
	free(err);
	j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	{
		json_t *fast = NULL;
		if (json_in_parse((const char *)data, size, &fast) == 0) {
			char *a = json_dumps(fast, JSON_COMPACT), *b = j ? json_dumps(j, JSON_COMPACT) : NULL;
			if (!j || !a || !b || strcmp(a, b) != 0 || !json_equal(fast, j))
				abort(); /* the fast parser accepted what jansson refuses, or built another tree */
			free(a);
			free(b);
			json_decref(fast);
		}
	}
	if (j) {
		json_t *errs = json_array();
		ferr_invalid(errs, "spec", j, "fuzz");
		json_decref(status_invalid("", "Service", "x", errs));
		json_decref(j);
	}
	return 0;
}
