#define _GNU_SOURCE
#include "CCrypto.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define SW_POINTER(ret, name, params, args) static ret (*p_##name) params;
SW_CRYPTO_FUNCTIONS(SW_POINTER)
SW_SSL_FUNCTIONS(SW_POINTER)

#define SW_DEFINE(ret, name, params, args) ret sw_##name params { return p_##name args; }
SW_CRYPTO_FUNCTIONS(SW_DEFINE)
SW_SSL_FUNCTIONS(SW_DEFINE)

int sw_SSL_set_sni(SSL *s, const char *host) {
    return (int)p_SSL_ctrl(s, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, (void *)host);
}

static pthread_once_t crypto_once = PTHREAD_ONCE_INIT, ssl_once = PTHREAD_ONCE_INIT;
static char crypto_error[512], ssl_error[512];
static int crypto_loaded = -1, ssl_loaded = -1;

#define SW_RESOLVE(ret, name, params, args) \
    if (!(p_##name = (ret (*) params)dlsym(h, #name))) { snprintf(err, sizeof crypto_error, "OpenSSL lacks %s", #name); return; }

static void load_crypto(void) {
    char *err = crypto_error;
    void *h = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!h) { snprintf(err, sizeof crypto_error, "cannot load libcrypto (apt install libssl3): %s", dlerror()); return; }
    SW_CRYPTO_FUNCTIONS(SW_RESOLVE)
    crypto_loaded = 0;
}

static void load_ssl(void) {
    char *err = ssl_error;
    if (sw_crypto_load(err, sizeof ssl_error) != 0) return;
    void *h = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!h) { snprintf(err, sizeof ssl_error, "cannot load libssl (apt install libssl3): %s", dlerror()); return; }
    SW_SSL_FUNCTIONS(SW_RESOLVE)
    ssl_loaded = 0;
}

int sw_crypto_load(char *error, size_t size) {
    pthread_once(&crypto_once, load_crypto);
    if (crypto_loaded != 0 && error && size) { strncpy(error, crypto_error, size - 1); error[size - 1] = 0; }
    return crypto_loaded;
}

int sw_ssl_load(char *error, size_t size) {
    pthread_once(&ssl_once, load_ssl);
    if (ssl_loaded != 0 && error && size) { strncpy(error, ssl_error, size - 1); error[size - 1] = 0; }
    return ssl_loaded;
}
