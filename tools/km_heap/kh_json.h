/*
 * Typed access to the JSON documents km-heap reads (snapshots and trace lines), over jansson.
 *
 * Every getter takes the object, the JSON path that leads to it (for messages) and a key, and
 * either stores the value and returns true, or writes one line into the diagnostic saying which
 * key at which path is missing or of the wrong type, and returns false. So a reader is a sequence
 * of getters joined by &&, and the first problem is the one reported.
 */
#ifndef KH_JSON_H
#define KH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef struct kh_diag {
    char *text;
    size_t size;
} kh_diag;

/* Writes the message into diag (formatted as printf) and returns false. */
bool kh_fail(kh_diag *diag, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Parses "0x" followed by 1 to 16 hex digits; false for anything else. */
bool kh_parse_address(const char *text, uint64_t *value);

bool kh_json_u64(json_t *object, const char *path, const char *key, uint64_t *value, kh_diag *diag);
/* A word of a traced call's (flags, a size, a count): its bits read as a signed number, as the
 * DLL writes one from 2^63 up (heap_trace's format), converted back to the word. */
bool kh_json_word(json_t *object, const char *path, const char *key, uint64_t *value,
                  kh_diag *diag);
/* A count or size with no key: the element of an array, or a value already fetched. */
bool kh_json_u64_value(json_t *value, const char *path, uint64_t *out, kh_diag *diag);
bool kh_json_address(json_t *object, const char *path, const char *key, uint64_t *value,
                     kh_diag *diag);
bool kh_json_string(json_t *object, const char *path, const char *key, const char **value,
                    kh_diag *diag);
bool kh_json_bool(json_t *object, const char *path, const char *key, bool *value, kh_diag *diag);
bool kh_json_array(json_t *object, const char *path, const char *key, json_t **value,
                   kh_diag *diag);
bool kh_json_object(json_t *object, const char *path, const char *key, json_t **value,
                    kh_diag *diag);
/* The index-th element of array, which must be an object. */
bool kh_json_element(json_t *array, const char *path, size_t index, json_t **value, kh_diag *diag);
/* A string that must be one of names[0 .. count-1]; its index goes to *value. */
bool kh_json_enum(json_t *object, const char *path, const char *key, const char *const *names,
                  size_t count, unsigned *value, kh_diag *diag);
/* An array of strings; bit i of *bits is set for names[i]; other strings are ignored. */
bool kh_json_flags(json_t *object, const char *path, const char *key, const char *const *names,
                   size_t count, unsigned *bits, kh_diag *diag);

#endif
