/*
 * SVG output: the few primitives the map draws with, and the map itself.
 *
 * The document is always well-formed XML: every text and attribute value goes through
 * kh_svg_escape, which also replaces with '?' what XML 1.0 cannot hold at all: control
 * characters, the non-characters U+FFFE and U+FFFF, and bytes that are not UTF-8 (a string
 * shortened by a byte count may end in half a character).
 */
#ifndef KH_SVG_H
#define KH_SVG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kh_snapshot.h"

/* Writes text with &, <, >, " and ' escaped. */
void kh_svg_escape(FILE *out, const char *text);

/* Formats like printf, then writes the result escaped. */
void kh_svg_escapef(FILE *out, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Draws the snapshot's map; the blocks at the given addresses (sorted, possibly none) are
 * highlighted as new. title may be NULL ("heap map"). False when memory ran out. */
bool kh_svg_map(FILE *out, const kh_snapshot *snapshot, const char *title,
                const uint64_t *highlight, size_t highlight_count);

#endif
