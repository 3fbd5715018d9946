/* The node IPAM's /24 arithmetic (controllers/nodeipam.c): parsing the cluster CIDR, indexes,
 * formatting, occupy/release, round-robin allocation and exhaustion. */
#include <errno.h>

#include "controllers/nodeipam.h"

#include "harness.h"

static void test_init(void)
{
	nodeipam_set_t s = { 0 };

	CHECK_INT(nodeipam_set_init(&s, "10.42.0.0/16"), 0);
	CHECK_INT(s.count, 256);
	CHECK_INT(s.used, 0);
	nodeipam_set_free(&s);
	CHECK_INT(nodeipam_set_init(&s, "10.42.0.0/24"), 0);
	CHECK_INT(s.count, 1);
	nodeipam_set_free(&s);
	CHECK_INT(nodeipam_set_init(&s, "10.42.1.0/16"), -EINVAL); /* host bits */
	CHECK_INT(nodeipam_set_init(&s, "10.42.0.0/25"), -EINVAL); /* smaller than a node's /24 */
	CHECK_INT(nodeipam_set_init(&s, "10.0.0.0/7"), -EINVAL);
	CHECK_INT(nodeipam_set_init(&s, "10.42.0.0"), -EINVAL);
	CHECK_INT(nodeipam_set_init(&s, "10.42.0.0/"), -EINVAL);
	CHECK_INT(nodeipam_set_init(&s, "10.42.0.0/-16"), -EINVAL);
	CHECK_INT(nodeipam_set_init(&s, "10.42.0.0/16x"), -EINVAL);
	CHECK_INT(nodeipam_set_init(&s, "10.420.0.0/16"), -EINVAL);
	CHECK_INT(nodeipam_set_init(&s, "fd00::/48"), -EAFNOSUPPORT);
	CHECK_INT(nodeipam_set_init(&s, NULL), -EINVAL);
	nodeipam_set_free(&s);
	nodeipam_set_free(NULL);
}

static void test_index_format(void)
{
	nodeipam_set_t s = { 0 };
	char b[32];

	CHECK_INT(nodeipam_set_init(&s, "10.42.0.0/16"), 0);
	CHECK_INT(nodeipam_set_index(&s, "10.42.0.0/24"), 0);
	CHECK_INT(nodeipam_set_index(&s, "10.42.7.0/24"), 7);
	CHECK_INT(nodeipam_set_index(&s, "10.42.255.0/24"), 255);
	CHECK_INT(nodeipam_set_index(&s, "10.43.0.0/24"), -ERANGE);
	CHECK_INT(nodeipam_set_index(&s, "10.42.7.1/24"), -EINVAL);
	CHECK_INT(nodeipam_set_index(&s, "10.42.7.0/25"), -EINVAL);
	CHECK_INT(nodeipam_set_index(&s, "fd00::/64"), -ERANGE);
	nodeipam_set_format(&s, 0, b, sizeof(b));
	CHECK_STR(b, "10.42.0.0/24");
	nodeipam_set_format(&s, 255, b, sizeof(b));
	CHECK_STR(b, "10.42.255.0/24");
	nodeipam_set_free(&s);
	/* a /14 spans four second octets */
	CHECK_INT(nodeipam_set_init(&s, "10.40.0.0/14"), 0);
	CHECK_INT(s.count, 1024);
	nodeipam_set_format(&s, 1023, b, sizeof(b));
	CHECK_STR(b, "10.43.255.0/24");
	CHECK_INT(nodeipam_set_index(&s, "10.41.2.0/24"), 258);
	nodeipam_set_free(&s);
}

static void test_allocate(void)
{
	nodeipam_set_t s = { 0 };
	char b[32];

	CHECK_INT(nodeipam_set_init(&s, "10.42.0.0/22"), 0);
	/* existing Nodes' CIDRs are taken first; a duplicate or outsider is refused */
	CHECK(nodeipam_set_occupy(&s, "10.42.1.0/24"));
	CHECK(!nodeipam_set_occupy(&s, "10.42.1.0/24"));
	CHECK(!nodeipam_set_occupy(&s, "10.99.1.0/24"));
	CHECK_INT(s.used, 1);
	CHECK_INT(nodeipam_set_allocate(&s, b, sizeof(b)), 0);
	CHECK_STR(b, "10.42.0.0/24");
	CHECK_INT(nodeipam_set_allocate(&s, b, sizeof(b)), 2); /* skips the used one */
	CHECK_STR(b, "10.42.2.0/24");
	/* a released /24 is not handed out again at once (round robin, as upstream's cidrset) */
	nodeipam_set_release(&s, "10.42.0.0/24");
	CHECK_INT(nodeipam_set_allocate(&s, b, sizeof(b)), 3);
	CHECK_STR(b, "10.42.3.0/24");
	CHECK_INT(nodeipam_set_allocate(&s, b, sizeof(b)), 0);
	CHECK_STR(b, "10.42.0.0/24");
	CHECK_INT(s.used, 4);
	CHECK_INT(nodeipam_set_allocate(&s, b, sizeof(b)), -ENOSPC);
	nodeipam_set_release(&s, "10.42.2.0/24");
	nodeipam_set_release(&s, "10.42.2.0/24"); /* twice: no-op */
	nodeipam_set_release(&s, "192.0.2.0/24");  /* outside: no-op */
	CHECK_INT(s.used, 3);
	CHECK_INT(nodeipam_set_allocate(&s, b, sizeof(b)), 2);
	CHECK_STR(b, "10.42.2.0/24");
	nodeipam_set_free(&s);
}

int main(void)
{
	TEST_RUN(test_init);
	TEST_RUN(test_index_format);
	TEST_RUN(test_allocate);
	TEST_DONE();
}
