/*
 * The typed JSON getters (kh_json.h). Byte counts and indexes are JSON integers, never negative;
 * addresses are strings of hex with a 0x prefix, so that 64-bit values survive any JSON writer.
 * A message names the path and key: `heaps[0].segments[1]: "size" is a string, not a number`.
 */
#include "kh_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool kh_fail(kh_diag *diag, const char *format, ...)
{
    if (diag->size) {
        va_list args;
        va_start(args, format);
        vsnprintf(diag->text, diag->size, format, args);
        va_end(args);
    }
    return false;
}

static const char *type_name(const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a fraction";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* The value of key, or a message that it is missing. */
static json_t *member(json_t *object, const char *path, const char *key, kh_diag *diag)
{
    json_t *value = json_object_get(object, key);
    if (!value)
        kh_fail(diag, "%s: \"%s\" is missing", path, key);
    return value;
}

static bool wrong_type(kh_diag *diag, const char *path, const char *key, const json_t *value,
                       const char *wanted)
{
    return kh_fail(diag, "%s: \"%s\" is %s, not %s", path, key, type_name(value), wanted);
}

bool kh_parse_address(const char *text, uint64_t *value)
{
    if (text[0] != '0' || text[1] != 'x')
        return false;
    uint64_t result = 0;
    size_t digits = 0;
    for (const char *c = text + 2; *c; c++, digits++) {
        unsigned digit;
        if (*c >= '0' && *c <= '9')
            digit = (unsigned)(*c - '0');
        else if (*c >= 'a' && *c <= 'f')
            digit = (unsigned)(*c - 'a' + 10);
        else if (*c >= 'A' && *c <= 'F')
            digit = (unsigned)(*c - 'A' + 10);
        else
            return false;
        if (digits == 16)
            return false;
        result = result << 4 | digit;
    }
    if (digits == 0)
        return false;
    *value = result;
    return true;
}

bool kh_json_u64_value(json_t *value, const char *path, uint64_t *out, kh_diag *diag)
{
    if (!json_is_integer(value))
        return kh_fail(diag, "%s is %s, not a whole number", path, type_name(value));
    json_int_t n = json_integer_value(value);
    if (n < 0)
        return kh_fail(diag, "%s is negative (%lld)", path, (long long)n);
    *out = (uint64_t)n;
    return true;
}

bool kh_json_u64(json_t *object, const char *path, const char *key, uint64_t *value, kh_diag *diag)
{
    json_t *v = member(object, path, key, diag);
    if (!v)
        return false;
    if (!json_is_integer(v))
        return wrong_type(diag, path, key, v, "a whole number");
    json_int_t n = json_integer_value(v);
    if (n < 0)
        return kh_fail(diag, "%s: \"%s\" is negative (%lld)", path, key, (long long)n);
    *value = (uint64_t)n;
    return true;
}

bool kh_json_word(json_t *object, const char *path, const char *key, uint64_t *value,
                  kh_diag *diag)
{
    json_t *v = member(object, path, key, diag);
    if (!v)
        return false;
    if (!json_is_integer(v))
        return wrong_type(diag, path, key, v, "a whole number");
    *value = (uint64_t)json_integer_value(v);
    return true;
}

bool kh_json_address(json_t *object, const char *path, const char *key, uint64_t *value,
                     kh_diag *diag)
{
    json_t *v = member(object, path, key, diag);
    if (!v)
        return false;
    if (!json_is_string(v))
        return wrong_type(diag, path, key, v, "an address string (\"0x...\")");
    if (!kh_parse_address(json_string_value(v), value))
        return kh_fail(diag, "%s: \"%s\" is not an address (0x and 1 to 16 hex digits)", path, key);
    return true;
}

bool kh_json_string(json_t *object, const char *path, const char *key, const char **value,
                    kh_diag *diag)
{
    json_t *v = member(object, path, key, diag);
    if (!v)
        return false;
    if (!json_is_string(v))
        return wrong_type(diag, path, key, v, "a string");
    *value = json_string_value(v);
    return true;
}

bool kh_json_bool(json_t *object, const char *path, const char *key, bool *value, kh_diag *diag)
{
    json_t *v = member(object, path, key, diag);
    if (!v)
        return false;
    if (!json_is_boolean(v))
        return wrong_type(diag, path, key, v, "true or false");
    *value = json_is_true(v);
    return true;
}

bool kh_json_array(json_t *object, const char *path, const char *key, json_t **value, kh_diag *diag)
{
    json_t *v = member(object, path, key, diag);
    if (!v)
        return false;
    if (!json_is_array(v))
        return wrong_type(diag, path, key, v, "an array");
    *value = v;
    return true;
}

bool kh_json_object(json_t *object, const char *path, const char *key, json_t **value,
                    kh_diag *diag)
{
    json_t *v = member(object, path, key, diag);
    if (!v)
        return false;
    if (!json_is_object(v))
        return wrong_type(diag, path, key, v, "an object");
    *value = v;
    return true;
}

bool kh_json_element(json_t *array, const char *path, size_t index, json_t **value, kh_diag *diag)
{
    json_t *v = json_array_get(array, index);
    if (!json_is_object(v))
        return kh_fail(diag, "%s[%zu] is %s, not an object", path, index,
                       v ? type_name(v) : "missing");
    *value = v;
    return true;
}

static bool name_index(const char *text, const char *const *names, size_t count, unsigned *index)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(text, names[i]) == 0) {
            *index = (unsigned)i;
            return true;
        }
    }
    return false;
}

bool kh_json_enum(json_t *object, const char *path, const char *key, const char *const *names,
                  size_t count, unsigned *value, kh_diag *diag)
{
    const char *text;
    if (!kh_json_string(object, path, key, &text, diag))
        return false;
    if (!name_index(text, names, count, value))
        return kh_fail(diag, "%s: \"%s\" is \"%.40s\", which the format does not know", path, key,
                       text);
    return true;
}

bool kh_json_flags(json_t *object, const char *path, const char *key, const char *const *names,
                   size_t count, unsigned *bits, kh_diag *diag)
{
    json_t *array;
    if (!kh_json_array(object, path, key, &array, diag))
        return false;
    *bits = 0;
    for (size_t i = 0; i < json_array_size(array); i++) {
        json_t *item = json_array_get(array, i);
        unsigned index;
        if (!json_is_string(item))
            return kh_fail(diag, "%s.%s[%zu] is %s, not a string", path, key, i, type_name(item));
        /* A name from a later writer is ignored, as unknown keys are. */
        if (name_index(json_string_value(item), names, count, &index))
            *bits |= 1u << index;
    }
    return true;
}
