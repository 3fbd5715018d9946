/* Service registry logic as kube-apiserver has it (pkg/apis/core/v1/defaults.go, pkg/apis/core/validation,
 * pkg/registry/core/service/{strategy.go,storage/alloc.go,ipallocator,portallocator}): defaulting, the
 * strategy's field fix-ups, validation with upstream's field paths and messages, and the ClusterIP and
 * NodePort allocators with a per-Service allocation transaction. Pure code: no I/O, no locking (every
 * call comes from the API server's one event-loop thread).
 *
 * Objects are jansson trees of a v1 Service as the client sent it. Every function tolerates any field
 * missing or of the wrong JSON type; svc_check_types() reports wrong types, so run it (svc_admit() does)
 * before anything that reads fields.
 *
 * Allocation state is derived, never stored: at start the server feeds every stored Service to
 * svc_alloc_rebuild_add(), so after a kill -9 at any moment nothing leaks and nothing is handed out twice.
 * At run time a value is marked in the bitmap from svc_admit()/svc_txn_begin() until the transaction ends:
 *
 *   svc_admit(a, body, old, errs, &txn)   // default, fix up, allocate, validate (old NULL on create)
 *   -> 0: write body to the store; when the write is durable svc_txn_commit(), if it fails
 *         svc_txn_rollback(). Commit releases what old held and body no longer holds; rollback releases
 *         what this transaction allocated. A dry run is admit + rollback.
 *   -> -EINVAL: 422, status_invalid("", "Service", name, errs).
 *   -> SVC_E_INTERNAL: 500, status_internal(svc_alloc_errmsg(a)) ("failed to allocate a serviceIP:
 *         range is full", ...); SVC_E_UNKNOWN: see below; -ENOMEM. Nothing stays allocated on any
 *         failure.
 *   delete: after the delete is durable, svc_alloc_release(a, stored_object).
 *
 * "old" must be the latest state of the object, including a write of it still being committed.
 */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Errors beyond errno. */
#define SVC_E_INTERNAL (-10101) /* 500 InternalError: status_internal(svc_alloc_errmsg(a)) */
/* 500 with reason "" (StatusReasonUnknown) and svc_alloc_errmsg(a) as the whole message: upstream
 * returns a plain Go error here ("duplicate nodePort: {TCP 30001}", on update only). */
#define SVC_E_UNKNOWN (-10102)

/* ---- cluster configuration ------------------------------------------------------------------------ */

typedef struct svc_cidr {
	int family;         /* AF_INET or AF_INET6 */
	uint8_t net[16];    /* network address (IPv4 in the first 4 bytes), host bits zero */
	int prefix;
	char str[64];       /* "10.43.0.0/16", as upstream prints the range in errors */
} svc_cidr_t;

typedef struct svc_config {
	svc_cidr_t cidr[2]; /* [0] is the primary range (the default family); [1] makes the cluster dual-stack */
	int n_cidrs;        /* 1 or 2 */
	int port_base;      /* 30000 */
	int port_size;      /* 2768 for 30000-32767 */
	char port_str[24];  /* "30000-32767" */
} svc_config_t;

/* Parses --service-cidr ("10.43.0.0/16" or "10.43.0.0/16,fd00:43::/112"; NULL for that default) and
 * --service-node-port-range ("30000-32767"; NULL for that default). As kube-apiserver: at most two
 * ranges of different families, an IPv4 mask of at least /12 and an IPv6 one of at least /108.
 * Returns 0 or -EINVAL (cfg untouched). */
int svc_config_init(svc_config_t *cfg, const char *service_cidrs, const char *node_port_range);
/* The first usable address of a range, reserved for the "kubernetes" Service (upstream
 * GetIndexedIP(cidr, 1)), into buf (>= 46 bytes). */
void svc_config_first_ip(const svc_config_t *cfg, int idx, char *buf, size_t len);

/* ---- object helpers (read-only; wrong types read as absent) --------------------------------------- */

const char *svc_type(const json_t *svc);            /* spec.type, "" when unset */
bool svc_is_headless(const json_t *svc);           /* clusterIPs == ["None"] (upstream isHeadlessService) */
bool svc_externally_accessible(const json_t *svc); /* LoadBalancer, NodePort, or ClusterIP with externalIPs */
bool svc_needs_health_check(const json_t *svc);    /* LoadBalancer with externalTrafficPolicy Local */
/* Parses an IP as Go's net.ParseIP would for our purposes: returns AF_INET (ret 4 bytes; IPv4-mapped
 * IPv6 counts as IPv4, as netutils.IsIPv4String), AF_INET6 (16 bytes), or 0 when not an IP. */
int svc_ip_parse(const char *s, uint8_t ret[16]);

