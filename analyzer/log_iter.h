/*
 * Low-level walk over the raw bytes of a lockwatch log (include/lockwatch/log_format.h): the file
 * header check, the chunk walk and the record walk, with every bound checked. It knows the layout
 * but not the meaning of records; the log reader (log_reader.c) turns records into the model and
 * `lockwatch dump` (cmd_dump.c) prints them, both through this one iterator so the two cannot
 * disagree about what a log contains.
 *
 * Usage:
 *     lw_log_iter it;
 *     if (lw_iter_init(&it, buf, len, why, sizeof why) < 0) -> not a log (why says what is wrong)
 *     lw_iter_item item;
 *     while (lw_iter_next(&it, &item) != LW_IT_END) { switch (item.kind) ... }
 *
 * A LW_IT_RECORD item is only produced for a record whose header, size and variable parts
 * (frames, held entries, strings, build-id) all fit inside the record, so a consumer may decode
 * it without further bounds checks. On damage the iterator yields one LW_IT_DAMAGE item,
 * abandons the rest of that chunk and goes on with the next chunk.
 */
#ifndef LOCKWATCH_LOG_ITER_H
#define LOCKWATCH_LOG_ITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lockwatch/log_format.h"

/* Limits a reader applies to the file header. */
#define LW_MIN_CHUNK_SIZE 4096u
#define LW_MAX_CHUNK_SIZE (16u << 20)
#define LW_MAX_HEADER_SIZE (1u << 20)
#define LW_MAX_LOG_BYTES (16ull << 30) /* files larger than this are refused */

typedef enum lw_iter_kind {
    LW_IT_END = 0, /* no more items */
    LW_IT_CHUNK,   /* a chunk header: item.chunk, item.offset */
    LW_IT_RECORD,  /* a well-formed record: item.type, .flags, .data, .size, .offset */
    LW_IT_DAMAGE,  /* damage at item.offset, described by item.what; the chunk is abandoned */
} lw_iter_kind;

typedef struct lw_iter_item {
    lw_iter_kind kind;
    size_t offset; /* file offset of the chunk, record or damage */
    /* LW_IT_CHUNK */
    struct lw_chunk_header chunk;
    /* LW_IT_RECORD */
    uint16_t type;       /* enum lw_record_type, or an unknown (newer) type */
    uint8_t flags;       /* the record header's flags */
    const uint8_t *data; /* the record, header included; may be unaligned */
    uint32_t size;       /* bytes of data */
    /* LW_IT_DAMAGE */
    char what[160];
} lw_iter_item;

typedef struct lw_log_iter {
    const uint8_t *buf;
    size_t len;
    struct lw_file_header hdr; /* copy of the validated file header */
    size_t next_unit;          /* offset of the next chunk to examine */
    bool in_chunk;             /* walking the records of a chunk */
    size_t rec_off;            /* next record in the current chunk */
    size_t chunk_off;          /* offset of the current chunk */
    size_t chunk_end;          /* end of the current chunk, clamped to the file */
    bool chunk_clamped;        /* the current chunk runs past the end of the file */
    size_t unused_units;       /* zero (never used) chunk units skipped so far */
    /* File offset of buf[0], added to every offset the iterator reports: the log reader streams
     * a file through a window (lw_read_log_file) and walks one chunk of it at a time. 0 when
     * buf is the whole file. */
    size_t base;
} lw_log_iter;

/*
 * Validates the file header of buf[0, len) and prepares a walk. Returns 0, or -1 with `why` set
 * to a short reason without a file name, e.g. "not a lockwatch log (bad magic)".
 */
int lw_iter_init(lw_log_iter *it, const void *buf, size_t len, char *why, size_t whylen);

/* Produces the next item into *out and returns its kind (LW_IT_END when the file is done). */
lw_iter_kind lw_iter_next(lw_log_iter *it, lw_iter_item *out);

/*
 * The fixed part of a record of a known type (the struct size in log_format.h), or 0 for a type
 * this reader does not know.
 */
size_t lw_record_fixed_size(uint16_t type);

/*
 * Checks the variable part of a record of a known type against its size: returns NULL if it fits,
 * else a short reason. data/size as in lw_iter_item; size >= lw_record_fixed_size(type).
 */
const char *lw_record_check_body(uint16_t type, const uint8_t *data, uint32_t size);

/* Copies the fixed part of a record into dst (struct_size bytes; the record holds at least that).
 */
void lw_record_copy(const lw_iter_item *rec, void *dst, size_t struct_size);

/* The name of a record type ("STACK", ...), or NULL if unknown. */
const char *lw_record_type_name(uint16_t type);

/*
 * Opens a log file for reading (O_CLOEXEC) after the checks lw_load_file_bytes applies:
 * not a directory, a regular file, at most LW_MAX_LOG_BYTES. Returns 0 with *fd and *size (the
 * size now: a live log may still change), or -1 with err = "PATH: reason".
 */
int lw_open_log_file(const char *path, int *fd, size_t *size, char *err, size_t errlen);

/*
 * Reads a whole file into a malloc'ed buffer (*buf, *len). Refuses directories, non-regular
 * files and files over LW_MAX_LOG_BYTES. Returns 0, or -1 with err = "PATH: reason".
 */
int lw_load_file_bytes(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen);

#endif /* LOCKWATCH_LOG_ITER_H */
