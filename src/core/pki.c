/* The cluster's PKI on disk, the API server's TLS context and what our other HTTPS servers (the
 * agent's log server) share with it, on OpenSSL 3's EVP/X509 API. Every file is replaced atomically so
 * a crash never leaves half a key behind, and every check on restart is phrased as "is what exists
 * still good enough", so restarts reuse credentials that clients already hold. */
#include "core/pki.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define PKI_CA_DAYS        3650
#define PKI_LEAF_DAYS      365
/* Reissue leaves this long before they expire, so a restart in the last month renews them. */
#define PKI_RENEW_SECS     (30L * 24 * 3600)
/* Clock skew allowance: a node whose clock lags a little still accepts a freshly issued cert. */
#define PKI_BACKDATE_SECS  3600
/* Our PEM files are a few hundred bytes; anything near this limit is not ours. */
#define PKI_FILE_MAX       (64 * 1024)
#define PKI_TOKEN_MAX      4096
#define PKI_TOKEN_BYTES    32
#define PKI_DNS_NAME_MAX   253
#define PKI_DNS_LABEL_MAX  63

static const char *const pki_builtin_ips[] = { "127.0.0.1", NULL };
/* The names in-cluster clients use for the API server (the "kubernetes" Service in "default"). */
static const char *const pki_builtin_dns[] = {
	"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
	"kubernetes.default.svc.cluster.local", NULL,
};

struct pki_cert_spec {
	const char *cn;
	const char *org;  /* NULL: no O */
	bool ca;
	int days;
	const char *eku;  /* X509v3 config value, NULL for the CA */
};

static const struct pki_cert_spec pki_ca_spec = { "portico-ca", NULL, true, PKI_CA_DAYS, NULL };
static const struct pki_cert_spec pki_server_spec = { "portico-apiserver", NULL, false, PKI_LEAF_DAYS, "serverAuth" };
/* O=system:masters is the group kube-apiserver's default RBAC binds to cluster-admin. */
static const struct pki_cert_spec pki_admin_spec = { "admin", "system:masters", false, PKI_LEAF_DAYS, "clientAuth" };

/* ---- files ---- */

