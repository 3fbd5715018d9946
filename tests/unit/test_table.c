/* Tests for server-side printing (src/lib/table.c): expected cells are what kube-apiserver's
 * printers.go produces for the same objects. */
#include "harness.h"

#include <errno.h>
#include <stdlib.h>

#include <jansson.h>

#include "lib/resources.h"
#include "lib/table.h"

/* 2023-11-14T22:13:20Z: every creationTimestamp below is relative to this. */
#define NOW ((time_t)1700000000)
#define FIVE_MIN_AGO "2023-11-14T22:08:20Z"
#define ONE_HOUR_AGO "2023-11-14T21:13:20Z"

static const k8s_resource_t *res(const char *group, const char *kind)
{
	const k8s_resource_t *r = k8s_resource_by_kind(group, kind);
	if (!r) {
		fprintf(stderr, "  no resource %s/%s\n", group, kind);
		exit(2);
	}
	return r;
}

static json_t *parse(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &err);
	if (!j) {
		fprintf(stderr, "  bad test JSON: %s: %s\n", err.text, text);
		exit(2);
	}
	return j;
}

/* The row's cells for an object given as JSON text; NULL if table_row failed. Caller decrefs. */
static json_t *cells_of(const char *group, const char *kind, const char *text)
{
	json_t *obj = parse(text);
	json_t *row = table_row(res(group, kind), obj, NOW, TABLE_INCLUDE_NONE);
	json_t *cells = row ? json_incref(json_object_get(row, "cells")) : NULL;
	json_decref(row);
	json_decref(obj);
	return cells;
}

static const char *cell(const json_t *cells, size_t i)
{
	return json_string_value(json_array_get(cells, i));
}

static long long cell_int(const json_t *cells, size_t i)
{
	json_t *c = json_array_get(cells, i);
	return json_is_integer(c) ? (long long)json_integer_value(c) : -999999;
}

/* The cell of one column, by index, of a service built from a spec (and optional status). */
static void check_service(const char *spec_status, size_t col, const char *want)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"" FIVE_MIN_AGO "\"},%s}", spec_status);
	json_t *cells = cells_of("", "Service", buf);
	CHECK(cells != NULL);
	CHECK_INT(json_array_size(cells), 7);
	CHECK_STR(cell(cells, col), want);
	json_decref(cells);
}

enum { SVC_NAME, SVC_TYPE, SVC_CLUSTER_IP, SVC_EXTERNAL_IP, SVC_PORTS, SVC_AGE, SVC_SELECTOR };

static void test_service_columns(void)
{
	static const char *names[] = { "Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector" };
	json_t *cols = table_column_definitions(res("", "Service"));

	CHECK(cols != NULL);
	CHECK_INT(json_array_size(cols), 7);
	for (size_t i = 0; i < 7; i++) {
		json_t *c = json_array_get(cols, i);
		CHECK_STR(json_string_value(json_object_get(c, "name")), names[i]);
		CHECK_STR(json_string_value(json_object_get(c, "type")), "string");
		CHECK_INT(json_integer_value(json_object_get(c, "priority")), i == 6 ? 1 : 0);
		CHECK_STR(json_string_value(json_object_get(c, "format")), i == 0 ? "name" : "");
		CHECK(json_is_string(json_object_get(c, "description")));
	}
	CHECK_STR(json_string_value(json_object_get(json_array_get(cols, 4), "description")),
		  "The list of ports that are exposed by this service. More info: "
		  "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies");
	json_decref(cols);

	/* Every served kind has columns, and priority-1 columns where upstream has them. */
	for (size_t i = 0; i < k8s_resources_n; i++) {
		json_t *c = table_column_definitions(&k8s_resources[i]);
		CHECK(c != NULL && json_array_size(c) >= 2);
		json_decref(c);
	}
	cols = table_column_definitions(res("", "Pod"));
	CHECK_INT(json_array_size(cols), 9);
	CHECK_STR(json_string_value(json_object_get(json_array_get(cols, 3), "name")), "Restarts");
	CHECK_STR(json_string_value(json_object_get(json_array_get(cols, 3), "type")), "string");
	CHECK_STR(json_string_value(json_object_get(json_array_get(cols, 7), "name")), "Nominated Node");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(cols, 8), "priority")), 1);
	json_decref(cols);
	cols = table_column_definitions(res("", "Event"));
	CHECK_INT(json_array_size(cols), 10);
	CHECK_STR(json_string_value(json_object_get(json_array_get(cols, 3), "name")), "Object");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(cols, 3), "priority")), 0);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(cols, 9), "priority")), 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(cols, 9), "format")), "name");
	json_decref(cols);
}

