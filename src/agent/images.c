/* Image -> local program (see images.h and docs/images.md). Map entries are matched in file order,
 * before the built-ins, so a site can point any image (even agnhost) elsewhere. */
#include "agent/images.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define IMAGES_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define IMAGES_AGNHOST_GLOB "registry.k8s.io/e2e-test-images/agnhost:*"

typedef struct images_entry {
	char *glob;
	char *program; /* "@agnhost", "@busybox", a path or a name */
} images_entry_t;

struct images_map {
	images_entry_t *e;
	size_t n, cap;
};

const char *images_kind_name(image_kind_t k)
{
	switch (k) {
	case IMAGE_AGNHOST:
		return "@agnhost";
	case IMAGE_BUSYBOX:
		return "@busybox";
	default:
		return "program";
	}
}

void images_map_free(images_map_t *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->e[i].glob);
		free(m->e[i].program);
	}
	free(m->e);
	free(m);
}

size_t images_map_size(const images_map_t *m)
{
	return m ? m->n : 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One field of [p, end): skips blanks, returns the field's start and sets *flen; NULL at the end. */
static const char *next_field(const char **p, const char *end, size_t *flen)
{
	const char *s = *p, *f;

	while (s < end && is_space(*s))
		s++;
	if (s >= end)
		return NULL;
	f = s;
	while (s < end && !is_space(*s))
		s++;
	*flen = (size_t)(s - f);
	*p = s;
	return f;
}

static bool valid_program(const char *p, size_t n)
{
	if (n == 8 && (memcmp(p, "@agnhost", 8) == 0 || memcmp(p, "@busybox", 8) == 0))
		return true;
	if (p[0] == '@')
		return false;
	return true;
}

int images_map_parse(const char *text, size_t len, images_map_t **ret, char *err, size_t errlen)
{
	images_map_t *m = calloc(1, sizeof(*m));
	const char *p = text, *end = text + len;
	unsigned line = 0;
	int rc = -EINVAL;

	if (!m)
		return -ENOMEM;
	if (errlen)
		err[0] = '\0';
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *hash, *cur, *g, *prog;
		size_t glen, plen, dummy;

		if (!eol)
			eol = end;
		line++;
		if ((size_t)(eol - p) > IMAGES_MAX_LINE) {
			snprintf(err, errlen, "line %u: longer than %d bytes", line, IMAGES_MAX_LINE);
			goto fail;
		}
		if (memchr(p, '\0', (size_t)(eol - p))) {
			snprintf(err, errlen, "line %u: NUL byte", line);
			goto fail;
		}
		/* A comment starts with '#' at the start of a field. */
		hash = p;
		while (hash < eol && !(*hash == '#' && (hash == p || is_space(hash[-1]))))
			hash++;
		cur = p;
		g = next_field(&cur, hash, &glen);
		if (!g) {
			p = eol + 1;
			continue;
		}
		prog = next_field(&cur, hash, &plen);
		if (!prog) {
			snprintf(err, errlen, "line %u: expected \"image-glob program\", got one field", line);
			goto fail;
		}
		if (next_field(&cur, hash, &dummy)) {
			snprintf(err, errlen, "line %u: expected \"image-glob program\", got more than two fields", line);
			goto fail;
		}
		if (!valid_program(prog, plen)) {
			snprintf(err, errlen, "line %u: unknown built-in program (use @agnhost or @busybox)", line);
			goto fail;
		}
		if (m->n >= IMAGES_MAX_ENTRIES) {
			snprintf(err, errlen, "line %u: more than %d entries", line, IMAGES_MAX_ENTRIES);
			goto fail;
		}
		if (m->n == m->cap) {
			size_t cap = m->cap ? m->cap * 2 : 8;
			images_entry_t *e = realloc(m->e, cap * sizeof(*e));

			if (!e) {
				rc = -ENOMEM;
				goto fail;
			}
			m->e = e;
			m->cap = cap;
		}
		m->e[m->n].glob = strndup(g, glen);
		m->e[m->n].program = strndup(prog, plen);
		m->n++;
		if (!m->e[m->n - 1].glob || !m->e[m->n - 1].program) {
			rc = -ENOMEM;
			goto fail;
		}
		p = eol + 1;
	}
	*ret = m;
	return 0;
fail:
	images_map_free(m);
	return rc;
}

