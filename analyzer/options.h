/*
 * The recorder's options as the CLI sees them: the table in include/lockwatch/options.inc
 * turned into data, strict validation of values, parsing and merging of LOCKWATCH_OPTIONS
 * strings ("key=value:key=value"), and the text of `lockwatch help options`. The shim parses the
 * same table on its side; this file only decides what `lockwatch run` passes to it and rejects
 * bad input before the program is started.
 */
#ifndef LOCKWATCH_OPTIONS_H
#define LOCKWATCH_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum lw_opt_type { LW_OPT_STR, LW_OPT_UINT, LW_OPT_BOOL } lw_opt_type;

typedef struct lw_option_desc {
    const char *name; /* as in LOCKWATCH_OPTIONS, e.g. "stack_depth" */
    lw_opt_type type;
    const char *default_text;
    const char *help;
} lw_option_desc;

/* Number of options in the table, and option i (0-based, table order). */
size_t lw_option_count(void);
const lw_option_desc *lw_option_at(size_t i);
/* The option called name (exact match), or NULL. */
const lw_option_desc *lw_option_find(const char *name);
/* The option whose `lockwatch run` flag is flag ("stack-depth" for stack_depth), or NULL. */
const lw_option_desc *lw_option_find_flag(const char *flag);
/* Name of a type as shown in help: "string", "unsigned", "bool". */
const char *lw_option_type_name(lw_opt_type t);

/*
 * Checks value against the option's type and range. Returns 0, or -1 with a one-line message
 * in err naming the option and what was expected. Values may not contain ':' (the separator).
 */
int lw_option_validate(const lw_option_desc *o, const char *value, char *err, size_t errlen);

/* A parsed option string: one value (or NULL when unset) per table entry. */
typedef struct lw_option_values {
    char **values; /* lw_option_count() entries, malloc'd strings or NULL */
} lw_option_values;

/* Allocates an empty set (all unset). */
void lw_option_values_init(lw_option_values *v);
void lw_option_values_free(lw_option_values *v);
/* Sets one option after validating it; returns 0 or -1 with err set. */
int lw_option_values_set(lw_option_values *v, const char *name, const char *value, char *err,
                         size_t errlen);
/*
 * Parses "key=value:key=value" into v (later keys override earlier ones and values already in
 * v). Empty items are ignored. `source` names the string in messages ("LOCKWATCH_OPTIONS").
 * Returns 0, or -1 with err naming the source and the bad key or value.
 */
int lw_option_values_parse(lw_option_values *v, const char *str, const char *source, char *err,
                           size_t errlen);
/* Formats the set options as "key=value:key=value" in table order (malloc'd; "" if none). */
char *lw_option_values_format(const lw_option_values *v);

/* Prints one line per option as a `lockwatch run` flag ("  --stack-depth N   help (default 32)"),
 * for the usage texts, so they follow the table; the option named skip (may be NULL) is left
 * out for a caller that documents it itself. */
void lw_options_print_flags(FILE *out, const char *skip);
/* Prints the `lockwatch help options` text. */
void lw_options_print_help(FILE *out);

#endif /* LOCKWATCH_OPTIONS_H */
