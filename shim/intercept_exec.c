/*
 * The exec family. A successful exec replaces the image without exit handlers, so the log
 * would look like that of a killed process. Each wrapper marks the log (LW_FILE_EXEC in its
 * header) just before the real call and clears the mark if the call returns (it failed), with
 * errno as the call left it. The new image, if still preloaded, opens a log of its own. execl,
 * execle and execlp collect their arguments and call execv, execve and execvp, as glibc does.
 * A vfork child's exec leaves the parent's log alone (lw_log_mark_exec checks the pid).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include "real.h"
#include "shim.h"

/* Returns rc after a failed exec: the log is no longer ending. */
static int exec_failed(int rc)
{
    int saved = errno;
    lw_log_mark_exec(false);
    errno = saved;
    return rc;
}

LW_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    LW_REAL(execve);
    lw_log_mark_exec(true);
    return exec_failed(lw_real_execve(path, argv, envp));
}

LW_EXPORT int execv(const char *path, char *const argv[])
{
    LW_REAL(execv);
    lw_log_mark_exec(true);
    return exec_failed(lw_real_execv(path, argv));
}

LW_EXPORT int execvp(const char *file, char *const argv[])
{
    LW_REAL(execvp);
    lw_log_mark_exec(true);
    return exec_failed(lw_real_execvp(file, argv));
}

LW_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    LW_REAL(execvpe);
    lw_log_mark_exec(true);
    return exec_failed(lw_real_execvpe(file, argv, envp));
}

LW_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    LW_REAL(fexecve);
    lw_log_mark_exec(true);
    return exec_failed(lw_real_fexecve(fd, argv, envp));
}

LW_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                       int flags)
{
    LW_REAL(execveat);
    if (!lw_real_execveat) {
        errno = ENOSYS;
        return -1;
    }
    lw_log_mark_exec(true);
    return exec_failed(lw_real_execveat(dirfd, path, argv, envp, flags));
}

/* Which exec call an execl-style list is for. */
enum exec_list_kind { EXEC_L, EXEC_LE, EXEC_LP };

/* execl, execle and execlp: collects arg0, the arguments after it up to the terminating NULL
 * (and for execle the environment after that) from ap, then calls execv, execve or execvp. */
static int exec_list(enum exec_list_kind kind, const char *path, const char *arg0, va_list ap)
{
    va_list count;
    va_copy(count, ap);
    size_t n = 0;
    for (const char *a = arg0; a; a = va_arg(count, const char *))
        n++;
    va_end(count);
    char *argv[n + 1];
    argv[0] = (char *)arg0;
    for (size_t i = 1; i < n; i++)
        argv[i] = va_arg(ap, char *);
    argv[n] = NULL;
    if (n > 0)
        (void)va_arg(ap, char *); /* the terminating NULL */
    switch (kind) {
    case EXEC_LE:
        return execve(path, argv, va_arg(ap, char *const *));
    case EXEC_LP:
        return execvp(path, argv);
    default:
        return execv(path, argv);
    }
}

LW_EXPORT int execl(const char *path, const char *arg0, ...)
{
    va_list ap;
    va_start(ap, arg0);
    int rc = exec_list(EXEC_L, path, arg0, ap);
    va_end(ap);
    return rc;
}

LW_EXPORT int execle(const char *path, const char *arg0, ...)
{
    va_list ap;
    va_start(ap, arg0);
    int rc = exec_list(EXEC_LE, path, arg0, ap);
    va_end(ap);
    return rc;
}

LW_EXPORT int execlp(const char *file, const char *arg0, ...)
{
    va_list ap;
    va_start(ap, arg0);
    int rc = exec_list(EXEC_LP, file, arg0, ap);
    va_end(ap);
    return rc;
}
