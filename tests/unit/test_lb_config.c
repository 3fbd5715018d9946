/* The portico-lb ConfigMap parser: defaults, pools in every form, and each error message. */
#include <errno.h>
#include <sys/socket.h>

#include "harness.h"
#include "lib/lb_config.h"

static int parse(const char *json, lb_config_t *cfg, char *err, size_t len)
{
	json_t *data = json ? json_loads(json, 0, NULL) : NULL;
	int rc;

	err[0] = '\0';
	rc = lb_config_parse(data, cfg, err, len);
	json_decref(data);
	return rc;
}

/* expect_error JSON SUBSTRING: parsing fails with -EINVAL and a message containing SUBSTRING */
static void expect_error(const char *json, const char *want)
{
	lb_config_t cfg = { 0 };
	char err[512];
	int rc = parse(json, &cfg, err, sizeof(err));

	CHECK_INT(rc, -EINVAL);
	if (!strstr(err, want))
		fprintf(stderr, "  message: '%s'\n  wanted:  '%s'\n", err, want);
	CHECK(strstr(err, want) != NULL);
	CHECK(cfg.pools == NULL && cfg.webhook_url == NULL); /* untouched */
}

static void test_defaults(void)
{
	lb_config_t cfg;
	char err[256];

	CHECK_INT(parse(NULL, &cfg, err, sizeof(err)), 0);
	CHECK_INT(cfg.provider, LB_PROVIDER_NODES);
	CHECK_INT(cfg.npools, 0);
	CHECK_INT(cfg.webhook_timeout_sec, LB_WEBHOOK_TIMEOUT_DEF);
	lb_config_free(&cfg);
	CHECK_INT(parse("{}", &cfg, err, sizeof(err)), 0);
	CHECK_INT(cfg.provider, LB_PROVIDER_NODES);
	lb_config_free(&cfg);
	/* pools without a provider: pool */
	CHECK_INT(parse("{\"pools\": \"198.51.100.0/28\"}", &cfg, err, sizeof(err)), 0);
	CHECK_INT(cfg.provider, LB_PROVIDER_POOL);
	lb_config_free(&cfg);
	CHECK_INT(parse("{\"provider\": \"nodes\"}", &cfg, err, sizeof(err)), 0);
	CHECK_INT(cfg.provider, LB_PROVIDER_NODES);
	lb_config_free(&cfg);
	lb_config_free(&cfg); /* twice is fine */
}

static void test_pools(void)
{
	lb_config_t cfg;
	char err[256], buf[64];

	CHECK_INT(parse("{\"provider\":\"pool\",\"pools\":\"# lab pools\\n198.51.100.0/28\\n\\n  198.51.100.64-198.51.100.70  \\r\\n"
			"2001:db8::/126\\n2001:db8:1::10 - 2001:db8:1::1f\\n198.51.100.128/31\\n198.51.100.200/32\"}",
			&cfg, err, sizeof(err)), 0);
	CHECK_INT(cfg.provider, LB_PROVIDER_POOL);
	CHECK_INT(cfg.npools, 6);
	lb_addr_format(&cfg.pools[0].first, buf, sizeof(buf));
	CHECK_STR(buf, "198.51.100.1"); /* network address left out */
	lb_addr_format(&cfg.pools[0].last, buf, sizeof(buf));
	CHECK_STR(buf, "198.51.100.14"); /* broadcast left out */
	CHECK_STR(cfg.pools[0].text, "198.51.100.0/28");
	lb_addr_format(&cfg.pools[1].first, buf, sizeof(buf));
	CHECK_STR(buf, "198.51.100.64");
	lb_addr_format(&cfg.pools[1].last, buf, sizeof(buf));
	CHECK_STR(buf, "198.51.100.70");
	CHECK_INT(cfg.pools[2].first.family, AF_INET6);
	lb_addr_format(&cfg.pools[2].first, buf, sizeof(buf));
	CHECK_STR(buf, "2001:db8::"); /* IPv6 has no broadcast: all of it */
	lb_addr_format(&cfg.pools[2].last, buf, sizeof(buf));
	CHECK_STR(buf, "2001:db8::3");
	lb_addr_format(&cfg.pools[3].last, buf, sizeof(buf));
	CHECK_STR(buf, "2001:db8:1::1f");
	lb_addr_format(&cfg.pools[4].first, buf, sizeof(buf));
	CHECK_STR(buf, "198.51.100.128"); /* /31: both addresses */
	lb_addr_format(&cfg.pools[4].last, buf, sizeof(buf));
	CHECK_STR(buf, "198.51.100.129");
	CHECK(cfg.pools[5].first.v == cfg.pools[5].last.v);
	lb_config_free(&cfg);
	/* the widest prefixes do not overflow */
	CHECK_INT(parse("{\"pools\":\"::/0\"}", &cfg, err, sizeof(err)), 0);
	CHECK(cfg.pools[0].last.v == ~(lb_u128)0);
	lb_config_free(&cfg);
	CHECK_INT(parse("{\"pools\":\"0.0.0.0/0\"}", &cfg, err, sizeof(err)), 0);
	CHECK(cfg.pools[0].last.v == 0xfffffffe);
	lb_config_free(&cfg);
}