static int path_join(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static void free_secret(void *p, size_t len)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

/* Whole regular file, NUL-terminated (the NUL is not counted in *ret_len). The fd's content is stable
 * because writers only ever rename() a new file over the name. *ret: caller frees. */
static int read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, size;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EBADMSG;
		goto out;
	}
	if ((unsigned long long)st.st_size > max) {
		r = -EFBIG;
		goto out;
	}
	size = (size_t)st.st_size;
	buf = malloc(size + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (len < size) {
		ssize_t n = read(fd, buf + len, size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			free_secret(buf, size + 1);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	r = 0;
out:
	close(fd);
	return r;
}

/* The rename is only durable once the directory entry is on disk too. */
static int fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd, r = 0;

	if (!slash) {
		strcpy(dir, ".");
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Readers see either the old file or the whole new one, never a prefix; the temp file sits in the
 * same directory so rename() cannot cross file systems, and is 0600 from the start, so secrets never
 * exist on disk with a looser mode even for a moment. */
static int write_file_atomic(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	const char *p = data;
	int n, fd, r;

	n = snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* mkostemp creates 0600 already; fchmod says so explicitly, whatever the umask or libc. */
	if (fchmod(fd, 0600) < 0)
		goto fail;
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	r = close(fd);
	fd = -1;
	if (r < 0 || rename(tmp, path) < 0)
		goto fail;
	return fsync_parent(path);
fail:
	r = -errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return r;
}

static int mkdir_p(const char *dir)
{
	char buf[PATH_MAX];
	size_t n = strlen(dir);
	struct stat st;

	if (n == 0)
		return -EINVAL;
	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (c == '\0')
			break;
	}
	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return 0;
}

/* ---- PEM load and save ---- */

/* Our keys are never encrypted; without this OpenSSL's default callback would prompt on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

static int load_cert(const char *path, X509 **ret)
{
	char *buf;
	size_t len;
	BIO *bio;
	X509 *x;
	int r;

	r = read_file(path, PKI_FILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	bio = BIO_new_mem_buf(buf, (int)len);
	x = bio ? PEM_read_bio_X509(bio, NULL, no_passphrase, NULL) : NULL;
	r = bio ? -EBADMSG : -ENOMEM;
	BIO_free(bio);
	free(buf);
	if (!x) {
		ERR_clear_error();
		return r;
	}
	*ret = x;
	return 0;
}

static int load_key(const char *path, EVP_PKEY **ret)
{
	char *buf;
	size_t len;
	BIO *bio;
	EVP_PKEY *k;
	int r;

	r = read_file(path, PKI_FILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	bio = BIO_new_mem_buf(buf, (int)len);
	k = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
	r = bio ? -EBADMSG : -ENOMEM;
	BIO_free(bio);
	free_secret(buf, len);
	if (!k) {
		ERR_clear_error();
		return r;
	}
	*ret = k;
	return 0;
}

/* base.crt and base.key; -ENOENT if either is missing, -EBADMSG if unreadable or not a pair. */
static int load_pair(const char *dir, const char *base, X509 **ret_crt, EVP_PKEY **ret_key)
{
	char path[PATH_MAX], name[64];
	X509 *crt = NULL;
	EVP_PKEY *key = NULL;
	int r;

	snprintf(name, sizeof(name), "%s.crt", base);
	r = path_join(path, sizeof(path), dir, name);
	if (r >= 0)
		r = load_cert(path, &crt);
	if (r < 0)
		return r;
	snprintf(name, sizeof(name), "%s.key", base);
	r = path_join(path, sizeof(path), dir, name);
	if (r >= 0)
		r = load_key(path, &key);
	if (r < 0)
		goto fail;
	if (X509_check_private_key(crt, key) != 1) {
		ERR_clear_error();
		r = -EBADMSG;
		goto fail;
	}
	*ret_crt = crt;
	*ret_key = key;
	return 0;
fail:
	X509_free(crt);
	EVP_PKEY_free(key);
	return r;
}

/* The key goes first: a crash between the two writes leaves a cert that does not match its key, which
 * the next pki_ensure() notices and repairs, never a cert whose key is gone. */
static int save_pair(const char *dir, const char *base, X509 *crt, EVP_PKEY *key)
{
	char path[PATH_MAX], name[64];
	char *data;
	long len;
	BIO *bio;
	int r;

	/* A secure-memory BIO wipes the PEM text of the key when freed. */
	bio = BIO_new(BIO_s_secmem());
	if (!bio)
		return -ENOMEM;
	if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		r = -EIO;
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	snprintf(name, sizeof(name), "%s.key", base);
	r = path_join(path, sizeof(path), dir, name);
	if (r >= 0)
		r = write_file_atomic(path, data, (size_t)len);
	if (r < 0)
		goto out;
	BIO_free(bio);

	bio = BIO_new(BIO_s_mem());
	if (!bio)
		return -ENOMEM;
	if (!PEM_write_bio_X509(bio, crt)) {
		r = -EIO;
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	snprintf(name, sizeof(name), "%s.crt", base);
	r = path_join(path, sizeof(path), dir, name);
	if (r >= 0)
		r = write_file_atomic(path, data, (size_t)len);
out:
	BIO_free(bio);
	if (r < 0)
		ERR_clear_error();
	return r;
}

/* ---- subject alternative names ---- */

static bool sans_find(const GENERAL_NAMES *g, int type, const unsigned char *data, int len)
{
	for (int i = 0; i < sk_GENERAL_NAME_num(g); i++) {
		int t;
		const ASN1_STRING *s = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(g, i), &t);

		if (t != type || !s || ASN1_STRING_length(s) != len)
			continue;
		/* DNS names compare case-insensitively (RFC 4343); IP addresses as bytes. */
		if (type == GEN_DNS && strncasecmp((const char *)ASN1_STRING_get0_data(s), (const char *)data, (size_t)len) == 0)
			return true;
		if (type == GEN_IPADD && memcmp(ASN1_STRING_get0_data(s), data, (size_t)len) == 0)
			return true;
	}
	return false;
}

static int sans_push(GENERAL_NAMES *g, int type, ASN1_STRING *s)
{
	GENERAL_NAME *gen;

	if (sans_find(g, type, ASN1_STRING_get0_data(s), ASN1_STRING_length(s))) {
		ASN1_STRING_free(s);
		return 0;
	}
	gen = GENERAL_NAME_new();
	if (!gen) {
		ASN1_STRING_free(s);
		return -ENOMEM;
	}
	GENERAL_NAME_set0_value(gen, type, s);
	if (!sk_GENERAL_NAME_push(g, gen)) {
		GENERAL_NAME_free(gen);
		return -ENOMEM;
	}
	return 0;
}

/* inet_pton, not OpenSSL's a2i_IPADDRESS, because the latter accepts trailing junk ("1.2.3.4x"). */
static int sans_add_ip(GENERAL_NAMES *g, const char *ip)
{
	unsigned char addr[16];
	ASN1_OCTET_STRING *s;
	int len;

	if (inet_pton(AF_INET, ip, addr) == 1)
		len = 4;
	else if (inet_pton(AF_INET6, ip, addr) == 1)
		len = 16;
	else
		return -EINVAL;
	s = ASN1_OCTET_STRING_new();
	if (!s || !ASN1_OCTET_STRING_set(s, addr, len)) {
		ASN1_OCTET_STRING_free(s);
		return -ENOMEM;
	}
	return sans_push(g, GEN_IPADD, s);
}

/* RFC 1123 host names only: a name that is not one could never match what a client dials. */
static bool dns_name_valid(const char *name)
{
	size_t n = strlen(name), label = 0;

	if (n == 0 || n > PKI_DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0 || name[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-')
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > PKI_DNS_LABEL_MAX)
			return false;
	}
	return label > 0 && name[n - 1] != '-';
}

static int sans_add_dns(GENERAL_NAMES *g, const char *name)
{
	ASN1_IA5STRING *s;

	if (!dns_name_valid(name))
		return -EINVAL;
	s = ASN1_IA5STRING_new();
	if (!s || !ASN1_STRING_set(s, name, (int)strlen(name))) {
		ASN1_IA5STRING_free(s);
		return -ENOMEM;
	}
	return sans_push(g, GEN_DNS, s);
}

/* The server cert's full SAN set: built-ins plus the caller's, duplicates dropped. *ret: caller frees
 * with GENERAL_NAMES_free(). */
static int sans_build(const char *const *ip_sans, const char *const *dns_sans, GENERAL_NAMES **ret)
{
	GENERAL_NAMES *g = sk_GENERAL_NAME_new_null();
	int r = 0;

	if (!g)
		return -ENOMEM;
	for (const char *const *p = pki_builtin_ips; r >= 0 && *p; p++)
		r = sans_add_ip(g, *p);
	for (const char *const *p = pki_builtin_dns; r >= 0 && *p; p++)
		r = sans_add_dns(g, *p);
	for (const char *const *p = ip_sans; r >= 0 && p && *p; p++)
		r = sans_add_ip(g, *p);
	for (const char *const *p = dns_sans; r >= 0 && p && *p; p++)
		r = sans_add_dns(g, *p);
	if (r < 0) {
		GENERAL_NAMES_free(g);
		return r;
	}
	*ret = g;
	return 0;
}

/* Extra SANs in the cert (an old node IP) are harmless; a missing one breaks clients that dial it. */
static bool sans_covered(X509 *crt, const GENERAL_NAMES *want)
{
	GENERAL_NAMES *have = X509_get_ext_d2i(crt, NID_subject_alt_name, NULL, NULL);
	bool ok = have != NULL;

	for (int i = 0; ok && i < sk_GENERAL_NAME_num(want); i++) {
		int t;
		const ASN1_STRING *s = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(want, i), &t);

		ok = sans_find(have, t, ASN1_STRING_get0_data(s), ASN1_STRING_length(s));
	}
	GENERAL_NAMES_free(have);
	ERR_clear_error();
	return ok;
}

/* ---- issuing ---- */

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (!ext)
		return -EIO;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -ENOMEM;
}

