// C++ objects with a std::mutex (no init or destroy call reaches the shim) created with new and
// destroyed with delete, one after the other at one address (e2e.heap.cxx*). The first is locked
// after `G`, the second, handed to another thread through a relaxed atomic (which orders nothing
// for lockwatch), before `G`: two different mutexes, no cycle. Run under glibc's allocator and
// under jemalloc and tcmalloc, whose operator delete never calls free. Exit 3 if the address was
// not reused (the test would prove nothing).
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

struct Account {
    std::mutex m;
    long balance = 0;
};

static std::mutex G;
static std::atomic<Account *> handoff{nullptr};

int main()
{
    std::thread second([] {
        Account *b;
        while (!(b = handoff.load(std::memory_order_relaxed)))
            std::this_thread::yield();
        std::lock_guard<std::mutex> l(b->m);
        std::lock_guard<std::mutex> g(G);
        b->balance++;
    });
    Account *a = new Account;
    {
        std::lock_guard<std::mutex> g(G);
        std::lock_guard<std::mutex> l(a->m);
        a->balance++;
    }
    void *old = a;
    delete a;
    Account *b = new Account;
    bool reused = b == old;
    handoff.store(b, std::memory_order_relaxed);
    second.join();
    delete b;
    if (!reused) {
        std::fprintf(stderr, "cxx_heap: address not reused\n");
        return 3;
    }
    return 0;
}
