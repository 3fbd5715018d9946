/* The image map (agent/images.c): parsing and its errors, glob order, built-ins, base names, and the
 * Kubernetes command/args semantics per kind of image. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent/images.h"

#include "harness.h"

#define EXE "/opt/portico/bin/portico"

static int parse(const char *text, images_map_t **m, char *err, size_t errlen)
{
	return images_map_parse(text, strlen(text), m, err, errlen);
}

static void test_parse_ok(void)
{
	images_map_t *m = NULL;
	char err[256];
	int rc = parse("# comment\n"
		       "\n"
		       "   \t \n"
		       "nginx:*   /bin/true   # trailing comment\n"
		       "registry.example/*\t@busybox\n"
		       "docker.io/library/redis*  sh\r\n"
		       "my#image  @agnhost\n", /* '#' inside a field is not a comment */
		       &m, err, sizeof(err));

	CHECK_INT(rc, 0);
	CHECK_INT(images_map_size(m), 4);
	images_map_free(m);
	m = NULL;
	CHECK_INT(parse("", &m, err, sizeof(err)), 0);
	CHECK_INT(images_map_size(m), 0);
	images_map_free(m);
}

static void test_parse_errors(void)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "nginx\n", "line 1: expected \"image-glob program\", got one field" },
		{ "# x\nnginx /bin/true extra\n", "line 2: expected \"image-glob program\", got more than two fields" },
		{ "a b\n\nc @nope\n", "line 3: unknown built-in program (use @agnhost or @busybox)" },
		{ "a b\nonlyone # comment\n", "line 2: expected \"image-glob program\", got one field" },
	};
	char err[256], big[IMAGES_MAX_LINE + 64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		images_map_t *m = (images_map_t *)0x1;

		CHECK_INT(parse(cases[i].text, &m, err, sizeof(err)), -EINVAL);
		CHECK(m == (images_map_t *)0x1); /* untouched on error */
		CHECK_STR(err, cases[i].err);
	}
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	{
		images_map_t *m = NULL;

		CHECK_INT(parse(big, &m, err, sizeof(err)), -EINVAL);
		CHECK_STR(err, "line 1: longer than 4096 bytes");
	}
	{
		images_map_t *m = NULL;
		const char nul[] = "a b\nc\0d e\n";

		CHECK_INT(images_map_parse(nul, sizeof(nul) - 1, &m, err, sizeof(err)), -EINVAL);
		CHECK_STR(err, "line 2: NUL byte");
	}
}

static void test_load(void)
{
	char path[] = "/tmp/test_images.XXXXXX", err[256];
	images_map_t *m = NULL;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, "x* /bin/sh\n", 11) == 11);
	close(fd);
	CHECK_INT(images_map_load(path, &m, err, sizeof(err)), 0);
	CHECK_INT(images_map_size(m), 1);
	images_map_free(m);
	unlink(path);
	m = NULL;
	/* A missing file is the empty map: the built-ins apply. */
	CHECK_INT(images_map_load(path, &m, err, sizeof(err)), 0);
	CHECK_INT(images_map_size(m), 0);
	images_map_free(m);
}

static void test_base_name(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "nginx", "nginx" },
		{ "nginx:1.25", "nginx" },
		{ "docker.io/library/nginx:1.25", "nginx" },
		{ "localhost:5000/team/app:v1", "app" },
		{ "localhost:5000/app", "app" },
		{ "busybox@sha256:abcd", "busybox" },
		{ "reg.io/a/b:tag@sha256:abcd", "b" },
		{ "", "" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		images_base_name(cases[i].in, buf, sizeof(buf));
		CHECK_STR(buf, cases[i].out);
	}
	images_base_name("abcdefgh", buf, 4);
	CHECK_STR(buf, "abc");
}

static void test_resolve(void)
{
	images_map_t *m = NULL;
	image_target_t t;
	char err[256];

	CHECK_INT(parse("registry.k8s.io/e2e-test-images/agnhost:2.99 /bin/sh\n"
			"*/mytool:* @busybox\n"
			"nothere:* /nonexistent/program\n",
			&m, err, sizeof(err)),
		  0);
	/* Built-ins. */
	CHECK_INT(images_resolve(NULL, "registry.k8s.io/e2e-test-images/agnhost:2.53", EXE, NULL, &t), 0);
	CHECK_INT(t.kind, IMAGE_AGNHOST);
	CHECK_STR(t.path, EXE);
	CHECK_INT(images_resolve(NULL, "busybox", EXE, NULL, &t), 0);
	CHECK_INT(t.kind, IMAGE_BUSYBOX);
	CHECK_STR(t.path, "/bin/busybox");
	CHECK_INT(images_resolve(NULL, "docker.io/library/busybox:1.36", EXE, NULL, &t), 0);
	CHECK_INT(t.kind, IMAGE_BUSYBOX);
	/* Base name on PATH. */
	CHECK_INT(images_resolve(NULL, "docker.io/library/sh:5", EXE, "/nonexistent:/bin", &t), 0);
	CHECK_INT(t.kind, IMAGE_PROGRAM);
	CHECK_STR(t.path, "/bin/sh");
	CHECK_INT(images_resolve(NULL, "sh", EXE, "/nonexistent", &t), -ENOENT);
	CHECK_INT(images_resolve(NULL, "no-such-program-anywhere:1", EXE, NULL, &t), -ENOENT);
	CHECK_INT(images_resolve(NULL, "", EXE, NULL, &t), -ENOENT);
	/* The map comes first: even agnhost can be pointed elsewhere; globs match the whole name. */
	CHECK_INT(images_resolve(m, "registry.k8s.io/e2e-test-images/agnhost:2.99", EXE, NULL, &t), 0);
	CHECK_INT(t.kind, IMAGE_PROGRAM);
	CHECK_STR(t.path, "/bin/sh");
	CHECK_INT(images_resolve(m, "registry.k8s.io/e2e-test-images/agnhost:2.53", EXE, NULL, &t), 0);
	CHECK_INT(t.kind, IMAGE_AGNHOST);
	CHECK_INT(images_resolve(m, "reg.example/team/mytool:1", EXE, NULL, &t), 0);
	CHECK_INT(t.kind, IMAGE_BUSYBOX);
	CHECK_INT(images_resolve(m, "mytool:1", EXE, NULL, &t), -ENOENT); /* no '/' before it: no match */
	/* A map entry naming a missing program does not fall through to the built-ins. */
	CHECK_INT(images_resolve(m, "nothere:1", EXE, NULL, &t), -ENOENT);
	images_map_free(m);
}