/* 127 random bits, positive and never zero (RFC 5280 s4.1.2.2: at most 20 octets, unique per CA). */
static int set_random_serial(X509 *x)
{
	unsigned char raw[16];
	BIGNUM *bn;
	int r = 0;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	raw[0] = (raw[0] & 0x7f) | 0x40;
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		r = -ENOMEM;
	BN_free(bn);
	return r;
}

/* A certificate for key per spec, signed by issuer_key; issuer NULL means self-signed. *ret: caller
 * frees with X509_free(). */
static int cert_issue(const struct pki_cert_spec *spec, EVP_PKEY *key, const GENERAL_NAMES *sans,
		      X509 *issuer, EVP_PKEY *issuer_key, X509 **ret)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX ctx;
	int r = -EIO;

	if (!x)
		return -ENOMEM;
	if (!X509_set_version(x, X509_VERSION_3))
		goto out;
	r = set_random_serial(x);
	if (r < 0)
		goto out;
	r = -EIO;
	if (!X509_gmtime_adj(X509_getm_notBefore(x), -PKI_BACKDATE_SECS) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), spec->days, 0, NULL))
		goto out;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)spec->cn, -1, -1, 0))
		goto out;
	if (spec->org &&
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)spec->org, -1, -1, 0))
		goto out;
	if (!X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) || !X509_set_pubkey(x, key))
		goto out;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	r = add_ext(x, &ctx, NID_basic_constraints, spec->ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	if (r >= 0)
		r = add_ext(x, &ctx, NID_key_usage,
			    spec->ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	if (r >= 0 && spec->eku)
		r = add_ext(x, &ctx, NID_ext_key_usage, spec->eku);
	if (r >= 0)
		r = add_ext(x, &ctx, NID_subject_key_identifier, "hash");
	if (r >= 0 && issuer)
		r = add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
	if (r >= 0 && sans && X509_add1_ext_i2d(x, NID_subject_alt_name, (void *)sans, 0, X509V3_ADD_DEFAULT) != 1)
		r = -EIO;
	if (r < 0)
		goto out;
	if (!X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256())) {
		r = -EIO;
		goto out;
	}
	*ret = x;
	x = NULL;
	r = 0;
out:
	X509_free(x);
	if (r < 0)
		ERR_clear_error();
	return r;
}

