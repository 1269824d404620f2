/*
 * XML escaping (xml.h).
 */
#include "xml.h"

#include "json_writer.h"

void lw_xml_write_escaped(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        switch (*p) {
        case '&':
            fputs("&amp;", out);
            p++;
            continue;
        case '<':
            fputs("&lt;", out);
            p++;
            continue;
        case '>':
            fputs("&gt;", out);
            p++;
            continue;
        case '"':
            fputs("&quot;", out);
            p++;
            continue;
        case '\'':
            fputs("&apos;", out);
            p++;
            continue;
        case '\t':
        case '\n':
        case '\r':
            fputc(*p++, out);
            continue;
        default:
            break;
        }
        size_t n = (*p < 0x20 || *p == 0x7f) ? 0 : lw_utf8_seq_len(p);
        if (n == 0) {
            fputc('?', out);
            p++;
            continue;
        }
        fwrite(p, 1, n, out);
        p += n;
    }
}