static void test_service_cells(void)
{
	json_t *cells = cells_of("", "Service",
				 "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"" FIVE_MIN_AGO "\"},"
				 "\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"10.96.0.10\",\"clusterIPs\":[\"10.96.0.10\"],"
				 "\"ports\":[{\"port\":80,\"protocol\":\"TCP\",\"targetPort\":8080}],"
				 "\"selector\":{\"tier\":\"fe\",\"app\":\"web\"}}}");
	CHECK(cells != NULL);
	CHECK_STR(cell(cells, SVC_NAME), "web");
	CHECK_STR(cell(cells, SVC_TYPE), "ClusterIP");
	CHECK_STR(cell(cells, SVC_CLUSTER_IP), "10.96.0.10");
	CHECK_STR(cell(cells, SVC_EXTERNAL_IP), "<none>");
	CHECK_STR(cell(cells, SVC_PORTS), "80/TCP");
	CHECK_STR(cell(cells, SVC_AGE), "5m");
	CHECK_STR(cell(cells, SVC_SELECTOR), "app=web,tier=fe");
	json_decref(cells);

	check_service("\"spec\":{\"type\":\"NodePort\",\"clusterIPs\":[\"10.96.0.11\"],"
		      "\"ports\":[{\"port\":80,\"nodePort\":30080,\"protocol\":\"TCP\"}]}",
		      SVC_PORTS, "80:30080/TCP");
	check_service("\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"protocol\":\"TCP\"},"
		      "{\"port\":443,\"nodePort\":30443,\"protocol\":\"TCP\"},{\"port\":53,\"protocol\":\"UDP\"}]}",
		      SVC_PORTS, "80/TCP,443:30443/TCP,53/UDP");
	check_service("\"spec\":{\"type\":\"ClusterIP\",\"externalIPs\":[\"192.0.2.1\",\"192.0.2.2\"]}",
		      SVC_EXTERNAL_IP, "192.0.2.1,192.0.2.2");
	check_service("\"spec\":{\"type\":\"LoadBalancer\",\"clusterIPs\":[\"10.96.0.12\"]},\"status\":{}",
		      SVC_EXTERNAL_IP, "<pending>");
	check_service("\"spec\":{\"type\":\"LoadBalancer\"},\"status\":{\"loadBalancer\":{\"ingress\":["
		      "{\"ip\":\"203.0.113.9\"},{\"hostname\":\"a-very-long-name.lb.example.com\"},{\"ip\":\"203.0.113.7\"},"
		      "{\"ip\":\"203.0.113.9\"},{}]}}",
		      SVC_EXTERNAL_IP, "203.0.113.7,203.0.113.9,a-very-long-name.lb.example.com");
	check_service("\"spec\":{\"type\":\"LoadBalancer\",\"externalIPs\":[\"198.51.100.1\"]},"
		      "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"203.0.113.7\"}]}}",
		      SVC_EXTERNAL_IP, "203.0.113.7,198.51.100.1");
	check_service("\"spec\":{\"type\":\"LoadBalancer\",\"externalIPs\":[\"198.51.100.1\"]}",
		      SVC_EXTERNAL_IP, "198.51.100.1");
	check_service("\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"db.example.com\"}",
		      SVC_EXTERNAL_IP, "db.example.com");
	check_service("\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"db.example.com\"}",
		      SVC_CLUSTER_IP, "<none>");
	check_service("\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"db.example.com\"}",
		      SVC_PORTS, "<none>");
	check_service("\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"None\",\"clusterIPs\":[\"None\"]}",
		      SVC_CLUSTER_IP, "None");
	check_service("\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"10.96.0.13\"}",
		      SVC_CLUSTER_IP, "10.96.0.13");
	check_service("\"spec\":{\"type\":\"ClusterIP\",\"clusterIPs\":[\"10.96.0.14\",\"fd00::14\"]}",
		      SVC_CLUSTER_IP, "10.96.0.14");
	check_service("\"spec\":{\"type\":\"ClusterIP\"}", SVC_SELECTOR, "<none>");
	check_service("\"spec\":{\"type\":\"ClusterIP\",\"selector\":{}}", SVC_SELECTOR, "<none>");
	/* Sorted as "k=v" strings, as labels.Set.String() does: '-' sorts before '='. */
	check_service("\"spec\":{\"type\":\"ClusterIP\",\"selector\":{\"a\":\"2\",\"a-b\":\"1\"}}",
		      SVC_SELECTOR, "a-b=1,a=2");
	check_service("\"spec\":{\"type\":\"Weird\"}", SVC_EXTERNAL_IP, "<unknown>");
	check_service("\"spec\":{}", SVC_EXTERNAL_IP, "<unknown>");
}

static void check_duration(long long s, const char *want)
{
	char *got = k8s_human_duration(s);
	CHECK_STR(got, want);
	free(got);
}

static void test_human_duration(void)
{
	check_duration(0, "0s");
	check_duration(-1, "0s");
	check_duration(-2, "<invalid>");
	check_duration(-100000, "<invalid>");
	check_duration(45, "45s");
	check_duration(90, "90s");
	check_duration(119, "119s");
	check_duration(120, "2m");
	check_duration(125, "2m5s");
	check_duration(599, "9m59s");
	check_duration(600, "10m");
	check_duration(65 * 60, "65m");
	check_duration(3 * 3600 - 1, "179m");
	check_duration(3 * 3600, "3h");
	check_duration(3 * 3600 + 5 * 60 + 59, "3h5m");
	check_duration(8 * 3600, "8h");
	check_duration(25 * 3600, "25h");
	check_duration(48 * 3600 - 1, "47h");
	check_duration(48 * 3600, "2d");
	check_duration(50 * 3600, "2d2h");
	check_duration(8 * 86400 - 1, "7d23h");
	check_duration(8 * 86400, "8d");
	check_duration(400LL * 86400, "400d");
	check_duration(729LL * 86400, "729d");
	check_duration(730LL * 86400, "2y");
	check_duration(775LL * 86400, "2y45d");
	check_duration(2920LL * 86400, "8y");
	check_duration(3650LL * 86400, "10y");
	/* time.Duration saturates at ~292 years. */
	check_duration(1LL << 62, "292y");
}

static void check_age(const char *metadata, time_t now, const char *want)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "{\"metadata\":%s}", metadata);
	json_t *obj = parse(buf);
	char *got = k8s_age(obj, now);
	CHECK_STR(got, want);
	free(got);
	json_decref(obj);
}

