/* Heap snapshots (core/heap_snapshot.c) and the JSON writer under them, on the host: the text is
 * the JSON the writer was asked for, a snapshot names every block with what the heap knows of
 * it, and running out of memory midway is reported, leaking nothing. km-heap's own tests parse
 * snapshots back with a real JSON reader (km_heap.roundtrip). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/heap_snapshot.h"
#include "heap_fixture.h"

/* The text as a C string, for the string functions (the snapshot's memory is the core's). */
static char *text_of(const km_text *text)
{
    char *copy = malloc(text->length + 1);
    memcpy(copy, text->data, text->length);
    copy[text->length] = 0;
    return copy;
}

static void the_writer_places_commas_colons_and_escapes(void **state)
{
    (void)state;
    km_host_pages pages;
    km_host_pages_init(&pages);
    km_text t;
    km_text_init(&t, &pages.pages);
    km_json_open_object(&t);
    km_json_key(&t, "a");
    km_json_open_array(&t);
    km_json_uint(&t, 0);
    km_json_int(&t, -12);
    km_json_bool(&t, true);
    km_json_null(&t);
    km_json_string(&t, "q\"b\\\x01");
    km_json_address(&t, 0xabc0);
    km_json_close_array(&t);
    km_json_key(&t, "b");
    km_json_open_object(&t);
    km_json_close_object(&t);
    km_json_key(&t, "c");
    km_json_uint(&t, UINT64_MAX);
    km_json_close_object(&t);
    char *s = text_of(&t);
    assert_string_equal(s, "{\"a\":[0,-12,true,null,\"q\\\"b\\\\\\u0001\",\"0xabc0\"],\"b\":{},"
                           "\"c\":18446744073709551615}");
    free(s);
    km_text_release(&t);
    assert_int_equal(pages.reserved_bytes, 0);
}

static void the_text_grows_past_its_first_reservation(void **state)
{
    (void)state;
    km_host_pages pages;
    km_host_pages_init(&pages);
    km_text t;
    km_text_init(&t, &pages.pages);
    km_json_open_array(&t);
    for (unsigned i = 0; i < 100000; i++)
        km_json_uint(&t, i);
    km_json_close_array(&t);
    assert_false(t.failed);
    assert_true(t.length > pages.pages.granularity);
    assert_int_equal(t.data[t.length - 1], ']');
    assert_int_equal(memcmp(t.data, "[0,1,2,", 7), 0);
    km_text_release(&t);
    assert_int_equal(pages.reserved_bytes, 0);
}

/* The snapshot's object for the block at address, from its opening brace. */
static const char *block_object(const char *json, const void *address)
{
    char needle[64];
    snprintf(needle, sizeof needle, "{\"address\":\"%p\"", address);
    return strstr(json, needle);
}

static void expect_block(const char *json, const void *address, size_t requested, const char *state,
                         const char *seal)
{
    const char *object = block_object(json, address);
    assert_non_null(object);
    char expected[160];
    snprintf(expected, sizeof expected, "\"requested\":%zu,\"state\":\"%s\",\"seal\":\"%s\"}",
             requested, state, seal);
    const char *end = strchr(object, '}');
    assert_non_null(end);
    assert_true(end + 1 - object >= (long)strlen(expected));
    assert_memory_equal(end + 1 - strlen(expected), expected, strlen(expected));
}

static char *snapshot_of(km_heap *heap, km_pages *pages)
{
    km_snapshot snapshot;
    km_snapshot_header header = {.producer = "core test", .reason = "request", .pid = 0};
    km_snapshot_open(&snapshot, pages, &header);
    assert_true(km_snapshot_heap(&snapshot, heap, (uintptr_t)heap, true, true));
    assert_int_equal(km_snapshot_close(&snapshot), KM_OK);
    char *json = text_of(&snapshot.text);
    km_snapshot_release(&snapshot);
    return json;
}

static void a_snapshot_names_every_block_with_its_state(void **state)
{
    fixture *f = *state;
    km_heap *heap = f->heap;
    void *small = alloc_ok(heap, 100);
    void *exact = alloc_ok(heap, 64);
    void *freed = alloc_ok(heap, 100);
    void *overflowed = alloc_ok(heap, 100);
    void *span = alloc_ok(heap, 200000);
    void *large = alloc_ok(heap, 4 << 20);
    assert_int_equal(km_heap_free(heap, 0, freed), KM_OK);
    ((char *)overflowed)[100] ^= 0x55; /* the seal after the request */

    char *json = snapshot_of(heap, &f->pages.pages);
    assert_non_null(strstr(json, "{\"format\":\"kernel32_mem.snapshot\",\"version\":1,"));
    expect_block(json, small, 100, "busy", "intact");
    expect_block(json, exact, 64, "busy", "exact");
    expect_block(json, freed, 0, "free", "none");
    expect_block(json, overflowed, 0, "busy", "broken");
    expect_block(json, span, 200000, "busy", "none");
    char large_entry[80];
    snprintf(large_entry, sizeof large_entry, "{\"address\":\"%p\",\"base\":", large);
    assert_non_null(strstr(json, large_entry));
    assert_non_null(strstr(json, "\"requested\":4194304,\"guarded\":false}"));
    assert_non_null(strstr(json, "{\"kind\":\"meta\",\"first\":0,"));
    assert_non_null(strstr(json, "\"handles\":[]}\n"));
    free(json);
    ((char *)overflowed)[100] ^= 0x55;
}

