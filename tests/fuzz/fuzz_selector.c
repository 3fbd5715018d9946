/* libFuzzer target: the input as a label selector and as a field selector, each matched against a
 * fixed pod and validated for a few resources; also as a LabelSelector object when it is JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/selector.h"

#define FUZZ_MAX_INPUT (SELECTOR_MAX_LEN + 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *pod;
	static const char *const plurals[] = { "pods", "events", "nodes", "configmaps", NULL };
	selector_t *s = NULL;
	char *in, *err = NULL;
	json_t *ls;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (!pod)
		pod = json_loads("{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\",\"labels\":{\"a\":\"b\",\"n\":\"5\"}},"
				 "\"spec\":{\"nodeName\":\"n1\",\"hostNetwork\":true},"
				 "\"status\":{\"podIP\":\"10.0.0.1\"}}", 0, NULL);
	in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';

	if (label_selector_parse(in, &s, &err) == 0) {
		(void)label_selector_match(s, json_object_get(json_object_get(pod, "metadata"), "labels"));
		(void)label_selector_match(s, NULL);
		(void)selector_empty(s);
		selector_free(s);
	}
	free(err);
	err = NULL;
	s = NULL;
	if (field_selector_parse(in, &s, &err) == 0) {
		for (size_t i = 0; plurals[i]; i++) {
			char *verr = NULL;
			(void)field_selector_validate(s, plurals[i], &verr);
			free(verr);
			(void)field_selector_match(s, plurals[i], pod);
		}
		selector_free(s);
	}
	free(err);
	err = NULL;
	s = NULL;
	ls = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (ls && label_selector_from_json(ls, &s, &err) == 0) {
		(void)label_selector_match(s, json_object_get(json_object_get(pod, "metadata"), "labels"));
		selector_free(s);
	}
	free(err);
	s = NULL;
	if (ls && label_selector_from_map(ls, &s) == 0)
		selector_free(s);
	json_decref(ls);
	free(in);
	return 0;
}
