/*
 * File paths as URI references, for SARIF artifact locations (RFC 3986): unreserved characters
 * and '/' stay, everything else is percent-encoded, so a path with spaces or '#' still names
 * its file.
 */
#ifndef LOCKWATCH_URI_H
#define LOCKWATCH_URI_H

#include <stddef.h>

/* Percent-encodes path into buf (truncated, always terminated). */
void lw_uri_encode_path(const char *path, char *buf, size_t len);

/* "file:///abs/dir/" for an absolute directory (a trailing '/' added, as SARIF's
 * originalUriBaseIds require). */
void lw_uri_file_dir(const char *dir, char *buf, size_t len);

#endif /* LOCKWATCH_URI_H */
