/*
 * Streaming JSON writer (see json_writer.h). The only subtle part is string escaping: JSON
 * requires escaping '"', '\\' and every byte below 0x20; everything else may pass through as
 * UTF-8. Symbol names and paths come from binaries and logs we do not control, so bytes that
 * are not valid UTF-8 are replaced by U+FFFD rather than emitted, which would make the whole
 * document unparsable for strict readers.
 */
#include "json_writer.h"

#include <inttypes.h>
#include <string.h>

void lw_json_init(lw_json *w, FILE *out, bool pretty)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->pretty = pretty;
}

static void newline_indent(lw_json *w)
{
    if (!w->pretty)
        return;
    fputc('\n', w->out);
    for (int i = 0; i < w->depth; i++)
        fputs("  ", w->out);
}

/* Called before every value: writes the separator and checks that a value may go here. */
static void before_value(lw_json *w)
{
    if (w->depth == 0) {
        return;
    }
    if (w->stack[w->depth - 1].is_object) {
        if (!w->need_value)
            w->error = true; /* a value inside an object needs a key first */
        w->need_value = false;
        return;
    }
    if (!w->stack[w->depth - 1].empty)
        fputc(',', w->out);
    w->stack[w->depth - 1].empty = false;
    newline_indent(w);
}

static void begin(lw_json *w, bool is_object)
{
    before_value(w);
    if (w->depth >= LW_JSON_MAX_DEPTH) {
        w->error = true;
        return;
    }
    fputc(is_object ? '{' : '[', w->out);
    w->stack[w->depth].is_object = is_object;
    w->stack[w->depth].empty = true;
    w->depth++;
}

static void end(lw_json *w, bool is_object)
{
    if (w->depth == 0 || w->stack[w->depth - 1].is_object != is_object || w->need_value) {
        w->error = true;
        return;
    }
    bool empty = w->stack[w->depth - 1].empty;
    w->depth--;
    if (!empty)
        newline_indent(w);
    fputc(is_object ? '}' : ']', w->out);
}

void lw_json_begin_object(lw_json *w)
{
    begin(w, true);
}
void lw_json_begin_array(lw_json *w)
{
    begin(w, false);
}
void lw_json_end_object(lw_json *w)
{
    end(w, true);
}
void lw_json_end_array(lw_json *w)
{
    end(w, false);
}

void lw_json_key(lw_json *w, const char *key)
{
    if (w->depth == 0 || !w->stack[w->depth - 1].is_object || w->need_value) {
        w->error = true;
        return;
    }
    if (!w->stack[w->depth - 1].empty)
        fputc(',', w->out);
    w->stack[w->depth - 1].empty = false;
    newline_indent(w);
    lw_json_write_escaped(w->out, key ? key : "");
    fputs(w->pretty ? ": " : ":", w->out);
    w->need_value = true;
}

size_t lw_utf8_seq_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        /* A NUL terminator fails this test too, so we never read past the string. */
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void lw_json_write_escaped(FILE *out, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', out);
    while (*s) {
        unsigned c = *s;
        switch (c) {
        case '"':
            fputs("\\\"", out);
            s++;
            continue;
        case '\\':
            fputs("\\\\", out);
            s++;
            continue;
        case '\n':
            fputs("\\n", out);
            s++;
            continue;
        case '\r':
            fputs("\\r", out);
            s++;
            continue;
        case '\t':
            fputs("\\t", out);
            s++;
            continue;
        case '\b':
            fputs("\\b", out);
            s++;
            continue;
        case '\f':
            fputs("\\f", out);
            s++;
            continue;
        default:
            break;
        }
        if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u%04x", c);
            s++;
            continue;
        }
        size_t n = lw_utf8_seq_len(s);
        if (n == 0) {
            fputs("\\ufffd", out);
            s++;
            continue;
        }
        fwrite(s, 1, n, out);
        s += n;
    }
    fputc('"', out);
}

void lw_json_string(lw_json *w, const char *s)
{
    if (!s) {
        lw_json_null(w);
        return;
    }
    before_value(w);
    lw_json_write_escaped(w->out, s);
}

void lw_json_int(lw_json *w, int64_t v)
{
    before_value(w);
    fprintf(w->out, "%" PRId64, v);
}

void lw_json_uint(lw_json *w, uint64_t v)
{
    before_value(w);
    fprintf(w->out, "%" PRIu64, v);
}

void lw_json_bool(lw_json *w, bool v)
{
    before_value(w);
    fputs(v ? "true" : "false", w->out);
}

void lw_json_null(lw_json *w)
{
    before_value(w);
    fputs("null", w->out);
}

void lw_json_hex(lw_json *w, uint64_t v)
{
    before_value(w);
    fprintf(w->out, "\"0x%" PRIx64 "\"", v);
}

int lw_json_finish(lw_json *w)
{
    if (w->depth != 0 || w->need_value)
        w->error = true;
    fputc('\n', w->out);
    if (fflush(w->out) != 0 || ferror(w->out))
        w->error = true;
    return w->error ? -1 : 0;
}
