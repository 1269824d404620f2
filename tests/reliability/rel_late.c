/*
 * librel_late.so, linked into the reliability test program life.c: a library the program needs
 * but liblockwatch.so does not, so the dynamic loader initialises it before the preloaded shim
 * and finalises it after the shim's destructor. Its destructor locks two mutexes, nested: lock
 * calls after lockwatch has closed its log must still work.
 */
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t late_g = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t late_h = PTHREAD_MUTEX_INITIALIZER;

void rel_late_touch(void);

void rel_late_touch(void)
{
    pthread_mutex_lock(&late_g);
    pthread_mutex_unlock(&late_g);
}

__attribute__((destructor)) static void late_destructor(void)
{
    pthread_mutex_t local;
    pthread_mutex_init(&local, NULL);
    pthread_mutex_lock(&late_g);
    pthread_mutex_lock(&late_h);
    pthread_mutex_lock(&local);
    pthread_mutex_unlock(&local);
    pthread_mutex_unlock(&late_h);
    pthread_mutex_unlock(&late_g);
    pthread_mutex_destroy(&local);
    static const char msg[] = "late destructor locked\n";
    if (write(1, msg, sizeof msg - 1) < 0)
        _exit(91);
}
