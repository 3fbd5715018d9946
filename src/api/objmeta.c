/* Object metadata helpers. UUIDs and generated names use getrandom(2): unpredictable names keep
 * one client from guessing another's generated objects. */
#include "api/objmeta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static void fill_random(unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* getrandom cannot fail on Linux >= 3.17 once the pool is seeded; fall back anyway */
			for (; got < n; got++)
				buf[got] = (unsigned char)random();
			return;
		}
		got += (size_t)r;
	}
}

void objmeta_uuid(char buf[37])
{
	unsigned char b[16];

	fill_random(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void objmeta_timestamp(time_t t, char buf[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int objmeta_parse_time(const char *s, time_t *ret)
{
	struct tm tm = { 0 };
	const char *end;

	if (!s)
		return -EINVAL;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -EINVAL;
	if (*end == '.') /* fractional seconds (MicroTime) */
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (*end != 'Z' || end[1] != '\0')
		return -EINVAL;
	*ret = timegm(&tm);
	return 0;
}

char *objmeta_generate_name(const char *prefix)
{
	/* apimachinery/pkg/util/rand: alphanums without vowels and confusable characters */
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	unsigned char rnd[5];
	size_t pl = strlen(prefix);
	char *s;

	/* upstream truncates the prefix so the result stays within 63 characters */
	if (pl > 58)
		pl = 58;
	s = malloc(pl + 6);
	if (!s)
		return NULL;
	memcpy(s, prefix, pl);
	fill_random(rnd, sizeof(rnd));
	for (size_t i = 0; i < 5; i++)
		s[pl + i] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
	s[pl + 5] = '\0';
	return s;
}

json_t *objmeta_meta(json_t *obj)
{
	json_t *m = json_object_get(obj, "metadata");

	if (!json_is_object(m)) {
		m = json_object();
		if (json_object_set_new(obj, "metadata", m) < 0)
			return NULL;
	}
	return m;
}

const char *objmeta_str(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

const char *objmeta_path_str(const json_t *obj, const char *a, const char *b)
{
	return json_string_value(json_object_get(json_object_get(obj, a), b));
}
