/* pods/log: GET /api/v1/namespaces/NS/pods/NAME/log, proxied to the agent of the pod's node (see
 * agent/logsrv.h) and streamed through as text/plain, as kube-apiserver's LogREST does it
 * (pkg/registry/core/pod/rest/log.go, strategy.go LogLocation). */
#pragma once
#include "api/api.h"

/* Serves r (a GET on pods/NAME/log) and frees it when done; never blocks the loop. */
void podlog_handle(api_req_t *r);

/* Shutdown: drops every pods/log request in flight (before evhttp_free(), which frees their HTTP
 * requests). */
void podlog_close_all(api_server_t *srv);

/* The container whose log is asked for: the container parameter, or the only container of the pod.
 * 0 and *ret (borrowed from pod or want), else a 400 Status message in err (upstream's wording). */
int podlog_pick_container(const json_t *pod, const char *want, const char **ret, char *err, size_t errlen);