static void test_age(void)
{
	check_age("{\"creationTimestamp\":\"" FIVE_MIN_AGO "\"}", NOW, "5m");
	check_age("{\"creationTimestamp\":\"" ONE_HOUR_AGO "\"}", NOW, "60m");
	check_age("{\"creationTimestamp\":\"2023-11-14T23:08:20+01:00\"}", NOW, "5m");
	check_age("{\"creationTimestamp\":\"2023-11-14T22:13:19.5Z\"}", NOW, "0s");
	check_age("{\"creationTimestamp\":\"2023-11-14T22:13:21Z\"}", NOW, "0s");
	check_age("{\"creationTimestamp\":\"2023-11-14T22:13:30Z\"}", NOW, "<invalid>");
	check_age("{\"creationTimestamp\":\"2022-11-14T22:13:20Z\"}", NOW, "365d");
	check_age("{}", NOW, "<unknown>");
	check_age("{\"creationTimestamp\":null}", NOW, "<unknown>");
	check_age("{\"creationTimestamp\":42}", NOW, "<unknown>");
	check_age("{\"creationTimestamp\":\"yesterday\"}", NOW, "<unknown>");
	check_age("{\"creationTimestamp\":\"2023-13-14T22:13:20Z\"}", NOW, "<unknown>");
	check_age("{\"creationTimestamp\":\"2023-11-14T22:13:20\"}", NOW, "<unknown>");
	check_age("{\"creationTimestamp\":\"0001-01-01T00:00:00Z\"}", NOW, "<unknown>");
	check_age("5", NOW, "<unknown>");
	char *age = k8s_age(NULL, NOW);
	CHECK_STR(age, "<unknown>");
	free(age);
}

static void check_pod(const char *spec_status, const char *ready, const char *status, const char *restarts)
{
	char buf[4096];
	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"name\":\"web-1\",\"creationTimestamp\":\"" ONE_HOUR_AGO "\"%s},%s}",
		 strstr(spec_status, "\"deleting\"") ? ",\"deletionTimestamp\":\"" FIVE_MIN_AGO "\"" : "",
		 spec_status);
	json_t *cells = cells_of("", "Pod", buf);
	CHECK(cells != NULL);
	CHECK_INT(json_array_size(cells), 9);
	CHECK_STR(cell(cells, 1), ready);
	CHECK_STR(cell(cells, 2), status);
	CHECK_STR(cell(cells, 3), restarts);
	json_decref(cells);
}

