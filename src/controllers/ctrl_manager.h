/* The controller manager inside `portico server`: a thread with its own event loop (so controller
 * work never blocks the API loop) that talks to the API server over loopback HTTPS with the admin
 * credentials of the data dir. It always keeps the kubernetes Service's endpoints (apiserver_ep.h),
 * and runs the leader-elected controllers (EndpointSlices, Deployments, the scheduler, the garbage collector, node lifecycle,
 * load balancers) only while it holds the Lease
 * kube-system/kube-controller-manager, so several servers never run one controller twice. */
#pragma once

typedef struct ctrl_manager ctrl_manager_t;

typedef struct ctrl_manager_config {
	const char *data_dir;     /* ca.crt and admin-token are read from here */
	const char *server_url;   /* "https://127.0.0.1:6443": how to reach this server */
	const char *advertise_ip; /* this server's address in the kubernetes Service; NULL: not published */
	int advertise_port;       /* its HTTPS port */
	int node_monitor_grace_sec; /* NotReady after this long without a Lease renewal; 0: 40 s
				     * (the PORTICO_NODE_MONITOR_GRACE_PERIOD environment variable overrides) */
} ctrl_manager_config_t;

/* Reads the credentials and starts the thread. The caller must have called evthread_use_pthreads().
 * Strings are copied. *ret: stop with ctrl_manager_stop(). Errors: those of pki_read_token(),
 * -EBADMSG for an unreadable CA, -EINVAL, -ENOMEM, or a pthread_create() errno. */
int ctrl_manager_start(const ctrl_manager_config_t *cfg, ctrl_manager_t **ret);

/* Stops the controllers (releasing the leader Lease when held), joins the thread and frees
 * everything. Call from the thread that started it. Accepts NULL. */
void ctrl_manager_stop(ctrl_manager_t *m);
