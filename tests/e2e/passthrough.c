/*
 * e2e program for `lockwatch run` transparency: copies stdin to stdout byte for byte (through a
 * worker thread and a mutex, so the shim has something to see), writes a fixed line to stderr
 * before and after, and exits with the status given as argv[1] (default 0).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t io_lock = PTHREAD_MUTEX_INITIALIZER;
static int copy_failed;

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void *copier(void *arg)
{
    char buf[4096];
    (void)arg;
    for (;;) {
        ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
        if (r <= 0) {
            if (r < 0)
                copy_failed = 1;
            break;
        }
        pthread_mutex_lock(&io_lock);
        if (write_all(STDOUT_FILENO, buf, (size_t)r) != 0)
            copy_failed = 1;
        pthread_mutex_unlock(&io_lock);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    static const char first[] = "passthrough: first line on stderr\n";
    static const char last[] = "passthrough: last line on stderr\n";
    int status = argc > 1 ? atoi(argv[1]) : 0;
    pthread_t t;
    if (write_all(STDERR_FILENO, first, strlen(first)) != 0)
        return 100;
    pthread_create(&t, NULL, copier, NULL);
    pthread_join(t, NULL);
    if (copy_failed)
        return 101;
    if (write_all(STDERR_FILENO, last, strlen(last)) != 0)
        return 102;
    return status;
}
