/* The load-balancer configuration: the data of the ConfigMap kube-system/portico-lb, parsed and
 * checked (docs/loadbalancers.md). Pure: no I/O; the token file is only named here, read by the
 * webhook provider. Errors come back as text fit for an Event on the ConfigMap. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define LB_CONFIG_NAME      "portico-lb"
#define LB_CONFIG_NAMESPACE "kube-system"
#define LB_CLASS            "portico.io/lb"

#define LB_CONFIG_MAX_POOLS      256  /* lines in data.pools that name a pool */
#define LB_CONFIG_MAX_LINE       128  /* bytes in one line of data.pools */
#define LB_CONFIG_MAX_VALUE      4096 /* bytes in webhook-url and friends */
#define LB_WEBHOOK_TIMEOUT_DEF   10   /* seconds per webhook request */
#define LB_WEBHOOK_TIMEOUT_MAX   120
#define LB_RESYNC_DEF            300   /* seconds between re-ensures of every webhook load balancer */
#define LB_RESYNC_MAX            86400 /* a day; 0 turns the periodic resync off */

/* An address of either family as a 128-bit number (IPv4 in the low 32 bits). */
typedef unsigned __int128 lb_u128;

typedef struct lb_addr {
	int family; /* AF_INET or AF_INET6 */
	lb_u128 v;
} lb_addr_t;

/* One pool: every address from first to last (inclusive, same family). A CIDR pool of IPv4 with a
 * prefix of /30 or shorter leaves out its network and broadcast addresses (clients on some
 * networks drop them; MetalLB's avoidBuggyIPs made the default). */
typedef struct lb_range {
	lb_addr_t first, last;
	char text[LB_CONFIG_MAX_LINE]; /* the line as written, trimmed */
} lb_range_t;

typedef enum lb_provider_kind {
	LB_PROVIDER_NODES = 0, /* ingress = the nodes' InternalIPs (k3s ServiceLB) */
	LB_PROVIDER_POOL,      /* addresses from pools (MetalLB L2) */
	LB_PROVIDER_WEBHOOK,   /* an infrastructure provider's HTTPS API */
} lb_provider_kind_t;

typedef struct lb_config {
	lb_provider_kind_t provider;
	lb_range_t *pools; /* npools entries, owned */
	size_t npools;
	char *webhook_url;        /* https://..., owned; NULL unless webhook */
	char *webhook_token_file; /* absolute path, owned; NULL when absent */
	char *webhook_ca_file;    /* absolute path, owned; NULL: the system's CAs */
	int webhook_timeout_sec;
	/* resync-period-seconds: how often the controller re-ensures every load balancer of a provider
	 * that keeps state of its own (webhook), so drift there is repaired; 0: never */
	int resync_period_sec;
} lb_config_t;

/* Parses ConfigMap data (a JSON object of strings; NULL or {} gives the default: provider nodes).
 * Keys: provider, pools, webhook-url, webhook-token-file, webhook-ca-file, webhook-timeout-seconds,
 * resync-period-seconds;
 * any other key is an error (a typo would otherwise be silently ignored). On error returns -EINVAL
 * with a one-line message in err (never more than errlen - 1 bytes) and leaves *ret untouched; on
 * success *ret is filled (free with lb_config_free()). -ENOMEM too. */
int lb_config_parse(const json_t *data, lb_config_t *ret, char *err, size_t errlen);
void lb_config_free(lb_config_t *cfg); /* accepts a zeroed or freed config */
/* True when a and b configure the same provider (the resync period aside: changing only that
 * needs no new provider and no new sync of every Service). */
bool lb_config_equal(const lb_config_t *a, const lb_config_t *b);

/* One pool line: "a.b.c.d/p", "x::/p", or "first-last". -EINVAL with a message in err. */
int lb_range_parse(const char *line, lb_range_t *ret, char *err, size_t errlen);

/* Address helpers. lb_addr_parse: a literal IPv4 or IPv6 address; -EINVAL otherwise.
 * lb_addr_format: into buf (>= 46 bytes). */
int lb_addr_parse(const char *s, lb_addr_t *ret);
void lb_addr_format(const lb_addr_t *a, char *buf, size_t len);
bool lb_addr_equal(const lb_addr_t *a, const lb_addr_t *b);
bool lb_range_contains(const lb_range_t *r, const lb_addr_t *a);
