/* The CRI container log format the runtime's supervisors write ("<RFC3339Nano> <stdout|stderr> <P|F>
 * <text>" per line, as containerd and CRI-O write it) and the kubelet's reading of it for
 * /containerLogs: tailLines, sinceSeconds, timestamps and limitBytes (pkg/kubelet/kuberuntime/logs).
 * Pure except crilog_tail_offset(), which only preads a file descriptor. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CRILOG_STDOUT 1
#define CRILOG_STDERR 2
#define CRILOG_MAX_LINE (1u << 20) /* longer lines in a file are skipped, not buffered without end */

/* One parsed entry; the pointers borrow the parsed line. */
typedef struct crilog_line {
	int64_t time_ns;    /* since the epoch (UTC) */
	int stream;         /* CRILOG_STDOUT or CRILOG_STDERR */
	bool partial;       /* tag P: the text continues in the next entry (no newline after it) */
	const char *msg;    /* the text, without the line's newline */
	size_t msg_len;
} crilog_line_t;

/* RFC 3339 with optional fraction (up to 9 digits) and Z or a +hh:mm/-hh:mm offset, years
 * 0000-9999. 0 and *ret_ns, or -EINVAL (nothing written). */
int crilog_parse_time(const char *s, size_t len, int64_t *ret_ns);

/* Formats ns as Go's time.RFC3339Nano in UTC (fraction without trailing zeros, none when zero) into
 * buf (>= 36 bytes); returns the length. */
size_t crilog_format_time(int64_t ns, char *buf, size_t len);

/* Parses one line (without its '\n'; a trailing '\r' is not special). The tag field may carry more
 * than P/F separated by ':' (a CRI extension); only the first is read. 0, or -EBADMSG (nothing
 * written). */
int crilog_parse_line(const char *line, size_t len, crilog_line_t *ret);

/* What the reader leaves out and adds, as PodLogOptions say. */
typedef struct crilog_filter {
	bool timestamps;  /* prefix each entry with its time and a space */
	int64_t since_ns; /* skip entries older than this; 0: none */
	int64_t limit;    /* bytes still to write; < 0: no limit. Counts down; 0 means done */
} crilog_filter_t;

typedef void (*crilog_write_fn)(const char *data, size_t len, void *arg);

/* Renders the complete lines ('\n'-terminated) at the start of in[0, len) through out, and with
 * eof also a last line without '\n'. Unparsable lines are skipped (as the kubelet does).
 * Returns the bytes consumed: everything up to and including the last '\n' (all of in with eof);
 * the caller keeps the rest for the next call. A line longer than CRILOG_MAX_LINE without '\n' is
 * consumed and dropped. Stops early once f->limit reaches 0 (crilog_done() then says so). */
size_t crilog_render(crilog_filter_t *f, const char *in, size_t len, bool eof, crilog_write_fn out, void *arg);
bool crilog_done(const crilog_filter_t *f);

/* The kubelet's tail (pkg/util/tail FindTailLineStartIndex): the offset where the last n
 * '\n'-terminated lines of buf begin; a last unterminated piece is not counted as a line but comes
 * along. n < 0: 0 (everything). */
size_t crilog_tail_start(const char *buf, size_t len, long n);

/* The same over a file, reading backwards in blocks with pread: *ret is the offset to start
 * reading at, considering the file's first size bytes. 0 or negative errno. */
int crilog_tail_offset(int fd, off_t size, long n, off_t *ret);