/* Issue a fresh key and cert and save them as base.{key,crt}; *ret_crt and *ret_key (optional): caller
 * frees. */
static int pair_create(const char *dir, const char *base, const struct pki_cert_spec *spec,
		       const GENERAL_NAMES *sans, X509 *ca, EVP_PKEY *ca_key, X509 **ret_crt, EVP_PKEY **ret_key)
{
	EVP_PKEY *key;
	X509 *crt = NULL;
	int r;

	key = EVP_EC_gen("P-256");
	if (!key) {
		ERR_clear_error();
		return -EIO;
	}
	r = cert_issue(spec, key, sans, ca, ca_key, &crt);
	if (r >= 0)
		r = save_pair(dir, base, crt, key);
	if (r < 0 || !ret_crt) {
		X509_free(crt);
		EVP_PKEY_free(key);
		return r;
	}
	*ret_crt = crt;
	*ret_key = key;
	return 0;
}

static int ca_ensure(const char *dir, X509 **ret_ca, EVP_PKEY **ret_key, bool *ret_new)
{
	char path[PATH_MAX];
	int r;

	r = load_pair(dir, "ca", ret_ca, ret_key);
	if (r != -ENOENT) {
		if (r >= 0)
			*ret_new = false;
		return r;
	}
	/* One half is missing. Drop a leftover ca.crt first, so a crash after the new ca.key is written
	 * cannot leave an old cert beside a new key (which would then count as corrupt). */
	r = path_join(path, sizeof(path), dir, "ca.crt");
	if (r < 0)
		return r;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	r = pair_create(dir, "ca", &pki_ca_spec, NULL, NULL, NULL, ret_ca, ret_key);
	if (r >= 0)
		*ret_new = true;
	return r;
}