int images_map_load(const char *path, images_map_t **ret, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd, rc;

	if (errlen)
		err[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return images_map_parse("", 0, ret, err, errlen);
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0 || st.st_size > IMAGES_MAX_FILE) {
		rc = st.st_size > IMAGES_MAX_FILE ? -EFBIG : -errno;
		snprintf(err, errlen, "%s: %s", path, rc == -EFBIG ? "larger than 256 KiB" : strerror(-rc));
		close(fd);
		return rc;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	rc = images_map_parse(buf, got, ret, err, errlen);
	free(buf);
	return rc;
}

void images_base_name(const char *image, char *buf, size_t len)
{
	const char *s = image, *slash = strrchr(image, '/'), *end;
	size_t n;

	if (!len)
		return;
	if (slash)
		s = slash + 1;
	end = strchr(s, '@');
	if (!end)
		end = s + strlen(s);
	{
		const char *colon = memchr(s, ':', (size_t)(end - s));

		if (colon)
			end = colon;
	}
	n = (size_t)(end - s);
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

static bool executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int images_lookup_path(const char *name, const char *path_env, char *buf, size_t len)
{
	const char *p;

	if (!name || !*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		if ((size_t)snprintf(buf, len, "%s", name) >= len)
			return -ENAMETOOLONG;
		return executable(name) ? 0 : -ENOENT;
	}
	p = path_env ? path_env : IMAGES_DEFAULT_PATH;
	while (*p) {
		const char *c = strchr(p, ':');
		size_t dl = c ? (size_t)(c - p) : strlen(p);
		char cand[PATH_MAX];

		if (dl && (size_t)snprintf(cand, sizeof(cand), "%.*s/%s", (int)dl, p, name) < sizeof(cand) &&
		    executable(cand)) {
			if ((size_t)snprintf(buf, len, "%s", cand) >= len)
				return -ENAMETOOLONG;
			return 0;
		}
		p += dl;
		if (*p == ':')
			p++;
	}
	return -ENOENT;
}

static int target_from(const char *program, const char *exe, const char *path_env, image_target_t *ret)
{
	image_target_t t = { 0 };

	if (strcmp(program, "@agnhost") == 0) {
		t.kind = IMAGE_AGNHOST;
		if ((size_t)snprintf(t.path, sizeof(t.path), "%s", exe) >= sizeof(t.path))
			return -ENAMETOOLONG;
	} else if (strcmp(program, "@busybox") == 0) {
		t.kind = IMAGE_BUSYBOX;
		if (!executable(IMAGES_BUSYBOX))
			return -ENOENT;
		snprintf(t.path, sizeof(t.path), "%s", IMAGES_BUSYBOX);
	} else {
		t.kind = IMAGE_PROGRAM;
		if (images_lookup_path(program, path_env, t.path, sizeof(t.path)) < 0)
			return -ENOENT;
	}
	*ret = t;
	return 0;
}

int images_resolve(const images_map_t *m, const char *image, const char *exe, const char *path_env,
		   image_target_t *ret)
{
	char base[256];

	if (!image || !*image)
		return -ENOENT;
	for (size_t i = 0; m && i < m->n; i++)
		if (fnmatch(m->e[i].glob, image, 0) == 0)
			return target_from(m->e[i].program, exe, path_env, ret);
	if (fnmatch(IMAGES_AGNHOST_GLOB, image, 0) == 0)
		return target_from("@agnhost", exe, path_env, ret);
	images_base_name(image, base, sizeof(base));
	if (fnmatch("busybox*", base, 0) == 0)
		return target_from("@busybox", exe, path_env, ret);
	if (!*base)
		return -ENOENT;
	return target_from(base, exe, path_env, ret);
}

void images_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

static size_t strs_len(const json_t *a)
{
	size_t n = 0, i;
	const json_t *v;

	json_array_foreach(a, i, v)
		if (json_is_string(v))
			n++;
	return n;
}

static int push(char **argv, size_t *n, const char *s)
{
	argv[*n] = strdup(s);
	if (!argv[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* Whether the busybox at path has an applet called name. busybox run as an unknown applet prints
 * "applet not found" and exits 127, where a container runtime reports StartError (exit 128): so the
 * applet list (`busybox --list`, read once per process: a supervisor is one pod) is checked before
 * the start. When the list cannot be read, every name is taken as present (busybox then decides). */
static bool busybox_has_applet(const char *path, const char *name)
{
	static char *list;       /* "\napplet\napplet\n...", NULL until read */
	static bool tried;
	char needle[300];

	if (!tried) {
		int fds[2];
		pid_t pid;
		char *const argv[] = { (char *)path, "--list", NULL };
		posix_spawn_file_actions_t fa;

		tried = true;
		if (pipe2(fds, O_CLOEXEC) == 0) {
			posix_spawn_file_actions_init(&fa);
			posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
			if (posix_spawn(&pid, path, &fa, NULL, argv, (char *const[]){ NULL }) == 0) {
				size_t len = 1, cap = 8192;
				char *buf = malloc(cap);
				close(fds[1]);
				fds[1] = -1;
				if (buf) {
					buf[0] = '\n';
					for (;;) {
						if (len + 1 >= cap) {
							char *nb = cap < (1u << 20) ? realloc(buf, cap * 2) : NULL;
							if (!nb) {
								free(buf);
								buf = NULL;
								break;
							}
							buf = nb;
							cap *= 2;
						}
						ssize_t r = read(fds[0], buf + len, cap - len - 1);
						if (r < 0 && errno == EINTR)
							continue;
						if (r <= 0)
							break;
						len += (size_t)r;
					}
				}
				int st;
				while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
					;
				if (buf && WIFEXITED(st) && WEXITSTATUS(st) == 0 && len > 1) {
					buf[len] = 0;
					list = buf;
				} else {
					free(buf);
				}
			}
			posix_spawn_file_actions_destroy(&fa);
			if (fds[1] >= 0)
				close(fds[1]);
			close(fds[0]);
		}
	}
	if (!list)
		return true;
	if ((size_t)snprintf(needle, sizeof(needle), "\n%s\n", name) >= sizeof(needle))
		return false;
	return strstr(list, needle) != NULL;
}

int images_build_argv(const image_target_t *t, const json_t *command, const json_t *args, const char *path_env,
		      char **ret_file, char ***ret_argv, char *err, size_t errlen)
{
	size_t ncmd = strs_len(command), nargs = strs_len(args), n = 0, i;
	bool has_cmd = ncmd > 0, has_args = json_is_array(args) && nargs > 0;
	const char *default_args[2] = { NULL, NULL };
	char **argv = NULL, *file = NULL;
	const json_t *v;

	if (errlen)
		err[0] = '\0';
	if (t->kind == IMAGE_AGNHOST)
		default_args[0] = "netexec";
	else if (t->kind == IMAGE_BUSYBOX)
		default_args[0] = "sh";
	argv = calloc(ncmd + nargs + 3, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	if (has_cmd) {
		json_array_foreach(command, i, v)
			if (json_is_string(v) && push(argv, &n, json_string_value(v)) < 0)
				goto oom;
	} else if (t->kind != IMAGE_BUSYBOX) {
		/* The entrypoint: the program itself (agnhost: portico). */
		if (push(argv, &n, t->path) < 0)
			goto oom;
	}
	if (has_args) {
		json_array_foreach(args, i, v)
			if (json_is_string(v) && push(argv, &n, json_string_value(v)) < 0)
				goto oom;
	} else if (!has_cmd && default_args[0]) {
		if (push(argv, &n, default_args[0]) < 0)
			goto oom;
	}
	if (n == 0 || !*argv[0]) {
		snprintf(err, errlen, "no command specified");
		images_argv_free(argv);
		return -EINVAL;
	}
	switch (t->kind) {
	case IMAGE_BUSYBOX:
		/* busybox picks the applet from argv[0]'s base name, so "/bin/sh" and "sh" both work. */
		if (!busybox_has_applet(t->path, base_of(argv[0]))) {
			snprintf(err, errlen, "exec: \"%s\": executable file not found in $PATH", argv[0]);
			images_argv_free(argv);
			return -ENOENT;
		}
		file = strdup(t->path);
		break;
	case IMAGE_AGNHOST:
		if (!has_cmd || strcmp(base_of(argv[0]), "agnhost") == 0) {
			file = strdup(t->path);
			break;
		}
		/* another program named by the command */
		__attribute__((fallthrough));
	default: {
		char found[PATH_MAX];

		if (has_cmd && t->kind == IMAGE_PROGRAM && strcmp(base_of(argv[0]), base_of(t->path)) == 0)
			file = strdup(t->path);
		else if (!has_cmd)
			file = strdup(t->path);
		else if (images_lookup_path(argv[0], path_env, found, sizeof(found)) == 0)
			file = strdup(found);
		else
			file = strdup(argv[0]);
		break;
	}
	}
	if (!file)
		goto oom;
	*ret_file = file;
	*ret_argv = argv;
	return 0;
oom:
	images_argv_free(argv);
	return -ENOMEM;
}