static void test_webhook(void)
{
	lb_config_t cfg, cfg2;
	char err[256];

	CHECK_INT(parse("{\"provider\":\"webhook\",\"webhook-url\":\"https://192.0.2.50:8443/lb?x=1\","
			"\"webhook-token-file\":\"/etc/portico/lb-token\",\"webhook-ca-file\":\"/etc/portico/lb-ca.crt\","
			"\"webhook-timeout-seconds\":\"3\"}", &cfg, err, sizeof(err)), 0);
	CHECK_INT(cfg.provider, LB_PROVIDER_WEBHOOK);
	CHECK_STR(cfg.webhook_url, "https://192.0.2.50:8443/lb?x=1");
	CHECK_STR(cfg.webhook_token_file, "/etc/portico/lb-token");
	CHECK_STR(cfg.webhook_ca_file, "/etc/portico/lb-ca.crt");
	CHECK_INT(cfg.webhook_timeout_sec, 3);
	CHECK_INT(parse("{\"provider\":\"webhook\",\"webhook-url\":\"https://192.0.2.50:8443/lb?x=1\","
			"\"webhook-token-file\":\"/etc/portico/lb-token\",\"webhook-ca-file\":\"/etc/portico/lb-ca.crt\","
			"\"webhook-timeout-seconds\":\"3\"}", &cfg2, err, sizeof(err)), 0);
	CHECK(lb_config_equal(&cfg, &cfg2));
	cfg2.webhook_timeout_sec = 4;
	CHECK(!lb_config_equal(&cfg, &cfg2));
	lb_config_free(&cfg);
	lb_config_free(&cfg2);
}

static void test_equal(void)
{
	lb_config_t a, b;
	char err[256];

	CHECK_INT(parse("{\"pools\":\"198.51.100.0/28\"}", &a, err, sizeof(err)), 0);
	CHECK_INT(parse("{\"pools\":\"198.51.100.0/28\\n\"}", &b, err, sizeof(err)), 0);
	CHECK(lb_config_equal(&a, &b));
	lb_config_free(&b);
	CHECK_INT(parse("{\"pools\":\"198.51.100.0/29\"}", &b, err, sizeof(err)), 0);
	CHECK(!lb_config_equal(&a, &b));
	lb_config_free(&a);
	lb_config_free(&b);
}

