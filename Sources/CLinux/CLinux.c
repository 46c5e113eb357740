#define _GNU_SOURCE
#include "CLinux.h"

dev_t cl_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }

long cl_fs_magic(const char *path) {
    struct statfs s;
    if (statfs(path, &s) != 0) return -1;
    return (long)s.f_type;
}
