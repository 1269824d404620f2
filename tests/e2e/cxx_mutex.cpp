// C++ threads and locks as C++ programs use them (std::thread, std::mutex in objects,
// std::lock_guard, std::scoped_lock, std::condition_variable, std::shared_mutex), for
// e2e.cxx.*: libstdc++ takes them through pthread calls inlined from its headers
// (std::mutex::lock -> __gthread_mutex_lock), so the report's site (SUMMARY line, SARIF location,
// fingerprint) must be the program's own line, not the header's.
//   two inversions between heap-allocated mutexes, in two different functions: two findings
//   with different fingerprints, each SUMMARY at the program's line;
//   std::scoped_lock in both orders (std::lock backs off with try-locks): harmless;
//   a condition variable and a shared_mutex used correctly: nothing.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>

struct Account {
    std::mutex m;
    long balance = 100;
};

static void pause_ms(int ms)
{
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

static void transfer(Account &from, Account &to, long amount)
{
    std::lock_guard<std::mutex> hold_from(from.m); // LINE:transfer_from
    std::lock_guard<std::mutex> hold_to(to.m);     // LINE:transfer_to
    from.balance -= amount;
    to.balance += amount;
}

static long audit(Account &first, Account &second)
{
    std::lock_guard<std::mutex> hold_first(first.m);   // LINE:audit_first
    std::lock_guard<std::mutex> hold_second(second.m); // LINE:audit_second
    return first.balance + second.balance;
}

int main()
{
    auto x = std::make_unique<Account>(), y = std::make_unique<Account>();
    auto p = std::make_unique<Account>(), q = std::make_unique<Account>();
    // Staggered by sleeps: the inversions are possible deadlocks, never real hangs.
    std::thread t1([&] { transfer(*x, *y, 10); });
    std::thread t2([&] {
        pause_ms(50);
        transfer(*y, *x, 20);
    });
    std::thread t3([&] { audit(*p, *q); });
    std::thread t4([&] {
        pause_ms(50);
        audit(*q, *p);
    });
    t1.join();
    t2.join();
    t3.join();
    t4.join();

    // Staggered too: if t6's try-lock of x met t5 holding it, std::lock would back off and take
    // x first, both threads would lock in one order, and there would be no cycle to judge.
    std::thread t5([&] { std::scoped_lock both(x->m, p->m); });
    std::thread t6([&] {
        pause_ms(50);
        std::scoped_lock both(p->m, x->m);
    });
    t5.join();
    t6.join();

    std::mutex m;
    std::condition_variable cv;
    bool ready = false;
    std::thread waiter([&] {
        std::unique_lock<std::mutex> lock(m);
        cv.wait(lock, [&] { return ready; });
    });
    {
        std::lock_guard<std::mutex> lock(m);
        ready = true;
    }
    cv.notify_one();
    waiter.join();

    std::shared_mutex rw;
    std::thread reader([&] { std::shared_lock<std::shared_mutex> r(rw); });
    {
        std::unique_lock<std::shared_mutex> w(rw);
    }
    reader.join();
    std::printf("balances %ld %ld\n", x->balance + y->balance, p->balance + q->balance);
    return 0;
}