static json_t *js(const char *text)
{
	return text ? json_loads(text, 0, NULL) : NULL;
}

/* Builds the argv for kind/command/args and returns it joined with '|', file first. */
static char *argv_of(image_kind_t kind, const char *path, const char *command, const char *args)
{
	image_target_t t = { .kind = kind };
	json_t *c = js(command), *a = js(args);
	char **argv = NULL, *file = NULL, err[128], *out = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	snprintf(t.path, sizeof(t.path), "%s", path);
	rc = images_build_argv(&t, c, a, "/bin", &file, &argv, err, sizeof(err));
	json_decref(c);
	json_decref(a);
	if (rc < 0)
		return strdup(err);
	f = open_memstream(&out, &len);
	fprintf(f, "%s:", file);
	for (char **p = argv; *p; p++)
		fprintf(f, "%s%s", p == argv ? "" : "|", *p);
	fclose(f);
	free(file);
	images_argv_free(argv);
	return out;
}

static void test_argv(void)
{
	static const struct {
		image_kind_t kind;
		const char *path, *command, *args, *want;
	} cases[] = {
		/* agnhost: entrypoint portico, default args "netexec"; args replace the default. */
		{ IMAGE_AGNHOST, EXE, NULL, NULL, EXE ":" EXE "|netexec" },
		{ IMAGE_AGNHOST, EXE, NULL, "[\"netexec\",\"--http-port=8080\"]", EXE ":" EXE "|netexec|--http-port=8080" },
		{ IMAGE_AGNHOST, EXE, "[\"/agnhost\",\"netexec\"]", "[\"--udp-port=9\"]", EXE ":/agnhost|netexec|--udp-port=9" },
		{ IMAGE_AGNHOST, EXE, "[\"sh\",\"-c\",\"x\"]", NULL, "/bin/sh:sh|-c|x" },
		/* busybox: no entrypoint, default command sh; command[0] is the applet. */
		{ IMAGE_BUSYBOX, "/bin/busybox", NULL, NULL, "/bin/busybox:sh" },
		{ IMAGE_BUSYBOX, "/bin/busybox", NULL, "[\"sleep\",\"5\"]", "/bin/busybox:sleep|5" },
		{ IMAGE_BUSYBOX, "/bin/busybox", "[\"/bin/sh\",\"-c\"]", "[\"echo hi\"]", "/bin/busybox:/bin/sh|-c|echo hi" },
		/* A program: the entrypoint; command replaces it (found on PATH), args the (empty) defaults. */
		{ IMAGE_PROGRAM, "/usr/sbin/nginx", NULL, NULL, "/usr/sbin/nginx:/usr/sbin/nginx" },
		{ IMAGE_PROGRAM, "/usr/sbin/nginx", NULL, "[\"-g\",\"daemon off;\"]", "/usr/sbin/nginx:/usr/sbin/nginx|-g|daemon off;" },
		{ IMAGE_PROGRAM, "/usr/sbin/nginx", "[\"nginx\",\"-t\"]", NULL, "/usr/sbin/nginx:nginx|-t" },
		{ IMAGE_PROGRAM, "/usr/sbin/nginx", "[\"sh\"]", "[\"-c\",\"true\"]", "/bin/sh:sh|-c|true" },
		{ IMAGE_PROGRAM, "/usr/sbin/nginx", "[\"no-such-cmd\"]", NULL, "no-such-cmd:no-such-cmd" },
		{ IMAGE_PROGRAM, "/usr/sbin/nginx", "[\"\"]", NULL, "no command specified" },
		/* An empty args array given is "no args", as the API treats it. */
		{ IMAGE_BUSYBOX, "/bin/busybox", NULL, "[]", "/bin/busybox:sh" },
		/* a command busybox has no applet for is a start error, not busybox's exit 127 */
		{ IMAGE_BUSYBOX, "/bin/busybox", "[\"no-such-applet\"]", NULL,
		  "exec: \"no-such-applet\": executable file not found in $PATH" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = argv_of(cases[i].kind, cases[i].path, cases[i].command, cases[i].args);

		CHECK_STR(got, cases[i].want);
		free(got);
	}
}

int main(void)
{
	TEST_RUN(test_parse_ok);
	TEST_RUN(test_parse_errors);
	TEST_RUN(test_load);
	TEST_RUN(test_base_name);
	TEST_RUN(test_resolve);
	TEST_RUN(test_argv);
	TEST_DONE();
}
