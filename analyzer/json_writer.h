/*
 * A small streaming JSON writer. It writes straight to a FILE *, inserts commas and
 * indentation itself, and escapes strings correctly (quotes, backslashes, control characters;
 * UTF-8 passes through unchanged, invalid bytes become U+FFFD) so renderers never build JSON by
 * hand. Nesting is tracked on a small fixed stack; misuse (a value where a key is expected, too
 * deep nesting) sets an error flag instead of writing broken output silently.
 */
#ifndef LOCKWATCH_JSON_WRITER_H
#define LOCKWATCH_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LW_JSON_MAX_DEPTH 32

typedef struct lw_json {
    FILE *out;
    bool pretty;
    bool error;      /* set on misuse; the output is then not valid JSON */
    int depth;       /* number of open containers */
    bool need_value; /* a key was written and its value is pending */
    struct {
        bool is_object;
        bool empty;
    } stack[LW_JSON_MAX_DEPTH];
} lw_json;

/* Starts a document on out; pretty selects two-space indentation with one member per line. */
void lw_json_init(lw_json *w, FILE *out, bool pretty);
/* Opens an object / array (as a value: after a key, in an array, or at top level). */
void lw_json_begin_object(lw_json *w);
void lw_json_begin_array(lw_json *w);
/* Closes the innermost container; a mismatched close sets the error flag. */
void lw_json_end_object(lw_json *w);
void lw_json_end_array(lw_json *w);
/* Writes a member name inside an object; the next call must write its value. */
void lw_json_key(lw_json *w, const char *key);
/* Scalar values. lw_json_string(w, NULL) writes null. */
void lw_json_string(lw_json *w, const char *s);
void lw_json_int(lw_json *w, int64_t v);
void lw_json_uint(lw_json *w, uint64_t v);
void lw_json_bool(lw_json *w, bool v);
void lw_json_null(lw_json *w);
/* A hexadecimal address as a string, "0x7ffd1234". */
void lw_json_hex(lw_json *w, uint64_t v);
/* Finishes the document (newline after the top-level value). Returns 0, or -1 if the writer
 * was misused, a container is still open, or the stream reported an error. */
int lw_json_finish(lw_json *w);

/*
 * Length of the valid UTF-8 sequence starting at s (1 to 4), or 0 if the bytes there are not
 * valid UTF-8 (bad lead byte, missing continuation, overlong form, surrogate, > U+10FFFF).
 * Never reads past a NUL terminator.
 */
size_t lw_utf8_seq_len(const unsigned char *s);

/* Writes s as a quoted, escaped JSON string to out (exposed for tests and other writers). */
void lw_json_write_escaped(FILE *out, const char *s);

#endif /* LOCKWATCH_JSON_WRITER_H */