/* Whether an existing leaf can stay: issued by this CA (name, key id and signature) and not about to
 * expire. */
static bool leaf_usable(X509 *crt, X509 *ca)
{
	EVP_PKEY *ca_pub = X509_get0_pubkey(ca);
	time_t soon = time(NULL) + PKI_RENEW_SECS;
	bool ok;

	ok = ca_pub && X509_check_issued(ca, crt) == X509_V_OK && X509_verify(crt, ca_pub) == 1 &&
	     X509_cmp_time(X509_get0_notAfter(crt), &soon) > 0;
	ERR_clear_error();
	return ok;
}

static int leaf_ensure(const char *dir, const char *base, const struct pki_cert_spec *spec,
		       const GENERAL_NAMES *sans, X509 *ca, EVP_PKEY *ca_key, bool force)
{
	X509 *crt = NULL;
	EVP_PKEY *key = NULL;
	bool keep;
	int r;

	r = load_pair(dir, base, &crt, &key);
	/* Missing or damaged leaves are reissued; any other error (EACCES, EIO) is not ours to paper over. */
	if (r < 0 && r != -ENOENT && r != -EBADMSG)
		return r;
	keep = r >= 0 && !force && leaf_usable(crt, ca) && (!sans || sans_covered(crt, sans));
	X509_free(crt);
	EVP_PKEY_free(key);
	if (keep)
		return 0;
	/* Always a new key as well: the old one may be the reason we got here. */
	return pair_create(dir, base, spec, sans, ca, ca_key, NULL, NULL);
}

int pki_self_signed_ensure(const char *dir, const char *base, const char *cn, const char *ip, int days,
			   X509 **ret_crt, EVP_PKEY **ret_key)
{
	const struct pki_cert_spec spec = { cn, NULL, false, days, "serverAuth" };
	GENERAL_NAMES *sans = NULL;
	X509 *crt = NULL;
	EVP_PKEY *key = NULL;
	time_t soon = time(NULL) + PKI_RENEW_SECS;
	int r;

	if (!dir || !base || !cn || !ip || days <= 0 || !ret_crt || !ret_key)
		return -EINVAL;
	/* Whatever keeps the pair from serving (missing, damaged, another address, expiring) means a new
	 * one: nothing but this server relies on it, and its clients pin whatever it publishes next. */
	if (load_pair(dir, base, &crt, &key) >= 0 && X509_check_ip_asc(crt, ip, 0) == 1 &&
	    X509_cmp_time(X509_get0_notAfter(crt), &soon) > 0) {
		*ret_crt = crt;
		*ret_key = key;
		return 0;
	}
	X509_free(crt);
	EVP_PKEY_free(key);
	ERR_clear_error();
	sans = sk_GENERAL_NAME_new_null();
	if (!sans)
		return -ENOMEM;
	r = sans_add_ip(sans, ip);
	if (r >= 0)
		r = pair_create(dir, base, &spec, sans, NULL, NULL, ret_crt, ret_key);
	GENERAL_NAMES_free(sans);
	return r;
}

static int token_ensure(const char *dir, const char *name)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[PKI_TOKEN_BYTES];
	char text[PKI_TOKEN_BYTES * 2 + 1];
	char path[PATH_MAX];
	char *tok;
	int r;

	r = pki_read_token(dir, name, &tok);
	if (r >= 0) {
		free_secret(tok, strlen(tok));
		return 0;
	}
	/* An empty token file would authenticate nobody; replace it like a missing one. */
	if (r != -ENOENT && r != -EBADMSG)
		return r;
	r = path_join(path, sizeof(path), dir, name);
	if (r < 0)
		return r;
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		text[2 * i] = hex[raw[i] >> 4];
		text[2 * i + 1] = hex[raw[i] & 0xf];
	}
	text[sizeof(text) - 1] = '\n';
	r = write_file_atomic(path, text, sizeof(text));
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(text, sizeof(text));
	return r;
}

