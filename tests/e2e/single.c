/*
 * e2e program: an inversion inside one thread. The only thread takes a then b, and later b then
 * a. It cannot deadlock as it stands, but the order is inconsistent: lockwatch reports it as a
 * lock-order-inversion with subkind "single-thread" (see docs/design.md, classification).
 */
#include <pthread.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;

int main(void)
{
    pthread_mutex_lock(&a); /* LINE:first_a */
    pthread_mutex_lock(&b); /* LINE:first_b */
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    pthread_mutex_lock(&b); /* LINE:second_b */
    pthread_mutex_lock(&a); /* LINE:second_a */
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    return 0;
}
