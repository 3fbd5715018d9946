/* The portico-lb ConfigMap parser (see lb_config.h). Every check leaves a message that names the
 * key and, for pools, the line, so `kubectl get events -n kube-system` tells the operator what to fix. */
#include "lib/lb_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void seterr(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

int lb_addr_parse(const char *s, lb_addr_t *ret)
{
	unsigned char b[16];
	lb_u128 v = 0;

	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, b) == 1) {
		ret->family = AF_INET;
		ret->v = ((lb_u128)b[0] << 24) | ((lb_u128)b[1] << 16) | ((lb_u128)b[2] << 8) | b[3];
		return 0;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		for (int i = 0; i < 16; i++)
			v = (v << 8) | b[i];
		ret->family = AF_INET6;
		ret->v = v;
		return 0;
	}
	return -EINVAL;
}

void lb_addr_format(const lb_addr_t *a, char *buf, size_t len)
{
	unsigned char b[16];
	lb_u128 v = a->v;

	if (a->family == AF_INET) {
		for (int i = 3; i >= 0; i--, v >>= 8)
			b[i] = (unsigned char)(v & 0xff);
		if (!inet_ntop(AF_INET, b, buf, (socklen_t)len) && len)
			buf[0] = '\0';
	} else {
		for (int i = 15; i >= 0; i--, v >>= 8)
			b[i] = (unsigned char)(v & 0xff);
		if (!inet_ntop(AF_INET6, b, buf, (socklen_t)len) && len)
			buf[0] = '\0';
	}
}

bool lb_addr_equal(const lb_addr_t *a, const lb_addr_t *b)
{
	return a->family == b->family && a->v == b->v;
}

bool lb_range_contains(const lb_range_t *r, const lb_addr_t *a)
{
	return r->first.family == a->family && a->v >= r->first.v && a->v <= r->last.v;
}

