/* PKI on disk (pki_ensure, kubeconfig, tokens) and the TLS server context, checked with OpenSSL's own
 * verifier and real in-memory handshakes over a socketpair. */
#include "core/pki.h"
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static const char *const files[] = {
	"ca.crt", "ca.key", "server.crt", "server.key", "admin.crt", "admin.key", "admin-token", "node-token", NULL,
};

static char base[PATH_MAX];  /* mkdtemp root, removed at the end */
static char dir[PATH_MAX];   /* the main PKI dir, created by pki_ensure */
static char other[PATH_MAX]; /* a second, unrelated PKI (a foreign CA) */

static void join(char *buf, const char *d, const char *name)
{
	/* Truncation cannot happen under /tmp; an empty path would make the check fail loudly anyway. */
	if (snprintf(buf, PATH_MAX, "%s/%s", d, name) >= PATH_MAX)
		buf[0] = '\0';
}

static char *slurp(const char *d, const char *name, size_t *ret_len)
{
	char path[PATH_MAX];
	struct stat st;
	char *buf;
	FILE *f;
	size_t n;

	join(path, d, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) < 0 || !(buf = malloc((size_t)st.st_size + 1))) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	buf[n] = '\0';
	if (ret_len)
		*ret_len = n;
	return buf;
}

