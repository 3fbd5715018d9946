/* A Pod as the agent receives it (any JSON the API might hold): admission (probe specs, port
 * clashes) and the status computation over a container-status array taken from the same input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/pod_status.h"
#include "agent/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *pod, *st, *w;
	const json_t *ctrs, *c;
	const json_t *others[1];
	char ctr[128], msg[512];
	size_t i;

	if (size > 1 << 18)
		return 0;
	pod = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!pod)
		return 0;
	pod_check_config(pod, ctr, sizeof(ctr), msg, sizeof(msg));
	others[0] = pod;
	pod_host_ports_clash(pod, others, 1, msg, sizeof(msg));
	ctrs = json_object_get(json_object_get(pod, "spec"), "containers");
	json_array_foreach(ctrs, i, c) {
		for (int k = PROBE_LIVENESS; k <= PROBE_STARTUP; k++) {
			probe_spec_t s;
			if (probe_spec_parse(c, (probe_kind_t)k, &s, msg, sizeof(msg)) == 0)
				probe_spec_clear(&s);
		}
	}
	{
		pod_probe_result_t pr[2] = { { "a", false, true }, { "b", true, false } };
		pod_status_input_t in = { .pod = pod, .probes = pr, .nprobes = 2, .pod_ip = "10.42.0.2",
					  .host_ip = "192.0.2.10", .now = "2026-01-01T00:00:00Z" };
		/* the container statuses as the runtime would give them: taken from the input's status */
		in.containers = json_object_get(json_object_get(pod, "status"), "containerStatuses");
		if (in.containers && !json_is_array(in.containers))
			in.containers = NULL;
		st = pod_status_compute(&in);
		json_decref(st);
		in.terminal = true;
		in.reason = "NodePorts";
		st = pod_status_compute(&in);
		json_decref(st);
	}
	w = pod_status_waiting(pod, "ContainerCreating", "a", "CreateContainerConfigError", "m");
	json_decref(w);
	json_decref(pod);
	return 0;
}
