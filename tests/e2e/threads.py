"""Threads the way Python programs use them, for the e2e.debian.python3 test: locks, an RLock,
conditions (a queue), events, a semaphore, a barrier, a timer and a thread pool. CPython's locks
are POSIX semaphores any thread may release; nothing here can deadlock or race, so lockwatch must
report nothing. Prints the same lines on every run."""
import concurrent.futures
import queue
import threading

counter_lock = threading.Lock()
counter = 0


def add(n):
    global counter
    for _ in range(n):
        with counter_lock:
            counter += 1


def nested(lock_a, lock_b, rounds):
    for _ in range(rounds):
        with lock_a:
            with lock_b:
                pass


def main():
    threads = [threading.Thread(target=add, args=(20000,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("counter", counter)

    a, b = threading.Lock(), threading.RLock()
    threads = [threading.Thread(target=nested, args=(a, b, 5000)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("nested done")

    q = queue.Queue(maxsize=8)

    def produce():
        for i in range(20000):
            q.put(i)
        q.put(None)

    p = threading.Thread(target=produce)
    p.start()
    total = 0
    while (item := q.get()) is not None:
        total += item
    p.join()
    print("queue total", total)

    ready = threading.Event()
    slots = threading.BoundedSemaphore(2)
    barrier = threading.Barrier(3)
    passed = []

    def worker(i):
        ready.wait()
        with slots:
            passed.append(i)
        barrier.wait()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
    for w in workers:
        w.start()
    timer = threading.Timer(0.05, ready.set)
    timer.start()
    for w in workers:
        w.join()
    timer.join()
    print("barrier passed", sorted(passed))

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        print("pool sum", sum(pool.map(lambda x: x * x, range(2000))))


if __name__ == "__main__":
    main()
