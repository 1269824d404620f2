/*
 * Source lines for the text report: the line of code under the top frame of a stack, read from
 * the source file when it is readable on the machine making the report. Best effort: a missing
 * or changed file just means no line is shown.
 */
#ifndef LOCKWATCH_SOURCE_LINE_H
#define LOCKWATCH_SOURCE_LINE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copies line `line` (1-based) of file `path` into buf, without the newline and leading and
 * trailing blanks, control characters replaced; tries path as given, then relative to root (if
 * path is relative and root non-NULL). Returns false if the file or the line is not there or
 * the line is blank.
 */
bool lw_source_line(const char *path, const char *root, int line, char *buf, size_t len);

#endif /* LOCKWATCH_SOURCE_LINE_H */
