#!/usr/bin/env python3
"""Untrusted logs: makes deterministic, randomly corrupted variants of real lockwatch logs and
runs `lockwatch report` (and, for some, `lockwatch dump`) on each under a timeout.

Every run must exit with 0, 1 or 2: no signal, no hang (10 s), no sanitizer report on stderr.
Corruptions: bit flips anywhere or in the headers, truncation, random spans, huge or odd sizes
and counts in record and chunk headers (nframes, n_held, exe_len, path_len, build_id_len,
n_threads), random ids, header fields, copied spans, and combinations. A failing variant is kept
in OUT_DIR with its command line, for reproduction; passing ones are deleted.

usage: corrupt_logs.py LOCKWATCH_BIN OUT_DIR COUNT SEED LOG...
"""
import os
import random
import struct
import subprocess
import sys

TIMEOUT = 10
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                   "runtime error:")
# Offsets of count fields inside records, by record type: (offset, struct format).
COUNT_FIELDS = {1: [(24, "<I")], 2: [(36, "<H"), (38, "<H")], 3: [(12, "<I")], 8: [(28, "<I")],
                12: [(12, "<I")]}
HUGE32 = [0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0x10000, 65, 1 << 24, 0xFFFFFFF8]
HUGE16 = [0xFFFF, 0x8000, 65, 4097]


def records(data):
    """(offset, type, size) of every record reachable by a walk of the chunks."""
    out = []
    if len(data) < 28:
        return out
    hsize, csize = struct.unpack_from("<II", data, 20)
    if csize < 4096 or csize > (1 << 24) or hsize < 72:
        return out
    off = hsize
    while off + 16 <= len(data):
        magic, _tid, size = struct.unpack_from("<III", data, off)
        if magic == 0:
            off += csize
            continue
        if size == 0 or size % csize:
            break
        pos, end = off + 16, min(off + size, len(data))
        while pos + 8 <= end:
            rtype, _chk, _fl, rsize = struct.unpack_from("<HBBI", data, pos)
            if rtype == 0 or rsize < 8 or rsize % 8:
                break
            out.append((pos, rtype, rsize))
            pos += rsize
        off += size
    return out


def chunk_offsets(data):
    if len(data) < 28:
        return []
    hsize, csize = struct.unpack_from("<II", data, 20)
    if csize < 4096:
        return []
    return [o for o in range(hsize, len(data) - 16, csize)
            if struct.unpack_from("<I", data, o)[0] != 0]


def put(buf, off, fmt, val):
    if 0 <= off and off + struct.calcsize(fmt) <= len(buf):
        struct.pack_into(fmt, buf, off, val)


def mutate_once(rng, buf):
    recs = records(bytes(buf))
    kind = rng.randrange(10)
    if kind == 0:  # bit flips anywhere
        for _ in range(rng.randint(1, 16)):
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
        return "bitflips"
    if kind == 1:  # bit flips in the file header or a chunk/record header
        for _ in range(rng.randint(1, 4)):
            base = rng.choice([0] + [r[0] for r in recs[:64]] + chunk_offsets(bytes(buf))[:16])
            i = min(len(buf) - 1, base + rng.randrange(16 if base else 72))
            buf[i] ^= 1 << rng.randrange(8)
        return "header-bitflips"
    if kind == 2:  # truncation
        del buf[rng.randrange(len(buf)):]
        return "truncate"
    if kind == 3:  # random span
        n = rng.randint(1, 256)
        i = rng.randrange(len(buf))
        buf[i:i + n] = bytes(rng.randrange(256) for _ in range(min(n, len(buf) - i)))
        return "span"
    if kind == 4 and recs:  # odd or huge record size
        off, _t, size = rng.choice(recs)
        put(buf, off + 4, "<I", rng.choice([0xFFFFFFF8, 0x80000000, 8, 16, size + 8, 0x7FFFFFF8,
                                            rng.randrange(1 << 20) * 8]))
        return "record-size"
    if kind == 5 and recs:  # huge counts
        cands = [r for r in recs if r[1] in COUNT_FIELDS] or recs
        off, rtype, size = rng.choice(cands)
        for foff, fmt in COUNT_FIELDS.get(rtype, [(8 + 4 * rng.randrange(max(1, (size - 8) // 4)), "<I")]):
            put(buf, off + foff, fmt, rng.choice(HUGE16 if fmt == "<H" else HUGE32))
        return "count"
    if kind == 6:  # chunk header size/magic
        chunks = chunk_offsets(bytes(buf))
        if chunks:
            c = rng.choice(chunks)
            put(buf, c + rng.choice([0, 4, 8, 12]), "<I",
                rng.choice([0, 1, 4096, 16384 * 3, 0xFFFFFFFF, 0x80000000, 0x4b43574c]))
        return "chunk-header"
    if kind == 7:  # file header fields
        put(buf, rng.choice([8, 10, 12, 16, 20, 24, 28, 32]), "<I",
            rng.choice([0, 1, 7, 72, 4096, 4095, 1 << 24, 1 << 25, 0xFFFFFFFF, 0x01020304]))
        return "file-header"
    if kind == 8 and recs:  # random ids/fields inside a record body
        off, _t, size = rng.choice(recs)
        for _ in range(rng.randint(1, 3)):
            put(buf, off + 8 + 4 * rng.randrange(max(1, (size - 8) // 4)), "<I",
                rng.choice([0, 1, 2, 3, 0xFFFFFFFF, rng.randrange(1 << 32)]))
        return "fields"
    # copy a span over another place
    n = rng.randint(8, 4096)
    src, dst = rng.randrange(len(buf)), rng.randrange(len(buf))
    buf[dst:dst + n] = buf[src:src + n]
    return "copy"


def run(cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "timeout", ""
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode < 0:
        return f"signal {-p.returncode}", err
    if p.returncode not in (0, 1, 2):
        return f"exit status {p.returncode}", err
    if any(m in err for m in SANITIZER_MARKS):
        return "sanitizer report", err
    return None, p.returncode


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    lw, out, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    logs = [open(p, "rb").read() for p in sys.argv[5:]]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(seed)
    failures, statuses = [], {}
    for i in range(count):
        buf = bytearray(logs[i % len(logs)])
        how = [mutate_once(rng, buf) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        if not buf:
            buf = bytearray(b"L")
        path = os.path.join(out, f"variant-{i:04d}.log")
        with open(path, "wb") as f:
            f.write(buf)
        cmds = [[lw, "report", "--format", "json", path]]
        if i % 5 == 0:
            cmds.append([lw, "dump", path])
        if i % 7 == 0:
            cmds.append([lw, "report", "--all", path])
        bad = None
        for cmd in cmds:
            what, detail = run(cmd)
            if what:
                bad = (cmd, what, detail)
                break
            statuses[detail] = statuses.get(detail, 0) + 1
        if bad:
            failures.append(f"variant {i} ({'+'.join(how)}): {bad[1]}: {' '.join(bad[0])}\n"
                            + "\n".join(bad[2].splitlines()[:12]))
        else:
            os.unlink(path)
    print(f"corrupt_logs: {count} variants, exit statuses {dict(sorted(statuses.items()))}, "
          f"{len(failures)} failures")
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
