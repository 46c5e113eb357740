// libarchive, loaded when first needed (dlopen) instead of at every start of swcompose: linking
// it pulls in ~15 shared libraries (libxml2, ICU, nettle, …) that cost each run ~2 ms, for a
// library only pulls and image imports use. The functions keep libarchive's signatures under an
// `sw_` prefix; call `sw_archive_load` first.
#ifndef SWCOMPOSE_CARCHIVE_H
#define SWCOMPOSE_CARCHIVE_H
#include <archive.h>
#include <archive_entry.h>
#include <stddef.h>

#define SW_ARCHIVE_FUNCTIONS(X) \
  X(struct archive *, archive_read_new, (void), ()) \
  X(int, archive_read_free, (struct archive *a), (a)) \
  X(int, archive_read_support_filter_gzip, (struct archive *a), (a)) \
  X(int, archive_read_support_filter_zstd, (struct archive *a), (a)) \
  X(int, archive_read_support_filter_none, (struct archive *a), (a)) \
  X(int, archive_read_support_filter_all, (struct archive *a), (a)) \
  X(int, archive_read_support_format_raw, (struct archive *a), (a)) \
  X(int, archive_read_support_format_tar, (struct archive *a), (a)) \
  X(int, archive_read_support_format_gnutar, (struct archive *a), (a)) \
  X(int, archive_read_open_filename, (struct archive *a, const char *f, size_t b), (a, f, b)) \
  X(int, archive_read_open_fd, (struct archive *a, int fd, size_t b), (a, fd, b)) \
  X(int, archive_read_open, (struct archive *a, void *c, archive_open_callback *o, archive_read_callback *r, archive_close_callback *cl), (a, c, o, r, cl)) \
  X(int, archive_read_next_header, (struct archive *a, struct archive_entry **e), (a, e)) \
  X(la_ssize_t, archive_read_data, (struct archive *a, void *b, size_t n), (a, b, n)) \
  X(int, archive_read_data_block, (struct archive *a, const void **b, size_t *n, la_int64_t *o), (a, b, n, o)) \
  X(const char *, archive_error_string, (struct archive *a), (a)) \
  X(const char *, archive_entry_pathname, (struct archive_entry *e), (e)) \
  X(const char *, archive_entry_hardlink, (struct archive_entry *e), (e)) \
  X(const char *, archive_entry_symlink, (struct archive_entry *e), (e)) \
  X(__LA_MODE_T, archive_entry_filetype, (struct archive_entry *e), (e)) \
  X(__LA_MODE_T, archive_entry_perm, (struct archive_entry *e), (e)) \
  X(la_int64_t, archive_entry_uid, (struct archive_entry *e), (e)) \
  X(la_int64_t, archive_entry_gid, (struct archive_entry *e), (e)) \
  X(la_int64_t, archive_entry_size, (struct archive_entry *e), (e)) \
  X(time_t, archive_entry_mtime, (struct archive_entry *e), (e)) \
  X(long, archive_entry_mtime_nsec, (struct archive_entry *e), (e)) \
  X(int, archive_entry_atime_is_set, (struct archive_entry *e), (e)) \
  X(time_t, archive_entry_atime, (struct archive_entry *e), (e)) \
  X(long, archive_entry_atime_nsec, (struct archive_entry *e), (e)) \
  X(dev_t, archive_entry_rdevmajor, (struct archive_entry *e), (e)) \
  X(dev_t, archive_entry_rdevminor, (struct archive_entry *e), (e)) \
  X(int, archive_entry_xattr_reset, (struct archive_entry *e), (e)) \
  X(int, archive_entry_xattr_next, (struct archive_entry *e, const char **n, const void **v, size_t *s), (e, n, v, s))

#define SW_ARCHIVE_DECLARE(ret, name, params, args) ret sw_##name params;
SW_ARCHIVE_FUNCTIONS(SW_ARCHIVE_DECLARE)

/// Loads libarchive once; 0 on success, else -1 with the reason in `error` (NUL-terminated).
int sw_archive_load(char *error, size_t size);

#endif
