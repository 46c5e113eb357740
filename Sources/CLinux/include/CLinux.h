// Thin wrappers for what Swift's Glibc module does not expose. No policy here (DESIGN.md).
#ifndef SWCOMPOSE_CLINUX_H
#define SWCOMPOSE_CLINUX_H

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <sys/vfs.h>

/// makedev(3), major(3), minor(3): macros in glibc.
dev_t cl_makedev(unsigned int major, unsigned int minor);

/// statfs(2)'s f_type (the file system's magic number), or -1 with errno set.
long cl_fs_magic(const char *path);

#endif