int pki_ensure(const char *dir, const char *const *ip_sans, const char *const *dns_sans)
{
	GENERAL_NAMES *sans = NULL;
	X509 *ca = NULL;
	EVP_PKEY *ca_key = NULL;
	bool new_ca = false;
	int r, lock_fd = -1;

	if (!dir || !*dir)
		return -EINVAL;
	/* Validate the caller's names before anything touches the disk. */
	r = sans_build(ip_sans, dns_sans, &sans);
	if (r < 0)
		return r;
	r = mkdir_p(dir);
	if (r < 0)
		goto out;
	/* Two processes starting together (server and agent on one node) must not both mint a CA: hold
	 * an exclusive lock on the directory itself, which needs no extra file in it. */
	lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX) < 0) {
		r = -errno;
		goto out;
	}
	r = ca_ensure(dir, &ca, &ca_key, &new_ca);
	if (r >= 0)
		r = leaf_ensure(dir, "server", &pki_server_spec, sans, ca, ca_key, new_ca);
	if (r >= 0)
		r = leaf_ensure(dir, "admin", &pki_admin_spec, NULL, ca, ca_key, new_ca);
	if (r >= 0)
		r = token_ensure(dir, "admin-token");
	if (r >= 0)
		r = token_ensure(dir, "node-token");
out:
	if (lock_fd >= 0)
		close(lock_fd);
	GENERAL_NAMES_free(sans);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return r < 0 ? r : 0;
}

/* ---- kubeconfig ---- */

/* One line, no breaks: kubeconfig's *-data fields are base64 of the PEM text. *ret: caller frees
 * (with free_secret for key material). */
static int b64_file(const char *dir, const char *name, char **ret, size_t *ret_len)
{
	char path[PATH_MAX];
	char *data, *out;
	size_t len, out_len;
	int r;

	r = path_join(path, sizeof(path), dir, name);
	if (r >= 0)
		r = read_file(path, PKI_FILE_MAX, &data, &len);
	if (r < 0)
		return r;
	out_len = 4 * ((len + 2) / 3);
	out = malloc(out_len + 1);
	if (!out) {
		free_secret(data, len);
		return -ENOMEM;
	}
	/* EVP_EncodeBlock, unlike the EVP_Encode* stream or a b64 BIO, never inserts newlines. */
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data, (int)len);
	free_secret(data, len);
	*ret = out;
	*ret_len = out_len;
	return 0;
}

/* A YAML double-quoted scalar, so a URL with ':' '#' or quotes cannot change the document's shape.
 * Control characters are refused rather than escaped: no valid URL holds one. */
static int yaml_quote(const char *s, char **ret)
{
	size_t n = strlen(s), o = 0;
	char *out = malloc(2 * n + 3);

	if (!out)
		return -ENOMEM;
	out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			free(out);
			return -EINVAL;
		}
		if (*p == '"' || *p == '\\')
			out[o++] = '\\';
		out[o++] = (char)*p;
	}
	out[o++] = '"';
	out[o] = '\0';
	*ret = out;
	return 0;
}

int pki_write_kubeconfig(const char *dir, const char *server_url, const char *path)
{
	char *server = NULL, *ca = NULL, *crt = NULL, *key = NULL, *doc = NULL;
	size_t ca_len, crt_len, key_len = 0;
	int r, n;

	if (!dir || !server_url || !*server_url || !path || !*path)
		return -EINVAL;
	r = yaml_quote(server_url, &server);
	if (r >= 0)
		r = b64_file(dir, "ca.crt", &ca, &ca_len);
	if (r >= 0)
		r = b64_file(dir, "admin.crt", &crt, &crt_len);
	if (r >= 0)
		r = b64_file(dir, "admin.key", &key, &key_len);
	if (r < 0)
		goto out;
	n = asprintf(&doc,
		     "apiVersion: v1\n"
		     "kind: Config\n"
		     "clusters:\n"
		     "- name: portico\n"
		     "  cluster:\n"
		     "    server: %s\n"
		     "    certificate-authority-data: %s\n"
		     "users:\n"
		     "- name: admin\n"
		     "  user:\n"
		     "    client-certificate-data: %s\n"
		     "    client-key-data: %s\n"
		     "contexts:\n"
		     "- name: portico\n"
		     "  context:\n"
		     "    cluster: portico\n"
		     "    user: admin\n"
		     "    namespace: default\n"
		     "current-context: portico\n"
		     "preferences: {}\n",
		     server, ca, crt, key);
	if (n < 0) {
		doc = NULL;
		r = -ENOMEM;
		goto out;
	}
	r = write_file_atomic(path, doc, (size_t)n);
	free_secret(doc, (size_t)n);
out:
	free(server);
	free(ca);
	free(crt);
	free_secret(key, key_len);
	return r;
}