static void test_pod(void)
{
	json_t *obj = parse(
		"{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\",\"creationTimestamp\":\"" ONE_HOUR_AGO "\"},"
		"\"spec\":{\"nodeName\":\"node-1\",\"containers\":[{\"name\":\"web\"},{\"name\":\"log\"}]},"
		"\"status\":{\"phase\":\"Running\",\"podIP\":\"10.42.0.5\",\"podIPs\":[{\"ip\":\"10.42.0.5\"}],"
		"\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
		"\"containerStatuses\":["
		"{\"name\":\"web\",\"ready\":true,\"restartCount\":3,\"state\":{\"running\":{}},"
		"\"lastState\":{\"terminated\":{\"exitCode\":1,\"finishedAt\":\"" FIVE_MIN_AGO "\"}}},"
		"{\"name\":\"log\",\"ready\":true,\"restartCount\":2,\"state\":{\"running\":{}},"
		"\"lastState\":{\"terminated\":{\"exitCode\":1,\"finishedAt\":\"" ONE_HOUR_AGO "\"}}}]}}");
	json_t *row = table_row(res("", "Pod"), obj, NOW, TABLE_INCLUDE_NONE);
	json_t *cells = json_object_get(row, "cells");
	CHECK(row != NULL);
	CHECK_INT(json_array_size(cells), 9);
	CHECK_STR(cell(cells, 0), "web-1");
	CHECK_STR(cell(cells, 1), "2/2");
	CHECK_STR(cell(cells, 2), "Running");
	CHECK_STR(cell(cells, 3), "5 (5m ago)");
	CHECK_STR(cell(cells, 4), "60m");
	CHECK_STR(cell(cells, 5), "10.42.0.5");
	CHECK_STR(cell(cells, 6), "node-1");
	CHECK_STR(cell(cells, 7), "<none>");
	CHECK_STR(cell(cells, 8), "<none>");
	CHECK(json_object_get(row, "conditions") == NULL);
	CHECK(json_is_null(json_object_get(row, "object")));
	json_decref(row);
	json_decref(obj);

	check_pod("\"spec\":{\"containers\":[{\"name\":\"a\"}]},\"status\":{\"phase\":\"Pending\"}", "0/1", "Pending",
		  "0");
	check_pod("\"spec\":{\"containers\":[{\"name\":\"a\"}]},\"status\":{\"phase\":\"Running\","
		  "\"containerStatuses\":[{\"name\":\"a\",\"restartCount\":4,"
		  "\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}}]}",
		  "0/1", "CrashLoopBackOff", "4");
	check_pod("\"spec\":{\"initContainers\":[{\"name\":\"i\"}],\"containers\":[{\"name\":\"a\"}]},"
		  "\"status\":{\"phase\":\"Pending\",\"initContainerStatuses\":[{\"name\":\"i\","
		  "\"state\":{\"waiting\":{\"reason\":\"PodInitializing\"}}}]}",
		  "0/1", "Init:0/1", "0");
	check_pod("\"spec\":{\"initContainers\":[{\"name\":\"i\"}],\"containers\":[{\"name\":\"a\"}]},"
		  "\"status\":{\"phase\":\"Pending\",\"initContainerStatuses\":[{\"name\":\"i\",\"restartCount\":2,"
		  "\"state\":{\"terminated\":{\"exitCode\":3}}}]}",
		  "0/1", "Init:ExitCode:3", "2");
	check_pod("\"spec\":{\"initContainers\":[{\"name\":\"s\",\"restartPolicy\":\"Always\"}],"
		  "\"containers\":[{\"name\":\"a\"}]},"
		  "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Initialized\",\"status\":\"True\"}],"
		  "\"initContainerStatuses\":[{\"name\":\"s\",\"started\":true,\"ready\":true,\"restartCount\":1,"
		  "\"state\":{\"running\":{}}}],"
		  "\"containerStatuses\":[{\"name\":\"a\",\"ready\":true,\"state\":{\"running\":{}}}]}",
		  "2/2", "Running", "1");
	check_pod("\"spec\":{\"containers\":[{\"name\":\"a\"}]},\"status\":{\"phase\":\"Running\",\"deleting\":1}",
		  "0/1", "Terminating", "0");
	check_pod("\"spec\":{\"containers\":[{\"name\":\"a\"}]},"
		  "\"status\":{\"phase\":\"Failed\",\"reason\":\"Evicted\",\"deleting\":1}",
		  "0/1", "Evicted", "0");
	check_pod("\"spec\":{\"containers\":[{\"name\":\"a\"}]},"
		  "\"status\":{\"phase\":\"Running\",\"reason\":\"NodeLost\",\"deleting\":1}",
		  "0/1", "Unknown", "0");
	check_pod("\"spec\":{\"containers\":[{\"name\":\"a\"}]},\"status\":{\"phase\":\"Running\","
		  "\"containerStatuses\":[{\"name\":\"a\",\"state\":{\"terminated\":{\"signal\":9}}}]}",
		  "0/1", "Signal:9", "0");
	check_pod("\"spec\":{\"containers\":[{\"name\":\"a\"}]},\"status\":{\"phase\":\"Pending\","
		  "\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\",\"reason\":\"SchedulingGated\"}]}",
		  "0/1", "SchedulingGated", "0");
	/* The last container completed while the first still runs: not "Completed". */
	check_pod("\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]},\"status\":{\"phase\":\"Running\","
		  "\"containerStatuses\":[{\"name\":\"a\",\"ready\":true,\"state\":{\"running\":{}}},"
		  "{\"name\":\"b\",\"state\":{\"terminated\":{\"reason\":\"Completed\"}}}]}",
		  "1/2", "NotReady", "0");

	/* A completed pod carries the Completed row condition. */
	obj = parse("{\"metadata\":{\"name\":\"job-1\"},\"spec\":{\"containers\":[{\"name\":\"a\"}],"
		    "\"readinessGates\":[{\"conditionType\":\"x\"},{\"conditionType\":\"y\"}]},"
		    "\"status\":{\"phase\":\"Succeeded\",\"conditions\":[{\"type\":\"x\",\"status\":\"True\"},"
		    "{\"type\":\"y\",\"status\":\"False\"}],"
		    "\"containerStatuses\":[{\"name\":\"a\",\"state\":{\"terminated\":{\"reason\":\"Completed\"}}}]}}");
	row = table_row(res("", "Pod"), obj, NOW, TABLE_INCLUDE_NONE);
	cells = json_object_get(row, "cells");
	CHECK_STR(cell(cells, 2), "Completed");
	CHECK_STR(cell(cells, 4), "<unknown>");
	CHECK_STR(cell(cells, 5), "<none>");
	CHECK_STR(cell(cells, 8), "1/2");
	json_t *cond = json_array_get(json_object_get(row, "conditions"), 0);
	CHECK_STR(json_string_value(json_object_get(cond, "type")), "Completed");
	CHECK_STR(json_string_value(json_object_get(cond, "status")), "True");
	CHECK_STR(json_string_value(json_object_get(cond, "reason")), "Succeeded");
	CHECK_STR(json_string_value(json_object_get(cond, "message")), "The pod has completed successfully.");
	json_decref(row);
	json_decref(obj);
}

static void test_deployment(void)
{
	json_t *cells = cells_of("apps", "Deployment",
				 "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"" FIVE_MIN_AGO "\"},"
				 "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
				 "\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"},"
				 "{\"name\":\"side\",\"image\":\"busybox\"}]}}},"
				 "\"status\":{\"replicas\":3,\"readyReplicas\":2,\"updatedReplicas\":3,\"availableReplicas\":2}}");
	CHECK(cells != NULL);
	CHECK_INT(json_array_size(cells), 8);
	CHECK_STR(cell(cells, 0), "web");
	CHECK_STR(cell(cells, 1), "2/3");
	CHECK_INT(cell_int(cells, 2), 3);
	CHECK_INT(cell_int(cells, 3), 2);
	CHECK_STR(cell(cells, 4), "5m");
	CHECK_STR(cell(cells, 5), "web,side");
	CHECK_STR(cell(cells, 6), "nginx:1.25,busybox");
	CHECK_STR(cell(cells, 7), "app=web");
	json_decref(cells);

	cells = cells_of("apps", "Deployment",
			 "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"web\"},"
			 "\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"fe\",\"be\"]},"
			 "{\"key\":\"env\",\"operator\":\"DoesNotExist\"},"
			 "{\"key\":\"example.com/x\",\"operator\":\"Exists\"}]}}}");
	CHECK_STR(cell(cells, 1), "0/0");
	CHECK_STR(cell(cells, 7), "app=web,!env,example.com/x,tier in (be,fe)");
	json_decref(cells);
	cells = cells_of("apps", "Deployment",
			 "{\"spec\":{\"selector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Gt\",\"values\":[\"1\"]}]}}}");
	CHECK_STR(cell(cells, 7), "<invalid>");
	json_decref(cells);
	cells = cells_of("apps", "Deployment", "{\"spec\":{\"selector\":{\"matchLabels\":{\"bad key\":\"x\"}}}}");
	CHECK_STR(cell(cells, 7), "<invalid>");
	json_decref(cells);
	cells = cells_of("apps", "Deployment", "{\"spec\":{}}");
	CHECK_STR(cell(cells, 7), "");
	CHECK_STR(cell(cells, 5), "");
	json_decref(cells);
}