/* ---- admission steps (svc_admit() runs them all, in upstream's order) ----------------------------- */

/* Reports fields of the wrong JSON type as Invalid causes (upstream would fail decoding with 400;
 * we answer 422 with the field path). Returns the number of errors added. */
int svc_check_types(const json_t *svc, json_t *errs);
/* SetDefaults_Service (pkg/apis/core/v1/defaults.go), applied to every create and update body. */
void svc_default(json_t *svc);
/* Create, before allocation: status cleared (PrepareForCreate), clusterIPs from clusterIP
 * (NormalizeClusterIPs). */
void svc_prepare_create(json_t *svc);
/* Update, before allocation (storage.go beginUpdate): keeps allocated values the client left empty
 * (patchAllocatedValues: clusterIP(s), nodePorts by port name, healthCheckNodePort) and syncs
 * clusterIPs with clusterIP (NormalizeClusterIPs). */
void svc_prepare_update(json_t *svc, const json_t *old);
/* Update, after allocation (PrepareForUpdate): status comes from old (the main resource ignores
 * status changes), then dropTypeDependentFields. */
void svc_finish_update(json_t *svc, const json_t *old);
/* initIPFamilyFields (storage/alloc.go): defaults ipFamilyPolicy and ipFamilies for the cluster, and
 * rejects families or dual-stack the cluster does not have. Returns 0 or -EINVAL (errs appended). */
int svc_init_ip_families(json_t *svc, const json_t *old, const svc_config_t *cfg, json_t *errs);
/* ValidateServiceClusterIPsRelatedFields: clusterIP(s), ipFamilies and ipFamilyPolicy on their own
 * (svc_init_ip_families runs it before allocating; svc_validate runs it again, as upstream). */
void svc_validate_cluster_ips(const json_t *svc, json_t *errs);
/* ValidateService / ValidateServiceUpdate (old != NULL), spec rules only: the caller validates
 * metadata. Appends causes to errs. */
void svc_validate(const json_t *svc, const json_t *old, json_t *errs);

/* ---- allocators ------------------------------------------------------------------------------------ */

typedef struct svc_alloc svc_alloc_t;
typedef struct svc_txn svc_txn_t;

/* A ClusterIP bitmap per configured range and one NodePort bitmap. cfg is copied. 0 or -ENOMEM. */
int svc_alloc_new(const svc_config_t *cfg, svc_alloc_t **ret);
void svc_alloc_free(svc_alloc_t *a); /* accepts NULL */
/* Seeds the random start of automatic allocation (tests; svc_alloc_new seeds from getrandom). */
void svc_alloc_seed(svc_alloc_t *a, uint64_t seed);
/* The message of the last SVC_E_INTERNAL; borrowed until the next call on a. */
const char *svc_alloc_errmsg(const svc_alloc_t *a);
/* Used/total counts, for metrics and tests. idx 0/1 = ClusterIP ranges, 2 = NodePorts. */
void svc_alloc_usage(const svc_alloc_t *a, int idx, uint32_t *ret_used, uint32_t *ret_size);

/* Start-up repair: marks every value a stored Service holds. Marks all it can; returns 0, or the first
 * problem: -EEXIST (a value another stored Service already holds) or -ERANGE (outside the configured
 * ranges, e.g. after a flag change), for the caller to log. */
int svc_alloc_rebuild_add(svc_alloc_t *a, const json_t *svc);

/* The allocation transaction alone (svc_admit() calls it after the fix-ups): allocates what svc needs
 * and old (NULL on create) does not hold, filling clusterIP(s), nodePorts and healthCheckNodePort
 * into svc, and notes what to release on commit. 0 (*ret set), -EINVAL (errs appended; 422),
 * SVC_E_INTERNAL (500) or -ENOMEM; nothing stays allocated on failure. */
int svc_txn_begin(svc_alloc_t *a, json_t *svc, const json_t *old, json_t *errs, svc_txn_t **ret);
void svc_txn_commit(svc_alloc_t *a, svc_txn_t *t);   /* the write is durable; frees t; NULL ok */
void svc_txn_rollback(svc_alloc_t *a, svc_txn_t *t); /* the write failed or was a dry run; frees t */
/* Delete: releases everything svc holds (clusterIPs, nodePorts, healthCheckNodePort). */
void svc_alloc_release(svc_alloc_t *a, const json_t *svc);

/* All of the above for one create (old NULL) or update request body: type check, defaults, fix-ups,
 * IP families, allocation, validation. svc is modified in place into the object to store. errs may
 * already hold the caller's metadata causes: if it is non-empty at the end the transaction is rolled
 * back and -EINVAL returned. Returns as svc_txn_begin(). */
int svc_admit(svc_alloc_t *a, json_t *svc, const json_t *old, json_t *errs, svc_txn_t **ret);
