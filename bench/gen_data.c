/*
 * Writes the input for the compressor benchmarks: SIZE bytes (default 100 MB) of deterministic
 * pseudo-random, mildly compressible text (words drawn from a fixed 4096-word random vocabulary,
 * with hexadecimal numbers), the same bytes on every machine and every run (fixed xorshift seed),
 * so that pigz, xz and zstd do the same work natively and under lockwatch.
 * Usage: gen_data OUTPUT [SIZE_BYTES]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define VOCAB 4096
#define MAX_WORD 12

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: gen_data OUTPUT [SIZE_BYTES]\n");
        return 2;
    }
    long long size = argc == 3 ? atoll(argv[2]) : 100000000LL;
    static char words[VOCAB][MAX_WORD + 1];
    for (int i = 0; i < VOCAB; i++) {
        int len = 2 + (int)(rng() % (MAX_WORD - 1));
        for (int j = 0; j < len; j++)
            words[i][j] = (char)('a' + rng() % 26);
        words[i][len] = '\0';
    }
    FILE *f = fopen(argv[1], "wb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    long long written = 0;
    int on_line = 0;
    while (written < size) {
        int n;
        uint64_t r = rng();
        if (++on_line % 12 == 0)
            n = fprintf(f, " %08llx\n", (unsigned long long)(r >> 20));
        else
            n = fprintf(f, "%s ", words[r % VOCAB]);
        if (n < 0)
            break;
        written += n;
    }
    if (fclose(f) != 0 || written < size) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