static void test_event(void)
{
	json_t *cells = cells_of("", "Event",
				 "{\"metadata\":{\"name\":\"web-1.17a\"},\"type\":\"Warning\",\"reason\":\"BackOff\","
				 "\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"web-1\",\"fieldPath\":\"spec.containers{web}\"},"
				 "\"source\":{\"component\":\"kubelet\",\"host\":\"node-1\"},"
				 "\"message\":\"  Back-off restarting failed container\\n\","
				 "\"firstTimestamp\":\"" ONE_HOUR_AGO "\",\"lastTimestamp\":\"" FIVE_MIN_AGO "\",\"count\":7}");
	CHECK(cells != NULL);
	CHECK_INT(json_array_size(cells), 10);
	CHECK_STR(cell(cells, 0), "5m");
	CHECK_STR(cell(cells, 1), "Warning");
	CHECK_STR(cell(cells, 2), "BackOff");
	CHECK_STR(cell(cells, 3), "pod/web-1");
	CHECK_STR(cell(cells, 4), "spec.containers{web}");
	CHECK_STR(cell(cells, 5), "kubelet, node-1");
	CHECK_STR(cell(cells, 6), "Back-off restarting failed container");
	CHECK_STR(cell(cells, 7), "60m");
	CHECK_INT(cell_int(cells, 8), 7);
	CHECK_STR(cell(cells, 9), "web-1.17a");
	json_decref(cells);

	/* events.k8s.io-style: eventTime only, no count, reporting fields instead of source. */
	cells = cells_of("", "Event",
			 "{\"metadata\":{\"name\":\"e\"},\"involvedObject\":{\"kind\":\"Node\"},"
			 "\"eventTime\":\"2023-11-14T22:08:20.123456Z\",\"reportingComponent\":\"portico\","
			 "\"message\":\"\\u00a0ok\\u2003\"}");
	CHECK_STR(cell(cells, 0), "4m59s");
	CHECK_STR(cell(cells, 3), "node");
	CHECK_STR(cell(cells, 5), "portico");
	CHECK_STR(cell(cells, 6), "ok");
	CHECK_STR(cell(cells, 7), "4m59s");
	CHECK_INT(cell_int(cells, 8), 1);
	json_decref(cells);

	cells = cells_of("", "Event",
			 "{\"series\":{\"count\":12,\"lastObservedTime\":\"2023-11-14T22:13:00.000000Z\"},\"count\":3,"
			 "\"firstTimestamp\":\"" ONE_HOUR_AGO "\"}");
	CHECK_STR(cell(cells, 0), "20s");
	CHECK_INT(cell_int(cells, 8), 12);
	json_decref(cells);
}

static void test_endpoints(void)
{
	json_t *cells = cells_of("", "Endpoints",
				 "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"" FIVE_MIN_AGO "\"},\"subsets\":["
				 "{\"addresses\":[{\"ip\":\"10.42.0.5\"},{\"ip\":\"10.42.0.6\"}],\"ports\":[{\"port\":80}]},"
				 "{\"addresses\":[{\"ip\":\"10.42.1.5\"},{\"ip\":\"10.42.1.6\"},{\"ip\":\"10.42.1.7\"}],"
				 "\"ports\":[{\"port\":80}]}]}");
	CHECK_STR(cell(cells, 1), "10.42.0.5:80,10.42.0.6:80,10.42.1.5:80 + 2 more...");
	CHECK_STR(cell(cells, 2), "5m");
	json_decref(cells);
	cells = cells_of("", "Endpoints", "{\"metadata\":{\"name\":\"web\"}}");
	CHECK_STR(cell(cells, 1), "<none>");
	json_decref(cells);
	cells = cells_of("", "Endpoints",
			 "{\"subsets\":[{\"addresses\":[{\"ip\":\"fd00::1\"}],\"ports\":[{\"port\":80},{\"port\":443}]},"
			 "{\"addresses\":[{\"ip\":\"10.0.0.1\"}]}]}");
	CHECK_STR(cell(cells, 1), "[fd00::1]:80,[fd00::1]:443,10.0.0.1");
	json_decref(cells);
	cells = cells_of("", "Endpoints", "{\"subsets\":[{\"notReadyAddresses\":[{\"ip\":\"10.0.0.1\"}]}]}");
	CHECK_STR(cell(cells, 1), "");
	json_decref(cells);

	cells = cells_of("discovery.k8s.io", "EndpointSlice",
			 "{\"metadata\":{\"name\":\"web-abc\"},\"addressType\":\"IPv4\","
			 "\"ports\":[{\"port\":80},{\"name\":\"http\"},{},{\"port\":9}],"
			 "\"endpoints\":[{\"addresses\":[\"10.42.0.5\"]},{\"addresses\":[\"10.42.0.6\"]}]}");
	CHECK_INT(json_array_size(cells), 5);
	CHECK_STR(cell(cells, 1), "IPv4");
	CHECK_STR(cell(cells, 2), "80,http,* + 1 more...");
	CHECK_STR(cell(cells, 3), "10.42.0.5,10.42.0.6");
	json_decref(cells);
	cells = cells_of("discovery.k8s.io", "EndpointSlice", "{\"addressType\":\"IPv4\"}");
	CHECK_STR(cell(cells, 2), "<unset>");
	CHECK_STR(cell(cells, 3), "<unset>");
	json_decref(cells);
}

