#define _GNU_SOURCE
#include "CArchive.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define SW_ARCHIVE_POINTER(ret, name, params, args) static ret (*p_##name) params;
SW_ARCHIVE_FUNCTIONS(SW_ARCHIVE_POINTER)

#define SW_ARCHIVE_DEFINE(ret, name, params, args) ret sw_##name params { return p_##name args; }
SW_ARCHIVE_FUNCTIONS(SW_ARCHIVE_DEFINE)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[512];
static int loaded = -1;

static void load(void) {
    void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
    if (!h) { snprintf(load_error, sizeof load_error, "cannot load libarchive (apt install libarchive13): %s", dlerror()); return; }
#define SW_ARCHIVE_RESOLVE(ret, name, params, args) \
    if (!(p_##name = (ret (*) params)dlsym(h, #name))) { snprintf(load_error, sizeof load_error, "libarchive lacks %s", #name); return; }
    SW_ARCHIVE_FUNCTIONS(SW_ARCHIVE_RESOLVE)
    loaded = 0;
}

int sw_archive_load(char *error, size_t size) {
    pthread_once(&once, load);
    if (loaded != 0 && error && size) { strncpy(error, load_error, size - 1); error[size - 1] = 0; }
    return loaded;
}
