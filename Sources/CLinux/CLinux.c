#define _GNU_SOURCE
#include "CLinux.h"

dev_t cl_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }
