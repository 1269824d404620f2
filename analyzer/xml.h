/*
 * XML text escaping for the JUnit report: the five special characters become entities, and
 * bytes XML 1.0 cannot carry at all (control characters other than tab, newline and carriage
 * return, invalid UTF-8) become '?', so the document is well-formed whatever a log contained.
 */
#ifndef LOCKWATCH_XML_H
#define LOCKWATCH_XML_H

#include <stdio.h>

/* Writes s escaped for use in XML character data or a quoted attribute value. */
void lw_xml_write_escaped(FILE *out, const char *s);

#endif /* LOCKWATCH_XML_H */
