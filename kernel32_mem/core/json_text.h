/*
 * JSON text, written into memory that grows through the page provider: what a heap snapshot
 * (heap_snapshot.c) and the call trace are written in.
 *
 * The writer keeps just enough state to place commas and colons: for each open container, whether
 * it has an item yet, and whether a key is waiting for its value. Callers emit keys and values in
 * order and the text is valid JSON by construction; nothing is checked. When memory runs out the
 * text stops growing and says so in `failed`: every later call does nothing, and the caller
 * learns it once, at the end.
 */
#ifndef KM_CORE_JSON_TEXT_H
#define KM_CORE_JSON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pages.h"

#define KM_JSON_MAX_DEPTH 63

typedef struct km_text {
    km_pages *pages;
    char *data;      /* NULL until the first byte */
    size_t length;   /* bytes written */
    size_t capacity; /* bytes reserved and committed at data */
    bool failed;     /* memory ran out: the text is incomplete */
    bool after_key;  /* a key was written; its value comes next */
    unsigned depth;
    uint64_t has_items; /* bit d: the container open at depth d has an item */
} km_text;

void km_text_init(km_text *text, km_pages *pages);
/* Returns the text's memory; the text is empty after, as after init. */
void km_text_release(km_text *text);
/* Forgets what was written, keeping the memory for the next text. */
void km_text_clear(km_text *text);
void km_text_append(km_text *text, const char *bytes, size_t length);
/* Room for up to `length` bytes at the text's end, to write in place and then add with
 * km_text_added; NULL when the text cannot grow. */
char *km_text_room(km_text *text, size_t length);
void km_text_added(km_text *text, size_t length);

void km_json_open_object(km_text *text);
void km_json_close_object(km_text *text);
void km_json_open_array(km_text *text);
void km_json_close_array(km_text *text);
/* A key of the open object; the next call writes its value. Keys are written as given. */
void km_json_key(km_text *text, const char *key);
/* A string value, escaped as JSON requires (bytes at or above 0x80 are copied as they are). */
void km_json_string(km_text *text, const char *value);
void km_json_uint(km_text *text, uint64_t value);
void km_json_int(km_text *text, int64_t value);
void km_json_bool(km_text *text, bool value);
void km_json_null(km_text *text);
/* An address as a string of hex digits, "0x7f...": 64-bit values survive every JSON reader. */
void km_json_address(km_text *text, uintptr_t value);

#endif
