/*
 * libFuzzer target for the log reader: any byte string must either be refused with a message or
 * read into a (possibly truncated) model, never crash, hang or leak. It also runs the dump
 * printer over the same bytes, since `lockwatch dump` walks logs with the same iterator.
 * Build and run instructions: tests/fuzz/README.md. Not part of the CMake build.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmd_dump.h"
#include "log_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lw_process p;
    char err[256];
    if (lw_read_log_buffer(data, size, "fuzz.log", &p, err, sizeof err) == 0) {
        /* Touch what analyses touch: every id reference resolves or is NULL. */
        for (size_t i = 0; i < p.n_contexts; i++) {
            const lw_context *c = &p.contexts[i];
            (void)lw_process_lock(&p, c->lock_id);
            (void)lw_process_stack(&p, c->stack_id);
            for (uint32_t h = 0; h < c->n_held; h++)
                (void)lw_process_lock(&p, c->held[h].lock_id);
        }
        for (size_t i = 0; i < p.n_stacks; i++)
            for (uint32_t f = 0; f < p.stacks[i].nframes; f++)
                (void)lw_process_module_for(&p, p.stacks[i].frames[f]);
    }
    lw_process_free(&p);

    FILE *null = fopen("/dev/null", "w");
    if (null) {
        lw_dump_buffer(null, data, size, "fuzz.log", err, sizeof err);
        fclose(null);
    }
    return 0;
}
