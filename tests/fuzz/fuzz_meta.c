/* libFuzzer target: the input as JSON object metadata (size-capped; jansson caps the nesting
 * depth), validated for create under each name rule and for update against itself and {}. */
#include <stdint.h>
#include <stdlib.h>

#include "lib/meta_validate.h"

#define FUZZ_MAX_INPUT (1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *meta, *errs, *empty;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	meta = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	errs = json_array();
	empty = json_object();
	if (meta && errs && empty) {
		meta_validate(meta, true, NAME_DNS1123_SUBDOMAIN, errs);
		meta_validate(meta, false, NAME_DNS1123_LABEL, errs);
		meta_validate(meta, true, NAME_DNS1035_LABEL, errs);
		meta_validate_update(meta, meta, errs);
		meta_validate_update(meta, empty, errs);
		meta_validate_update(empty, meta, errs);
		/* every cause must be well-formed */
		for (size_t i = 0; i < json_array_size(errs); i++) {
			json_t *c = json_array_get(errs, i);
			if (!json_is_string(json_object_get(c, "message")) || !json_is_string(json_object_get(c, "field")))
				abort();
		}
	}
	json_decref(empty);
	json_decref(errs);
	json_decref(meta);
	return 0;
}
