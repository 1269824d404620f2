/*
 * Reading a text file the user named on the command line (--baseline, --suppressions): the
 * whole file as one string, or a message that names the option and the file. A NUL byte is an
 * error, not the end of the text: a parser that stopped there would silently skip the rest.
 */
#ifndef LOCKWATCH_TEXT_FILE_H
#define LOCKWATCH_TEXT_FILE_H

#include <stddef.h>

/* The contents of path, NUL-terminated, to free(); or NULL with a message in err. option is the
 * flag that named the file ("--baseline"), what the kind of file it should be ("a text baseline
 * file"). */
char *lw_text_file_read(const char *path, const char *option, const char *what, char *err,
                        size_t errlen);

#endif /* LOCKWATCH_TEXT_FILE_H */
