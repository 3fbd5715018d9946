/* The cluster's PKI on disk (a CA, the API server's serving cert, the admin client cert, bearer tokens)
 * and the TLS server context built from it; also the TLS server pieces and the self-signed pair the
 * agent's log server uses. kubectl authenticates with the admin cert (CN = user,
 * O = groups, as kube-apiserver's x509 authenticator reads them) or with a token.
 *
 * Layout of dir, every file mode 0600 and replaced atomically (temp file, fsync, rename):
 *   ca.crt ca.key           self-signed "portico-ca", EC P-256, 10 years
 *   server.crt server.key   CN=portico-apiserver, serverAuth, SANs below; 1 year
 *   admin.crt admin.key     CN=admin, O=system:masters, clientAuth; 1 year
 *   admin-token node-token  64 hex chars + "\n"
 * Key and token bytes are never logged, and are wiped from memory before it is freed. */
#pragma once
#include <stdbool.h>

#include <openssl/ssl.h>

struct bufferevent;
struct event_base;

/* Create what is absent in dir (made 0700 with its parents if missing) and reuse what exists, so
 * restarts keep every credential. Reissued with the existing CA: the server cert when it lacks one of
 * the SANs requested now (the node IP changed), and any leaf cert that is unreadable, does not match
 * its key, was not issued by the current CA, or expires within 30 days. A missing ca.crt or ca.key
 * means a new CA and therefore new leaf certs; tokens are kept. An expiring CA is not renewed.
 * Concurrent callers (other processes too) are serialized by flock() on dir.
 * ip_sans, dns_sans: NULL-terminated lists, either may be NULL; added to the server cert besides the
 * built-in IP 127.0.0.1 and DNS localhost, kubernetes, kubernetes.default, kubernetes.default.svc,
 * kubernetes.default.svc.cluster.local.
 * Errors: -EINVAL for a malformed IP or DNS name, -EBADMSG when ca.crt/ca.key exist but are unreadable
 * or do not match (they are never overwritten), -ENOTDIR, -ENAMETOOLONG, -ENOMEM, -EIO (OpenSSL or
 * RAND failure), or the errno of a failed file operation. */
int pki_ensure(const char *dir, const char *const *ip_sans, const char *const *dns_sans);

/* Write a kubeconfig for the admin user (cluster, user and context "portico"/"admin"/"portico",
 * namespace default, certs and key inlined as one-line base64) to path, atomically with mode 0600.
 * path's directory must exist. Needs ca.crt, admin.crt and admin.key in dir (-ENOENT otherwise).
 * -EINVAL when server_url is empty or holds control characters. */
int pki_write_kubeconfig(const char *dir, const char *server_url, const char *path);

/* Read the token dir/name (name is a plain file name such as "admin-token"), surrounding whitespace
 * removed. *ret_token: caller frees (it is a secret: wipe it first if it matters).
 * -EINVAL for a name with '/', -ENOENT, -EBADMSG when the file is empty or holds a NUL, -EFBIG when
 * it is unreasonably large. */
int pki_read_token(const char *dir, const char *name, char **ret_token);

/* Compare a presented token with the expected one in time that does not depend on where they differ.
 * False when either is NULL or empty, so an unset token never authenticates anybody. */
bool pki_token_equal(const char *a, const char *b);

/* A TLS server context from dir's server.crt/server.key: TLS 1.2 minimum; a client certificate is
 * requested (the CA is the client-CA list) but optional, and when presented it must chain to ca.crt or
 * the handshake fails; ALPN selects "http/1.1" only, never "h2" (kubectl offers h2 first). Sessions are
 * resumable (session id context set). *ret: caller frees with SSL_CTX_free().
 * -ENOENT when a file is missing, -EBADMSG when one is unreadable or cert and key do not match. */
int tls_server_ctx_new(const char *dir, SSL_CTX **ret);

/* What tls_server_ctx_new() and every other HTTPS server of ours share, for crt and key (references
 * taken; the caller still frees its own): TLS 1.2 minimum, no renegotiation, ALPN "http/1.1" only.
 * No client certificate is requested. *ret: caller frees with SSL_CTX_free().
 * -EINVAL, -ENOMEM, -EIO, -EBADMSG when crt and key do not match. */
int tls_server_ctx_from_pair(X509 *crt, EVP_PKEY *key, SSL_CTX **ret);

/* An evhttp_set_bevcb() callback for HTTPS: a server-side TLS bufferevent on a new SSL from arg, the
 * SSL_CTX (borrowed: it must outlive the evhttp). Clients that close without close_notify (Go's do)
 * are not treated as errors. NULL on allocation failure, which drops the connection. */
struct bufferevent *tls_server_bevcb(struct event_base *base, void *ssl_ctx);

/* A self-signed serving pair for a server that clients pin rather than verify against the CA (the
 * agent's log server): dir/base.crt and dir/base.key, reused when both load, match, the certificate
 * holds the IP SAN ip and lasts 30 more days; otherwise a new EC P-256 key and a certificate (CN=cn,
 * serverAuth, IP SAN ip, valid for days) replace them, key first, each 0600 and atomically. dir must
 * exist. *ret_crt and *ret_key: caller frees. -EINVAL for a malformed ip, -ENAMETOOLONG, -ENOMEM,
 * -EIO, or the errno of a failed write. */
int pki_self_signed_ensure(const char *dir, const char *base, const char *cn, const char *ip, int days,
			   X509 **ret_crt, EVP_PKEY **ret_key);

/* The identity of the client of a TLS server connection whose certificate verified against the CA:
 * *ret_user = the subject CN (the last one, as Go reads it), *ret_groups = the subject's O values in
 * order joined with "," ("" when there are none). Both: caller frees.
 * -ENOENT when the client presented no certificate or it did not verify; -EBADMSG when the CN is
 * missing or empty, or a CN/O holds a NUL, or an O holds ',' (it could not be told apart);
 * -EINVAL for NULL arguments. */
int tls_peer_user(SSL *ssl, char **ret_user, char **ret_groups);
