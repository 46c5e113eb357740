// OpenSSL (libcrypto for SHA-256 with the CPU's SHA instructions, libssl for TLS), loaded when
// first needed (dlopen), like CArchive: commands that never hash or talk TLS do not pay for
// it at start. Functions keep OpenSSL's signatures under an `sw_` prefix; call
// `sw_crypto_load` (libcrypto) or `sw_ssl_load` (both) first.
#ifndef SWCOMPOSE_CCRYPTO_H
#define SWCOMPOSE_CCRYPTO_H
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stddef.h>

#define SW_CRYPTO_FUNCTIONS(X) \
  X(EVP_MD_CTX *, EVP_MD_CTX_new, (void), ()) \
  X(void, EVP_MD_CTX_free, (EVP_MD_CTX *c), (c)) \
  X(const EVP_MD *, EVP_sha256, (void), ()) \
  X(int, EVP_DigestInit_ex, (EVP_MD_CTX *c, const EVP_MD *t, ENGINE *e), (c, t, e)) \
  X(int, EVP_DigestUpdate, (EVP_MD_CTX *c, const void *d, size_t n), (c, d, n)) \
  X(int, EVP_DigestFinal_ex, (EVP_MD_CTX *c, unsigned char *md, unsigned int *s), (c, md, s)) \
  X(unsigned long, ERR_get_error, (void), ()) \
  X(void, ERR_error_string_n, (unsigned long e, char *b, size_t n), (e, b, n))

#define SW_SSL_FUNCTIONS(X) \
  X(const SSL_METHOD *, TLS_client_method, (void), ()) \
  X(SSL_CTX *, SSL_CTX_new, (const SSL_METHOD *m), (m)) \
  X(void, SSL_CTX_free, (SSL_CTX *c), (c)) \
  X(int, SSL_CTX_set_default_verify_paths, (SSL_CTX *c), (c)) \
  X(int, SSL_CTX_load_verify_locations, (SSL_CTX *c, const char *f, const char *p), (c, f, p)) \
  X(void, SSL_CTX_set_verify, (SSL_CTX *c, int m, SSL_verify_cb cb), (c, m, cb)) \
  X(int, SSL_CTX_use_certificate_chain_file, (SSL_CTX *c, const char *f), (c, f)) \
  X(int, SSL_CTX_use_PrivateKey_file, (SSL_CTX *c, const char *f, int t), (c, f, t)) \
  X(int, SSL_CTX_check_private_key, (const SSL_CTX *c), (c)) \
  X(SSL *, SSL_new, (SSL_CTX *c), (c)) \
  X(void, SSL_free, (SSL *s), (s)) \
  X(int, SSL_set_fd, (SSL *s, int fd), (s, fd)) \
  X(long, SSL_ctrl, (SSL *s, int cmd, long larg, void *parg), (s, cmd, larg, parg)) \
  X(int, SSL_set1_host, (SSL *s, const char *h), (s, h)) \
  X(int, SSL_connect, (SSL *s), (s)) \
  X(int, SSL_read, (SSL *s, void *b, int n), (s, b, n)) \
  X(int, SSL_write, (SSL *s, const void *b, int n), (s, b, n)) \
  X(int, SSL_shutdown, (SSL *s), (s)) \
  X(int, SSL_get_error, (const SSL *s, int r), (s, r)) \
  X(long, SSL_get_verify_result, (const SSL *s), (s))

#define SW_CRYPTO_DECLARE(ret, name, params, args) ret sw_##name params;
SW_CRYPTO_FUNCTIONS(SW_CRYPTO_DECLARE)
SW_SSL_FUNCTIONS(SW_CRYPTO_DECLARE)

/// SSL_set_tlsext_host_name (a macro over SSL_ctrl).
int sw_SSL_set_sni(SSL *s, const char *host);

/// Load libcrypto / libcrypto + libssl once; 0 on success, else -1 with the reason in `error`.
int sw_crypto_load(char *error, size_t size);
int sw_ssl_load(char *error, size_t size);

#endif