/* ---- tokens ---- */

int pki_read_token(const char *dir, const char *name, char **ret_token)
{
	char path[PATH_MAX];
	char *buf, *start, *end, *tok;
	size_t len;
	int r;

	if (!dir || !name || !*name || strchr(name, '/') || !ret_token)
		return -EINVAL;
	r = path_join(path, sizeof(path), dir, name);
	if (r >= 0)
		r = read_file(path, PKI_TOKEN_MAX, &buf, &len);
	if (r < 0)
		return r;
	if (memchr(buf, '\0', len)) {
		free_secret(buf, len);
		return -EBADMSG;
	}
	start = buf;
	end = buf + len;
	while (start < end && isspace((unsigned char)*start))
		start++;
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	if (start == end) {
		free_secret(buf, len);
		return -EBADMSG;
	}
	tok = strndup(start, (size_t)(end - start));
	free_secret(buf, len);
	if (!tok)
		return -ENOMEM;
	*ret_token = tok;
	return 0;
}

bool pki_token_equal(const char *a, const char *b)
{
	size_t la, lb;

	if (!a || !b)
		return false;
	la = strlen(a);
	lb = strlen(b);
	/* The length check leaks only the length, which is fixed (64) for our own tokens. */
	if (la == 0 || la != lb)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}

/* ---- TLS ---- */

/* We speak HTTP/1.1 only. Go clients offer h2 first and would talk HTTP/2 frames at us if we picked
 * it, so select http/1.1 wherever it is in the client's list, and nothing (no ALPN, RFC 7301 s3.2 lets
 * the server ignore the extension) when it is absent. The list is client input: walk it with bounds
 * checks even though OpenSSL has parsed it once. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
		       unsigned int inlen, void *arg)
{
	static const unsigned char http11[] = "http/1.1";
	unsigned int i = 0;

	while (i < inlen) {
		unsigned int n = in[i++];

		if (n > inlen - i)
			break;
		if (n == sizeof(http11) - 1 && memcmp(in + i, http11, n) == 0) {
			*out = http11;
			*outlen = (unsigned char)n;
			return SSL_TLSEXT_ERR_OK;
		}
		i += n;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

int tls_server_ctx_from_pair(X509 *crt, EVP_PKEY *key, SSL_CTX **ret)
{
	SSL_CTX *ctx;
	int r;

	if (!crt || !key || !ret)
		return -EINVAL;
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		ERR_clear_error();
		return -ENOMEM;
	}
	r = -EIO;
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
		goto fail;
	/* Renegotiation is a TLS 1.2 DoS and downgrade surface we have no use for. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	if (SSL_CTX_use_certificate(ctx, crt) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		r = -EBADMSG;
		goto fail;
	}
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	*ret = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

struct bufferevent *tls_server_bevcb(struct event_base *base, void *ssl_ctx)
{
	SSL *ssl = SSL_new(ssl_ctx);
	struct bufferevent *bev;

	if (!ssl)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	/* Go clients may close without close_notify; that is not an error worth a log line. */
	if (bev)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

