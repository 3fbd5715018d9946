/* The image map (docs/images.md): images are never pulled; an image name resolves to a local program.
 * Built in: registry.k8s.io/e2e-test-images/agnhost:* is Portico itself (`portico netexec`), busybox*
 * the host's /bin/busybox, anything else its base name on PATH; the map file DATA/image-map, one
 * "image-glob program" per line, overrides them. */
#pragma once
#include <limits.h>
#include <stddef.h>

#include <jansson.h>

#define IMAGES_MAX_FILE    (256 * 1024) /* bytes of a map file */
#define IMAGES_MAX_LINE    4096
#define IMAGES_MAX_ENTRIES 1024
#define IMAGES_BUSYBOX     "/bin/busybox"

typedef enum image_kind {
	IMAGE_PROGRAM = 0, /* a program: the image's entrypoint */
	IMAGE_AGNHOST,     /* portico itself; args[0] selects the subcommand ("netexec") */
	IMAGE_BUSYBOX,     /* a multi-call busybox: command[0]'s base name is the applet */
} image_kind_t;

typedef struct image_target {
	image_kind_t kind;
	char path[PATH_MAX]; /* the program (IMAGE_AGNHOST: the portico binary) */
} image_target_t;

typedef struct images_map images_map_t;

/* Parses a map file's text. On error -EINVAL with "line N: what" in err (and *ret untouched); -ENOMEM.
 * Programs are an absolute path, a name looked up on PATH when resolving, or the built-ins "@agnhost"
 * and "@busybox". */
int images_map_parse(const char *text, size_t len, images_map_t **ret, char *err, size_t errlen);
/* Reads and parses path; a missing file is an empty map (0). -EFBIG over IMAGES_MAX_FILE. */
int images_map_load(const char *path, images_map_t **ret, char *err, size_t errlen);
void images_map_free(images_map_t *m); /* accepts NULL */
size_t images_map_size(const images_map_t *m);

/* The image's base name: registry/path, tag and digest removed ("docker.io/library/nginx:1.25@sha256:.."
 * -> "nginx"). Writes at most len bytes. */
void images_base_name(const char *image, char *buf, size_t len);

/* Resolves image: the map's first matching glob (fnmatch over the whole name as written), else the
 * built-ins, else the base name on path_env (a PATH value; NULL: the default container PATH).
 * exe: the portico binary. 0, or -ENOENT when it resolves nowhere. */
int images_resolve(const images_map_t *m, const char *image, const char *exe, const char *path_env,
		   image_target_t *ret);

/* A program name on a PATH value: names with a '/' are taken as they are. 0 and the path in buf,
 * or -ENOENT. */
int images_lookup_path(const char *name, const char *path_env, char *buf, size_t len);

/* The argv to run, with Kubernetes semantics: command (a JSON string array or NULL) replaces the
 * image's entrypoint and args its default arguments (agnhost: entrypoint portico, default args
 * "netexec"; busybox: no entrypoint, default command "sh"; a program: entrypoint the program, no
 * arguments). *ret_file is what to execve (the resolved argv[0]; a busybox applet runs as /bin/busybox
 * with argv[0] its name). Both new: free ret_file, and ret_argv with images_argv_free(). -EINVAL when
 * there is nothing to run (an empty command), with a message in err; -ENOMEM. A program that cannot
 * be found is not an error here: ret_file is the name, and execve reports it. */
int images_build_argv(const image_target_t *t, const json_t *command, const json_t *args, const char *path_env,
		      char **ret_file, char ***ret_argv, char *err, size_t errlen);
void images_argv_free(char **argv);

/* "@agnhost", "@busybox", "program" as written in the map file, for messages and imageID. */
const char *images_kind_name(image_kind_t k);
