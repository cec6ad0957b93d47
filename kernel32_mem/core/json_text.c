#include "core/json_text.h"

#include <string.h>

void km_text_init(km_text *text, km_pages *pages)
{
    *text = (km_text){.pages = pages};
}

void km_text_release(km_text *text)
{
    if (text->data)
        text->pages->release(text->pages, text->data, text->capacity);
    km_text_init(text, text->pages);
}

void km_text_clear(km_text *text)
{
    *text = (km_text){.pages = text->pages, .data = text->data, .capacity = text->capacity};
}

/* Room for `more` bytes: a reservation twice the size, committed whole, the text copied over. */
static bool make_room(km_text *text, size_t more)
{
    if (text->failed)
        return false;
    if (more <= text->capacity - text->length)
        return true;
    km_pages *pages = text->pages;
    size_t capacity = text->capacity ? text->capacity : pages->granularity;
    while (capacity - text->length < more) {
        if (capacity > SIZE_MAX / 2) {
            text->failed = true;
            return false;
        }
        capacity *= 2;
    }
    char *data = pages->reserve(pages, capacity);
    if (!data || pages->commit(pages, data, capacity, false) != KM_OK) {
        if (data)
            pages->release(pages, data, capacity);
        text->failed = true;
        return false;
    }
    if (text->data) {
        memcpy(data, text->data, text->length);
        pages->release(pages, text->data, text->capacity);
    }
    text->data = data;
    text->capacity = capacity;
    return true;
}

void km_text_append(km_text *text, const char *bytes, size_t length)
{
    if (!make_room(text, length))
        return;
    memcpy(text->data + text->length, bytes, length);
    text->length += length;
}

char *km_text_room(km_text *text, size_t length)
{
    return make_room(text, length) ? text->data + text->length : NULL;
}

void km_text_added(km_text *text, size_t length)
{
    text->length += length;
}

static void append_char(km_text *text, char c)
{
    km_text_append(text, &c, 1);
}

/* Before any value or key: the comma that separates it from the item before. */
static void begin_item(km_text *text)
{
    if (text->after_key) {
        text->after_key = false;
        return;
    }
    uint64_t bit = (uint64_t)1 << text->depth;
    if (text->has_items & bit)
        append_char(text, ',');
    text->has_items |= bit;
}

static void open_container(km_text *text, char bracket)
{
    begin_item(text);
    append_char(text, bracket);
    if (text->depth < KM_JSON_MAX_DEPTH)
        text->depth++;
    text->has_items &= ~((uint64_t)1 << text->depth);
}

static void close_container(km_text *text, char bracket)
{
    if (text->depth > 0)
        text->depth--;
    append_char(text, bracket);
}

void km_json_open_object(km_text *text)
{
    open_container(text, '{');
}

void km_json_close_object(km_text *text)
{
    close_container(text, '}');
}

void km_json_open_array(km_text *text)
{
    open_container(text, '[');
}

void km_json_close_array(km_text *text)
{
    close_container(text, ']');
}

static void append_escaped(km_text *text, const char *value)
{
    static const char hex[] = "0123456789abcdef";
    append_char(text, '"');
    for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
        if (*c == '"' || *c == '\\') {
            char escaped[2] = {'\\', (char)*c};
            km_text_append(text, escaped, 2);
        } else if (*c < 0x20) {
            char escaped[6] = {'\\', 'u', '0', '0', hex[*c >> 4], hex[*c & 15]};
            km_text_append(text, escaped, 6);
        } else {
            append_char(text, (char)*c);
        }
    }
    append_char(text, '"');
}

void km_json_key(km_text *text, const char *key)
{
    begin_item(text);
    append_escaped(text, key);
    append_char(text, ':');
    text->after_key = true;
}

void km_json_string(km_text *text, const char *value)
{
    begin_item(text);
    append_escaped(text, value);
}

static void append_decimal(km_text *text, uint64_t value)
{
    char digits[20];
    size_t n = sizeof(digits);
    do {
        digits[--n] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    km_text_append(text, digits + n, sizeof(digits) - n);
}

void km_json_uint(km_text *text, uint64_t value)
{
    begin_item(text);
    append_decimal(text, value);
}

void km_json_int(km_text *text, int64_t value)
{
    begin_item(text);
    if (value < 0) {
        append_char(text, '-');
        append_decimal(text, (uint64_t)0 - (uint64_t)value);
    } else {
        append_decimal(text, (uint64_t)value);
    }
}

void km_json_bool(km_text *text, bool value)
{
    begin_item(text);
    if (value)
        km_text_append(text, "true", 4);
    else
        km_text_append(text, "false", 5);
}

void km_json_null(km_text *text)
{
    begin_item(text);
    km_text_append(text, "null", 4);
}

void km_json_address(km_text *text, uintptr_t value)
{
    static const char hex[] = "0123456789abcdef";
    char digits[2 + 2 * sizeof(uintptr_t) + 2];
    size_t n = sizeof(digits);
    digits[--n] = '"';
    do {
        digits[--n] = hex[value & 15];
        value >>= 4;
    } while (value);
    digits[--n] = 'x';
    digits[--n] = '0';
    digits[--n] = '"';
    begin_item(text);
    km_text_append(text, digits + n, sizeof(digits) - n);
}