/* A bounded copy of s[0..n) without surrounding blanks. false when it does not fit. */
static bool trim_copy(const char *s, size_t n, char *out, size_t outlen)
{
	while (n && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	if (n >= outlen)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

/* Printable for messages: pool text comes from the user and ends up in an Event. */
static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

int lb_range_parse(const char *line, lb_range_t *ret, char *err, size_t errlen)
{
	char buf[LB_CONFIG_MAX_LINE], *sep;
	lb_range_t r;

	memset(&r, 0, sizeof(r));
	if (!trim_copy(line, strlen(line), buf, sizeof(buf))) {
		seterr(err, errlen, "longer than %d bytes", LB_CONFIG_MAX_LINE - 1);
		return -EINVAL;
	}
	if (!printable(buf)) {
		seterr(err, errlen, "contains control or non-ASCII characters");
		return -EINVAL;
	}
	memcpy(r.text, buf, sizeof(r.text));
	if ((sep = strchr(buf, '/'))) {
		char *end;
		long p;
		int bits;
		lb_u128 mask;

		*sep = '\0';
		if (lb_addr_parse(buf, &r.first) < 0) {
			seterr(err, errlen, "\"%s\": invalid address \"%s\"", r.text, buf);
			return -EINVAL;
		}
		bits = r.first.family == AF_INET ? 32 : 128;
		errno = 0;
		p = strtol(sep + 1, &end, 10);
		if (!sep[1] || *end || errno || sep[1] == '-' || sep[1] == '+' || p < 0 || p > bits) {
			seterr(err, errlen, "\"%s\": prefix length must be a number from 0 to %d", r.text, bits);
			return -EINVAL;
		}
		/* host part mask; shifting a 128-bit value by 128 is undefined, so /0 is special */
		mask = p == 0 ? (bits == 32 ? (lb_u128)0xffffffffu : ~(lb_u128)0)
			      : (((lb_u128)1 << (bits - p)) - 1);
		if (r.first.v & mask) {
			seterr(err, errlen, "\"%s\": host bits are set (the network address is needed)", r.text);
			return -EINVAL;
		}
		r.last = r.first;
		r.last.v = r.first.v | mask;
		if (r.first.family == AF_INET && p <= 30) {
			r.first.v++;
			r.last.v--;
		}
	} else if ((sep = strchr(buf, '-'))) {
		char a[LB_CONFIG_MAX_LINE], b[LB_CONFIG_MAX_LINE];

		trim_copy(buf, (size_t)(sep - buf), a, sizeof(a));
		trim_copy(sep + 1, strlen(sep + 1), b, sizeof(b));
		if (lb_addr_parse(a, &r.first) < 0) {
			seterr(err, errlen, "\"%s\": invalid first address \"%s\"", r.text, a);
			return -EINVAL;
		}
		if (lb_addr_parse(b, &r.last) < 0) {
			seterr(err, errlen, "\"%s\": invalid last address \"%s\"", r.text, b);
			return -EINVAL;
		}
		if (r.first.family != r.last.family) {
			seterr(err, errlen, "\"%s\": first and last address are of different families", r.text);
			return -EINVAL;
		}
		if (r.first.v > r.last.v) {
			seterr(err, errlen, "\"%s\": first address is after the last", r.text);
			return -EINVAL;
		}
	} else {
		seterr(err, errlen, "\"%s\": expected a CIDR (198.51.100.0/28) or a range (first-last)", r.text);
		return -EINVAL;
	}
	*ret = r;
	return 0;
}

static bool ranges_overlap(const lb_range_t *a, const lb_range_t *b)
{
	return a->first.family == b->first.family && a->first.v <= b->last.v && b->first.v <= a->last.v;
}

static int parse_pools(const char *text, lb_config_t *cfg, char *err, size_t errlen)
{
	const char *p = text;
	int lineno = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[LB_CONFIG_MAX_LINE], msg[256];
		lb_range_t r;

		lineno++;
		if (!trim_copy(p, n, line, sizeof(line))) {
			seterr(err, errlen, "pools line %d: longer than %d bytes", lineno, LB_CONFIG_MAX_LINE - 1);
			return -EINVAL;
		}
		p = nl ? nl + 1 : p + n;
		if (!line[0] || line[0] == '#')
			continue;
		if (lb_range_parse(line, &r, msg, sizeof(msg)) < 0) {
			seterr(err, errlen, "pools line %d: %s", lineno, msg);
			return -EINVAL;
		}
		if (cfg->npools >= LB_CONFIG_MAX_POOLS) {
			seterr(err, errlen, "pools line %d: more than %d pools", lineno, LB_CONFIG_MAX_POOLS);
			return -EINVAL;
		}
		for (size_t i = 0; i < cfg->npools; i++) {
			if (ranges_overlap(&cfg->pools[i], &r)) {
				seterr(err, errlen, "pools line %d: \"%s\" overlaps \"%s\"", lineno, r.text,
				       cfg->pools[i].text);
				return -EINVAL;
			}
		}
		if (cfg->npools % 16 == 0) {
			lb_range_t *np = realloc(cfg->pools, (cfg->npools + 16) * sizeof(*np));
			if (!np)
				return -ENOMEM;
			cfg->pools = np;
		}
		cfg->pools[cfg->npools++] = r;
	}
	return 0;
}

static bool is_abs_path(const char *s)
{
	return s[0] == '/' && !strstr(s, "/../") && printable(s);
}

static int dup_value(const char *v, char **ret)
{
	if (!(*ret = strdup(v)))
		return -ENOMEM;
	return 0;
}

int lb_config_parse(const json_t *data, lb_config_t *ret, char *err, size_t errlen)
{
	lb_config_t cfg;
	const char *key, *provider = NULL;
	json_t *v;
	int rc = -EINVAL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.webhook_timeout_sec = LB_WEBHOOK_TIMEOUT_DEF;
	cfg.resync_period_sec = LB_RESYNC_DEF;
	if (data && !json_is_object(data)) {
		seterr(err, errlen, "data is not an object");
		return -EINVAL;
	}
	json_object_foreach((json_t *)data, key, v) {
		const char *s = json_string_value(v);

		if (!s) {
			seterr(err, errlen, "%.64s: value is not a string", printable(key) ? key : "(key)");
			goto fail;
		}
		if (strlen(s) > LB_CONFIG_MAX_VALUE && strcmp(key, "pools") != 0) {
			seterr(err, errlen, "%s: longer than %d bytes", key, LB_CONFIG_MAX_VALUE);
			goto fail;
		}
		if (strcmp(key, "provider") == 0) {
			provider = s;
		} else if (strcmp(key, "pools") == 0) {
			if ((rc = parse_pools(s, &cfg, err, errlen)) < 0)
				goto fail;
			rc = -EINVAL;
		} else if (strcmp(key, "webhook-url") == 0) {
			if (strncmp(s, "https://", 8) != 0 || !s[8] || s[8] == '/' || !printable(s) || strchr(s, ' ')) {
				seterr(err, errlen, "webhook-url: must be an https:// URL with a host");
				goto fail;
			}
			if ((rc = dup_value(s, &cfg.webhook_url)) < 0)
				goto fail;
			rc = -EINVAL;
		} else if (strcmp(key, "webhook-token-file") == 0 || strcmp(key, "webhook-ca-file") == 0) {
			if (!is_abs_path(s)) {
				seterr(err, errlen, "%s: must be an absolute path", key);
				goto fail;
			}
			if ((rc = dup_value(s, key[8] == 't' ? &cfg.webhook_token_file : &cfg.webhook_ca_file)) < 0)
				goto fail;
			rc = -EINVAL;
		} else if (strcmp(key, "webhook-timeout-seconds") == 0) {
			char *end;
			long t;
			errno = 0;
			t = strtol(s, &end, 10);
			if (!*s || *end || errno || *s == '-' || *s == '+' || t < 1 || t > LB_WEBHOOK_TIMEOUT_MAX) {
				seterr(err, errlen, "webhook-timeout-seconds: must be a number from 1 to %d",
				       LB_WEBHOOK_TIMEOUT_MAX);
				goto fail;
			}
			cfg.webhook_timeout_sec = (int)t;
		} else if (strcmp(key, "resync-period-seconds") == 0) {
			char *end;
			long t;
			errno = 0;
			t = strtol(s, &end, 10);
			if (!*s || *end || errno || *s == '-' || *s == '+' || t < 0 || t > LB_RESYNC_MAX) {
				seterr(err, errlen, "resync-period-seconds: must be a number from 0 to %d",
				       LB_RESYNC_MAX);
				goto fail;
			}
			cfg.resync_period_sec = (int)t;
		} else {
			seterr(err, errlen, "unknown key \"%.64s\" (known: provider, pools, webhook-url, "
			       "webhook-token-file, webhook-ca-file, webhook-timeout-seconds, resync-period-seconds)",
			       printable(key) ? key : "?");
			goto fail;
		}
	}
	/* the default: pools when some are configured, otherwise the nodes' own addresses */
	if (!provider || !*provider)
		cfg.provider = cfg.npools ? LB_PROVIDER_POOL : LB_PROVIDER_NODES;
	else if (strcmp(provider, "pool") == 0)
		cfg.provider = LB_PROVIDER_POOL;
	else if (strcmp(provider, "nodes") == 0)
		cfg.provider = LB_PROVIDER_NODES;
	else if (strcmp(provider, "webhook") == 0)
		cfg.provider = LB_PROVIDER_WEBHOOK;
	else {
		seterr(err, errlen, "provider \"%.64s\": must be pool, nodes or webhook",
		       printable(provider) ? provider : "?");
		goto fail;
	}
	if (cfg.provider == LB_PROVIDER_POOL && !cfg.npools) {
		seterr(err, errlen, "provider pool: pools lists no pool");
		goto fail;
	}
	if (cfg.provider == LB_PROVIDER_WEBHOOK && !cfg.webhook_url) {
		seterr(err, errlen, "provider webhook: webhook-url is missing");
		goto fail;
	}
	if (cfg.provider == LB_PROVIDER_WEBHOOK && !cfg.webhook_token_file) {
		seterr(err, errlen, "provider webhook: webhook-token-file is missing");
		goto fail;
	}
	if (cfg.provider != LB_PROVIDER_WEBHOOK && (cfg.webhook_url || cfg.webhook_token_file || cfg.webhook_ca_file)) {
		seterr(err, errlen, "webhook settings given but provider is %s",
		       cfg.provider == LB_PROVIDER_POOL ? "pool" : "nodes");
		goto fail;
	}
	if (cfg.provider != LB_PROVIDER_POOL && cfg.npools) {
		seterr(err, errlen, "pools given but provider is %s",
		       cfg.provider == LB_PROVIDER_WEBHOOK ? "webhook" : "nodes");
		goto fail;
	}
	*ret = cfg;
	return 0;
fail:
	lb_config_free(&cfg);
	return rc;
}

void lb_config_free(lb_config_t *cfg)
{
	if (!cfg)
		return;
	free(cfg->pools);
	free(cfg->webhook_url);
	free(cfg->webhook_token_file);
	free(cfg->webhook_ca_file);
	memset(cfg, 0, sizeof(*cfg));
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool lb_config_equal(const lb_config_t *a, const lb_config_t *b)
{
	if (a->provider != b->provider || a->npools != b->npools || a->webhook_timeout_sec != b->webhook_timeout_sec ||
	    !str_eq(a->webhook_url, b->webhook_url) || !str_eq(a->webhook_token_file, b->webhook_token_file) ||
	    !str_eq(a->webhook_ca_file, b->webhook_ca_file))
		return false;
	for (size_t i = 0; i < a->npools; i++)
		if (!lb_addr_equal(&a->pools[i].first, &b->pools[i].first) ||
		    !lb_addr_equal(&a->pools[i].last, &b->pools[i].last))
			return false;
	return true;
}