static void test_node_and_others(void)
{
	json_t *cells = cells_of("", "Node",
				 "{\"metadata\":{\"name\":\"node-1\",\"creationTimestamp\":\"" ONE_HOUR_AGO "\","
				 "\"labels\":{\"node-role.kubernetes.io/worker\":\"\",\"node-role.kubernetes.io/control-plane\":\"\","
				 "\"kubernetes.io/role\":\"master\",\"node-role.kubernetes.io/\":\"\"}},"
				 "\"spec\":{\"unschedulable\":true},"
				 "\"status\":{\"conditions\":[{\"type\":\"MemoryPressure\",\"status\":\"False\"},"
				 "{\"type\":\"Ready\",\"status\":\"True\"}],"
				 "\"addresses\":[{\"type\":\"Hostname\",\"address\":\"node-1\"},"
				 "{\"type\":\"InternalIP\",\"address\":\"192.168.1.10\"}],"
				 "\"nodeInfo\":{\"kubeletVersion\":\"v1.30.0\",\"osImage\":\"Debian GNU/Linux 12 (bookworm)\"}}}");
	CHECK_INT(json_array_size(cells), 10);
	CHECK_STR(cell(cells, 1), "Ready,SchedulingDisabled");
	CHECK_STR(cell(cells, 2), "control-plane,master,worker");
	CHECK_STR(cell(cells, 3), "60m");
	CHECK_STR(cell(cells, 4), "v1.30.0");
	CHECK_STR(cell(cells, 5), "192.168.1.10");
	CHECK_STR(cell(cells, 6), "<none>");
	CHECK_STR(cell(cells, 7), "Debian GNU/Linux 12 (bookworm)");
	CHECK_STR(cell(cells, 8), "<unknown>");
	json_decref(cells);
	cells = cells_of("", "Node", "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"Unknown\"}]}}");
	CHECK_STR(cell(cells, 1), "NotReady");
	CHECK_STR(cell(cells, 2), "<none>");
	json_decref(cells);
	cells = cells_of("", "Node", "{}");
	CHECK_STR(cell(cells, 1), "Unknown");
	json_decref(cells);

	cells = cells_of("", "Namespace",
			 "{\"metadata\":{\"name\":\"default\",\"creationTimestamp\":\"" FIVE_MIN_AGO "\"},"
			 "\"status\":{\"phase\":\"Active\"}}");
	CHECK_STR(cell(cells, 0), "default");
	CHECK_STR(cell(cells, 1), "Active");
	CHECK_STR(cell(cells, 2), "5m");
	json_decref(cells);

	cells = cells_of("", "ConfigMap",
			 "{\"metadata\":{\"name\":\"cfg\"},\"data\":{\"a\":\"1\",\"b\":\"2\"},\"binaryData\":{\"c\":\"AA==\"}}");
	CHECK_INT(cell_int(cells, 1), 3);
	json_decref(cells);

	cells = cells_of("coordination.k8s.io", "Lease",
			 "{\"metadata\":{\"name\":\"portico-controller\"},\"spec\":{\"holderIdentity\":\"node-1_abc\"}}");
	CHECK_STR(cell(cells, 1), "node-1_abc");
	json_decref(cells);
	cells = cells_of("coordination.k8s.io", "Lease", "{\"spec\":{}}");
	CHECK_STR(cell(cells, 1), "");
	json_decref(cells);

	/* A kind without a printer gets the default convertor's Name / Created At. */
	k8s_resource_t other = { "example.com", "v1", "Widget", "widgets", "widget", { NULL }, NULL, true, false, false, false };
	json_t *cols = table_column_definitions(&other);
	CHECK_INT(json_array_size(cols), 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(cols, 1), "name")), "Created At");
	CHECK_STR(json_string_value(json_object_get(json_array_get(cols, 1), "type")), "date");
	json_decref(cols);
	json_t *obj = parse("{\"metadata\":{\"name\":\"w\",\"creationTimestamp\":\"2023-11-14T23:08:20+01:00\"}}");
	json_t *row = table_row(&other, obj, NOW, TABLE_INCLUDE_NONE);
	CHECK_STR(cell(json_object_get(row, "cells"), 1), FIVE_MIN_AGO);
	json_decref(row);
	json_decref(obj);
}

