/* CRI log lines: parsing, the kubelet's filters (since, limitBytes, timestamps) and its tail.
 * Behaviour follows pkg/kubelet/kuberuntime/logs/logs.go (parseCRILog, ReadLogs) and
 * pkg/util/tail/tail.go. */
#include "agent/crilog.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CRILOG_TAIL_BLOCK 8192

static int digits(const char *s, size_t n, int *ret)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *ry, int *rm, int *rd)
{
	int64_t era, doe, yoe, y, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	*ry = (int)(y + (m <= 2));
	*rm = (int)m;
	*rd = (int)d;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

int crilog_parse_time(const char *s, size_t len, int64_t *ret_ns)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, ns;
	size_t i = 19, nd = 0;

	/* YYYY-MM-DDTHH:MM:SS */
	if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
	    s[16] != ':')
		return -EINVAL;
	if (digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 || digits(s + 8, 2, &d) < 0 ||
	    digits(s + 11, 2, &h) < 0 || digits(s + 14, 2, &mi) < 0 || digits(s + 17, 2, &sec) < 0)
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
		return -EINVAL;
	if (s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
			if (nd >= 9)
				return -EINVAL;
			frac = frac * 10 + (s[i] - '0');
		}
		if (nd == 0)
			return -EINVAL;
		for (size_t k = nd; k < 9; k++)
			frac *= 10;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '-' ? -1 : 1;
		if (len - i < 6 || s[i + 3] != ':' || digits(s + i + 1, 2, &oh) < 0 || digits(s + i + 4, 2, &om) < 0 ||
		    oh > 23 || om > 59)
			return -EINVAL;
		i += 6;
	} else {
		return -EINVAL;
	}
	if (i != len)
		return -EINVAL;
	ns = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) - sign * (oh * 3600 + om * 60)) *
		     1000000000LL +
	     frac;
	*ret_ns = ns;
	return 0;
}

size_t crilog_format_time(int64_t ns, char *buf, size_t len)
{
	int64_t secs = ns / 1000000000LL, frac = ns % 1000000000LL, days, rem;
	int y, mo, d, n;
	char f[16];

	if (frac < 0) {
		frac += 1000000000LL;
		secs--;
	}
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &mo, &d);
	f[0] = '\0';
	if (frac) {
		snprintf(f, sizeof(f), ".%09lld", (long long)frac);
		for (size_t k = strlen(f); k > 1 && f[k - 1] == '0'; k--)
			f[k - 1] = '\0';
	}
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", y, mo, d, (int)(rem / 3600), (int)(rem / 60 % 60),
		     (int)(rem % 60), f);
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len ? len - 1 : 0;
}

int crilog_parse_line(const char *line, size_t len, crilog_line_t *ret)
{
	const char *sp1, *sp2, *sp3, *end = line + len;
	crilog_line_t l = { 0 };
	size_t tag_len;

	sp1 = memchr(line, ' ', len);
	if (!sp1 || crilog_parse_time(line, (size_t)(sp1 - line), &l.time_ns) < 0)
		return -EBADMSG;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (!sp2)
		return -EBADMSG;
	if (sp2 - sp1 - 1 == 6 && memcmp(sp1 + 1, "stdout", 6) == 0)
		l.stream = CRILOG_STDOUT;
	else if (sp2 - sp1 - 1 == 6 && memcmp(sp1 + 1, "stderr", 6) == 0)
		l.stream = CRILOG_STDERR;
	else
		return -EBADMSG;
	/* the tag ends at the next space, or the line (an empty message without its space) */
	sp3 = memchr(sp2 + 1, ' ', (size_t)(end - sp2 - 1));
	tag_len = (size_t)((sp3 ? sp3 : end) - sp2 - 1);
	{
		const char *colon = memchr(sp2 + 1, ':', tag_len);
		size_t first = colon ? (size_t)(colon - sp2 - 1) : tag_len;
		if (first != 1 || (sp2[1] != 'P' && sp2[1] != 'F'))
			return -EBADMSG;
		l.partial = sp2[1] == 'P';
	}
	l.msg = sp3 ? sp3 + 1 : end;
	l.msg_len = (size_t)(end - l.msg);
	*ret = l;
	return 0;
}

bool crilog_done(const crilog_filter_t *f)
{
	return f->limit == 0;
}

static void emit(crilog_filter_t *f, const char *data, size_t len, crilog_write_fn out, void *arg)
{
	if (f->limit == 0 || len == 0)
		return;
	if (f->limit > 0 && (int64_t)len > f->limit)
		len = (size_t)f->limit;
	out(data, len, arg);
	if (f->limit > 0)
		f->limit -= (int64_t)len;
}

static void render_line(crilog_filter_t *f, const char *line, size_t len, crilog_write_fn out, void *arg)
{
	crilog_line_t l;
	char ts[48];
	size_t n;

	if (crilog_parse_line(line, len, &l) < 0)
		return;
	if (f->since_ns && l.time_ns < f->since_ns)
		return;
	if (f->timestamps) {
		n = crilog_format_time(l.time_ns, ts, sizeof(ts) - 1);
		ts[n++] = ' ';
		emit(f, ts, n, out, arg);
	}
	emit(f, l.msg, l.msg_len, out, arg);
	if (!l.partial)
		emit(f, "\n", 1, out, arg);
}

size_t crilog_render(crilog_filter_t *f, const char *in, size_t len, bool eof, crilog_write_fn out, void *arg)
{
	size_t pos = 0;

	while (pos < len && !crilog_done(f)) {
		const char *nl = memchr(in + pos, '\n', len - pos);
		size_t ll;

		if (!nl) {
			if (eof) {
				render_line(f, in + pos, len - pos, out, arg);
				return len;
			}
			if (len - pos > CRILOG_MAX_LINE)
				return len; /* dropped: no reader buffers without end */
			break;
		}
		ll = (size_t)(nl - (in + pos));
		if (ll <= CRILOG_MAX_LINE)
			render_line(f, in + pos, ll, out, arg);
		pos += ll + 1;
	}
	return pos;
}

size_t crilog_tail_start(const char *buf, size_t len, long n)
{
	long seen = 0;

	if (n < 0)
		return 0;
	/* find the (n+1)-th '\n' from the end: the lines after it are the last n, plus any
	 * unterminated piece */
	for (size_t i = len; i > 0; i--) {
		if (buf[i - 1] == '\n' && seen++ == n)
			return i;
	}
	return 0;
}

int crilog_tail_offset(int fd, off_t size, long n, off_t *ret)
{
	char buf[CRILOG_TAIL_BLOCK];
	long seen = 0;
	off_t right = size;

	if (n < 0 || size <= 0) {
		*ret = 0;
		return 0;
	}
	while (right > 0) {
		off_t left = right > CRILOG_TAIL_BLOCK ? right - CRILOG_TAIL_BLOCK : 0;
		size_t want = (size_t)(right - left), got = 0;

		while (got < want) {
			ssize_t r = pread(fd, buf + got, want - got, left + (off_t)got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			if (r == 0)
				return -EIO; /* the file shrank under us */
			got += (size_t)r;
		}
		for (size_t i = want; i > 0; i--) {
			if (buf[i - 1] == '\n' && seen++ == n) {
				*ret = left + (off_t)i;
				return 0;
			}
		}
		right = left;
	}
	*ret = 0;
	return 0;
}
