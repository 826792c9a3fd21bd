/* SPDX-License-Identifier: MIT */
#include "tls.h"

#include "log.h"
#include "macros.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VALID_SECONDS (5L * 365 * 24 * 3600)

static int tls_add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -EINVAL;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -EINVAL;
}

static X509 *tls_make_cert(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	BIGNUM *serial = BN_new();
	X509_NAME *name;
	char san[300];

	if (!x || !serial || !BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)))
		goto fail;
	X509_set_version(x, 2);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), VALID_SECONDS);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
				   0);
	X509_set_issuer_name(x, name);
	snprintf(san, sizeof(san), "DNS:%s,DNS:localhost,IP:127.0.0.1,IP:::1", cn);
	if (tls_add_ext(x, NID_subject_alt_name, san) < 0 ||
	    tls_add_ext(x, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
	    !X509_sign(x, key, EVP_sha256()))
		goto fail;
	BN_free(serial);
	return x;
fail:
	BN_free(serial);
	X509_free(x);
	return NULL;
}

static int tls_write(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	FILE *f;
	int ok;

	if (fd < 0)
		return log_errno(neg_errno(), "tls: cannot create '%s'", path);
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, cert);
	ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
	fclose(f);
	return ok ? 0 : log_errno(-EIO, "tls: cannot write '%s'", path);
}

static void tls_log_fingerprint(X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char hex[EVP_MAX_MD_SIZE * 3 + 1] = "";

	if (!X509_digest(x, EVP_sha256(), md, &n))
		return;
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 3 * i, 4, "%02X%s", md[i], i + 1 < n ? ":" : "");
	log_info("tls: made a self-signed certificate, SHA-256 fingerprint %s", hex);
}

int tls_self_signed(const char *dir, const char *cn, char *ret_cert, char *ret_key,
		    size_t pathsz)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int r = -EIO;

	snprintf(ret_cert, pathsz, "%s/cert.pem", dir);
	snprintf(ret_key, pathsz, "%s/key.pem", dir);
	if (access(ret_cert, R_OK) == 0 && access(ret_key, R_OK) == 0)
		return 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return log_errno(neg_errno(), "tls: cannot create '%s'", dir);
	key = EVP_EC_gen("P-256");
	cert = key ? tls_make_cert(key, cn) : NULL;
	if (!cert) {
		log_error("tls: cannot make a self-signed certificate");
		goto out;
	}
	r = tls_write(ret_key, 0600, key, NULL);
	if (r >= 0)
		r = tls_write(ret_cert, 0644, NULL, cert);
	if (r >= 0)
		tls_log_fingerprint(cert);
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}