static void quarantined_blocks_are_told_from_free_ones(void **state)
{
    fixture *f = *state;
    km_heap_set_quarantine(f->heap, 1 << 20);
    void *held = alloc_ok(f->heap, 300);
    assert_int_equal(km_heap_free(f->heap, 0, held), KM_OK);
    char *json = snapshot_of(f->heap, &f->pages.pages);
    expect_block(json, held, 0, "quarantined", "none");
    assert_non_null(strstr(json, "\"quarantined_count\":1,"));
    free(json);
}

static void running_out_of_memory_is_reported_and_leaks_nothing(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 2000; i++)
        alloc_ok(f->heap, 48);
    size_t reserved = f->pages.reserved_bytes;
    for (long n = 0; n < 4; n++) {
        km_snapshot snapshot;
        km_snapshot_header header = {.producer = "core test", .reason = "request", .pid = 0};
        km_host_pages_fail_after(&f->pages, n);
        km_snapshot_open(&snapshot, &f->pages.pages, &header);
        assert_true(km_snapshot_heap(&snapshot, f->heap, (uintptr_t)f->heap, false, true));
        km_status status = km_snapshot_close(&snapshot);
        km_host_pages_fail_after(&f->pages, -1);
        km_snapshot_release(&snapshot);
        assert_int_equal(status, KM_NO_MEMORY);
        assert_int_equal(f->pages.reserved_bytes, reserved);
    }
}

static void a_handle_table_lists_entries_in_use(void **state)
{
    fixture *f = *state;
    km_handle_table table;
    km_handle_table_init(&table, &f->pages.pages);
    void *data = alloc_ok(f->heap, 40);
    km_handle_entry *kept = km_handle_alloc_locked(&table, data, 0x2);
    km_handle_entry *dropped = km_handle_alloc_locked(&table, NULL, 0x2 | 0x8);
    km_handle_entry *freed = km_handle_alloc_locked(&table, NULL, 0x2);
    km_handle_free_locked(&table, freed);
    kept->lock_count = 3;
    static const km_flag_name names[] = {{0x2, "moveable"}, {0x8, "discarded"}, {0, NULL}};

    km_snapshot snapshot;
    km_snapshot_header header = {.producer = "core test", .reason = "request", .pid = 7};
    km_snapshot_open(&snapshot, &f->pages.pages, &header);
    assert_true(km_snapshot_heap(&snapshot, f->heap, (uintptr_t)f->heap, true, true));
    km_snapshot_handles_locked(&snapshot, &table, f->heap, names);
    assert_int_equal(km_snapshot_close(&snapshot), KM_OK);
    char *json = text_of(&snapshot.text);
    km_snapshot_release(&snapshot);

    char expected[200];
    snprintf(expected, sizeof expected,
             "\"handles\":[{\"handle\":\"%p\",\"pointer\":\"%p\",\"locks\":3,\"flags\":"
             "[\"moveable\"],\"size\":40},{\"handle\":\"%p\",\"pointer\":null,\"locks\":0,"
             "\"flags\":[\"moveable\",\"discarded\"],\"size\":0}]}\n",
             km_handle_of(kept), data, km_handle_of(dropped));
    assert_non_null(strstr(json, expected));
    free(json);
    km_handle_table_release(&table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_writer_places_commas_colons_and_escapes),
        cmocka_unit_test(the_text_grows_past_its_first_reservation),
        cmocka_unit_test_setup_teardown(a_snapshot_names_every_block_with_its_state, setup_growable,
                                        teardown),
        cmocka_unit_test_setup_teardown(quarantined_blocks_are_told_from_free_ones, setup_growable,
                                        teardown),
        cmocka_unit_test_setup_teardown(running_out_of_memory_is_reported_and_leaks_nothing,
                                        setup_growable, teardown),
        cmocka_unit_test_setup_teardown(a_handle_table_lists_entries_in_use, setup_growable,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