static void test_include_object(void)
{
	json_t *obj = parse("{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"web\","
			    "\"namespace\":\"default\",\"resourceVersion\":\"42\",\"labels\":{\"app\":\"web\"}},"
			    "\"spec\":{\"type\":\"ClusterIP\"}}");
	const k8s_resource_t *svc = res("", "Service");

	json_t *row = table_row(svc, obj, NOW, TABLE_INCLUDE_METADATA);
	json_t *pom = json_object_get(row, "object");
	CHECK_STR(json_string_value(json_object_get(pom, "kind")), "PartialObjectMetadata");
	CHECK_STR(json_string_value(json_object_get(pom, "apiVersion")), "meta.k8s.io/v1");
	CHECK(json_equal(json_object_get(pom, "metadata"), json_object_get(obj, "metadata")));
	CHECK(json_object_get(pom, "metadata") != json_object_get(obj, "metadata"));
	CHECK(json_object_get(pom, "spec") == NULL);
	json_decref(row);

	row = table_row(svc, obj, NOW, TABLE_INCLUDE_OBJECT);
	CHECK(json_equal(json_object_get(row, "object"), obj));
	CHECK(json_object_get(row, "object") != obj);
	json_decref(row);

	row = table_row(svc, obj, NOW, TABLE_INCLUDE_NONE);
	CHECK(json_is_null(json_object_get(row, "object")));
	json_decref(row);
	json_decref(obj);

	obj = parse("{\"metadata\":7}");
	row = table_row(svc, obj, NOW, TABLE_INCLUDE_METADATA);
	CHECK(json_is_object(json_object_get(json_object_get(row, "object"), "metadata")));
	CHECK_INT(json_object_size(json_object_get(json_object_get(row, "object"), "metadata")), 0);
	json_decref(row);
	json_decref(obj);

	CHECK(table_row(svc, NULL, NOW, TABLE_INCLUDE_NONE) == NULL);

	enum table_include inc = TABLE_INCLUDE_OBJECT;
	CHECK_INT(table_include_parse(NULL, &inc), 0);
	CHECK_INT(inc, TABLE_INCLUDE_METADATA);
	CHECK_INT(table_include_parse("None", &inc), 0);
	CHECK_INT(inc, TABLE_INCLUDE_NONE);
	CHECK_INT(table_include_parse("", &inc), 0);
	CHECK_INT(inc, TABLE_INCLUDE_METADATA);
	CHECK_INT(table_include_parse("Object", &inc), 0);
	CHECK_INT(inc, TABLE_INCLUDE_OBJECT);
	CHECK_INT(table_include_parse("object", &inc), -EINVAL);
	CHECK_INT(inc, TABLE_INCLUDE_OBJECT);
}

static void test_table_new(void)
{
	const k8s_resource_t *svc = res("", "Service");
	json_t *rows = json_array();
	json_t *obj = parse("{\"metadata\":{\"name\":\"web\"},\"spec\":{\"type\":\"ClusterIP\"}}");
	json_array_append_new(rows, table_row(svc, obj, NOW, TABLE_INCLUDE_METADATA));
	json_decref(obj);

	json_t *t = table_new(svc, rows, "123", "tok", 5, true);
	CHECK(t != NULL);
	CHECK_STR(json_string_value(json_object_get(t, "kind")), "Table");
	CHECK_STR(json_string_value(json_object_get(t, "apiVersion")), "meta.k8s.io/v1");
	json_t *meta = json_object_get(t, "metadata");
	CHECK_STR(json_string_value(json_object_get(meta, "resourceVersion")), "123");
	CHECK_STR(json_string_value(json_object_get(meta, "continue")), "tok");
	CHECK_INT(json_integer_value(json_object_get(meta, "remainingItemCount")), 5);
	CHECK_INT(json_array_size(json_object_get(t, "columnDefinitions")), 7);
	CHECK(json_object_get(t, "rows") == rows);
	CHECK_INT(json_array_size(rows), 1);
	json_decref(t);

	/* Watch events after the first: no headers, which upstream sends as null. */
	t = table_new(svc, NULL, "", NULL, -1, false);
	CHECK(t != NULL);
	CHECK(json_is_null(json_object_get(t, "columnDefinitions")));
	CHECK(json_is_array(json_object_get(t, "rows")));
	CHECK_INT(json_object_size(json_object_get(t, "metadata")), 0);
	char *text = json_dumps(t, JSON_COMPACT);
	CHECK_STR(text, "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{},"
			"\"columnDefinitions\":null,\"rows\":[]}");
	free(text);
	json_decref(t);

	t = table_new(svc, json_array(), NULL, "", 0, true);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(t, "metadata"), "remainingItemCount")), 0);
	json_decref(t);

	/* A non-array rows is still consumed. */
	CHECK(table_new(svc, json_object(), NULL, NULL, -1, true) == NULL);
}

/* Replaces every value in obj (recursively, one at a time) by each JSON type and prints the result
 * as every served kind: no crash, and as many cells as columns. */
static const char *const mutants[] = { "null", "1", "-7", "9223372036854775807", "1.5", "true", "\"\"", "\"x\"", "[]", "[1,\"a\",null]", "{}",
				       "{\"a\":1}" };

static int row_ok(const json_t *root)
{
	static size_t ncols[64];

	for (size_t i = 0; i < k8s_resources_n && i < 64; i++) {
		if (!ncols[i]) {
			json_t *cols = table_column_definitions(&k8s_resources[i]);
			ncols[i] = json_array_size(cols);
			json_decref(cols);
		}
		/* METADATA exercises the metadata copy; OBJECT is a plain deep copy, tested above. */
		json_t *row = table_row(&k8s_resources[i], root, NOW, TABLE_INCLUDE_METADATA);
		bool ok = row && json_array_size(json_object_get(row, "cells")) == ncols[i];
		json_decref(row);
		if (!ok)
			return 0;
	}
	return 1;
}

