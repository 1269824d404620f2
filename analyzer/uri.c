/*
 * Percent-encoding of paths (uri.h).
 */
#include "uri.h"

#include <stdio.h>
#include <string.h>

static int keep(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("-._~/", c) != NULL;
}

void lw_uri_encode_path(const char *path, char *buf, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;
    if (len == 0)
        return;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (keep(*p) && *p) {
            if (k + 1 >= len)
                break;
            buf[k++] = (char)*p;
        } else {
            if (k + 3 >= len)
                break;
            buf[k++] = '%';
            buf[k++] = hex[*p >> 4];
            buf[k++] = hex[*p & 15];
        }
    }
    buf[k] = '\0';
}

void lw_uri_file_dir(const char *dir, char *buf, size_t len)
{
    char enc[4096];
    lw_uri_encode_path(dir, enc, sizeof enc);
    size_t el = strlen(enc);
    snprintf(buf, len, "file://%s%s", enc, el && enc[el - 1] == '/' ? "" : "/");
}