static void spit(const char *d, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	join(path, d, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Whether d/name has exactly the bytes in want. */
static bool same_file(const char *d, const char *name, const char *want, size_t want_len)
{
	size_t len;
	char *got = slurp(d, name, &len);
	bool same = got && want && len == want_len && memcmp(got, want, len) == 0;

	free(got);
	return same;
}

static X509 *load_x509(const char *d, const char *name)
{
	char path[PATH_MAX];
	X509 *x = NULL;
	FILE *f;

	join(path, d, name);
	f = fopen(path, "r");
	if (f) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	return x;
}

static int file_mode(const char *d, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	join(path, d, name);
	return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

/* 1 when leaf chains to d/ca.crt for the given purpose, 0 when it does not. */
static int verify_with_ca(const char *d, X509 *leaf, int purpose)
{
	X509 *ca = load_x509(d, "ca.crt");
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok = -1;

	if (ca && store && ctx && leaf && X509_STORE_add_cert(store, ca) == 1 &&
	    X509_STORE_CTX_init(ctx, store, leaf, NULL) == 1 && X509_STORE_CTX_set_purpose(ctx, purpose) == 1)
		ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(ca);
	ERR_clear_error();
	return ok;
}

static char *subject_entry(X509 *x, int nid)
{
	char buf[256];

	if (!x || X509_NAME_get_text_by_NID(X509_get_subject_name(x), nid, buf, sizeof(buf)) < 0)
		return NULL;
	return strdup(buf);
}

static bool is_hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (int i = 0; i < 64; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

static void rm_flat(const char *d)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dp = opendir(d);

	if (!dp)
		return;
	while ((e = readdir(dp))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		join(path, d, e->d_name);
		unlink(path);
	}
	closedir(dp);
	rmdir(d);
}

/* ---- pki_ensure ---- */

static const char *const ips1[] = { "192.0.2.10", NULL };
static const char *const dns1[] = { "node1.example", NULL };

static void test_ensure_fresh(void)
{
	X509 *ca, *srv, *adm;
	char *s, *tok_a, *tok_n;
	int nfiles = 0;
	struct dirent *e;
	DIR *dp;

	CHECK_INT(pki_ensure(dir, ips1, dns1), 0);
	CHECK_INT(file_mode(base, "pki"), 0700);
	for (const char *const *f = files; *f; f++) {
		CHECK_INT(file_mode(dir, *f), 0600);
		if (file_mode(dir, *f) != 0600)
			fprintf(stderr, "    file %s\n", *f);
	}
	/* No temp files left behind. */
	dp = opendir(dir);
	while (dp && (e = readdir(dp)))
		nfiles += e->d_name[0] != '.';
	if (dp)
		closedir(dp);
	CHECK_INT(nfiles, 8);

	ca = load_x509(dir, "ca.crt");
	srv = load_x509(dir, "server.crt");
	adm = load_x509(dir, "admin.crt");
	CHECK(ca && srv && adm);
	if (!ca || !srv || !adm)
		goto out;

	/* CA: self-signed "portico-ca", CA:TRUE critical, keyCertSign+cRLSign, P-256, ~10 years. */
	s = subject_entry(ca, NID_commonName);
	CHECK_STR(s, "portico-ca");
	free(s);
	CHECK(X509_check_ca(ca) == 1);
	{
		int idx = X509_get_ext_by_NID(ca, NID_basic_constraints, -1);
		CHECK(idx >= 0 && X509_EXTENSION_get_critical(X509_get_ext(ca, idx)) == 1);
		int pday = 0, psec = 0;
		CHECK(ASN1_TIME_diff(&pday, &psec, X509_get0_notBefore(ca), X509_get0_notAfter(ca)) == 1);
		CHECK(pday >= 3649 && pday <= 3653);
	}
	CHECK_INT(X509_get_key_usage(ca), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	{
		char group[64] = "";
		size_t glen;
		EVP_PKEY_get_group_name(X509_get0_pubkey(ca), group, sizeof(group), &glen);
		CHECK_STR(group, "prime256v1");
	}
	CHECK_INT(verify_with_ca(dir, ca, X509_PURPOSE_ANY), 1);

	/* Server cert: chains to the CA for serverAuth, CN, the SANs asked for and the built-in ones. */
	CHECK_INT(verify_with_ca(dir, srv, X509_PURPOSE_SSL_SERVER), 1);
	CHECK_INT(verify_with_ca(dir, srv, X509_PURPOSE_SSL_CLIENT), 0);
	s = subject_entry(srv, NID_commonName);
	CHECK_STR(s, "portico-apiserver");
	free(s);
	CHECK_INT(X509_check_ip_asc(srv, "127.0.0.1", 0), 1);
	CHECK_INT(X509_check_ip_asc(srv, "192.0.2.10", 0), 1);
	CHECK_INT(X509_check_ip_asc(srv, "192.0.2.11", 0), 0);
	CHECK_INT(X509_check_host(srv, "kubernetes.default.svc", 0, 0, NULL), 1);
	CHECK_INT(X509_check_host(srv, "kubernetes.default.svc.cluster.local", 0, 0, NULL), 1);
	CHECK_INT(X509_check_host(srv, "localhost", 0, 0, NULL), 1);
	CHECK_INT(X509_check_host(srv, "kubernetes", 0, 0, NULL), 1);
	CHECK_INT(X509_check_host(srv, "node1.example", 0, 0, NULL), 1);
	CHECK_INT(X509_check_host(srv, "evil.example", 0, 0, NULL), 0);
	CHECK(X509_get_extended_key_usage(srv) & XKU_SSL_SERVER);
	CHECK_INT(X509_check_ca(srv), 0);

	/* Admin cert: clientAuth, CN=admin, O=system:masters. */
	CHECK_INT(verify_with_ca(dir, adm, X509_PURPOSE_SSL_CLIENT), 1);
	CHECK_INT(verify_with_ca(dir, adm, X509_PURPOSE_SSL_SERVER), 0);
	s = subject_entry(adm, NID_commonName);
	CHECK_STR(s, "admin");
	free(s);
	s = subject_entry(adm, NID_organizationName);
	CHECK_STR(s, "system:masters");
	free(s);

	/* Tokens: 64 hex chars and a newline, different from each other. */
	tok_a = slurp(dir, "admin-token", NULL);
	tok_n = slurp(dir, "node-token", NULL);
	CHECK(tok_a && strlen(tok_a) == 65 && tok_a[64] == '\n');
	CHECK(tok_n && strlen(tok_n) == 65 && tok_n[64] == '\n');
	if (tok_a && tok_n)
		CHECK(strcmp(tok_a, tok_n) != 0);
	free(tok_a);
	free(tok_n);
	CHECK_INT(pki_read_token(dir, "admin-token", &tok_a), 0);
	CHECK(is_hex64(tok_a));
	free(tok_a);
out:
	X509_free(ca);
	X509_free(srv);
	X509_free(adm);
}

static void test_ensure_reuse(void)
{
	static const char *const keep[] = { "ca.crt", "ca.key", "server.crt", "server.key", "admin.crt",
					    "admin.key", "admin-token", "node-token", NULL };
	char *before[8];
	size_t lens[8];

	for (int i = 0; keep[i]; i++)
		before[i] = slurp(dir, keep[i], &lens[i]);
	CHECK_INT(pki_ensure(dir, ips1, dns1), 0);
	/* Same SANs in another order and spelling: still nothing to do. */
	{
		static const char *const ips[] = { "192.0.2.10", "127.0.0.1", NULL };
		static const char *const dns[] = { "NODE1.example", "kubernetes", NULL };
		CHECK_INT(pki_ensure(dir, ips, dns), 0);
	}
	for (int i = 0; keep[i]; i++) {
		CHECK(same_file(dir, keep[i], before[i], lens[i]));
		free(before[i]);
	}
}

static void test_ensure_new_ip(void)
{
	static const char *const ips2[] = { "192.0.2.20", NULL };
	size_t ca_len, cakey_len, srv_len, adm_len;
	char *ca = slurp(dir, "ca.crt", &ca_len), *cakey = slurp(dir, "ca.key", &cakey_len);
	char *srv = slurp(dir, "server.crt", &srv_len), *adm = slurp(dir, "admin.crt", &adm_len);
	X509 *x;

	CHECK_INT(pki_ensure(dir, ips2, dns1), 0);
	CHECK(same_file(dir, "ca.crt", ca, ca_len));
	CHECK(same_file(dir, "ca.key", cakey, cakey_len));
	CHECK(same_file(dir, "admin.crt", adm, adm_len));
	CHECK(!same_file(dir, "server.crt", srv, srv_len));
	CHECK_INT(file_mode(dir, "server.crt"), 0600);
	CHECK_INT(file_mode(dir, "server.key"), 0600);
	x = load_x509(dir, "server.crt");
	CHECK(x != NULL);
	CHECK_INT(X509_check_ip_asc(x, "192.0.2.20", 0), 1);
	CHECK_INT(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
	CHECK_INT(X509_check_host(x, "kubernetes.default.svc", 0, 0, NULL), 1);
	CHECK_INT(verify_with_ca(dir, x, X509_PURPOSE_SSL_SERVER), 1);
	X509_free(x);

	/* A new DNS SAN reissues too; an IPv6 one is accepted. */
	free(srv);
	srv = slurp(dir, "server.crt", &srv_len);
	{
		static const char *const ips3[] = { "192.0.2.20", "2001:db8::1", NULL };
		static const char *const dns3[] = { "node1.example", "api.example", NULL };
		CHECK_INT(pki_ensure(dir, ips3, dns3), 0);
	}
	CHECK(!same_file(dir, "server.crt", srv, srv_len));
	x = load_x509(dir, "server.crt");
	CHECK_INT(X509_check_host(x, "api.example", 0, 0, NULL), 1);
	CHECK_INT(X509_check_ip_asc(x, "2001:db8::1", 0), 1);
	CHECK_INT(X509_check_ip_asc(x, "192.0.2.20", 0), 1);
	X509_free(x);
	CHECK(same_file(dir, "ca.crt", ca, ca_len));
	free(ca);
	free(cakey);
	free(srv);
	free(adm);
}

static void test_ensure_bad_input(void)
{
	static const char *const bad_ip[] = { "1.2.3.4x", NULL };
	static const char *const bad_ip2[] = { "", NULL };
	static const char *const bad_dns[] = { "bad name", NULL };
	static const char *const bad_dns2[] = { "a..b", NULL };
	char d[PATH_MAX];
	struct stat st;

	join(d, base, "never");
	CHECK_INT(pki_ensure(d, bad_ip, NULL), -EINVAL);
	CHECK_INT(pki_ensure(d, bad_ip2, NULL), -EINVAL);
	CHECK_INT(pki_ensure(d, NULL, bad_dns), -EINVAL);
	CHECK_INT(pki_ensure(d, NULL, bad_dns2), -EINVAL);
	/* Refused before touching the disk. */
	CHECK(stat(d, &st) < 0 && errno == ENOENT);
	CHECK_INT(pki_ensure("", NULL, NULL), -EINVAL);
	CHECK_INT(pki_ensure(NULL, NULL, NULL), -EINVAL);
	/* A file where the directory should be. */
	join(d, base, "plainfile");
	spit(base, "plainfile", "x");
	CHECK_INT(pki_ensure(d, NULL, NULL), -ENOTDIR);
	unlink(d);
}

/* A damaged leaf is reissued with the same CA; a corrupt CA is an error and left alone. */
static void test_ensure_damage(void)
{
	char d[PATH_MAX];
	size_t ca_len, key_len;
	char *ca, *key;
	X509 *x;

	join(d, base, "damage");
	CHECK_INT(pki_ensure(d, NULL, NULL), 0);
	ca = slurp(d, "ca.crt", &ca_len);
	spit(d, "server.crt", "garbage\n");
	spit(d, "admin.key", "");
	CHECK_INT(pki_ensure(d, NULL, NULL), 0);
	CHECK(same_file(d, "ca.crt", ca, ca_len));
	x = load_x509(d, "server.crt");
	CHECK_INT(verify_with_ca(d, x, X509_PURPOSE_SSL_SERVER), 1);
	X509_free(x);
	x = load_x509(d, "admin.crt");
	CHECK_INT(verify_with_ca(d, x, X509_PURPOSE_SSL_CLIENT), 1);
	X509_free(x);
	/* An empty token file is replaced, not kept (it would match an empty presented token). */
	spit(d, "node-token", "  \n");
	CHECK_INT(pki_ensure(d, NULL, NULL), 0);
	{
		char *t = NULL;
		CHECK_INT(pki_read_token(d, "node-token", &t), 0);
		CHECK(is_hex64(t));
		free(t);
	}

	key = slurp(d, "ca.key", &key_len);
	spit(d, "ca.key", "not a key\n");
	CHECK_INT(pki_ensure(d, NULL, NULL), -EBADMSG);
	CHECK(same_file(d, "ca.crt", ca, ca_len));
	/* A CA key that is a valid key but not the CA's: also refused. */
	{
		char *other_key = slurp(other, "ca.key", NULL);
		if (other_key)
			spit(d, "ca.key", other_key);
		free(other_key);
		CHECK_INT(pki_ensure(d, NULL, NULL), -EBADMSG);
	}
	free(ca);
	free(key);
	rm_flat(d);
}

/* Losing the CA (here only its key) means a new CA and new leaves; tokens stay. */
static void test_ensure_ca_lost(void)
{
	char d[PATH_MAX], path[PATH_MAX];
	size_t ca_len, srv_len, adm_len, tok_len;
	char *ca, *srv, *adm, *tok;
	X509 *x;

	join(d, base, "calost");
	CHECK_INT(pki_ensure(d, NULL, NULL), 0);
	ca = slurp(d, "ca.crt", &ca_len);
	srv = slurp(d, "server.crt", &srv_len);
	adm = slurp(d, "admin.crt", &adm_len);
	tok = slurp(d, "admin-token", &tok_len);
	join(path, d, "ca.key");
	unlink(path);
	CHECK_INT(pki_ensure(d, NULL, NULL), 0);
	CHECK(!same_file(d, "ca.crt", ca, ca_len));
	CHECK(!same_file(d, "server.crt", srv, srv_len));
	CHECK(!same_file(d, "admin.crt", adm, adm_len));
	CHECK(same_file(d, "admin-token", tok, tok_len));
	CHECK_INT(file_mode(d, "ca.key"), 0600);
	x = load_x509(d, "server.crt");
	CHECK_INT(verify_with_ca(d, x, X509_PURPOSE_SSL_SERVER), 1);
	X509_free(x);
	x = load_x509(d, "admin.crt");
	CHECK_INT(verify_with_ca(d, x, X509_PURPOSE_SSL_CLIENT), 1);
	X509_free(x);

	/* Both CA files gone: the same. */
	free(ca);
	ca = slurp(d, "ca.crt", &ca_len);
	unlink(path);
	join(path, d, "ca.crt");
	unlink(path);
	CHECK_INT(pki_ensure(d, NULL, NULL), 0);
	CHECK(!same_file(d, "ca.crt", ca, ca_len));
	x = load_x509(d, "admin.crt");
	CHECK_INT(verify_with_ca(d, x, X509_PURPOSE_SSL_CLIENT), 1);
	X509_free(x);
	free(ca);
	free(srv);
	free(adm);
	free(tok);
	rm_flat(d);
}

/* Processes racing on a fresh dir end up with one CA that every leaf chains to. */
static void test_ensure_concurrent(void)
{
	char d[PATH_MAX];
	pid_t pids[4];
	int ok = 0;
	X509 *x;

	join(d, base, "race");
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(pki_ensure(d, ips1, NULL) == 0 ? 0 : 1);
	}
	for (int i = 0; i < 4; i++) {
		int st;

		if (pids[i] > 0 && waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
	}
	CHECK_INT(ok, 4);
	x = load_x509(d, "server.crt");
	CHECK_INT(verify_with_ca(d, x, X509_PURPOSE_SSL_SERVER), 1);
	X509_free(x);
	x = load_x509(d, "admin.crt");
	CHECK_INT(verify_with_ca(d, x, X509_PURPOSE_SSL_CLIENT), 1);
	X509_free(x);
	rm_flat(d);
}

/* ---- tokens ---- */

static void test_tokens(void)
{
	char *t = (char *)"untouched";

	spit(base, "tok", "  \tabc123\r\n\n");
	CHECK_INT(pki_read_token(base, "tok", &t), 0);
	CHECK_STR(t, "abc123");
	free(t);

	t = (char *)"untouched";
	spit(base, "tok", " \n\t ");
	CHECK_INT(pki_read_token(base, "tok", &t), -EBADMSG);
	CHECK_STR(t, "untouched");
	CHECK_INT(pki_read_token(base, "missing", &t), -ENOENT);
	CHECK_INT(pki_read_token(base, "../tok", &t), -EINVAL);
	CHECK_INT(pki_read_token(base, "", &t), -EINVAL);
	{
		char big[5000];
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		spit(base, "tok", big);
		CHECK_INT(pki_read_token(base, "tok", &t), -EFBIG);
	}
	CHECK_STR(t, "untouched");
	{
		char path[PATH_MAX];
		join(path, base, "tok");
		unlink(path);
	}

	CHECK(pki_token_equal("abc", "abc"));
	CHECK(!pki_token_equal("abc", "abd"));
	CHECK(!pki_token_equal("abc", "abcd"));
	CHECK(!pki_token_equal("abcd", "abc"));
	CHECK(!pki_token_equal("", ""));
	CHECK(!pki_token_equal(NULL, "abc"));
	CHECK(!pki_token_equal("abc", NULL));
	CHECK(!pki_token_equal(NULL, NULL));
}

/* ---- kubeconfig ---- */

/* The one-line base64 value after "key: " in doc, decoded; NULL if absent or not one line. */
static unsigned char *yaml_b64(const char *doc, const char *key, int *ret_len)
{
	char needle[128];
	const char *p, *end;
	unsigned char *out;
	int n, pad = 0;

	snprintf(needle, sizeof(needle), "    %s: ", key);
	p = strstr(doc, needle);
	if (!p)
		return NULL;
	p += strlen(needle);
	end = strchr(p, '\n');
	if (!end || end == p || (end - p) % 4 != 0)
		return NULL;
	out = malloc((size_t)(end - p));
	n = EVP_DecodeBlock(out, (const unsigned char *)p, (int)(end - p));
	if (n < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the '=' padding as zero bytes. */
	pad = (end[-1] == '=') + (end[-2] == '=');
	*ret_len = n - pad;
	return out;
}

static void test_kubeconfig(void)
{
	char path[PATH_MAX];
	size_t ca_len, crt_len, key_len;
	char *doc, *ca = slurp(dir, "ca.crt", &ca_len);
	char *crt = slurp(dir, "admin.crt", &crt_len), *key = slurp(dir, "admin.key", &key_len);
	unsigned char *v;
	int n = -1;

	join(path, base, "kubeconfig");
	CHECK_INT(pki_write_kubeconfig(dir, "https://192.0.2.10:6443", path), 0);
	CHECK_INT(file_mode(base, "kubeconfig"), 0600);
	doc = slurp(base, "kubeconfig", NULL);
	CHECK(doc != NULL);
	if (!doc)
		goto out;
	CHECK(strstr(doc, "apiVersion: v1\n") != NULL);
	CHECK(strstr(doc, "kind: Config\n") != NULL);
	CHECK(strstr(doc, "    server: \"https://192.0.2.10:6443\"\n") != NULL);
	CHECK(strstr(doc, "current-context: portico\n") != NULL);
	CHECK(strstr(doc, "    namespace: default\n") != NULL);
	CHECK(strstr(doc, "- name: admin\n") != NULL);

	v = yaml_b64(doc, "certificate-authority-data", &n);
	CHECK(v && n == (int)ca_len && memcmp(v, ca, ca_len) == 0);
	free(v);
	v = yaml_b64(doc, "client-certificate-data", &n);
	CHECK(v && n == (int)crt_len && memcmp(v, crt, crt_len) == 0);
	free(v);
	v = yaml_b64(doc, "client-key-data", &n);
	CHECK(v && n == (int)key_len && memcmp(v, key, key_len) == 0);
	free(v);
	free(doc);

	/* A quote in the URL cannot break out of the scalar; control characters are refused. */
	CHECK_INT(pki_write_kubeconfig(dir, "https://x\"y:6443", path), 0);
	doc = slurp(base, "kubeconfig", NULL);
	CHECK(doc && strstr(doc, "    server: \"https://x\\\"y:6443\"\n") != NULL);
	free(doc);
	CHECK_INT(pki_write_kubeconfig(dir, "https://x\ny", path), -EINVAL);
	CHECK_INT(pki_write_kubeconfig(dir, "", path), -EINVAL);
	{
		char empty[PATH_MAX];
		join(empty, base, "nothing-here");
		CHECK_INT(pki_write_kubeconfig(empty, "https://a", path), -ENOENT);
	}
	unlink(path);
out:
	free(ca);
	free(crt);
	free(key);
}

/* ---- TLS ---- */

struct hs {
	SSL *s, *c;
	int fds[2];
	bool s_ok, c_ok;
};

/* Client context trusting ca_dir's CA; presenting cert_dir's admin cert when cert_dir is set. */
static SSL_CTX *client_ctx(const char *ca_dir, const char *cert_dir, int max_version)
{
	char path[PATH_MAX];
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	if (!c)
		return NULL;
	join(path, ca_dir, "ca.crt");
	if (SSL_CTX_load_verify_locations(c, path, NULL) != 1)
		goto fail;
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	if (max_version)
		SSL_CTX_set_max_proto_version(c, max_version);
	if (cert_dir) {
		join(path, cert_dir, "admin.crt");
		if (SSL_CTX_use_certificate_file(c, path, SSL_FILETYPE_PEM) != 1)
			goto fail;
		join(path, cert_dir, "admin.key");
		if (SSL_CTX_use_PrivateKey_file(c, path, SSL_FILETYPE_PEM) != 1)
			goto fail;
	}
	return c;
fail:
	SSL_CTX_free(c);
	ERR_clear_error();
	return NULL;
}

/* Both ends in this thread over a nonblocking socketpair, stepped in turn until each has finished or
 * failed. Both share the thread's error queue, so it is cleared around every step. */
static void hs_run(struct hs *h, SSL_CTX *sctx, SSL_CTX *cctx, const unsigned char *alpn, unsigned alpn_len,
		   SSL_SESSION *resume)
{
	bool s_end = false, c_end = false;

	memset(h, 0, sizeof(*h));
	h->fds[0] = h->fds[1] = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, h->fds) < 0)
		return;
	h->s = SSL_new(sctx);
	h->c = SSL_new(cctx);
	if (!h->s || !h->c)
		return;
	SSL_set_fd(h->s, h->fds[0]);
	SSL_set_fd(h->c, h->fds[1]);
	SSL_set_accept_state(h->s);
	SSL_set_connect_state(h->c);
	/* The client checks the name like kubectl does with an in-cluster URL. */
	SSL_set1_host(h->c, "kubernetes.default.svc");
	if (alpn)
		SSL_set_alpn_protos(h->c, alpn, alpn_len);
	if (resume)
		SSL_set_session(h->c, resume);
	for (int i = 0; i < 200000 && !(s_end && c_end); i++) {
		int r, e;

		if (!s_end) {
			ERR_clear_error();
			r = SSL_do_handshake(h->s);
			e = SSL_get_error(h->s, r);
			if (r == 1)
				s_end = h->s_ok = true;
			else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				s_end = true;
		}
		if (!c_end) {
			ERR_clear_error();
			r = SSL_do_handshake(h->c);
			e = SSL_get_error(h->c, r);
			if (r == 1)
				c_end = h->c_ok = true;
			else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				c_end = true;
		}
	}
	ERR_clear_error();
}

static void hs_free(struct hs *h)
{
	SSL_free(h->s);
	SSL_free(h->c);
	if (h->fds[0] >= 0)
		close(h->fds[0]);
	if (h->fds[1] >= 0)
		close(h->fds[1]);
}

static const unsigned char alpn_go[] = "\x02h2\x08http/1.1";

static void check_alpn(SSL *ssl, const char *want)
{
	const unsigned char *p = NULL;
	unsigned len = 0;
	char got[64] = "";

	if (ssl)
		SSL_get0_alpn_selected(ssl, &p, &len);
	if (p && len < sizeof(got))
		memcpy(got, p, len);
	got[len < sizeof(got) ? len : 0] = '\0';
	CHECK_STR(got, want);
}

static void test_tls_client_cert(void)
{
	SSL_CTX *sctx = NULL, *cctx;
	char *user = NULL, *groups = NULL;
	struct hs h;

	CHECK_INT(tls_server_ctx_new(dir, &sctx), 0);
	if (!sctx)
		return;
	CHECK_INT(SSL_CTX_get_min_proto_version(sctx), TLS1_2_VERSION);
	cctx = client_ctx(dir, dir, 0);
	CHECK(cctx != NULL);

	hs_run(&h, sctx, cctx, alpn_go, sizeof(alpn_go) - 1, NULL);
	CHECK(h.s_ok && h.c_ok);
	CHECK_INT(SSL_version(h.s), TLS1_3_VERSION);
	CHECK_INT(tls_peer_user(h.s, &user, &groups), 0);
	CHECK_STR(user, "admin");
	CHECK_STR(groups, "system:masters");
	free(user);
	free(groups);
	check_alpn(h.s, "http/1.1");
	check_alpn(h.c, "http/1.1");
	hs_free(&h);

	/* TLS 1.2 too, and a resumed TLS 1.2 session still carries the verified client identity. */
	SSL_CTX_free(cctx);
	cctx = client_ctx(dir, dir, TLS1_2_VERSION);
	hs_run(&h, sctx, cctx, alpn_go, sizeof(alpn_go) - 1, NULL);
	CHECK(h.s_ok && h.c_ok);
	CHECK_INT(SSL_version(h.s), TLS1_2_VERSION);
	user = groups = NULL;
	CHECK_INT(tls_peer_user(h.s, &user, &groups), 0);
	CHECK_STR(user, "admin");
	free(user);
	free(groups);
	check_alpn(h.c, "http/1.1");
	{
		SSL_SESSION *sess = SSL_get1_session(h.c);
		struct hs h2;

		/* A session torn down without close_notify counts as bad and is not resumable. */
		SSL_shutdown(h.c);
		SSL_shutdown(h.s);
		hs_free(&h);
		hs_run(&h2, sctx, cctx, alpn_go, sizeof(alpn_go) - 1, sess);
		CHECK(h2.s_ok && h2.c_ok);
		CHECK(h2.s && SSL_session_reused(h2.s) == 1);
		user = groups = NULL;
		CHECK_INT(tls_peer_user(h2.s, &user, &groups), 0);
		CHECK_STR(user, "admin");
		CHECK_STR(groups, "system:masters");
		free(user);
		free(groups);
		hs_free(&h2);
		SSL_SESSION_free(sess);
	}
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

static void test_tls_no_cert(void)
{
	SSL_CTX *sctx = NULL, *cctx;
	char *user = (char *)"untouched", *groups = (char *)"untouched";
	struct hs h;

	CHECK_INT(tls_server_ctx_new(dir, &sctx), 0);
	if (!sctx)
		return;
	cctx = client_ctx(dir, NULL, 0);
	hs_run(&h, sctx, cctx, NULL, 0, NULL);
	CHECK(h.s_ok && h.c_ok);
	CHECK_INT(tls_peer_user(h.s, &user, &groups), -ENOENT);
	CHECK_STR(user, "untouched");
	CHECK_STR(groups, "untouched");
	check_alpn(h.s, "");
	hs_free(&h);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

/* A cert from another CA (which could say O=system:masters just as well) must not get in. */
static void test_tls_foreign_cert(void)
{
	SSL_CTX *sctx = NULL, *cctx;
	struct hs h;

	CHECK_INT(tls_server_ctx_new(dir, &sctx), 0);
	if (!sctx)
		return;
	cctx = client_ctx(dir, other, 0);
	CHECK(cctx != NULL);
	hs_run(&h, sctx, cctx, NULL, 0, NULL);
	CHECK(!h.s_ok);
	hs_free(&h);
	SSL_CTX_free(cctx);

	cctx = client_ctx(dir, other, TLS1_2_VERSION);
	hs_run(&h, sctx, cctx, NULL, 0, NULL);
	CHECK(!h.s_ok);
	CHECK(!h.c_ok);
	hs_free(&h);
	SSL_CTX_free(cctx);

	/* Sanity: that foreign cert is fine for its own CA's server. */
	SSL_CTX_free(sctx);
	sctx = NULL;
	CHECK_INT(tls_server_ctx_new(other, &sctx), 0);
	cctx = client_ctx(other, other, 0);
	hs_run(&h, sctx, cctx, NULL, 0, NULL);
	CHECK(h.s_ok && h.c_ok);
	hs_free(&h);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

static void test_tls_alpn(void)
{
	static const unsigned char h2_only[] = "\x02h2";
	static const unsigned char h11_first[] = "\x08http/1.1\x02h2";
	static const unsigned char odd[] = "\x03xyz\x08http/1.1";
	SSL_CTX *sctx = NULL, *cctx;
	struct hs h;

	CHECK_INT(tls_server_ctx_new(dir, &sctx), 0);
	if (!sctx)
		return;
	cctx = client_ctx(dir, NULL, 0);

	hs_run(&h, sctx, cctx, alpn_go, sizeof(alpn_go) - 1, NULL);
	CHECK(h.s_ok && h.c_ok);
	check_alpn(h.c, "http/1.1");
	hs_free(&h);

	hs_run(&h, sctx, cctx, h11_first, sizeof(h11_first) - 1, NULL);
	CHECK(h.s_ok && h.c_ok);
	check_alpn(h.c, "http/1.1");
	hs_free(&h);

	hs_run(&h, sctx, cctx, odd, sizeof(odd) - 1, NULL);
	CHECK(h.s_ok && h.c_ok);
	check_alpn(h.c, "http/1.1");
	hs_free(&h);

	/* Never h2: with no http/1.1 on offer nothing is selected and the handshake still completes. */
	hs_run(&h, sctx, cctx, h2_only, sizeof(h2_only) - 1, NULL);
	CHECK(h.s_ok && h.c_ok);
	check_alpn(h.c, "");
	check_alpn(h.s, "");
	hs_free(&h);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

/* The server, not just OpenSSL's client defaults, refuses TLS 1.1. */
static void test_tls_min_version(void)
{
	SSL_CTX *sctx = NULL, *cctx;
	struct hs h;

	CHECK_INT(tls_server_ctx_new(dir, &sctx), 0);
	if (!sctx)
		return;
	cctx = client_ctx(dir, NULL, TLS1_1_VERSION);
	SSL_CTX_set_min_proto_version(cctx, TLS1_VERSION);
	SSL_CTX_set_cipher_list(cctx, "DEFAULT:@SECLEVEL=0");
	hs_run(&h, sctx, cctx, NULL, 0, NULL);
	CHECK(!h.s_ok && !h.c_ok);
	hs_free(&h);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

static void test_tls_ctx_errors(void)
{
	SSL_CTX *sctx = (SSL_CTX *)&sctx;
	char d[PATH_MAX];

	join(d, base, "nothing-here");
	CHECK_INT(tls_server_ctx_new(d, &sctx), -ENOENT);
	CHECK(sctx == (SSL_CTX *)&sctx);
	CHECK_INT(tls_peer_user(NULL, NULL, NULL), -EINVAL);
}

/* ---- the self-signed serving pair of other servers (the agent's log server) ---- */

static void test_self_signed(void)
{
	X509 *x = NULL, *x2 = NULL, *x3 = NULL, *untouched = (X509 *)&x;
	EVP_PKEY *k = NULL, *k2 = NULL, *k3 = NULL;
	SSL_CTX *ctx = NULL, *ctx_untouched = (SSL_CTX *)&ctx;
	time_t later = time(NULL) + 3000L * 86400;
	char d[PATH_MAX], *cn;

	join(d, base, "selfsigned");
	CHECK(mkdir(d, 0700) == 0);
	CHECK_INT(pki_self_signed_ensure(d, "srv", "node-a", "192.0.2.7", 3650, &x, &k), 0);
	if (!x || !k)
		return;
	CHECK_INT(file_mode(d, "srv.key"), 0600);
	CHECK_INT(file_mode(d, "srv.crt"), 0600);
	cn = subject_entry(x, NID_commonName);
	CHECK_STR(cn, "node-a");
	free(cn);
	CHECK_INT(X509_check_ip_asc(x, "192.0.2.7", 0), 1);
	CHECK_INT(X509_verify(x, X509_get0_pubkey(x)), 1);  /* self-signed */
	CHECK_INT(X509_check_ca(x), 0);
	CHECK_INT(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), 1);
	CHECK_INT(X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, 0), 0);
	CHECK(X509_cmp_time(X509_get0_notAfter(x), &later) > 0);
	CHECK_INT(X509_check_private_key(x, k), 1);

	/* reused while it fits, */
	CHECK_INT(pki_self_signed_ensure(d, "srv", "node-a", "192.0.2.7", 3650, &x2, &k2), 0);
	CHECK(x2 && X509_cmp(x, x2) == 0);
	X509_free(x2);
	EVP_PKEY_free(k2);
	x2 = NULL;
	k2 = NULL;
	/* replaced for another address, */
	CHECK_INT(pki_self_signed_ensure(d, "srv", "node-a", "192.0.2.8", 3650, &x2, &k2), 0);
	CHECK(x2 && X509_cmp(x, x2) != 0);
	CHECK(x2 && X509_check_ip_asc(x2, "192.0.2.8", 0) == 1);
	/* and when damaged */
	spit(d, "srv.crt", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
	CHECK_INT(pki_self_signed_ensure(d, "srv", "node-a", "192.0.2.8", 3650, &x3, &k3), 0);
	CHECK(x3 && X509_check_ip_asc(x3, "192.0.2.8", 0) == 1 && X509_check_private_key(x3, k3) == 1);

	/* a malformed address is refused and the outputs are left alone */
	CHECK_INT(pki_self_signed_ensure(d, "srv", "node-a", "1.2.3.4x", 3650, &untouched, &k2), -EINVAL);
	CHECK(untouched == (X509 *)&x);

	/* the shared server context: TLS 1.2 at least, and a key that is not the cert's is refused */
	CHECK_INT(tls_server_ctx_from_pair(x, k, &ctx), 0);
	CHECK(ctx && SSL_CTX_get_min_proto_version(ctx) == TLS1_2_VERSION);
	SSL_CTX_free(ctx);
	CHECK_INT(tls_server_ctx_from_pair(x, k3, &ctx_untouched), -EBADMSG);
	CHECK(ctx_untouched == (SSL_CTX *)&ctx);
	CHECK_INT(tls_server_ctx_from_pair(NULL, k, &ctx_untouched), -EINVAL);

	X509_free(x);
	X509_free(x2);
	X509_free(x3);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k3);
	rm_flat(d);
}

int main(void)
{
	snprintf(base, sizeof(base), "/tmp/test_pki.XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	join(dir, base, "pki");
	join(other, base, "other");
	if (pki_ensure(other, NULL, NULL) < 0) {
		fprintf(stderr, "cannot create the foreign PKI\n");
		return 1;
	}

	TEST_RUN(test_ensure_fresh);
	TEST_RUN(test_ensure_reuse);
	TEST_RUN(test_ensure_new_ip);
	TEST_RUN(test_ensure_bad_input);
	TEST_RUN(test_ensure_damage);
	TEST_RUN(test_ensure_ca_lost);
	TEST_RUN(test_ensure_concurrent);
	TEST_RUN(test_tokens);
	TEST_RUN(test_kubeconfig);
	TEST_RUN(test_tls_client_cert);
	TEST_RUN(test_tls_no_cert);
	TEST_RUN(test_tls_foreign_cert);
	TEST_RUN(test_tls_alpn);
	TEST_RUN(test_tls_min_version);
	TEST_RUN(test_tls_ctx_errors);
	TEST_RUN(test_self_signed);

	rm_flat(dir);
	rm_flat(other);
	rmdir(base);
	TEST_DONE();
}