static void mutate_all(json_t *root, json_t *node, int *checked, int *failed)
{
	if (json_is_object(node)) {
		const char *key;
		json_t *val;
		void *tmp;
		json_object_foreach_safe(node, tmp, key, val) {
			json_incref(val);
			for (size_t m = 0; m < sizeof(mutants) / sizeof(mutants[0]); m++) {
				json_object_set_new(node, key, parse(mutants[m]));
				(*checked)++;
				*failed += !row_ok(root);
			}
			json_object_set_new(node, key, val);
			mutate_all(root, val, checked, failed);
		}
	} else if (json_is_array(node)) {
		for (size_t i = 0; i < json_array_size(node); i++) {
			json_t *val = json_incref(json_array_get(node, i));
			for (size_t m = 0; m < sizeof(mutants) / sizeof(mutants[0]); m++) {
				json_array_set_new(node, i, parse(mutants[m]));
				(*checked)++;
				*failed += !row_ok(root);
			}
			json_array_set_new(node, i, val);
			mutate_all(root, val, checked, failed);
		}
	}
}

static void test_malformed(void)
{
	static const char *const samples[] = {
		"{\"metadata\":{\"name\":\"w\",\"creationTimestamp\":\"" FIVE_MIN_AGO "\",\"deletionTimestamp\":\"x\","
		"\"labels\":{\"node-role.kubernetes.io/a\":\"\",\"kubernetes.io/role\":\"b\"}},"
		"\"spec\":{\"type\":\"LoadBalancer\",\"clusterIPs\":[\"1.2.3.4\"],\"clusterIP\":\"1.2.3.4\","
		"\"externalIPs\":[\"5.6.7.8\"],\"ports\":[{\"port\":80,\"nodePort\":30080,\"protocol\":\"TCP\"}],"
		"\"selector\":{\"app\":\"w\"},\"externalName\":\"x\",\"replicas\":2,\"holderIdentity\":\"h\","
		"\"unschedulable\":true,\"nodeName\":\"n\",\"readinessGates\":[{\"conditionType\":\"c\"}],"
		"\"initContainers\":[{\"name\":\"i\",\"restartPolicy\":\"Always\"}],\"containers\":[{\"name\":\"c\"}],"
		"\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}},"
		"\"selector2\":{\"matchLabels\":{\"a\":\"b\"},\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"In\",\"values\":[\"v\"]}]}},"
		"\"status\":{\"phase\":\"Running\",\"reason\":\"r\",\"podIP\":\"1.1.1.1\",\"podIPs\":[{\"ip\":\"1.1.1.1\"}],"
		"\"loadBalancer\":{\"ingress\":[{\"ip\":\"9.9.9.9\",\"hostname\":\"h\"}]},"
		"\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"SchedulingGated\"}],"
		"\"initContainerStatuses\":[{\"name\":\"i\",\"started\":true,\"ready\":true,\"restartCount\":1,"
		"\"state\":{\"waiting\":{\"reason\":\"w\"},\"terminated\":{\"exitCode\":1,\"signal\":2,\"reason\":\"t\"}},"
		"\"lastState\":{\"terminated\":{\"finishedAt\":\"" FIVE_MIN_AGO "\"}}}],"
		"\"containerStatuses\":[{\"name\":\"c\",\"ready\":true,\"restartCount\":1,\"state\":{\"running\":{}},"
		"\"lastState\":{\"terminated\":{\"finishedAt\":\"" FIVE_MIN_AGO "\"}}}],"
		"\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"a\"}],\"nodeInfo\":{\"kubeletVersion\":\"v\"},"
		"\"readyReplicas\":1,\"updatedReplicas\":1,\"availableReplicas\":1},"
		"\"subsets\":[{\"addresses\":[{\"ip\":\"1.1.1.1\"}],\"ports\":[{\"port\":80}]}],"
		"\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"1.1.1.1\"]}],"
		"\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"p\"},\"source\":{\"component\":\"c\"},"
		"\"series\":{\"count\":2,\"lastObservedTime\":\"" FIVE_MIN_AGO "\"},\"eventTime\":\"" FIVE_MIN_AGO "\","
		"\"data\":{\"a\":\"b\"},\"binaryData\":{\"c\":\"d\"},\"message\":\" m \"}",
	};
	int checked = 0, failed = 0;

	for (size_t s = 0; s < sizeof(samples) / sizeof(samples[0]); s++) {
		json_t *root = parse(samples[s]);
		/* The deployment selector lives in spec.selector; try the expression form there too. */
		json_t *spec = json_object_get(root, "spec");
		failed += !row_ok(root);
		mutate_all(root, root, &checked, &failed);
		json_object_set(spec, "selector", json_object_get(spec, "selector2"));
		mutate_all(root, root, &checked, &failed);
		json_decref(root);
	}
	/* Not even an object. */
	for (size_t m = 0; m < sizeof(mutants) / sizeof(mutants[0]); m++) {
		json_t *v = parse(mutants[m]);
		failed += !row_ok(v);
		json_decref(v);
	}
	CHECK(checked > 1000);
	CHECK_INT(failed, 0);
}

int main(void)
{
	TEST_RUN(test_service_columns);
	TEST_RUN(test_service_cells);
	TEST_RUN(test_human_duration);
	TEST_RUN(test_age);
	TEST_RUN(test_pod);
	TEST_RUN(test_deployment);
	TEST_RUN(test_event);
	TEST_RUN(test_endpoints);
	TEST_RUN(test_node_and_others);
	TEST_RUN(test_include_object);
	TEST_RUN(test_table_new);
	TEST_RUN(test_malformed);
	TEST_DONE();
}