int tls_server_ctx_new(const char *dir, SSL_CTX **ret)
{
	static const unsigned char sid_ctx[] = "portico-apiserver";
	char path[PATH_MAX];
	SSL_CTX *ctx = NULL;
	X509 *crt = NULL, *ca = NULL;
	EVP_PKEY *key = NULL;
	int r;

	if (!dir || !ret)
		return -EINVAL;
	r = load_pair(dir, "server", &crt, &key);
	if (r >= 0)
		r = path_join(path, sizeof(path), dir, "ca.crt");
	if (r >= 0)
		r = load_cert(path, &ca);
	if (r >= 0)
		r = tls_server_ctx_from_pair(crt, key, &ctx);
	if (r < 0)
		goto out;
	r = -EIO;
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* Only our CA is trusted for client certs (not the system store): any other issuer could mint
	 * O=system:masters. SSL_VERIFY_PEER without FAIL_IF_NO_PEER_CERT keeps certs optional (tokens
	 * work too) while a presented cert that does not verify aborts the handshake. */
	if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca) != 1 || SSL_CTX_add_client_CA(ctx, ca) != 1)
		goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* Our client certs are issued by the root directly; a longer chain is not ours. */
	SSL_CTX_set_verify_depth(ctx, 2);
	/* Without a session id context, resuming a session that carried a client cert fails the handshake. */
	if (SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1) != 1)
		goto out;
	*ret = ctx;
	ctx = NULL;
	r = 0;
out:
	SSL_CTX_free(ctx);
	X509_free(crt);
	X509_free(ca);
	EVP_PKEY_free(key);
	if (r < 0)
		ERR_clear_error();
	return r;
}

/* A name entry as a malloc'd UTF-8 string; an embedded NUL would let "admin\0x" pass as "admin". */
static int name_entry_utf8(const X509_NAME_ENTRY *e, char **ret)
{
	unsigned char *utf8 = NULL;
	char *s;
	int n;

	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
	if (n < 0) {
		ERR_clear_error();
		return -EBADMSG;
	}
	if (memchr(utf8, '\0', (size_t)n)) {
		OPENSSL_free(utf8);
		return -EBADMSG;
	}
	s = strndup((const char *)utf8, (size_t)n);
	OPENSSL_free(utf8);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int tls_peer_user(SSL *ssl, char **ret_user, char **ret_groups)
{
	const X509_NAME *subj;
	char *user = NULL, *groups = NULL, *o = NULL;
	size_t glen = 0;
	int idx, last = -1, r;
	X509 *peer;

	if (!ssl || !ret_user || !ret_groups)
		return -EINVAL;
	peer = SSL_get0_peer_certificate(ssl);
	/* X509_V_OK is also the result when no cert was presented, hence both checks. */
	if (!peer || SSL_get_verify_result(ssl) != X509_V_OK)
		return -ENOENT;
	subj = X509_get_subject_name(peer);
	/* Go's pkix.Name keeps the last CN it sees; kube-apiserver uses that as the user name. */
	for (idx = -1; (idx = X509_NAME_get_index_by_NID(subj, NID_commonName, idx)) >= 0;)
		last = idx;
	if (last < 0)
		return -EBADMSG;
	r = name_entry_utf8(X509_NAME_get_entry(subj, last), &user);
	if (r < 0)
		return r;
	if (!*user) {
		r = -EBADMSG;
		goto fail;
	}
	groups = strdup("");
	if (!groups) {
		r = -ENOMEM;
		goto fail;
	}
	for (idx = -1; (idx = X509_NAME_get_index_by_NID(subj, NID_organizationName, idx)) >= 0;) {
		size_t olen;
		char *g;

		r = name_entry_utf8(X509_NAME_get_entry(subj, idx), &o);
		if (r < 0)
			goto fail;
		if (strchr(o, ',')) {
			r = -EBADMSG;
			goto fail;
		}
		olen = strlen(o);
		g = realloc(groups, glen + olen + 2);
		if (!g) {
			r = -ENOMEM;
			goto fail;
		}
		groups = g;
		if (glen)
			groups[glen++] = ',';
		memcpy(groups + glen, o, olen + 1);
		glen += olen;
		free(o);
		o = NULL;
	}
	*ret_user = user;
	*ret_groups = groups;
	return 0;
fail:
	free(user);
	free(groups);
	free(o);
	return r;
}