static void test_resync(void)
{
	lb_config_t a, b;
	char err[256];

	CHECK_INT(parse("{}", &a, err, sizeof(err)), 0);
	CHECK_INT(a.resync_period_sec, LB_RESYNC_DEF);
	lb_config_free(&a);
	CHECK_INT(parse("{\"resync-period-seconds\":\"0\"}", &a, err, sizeof(err)), 0);
	CHECK_INT(a.resync_period_sec, 0);
	CHECK_INT(parse("{\"resync-period-seconds\":\"86400\"}", &b, err, sizeof(err)), 0);
	CHECK_INT(b.resync_period_sec, 86400);
	/* only the period differs: the same provider, nothing to rebuild */
	CHECK(lb_config_equal(&a, &b));
	lb_config_free(&a);
	lb_config_free(&b);
	CHECK_INT(parse("{\"resync-period-seconds\":\"86401\"}", &a, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "resync-period-seconds: must be a number from 0 to 86400");
	CHECK_INT(parse("{\"resync-period-seconds\":\"-1\"}", &a, err, sizeof(err)), -EINVAL);
	CHECK_INT(parse("{\"resync-period-seconds\":\"5m\"}", &a, err, sizeof(err)), -EINVAL);
	CHECK_INT(parse("{\"resync-period-seconds\":\"\"}", &a, err, sizeof(err)), -EINVAL);
	CHECK_INT(parse("{\"resync-period-seconds\":\"99999999999999999999\"}", &a, err, sizeof(err)), -EINVAL);
}

static void test_errors(void)
{
	expect_error("[]", "data is not an object");
	expect_error("{\"pools\": 5}", "pools: value is not a string");
	expect_error("{\"provider\": \"metallb\"}", "provider \"metallb\": must be pool, nodes or webhook");
	expect_error("{\"pool\": \"198.51.100.0/28\"}", "unknown key \"pool\"");
	expect_error("{\"provider\": \"pool\"}", "provider pool: pools lists no pool");
	expect_error("{\"provider\": \"pool\", \"pools\": \"# only a comment\\n\"}", "provider pool: pools lists no pool");
	expect_error("{\"pools\": \"198.51.100.0/33\"}",
		     "pools line 1: \"198.51.100.0/33\": prefix length must be a number from 0 to 32");
	expect_error("{\"pools\": \"2001:db8::/129\"}", "prefix length must be a number from 0 to 128");
	expect_error("{\"pools\": \"198.51.100.0/\"}", "prefix length must be a number");
	expect_error("{\"pools\": \"198.51.100.0/-1\"}", "prefix length must be a number");
	expect_error("{\"pools\": \"198.51.100.0/2x\"}", "prefix length must be a number");
	expect_error("{\"pools\": \"198.51.100.1/28\"}", "pools line 1: \"198.51.100.1/28\": host bits are set");
	expect_error("{\"pools\": \"198.51.100.0/28\\n198.51.300.0/28\"}",
		     "pools line 2: \"198.51.300.0/28\": invalid address \"198.51.300.0\"");
	expect_error("{\"pools\": \"198.51.100.9-198.51.100.1\"}", "first address is after the last");
	expect_error("{\"pools\": \"198.51.100.1-2001:db8::1\"}", "first and last address are of different families");
	expect_error("{\"pools\": \"x-198.51.100.1\"}", "invalid first address \"x\"");
	expect_error("{\"pools\": \"198.51.100.1-\"}", "invalid last address \"\"");
	expect_error("{\"pools\": \"198.51.100.1\"}", "expected a CIDR (198.51.100.0/28) or a range (first-last)");
	expect_error("{\"pools\": \"198.51.100.0/28\\n198.51.100.8-198.51.100.20\"}",
		     "pools line 2: \"198.51.100.8-198.51.100.20\" overlaps \"198.51.100.0/28\"");
	expect_error("{\"pools\": \"198.51.100.1\\u0001/28\"}", "control or non-ASCII");
	{
		char big[400];
		snprintf(big, sizeof(big), "{\"pools\": \"%0200d\"}", 1);
		expect_error(big, "pools line 1: longer than 127 bytes");
	}
	{
		/* more pools than allowed */
		static char many[LB_CONFIG_MAX_POOLS * 24 + 64];
		size_t off = (size_t)snprintf(many, sizeof(many), "{\"pools\": \"");
		for (int i = 0; i <= LB_CONFIG_MAX_POOLS; i++)
			off += (size_t)snprintf(many + off, sizeof(many) - off, "10.%d.%d.1/32\\n", i / 256, i % 256);
		snprintf(many + off, sizeof(many) - off, "\"}");
		expect_error(many, "more than 256 pools");
	}
	expect_error("{\"provider\": \"webhook\"}", "provider webhook: webhook-url is missing");
	expect_error("{\"provider\": \"webhook\", \"webhook-url\": \"https://lb.example\"}",
		     "provider webhook: webhook-token-file is missing");
	expect_error("{\"provider\": \"webhook\", \"webhook-url\": \"http://lb.example\", \"webhook-token-file\": \"/t\"}",
		     "webhook-url: must be an https:// URL with a host");
	expect_error("{\"webhook-url\": \"https:///x\"}", "webhook-url: must be an https:// URL with a host");
	expect_error("{\"provider\": \"webhook\", \"webhook-url\": \"https://a\", \"webhook-token-file\": \"token\"}",
		     "webhook-token-file: must be an absolute path");
	expect_error("{\"webhook-ca-file\": \"ca.crt\"}", "webhook-ca-file: must be an absolute path");
	expect_error("{\"webhook-timeout-seconds\": \"0\"}", "webhook-timeout-seconds: must be a number from 1 to 120");
	expect_error("{\"webhook-timeout-seconds\": \"121\"}", "webhook-timeout-seconds: must be a number from 1 to 120");
	expect_error("{\"webhook-timeout-seconds\": \"5s\"}", "webhook-timeout-seconds: must be a number");
	expect_error("{\"provider\": \"pool\", \"pools\": \"198.51.100.0/28\", \"webhook-url\": \"https://a\"}",
		     "webhook settings given but provider is pool");
	expect_error("{\"provider\": \"nodes\", \"pools\": \"198.51.100.0/28\"}", "pools given but provider is nodes");
	{
		char big[LB_CONFIG_MAX_VALUE + 64];
		memset(big, 'a', sizeof(big));
		memcpy(big, "{\"webhook-url\": \"", 17);
		memcpy(big + sizeof(big) - 3, "\"}", 3);
		expect_error(big, "webhook-url: longer than 4096 bytes");
	}
}

static void test_addr(void)
{
	lb_addr_t a;
	char buf[64];

	CHECK_INT(lb_addr_parse("198.51.100.7", &a), 0);
	CHECK_INT(a.family, AF_INET);
	CHECK(a.v == 0xc6336407);
	CHECK_INT(lb_addr_parse("2001:db8::ff", &a), 0);
	lb_addr_format(&a, buf, sizeof(buf));
	CHECK_STR(buf, "2001:db8::ff");
	CHECK_INT(lb_addr_parse("198.51.100", &a), -EINVAL);
	CHECK_INT(lb_addr_parse("", &a), -EINVAL);
	CHECK_INT(lb_addr_parse(NULL, &a), -EINVAL);
}

int main(void)
{
	TEST_RUN(test_defaults);
	TEST_RUN(test_pools);
	TEST_RUN(test_webhook);
	TEST_RUN(test_equal);
	TEST_RUN(test_resync);
	TEST_RUN(test_errors);
	TEST_RUN(test_addr);
	TEST_DONE();
}
