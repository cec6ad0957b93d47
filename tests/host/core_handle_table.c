/* The moveable-memory handle table on the host: handles' shape, lookups that refuse anything
 * else, exhaustion, and the reuse order of freed entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/handle_table.h"
#include "host_pages.h"
#include "host_threads.h"

static void handles_point_at_their_data_and_have_handle_bits(void **state)
{
    (void)state;
    km_host_pages pages;
    km_host_pages_init(&pages);
    km_handle_table table;
    km_handle_table_init(&table, &pages.pages);
    int payload;
    km_handle_entry *entry = km_handle_alloc_locked(&table, &payload, 3);
    assert_non_null(entry);
    void *handle = km_handle_of(entry);
    assert_true(km_handle_has_handle_bits(handle));
    assert_ptr_equal(*(void **)handle, &payload);
    assert_ptr_equal(km_handle_lookup_locked(&table, handle), entry);
    assert_int_equal(entry->flags, 3 | KM_HANDLE_IN_USE);
    km_handle_table_release(&table);
}

static void lookups_refuse_anything_but_live_handles(void **state)
{
    (void)state;
    km_host_pages pages;
    km_host_pages_init(&pages);
    km_handle_table table;
    km_handle_table_init(&table, &pages.pages);
    assert_null(km_handle_lookup_locked(&table, (void *)(uintptr_t)0x1008));
    km_handle_entry *entry = km_handle_alloc_locked(&table, NULL, 0);
    char *handle = km_handle_of(entry);
    assert_null(km_handle_lookup_locked(&table, handle + 1));
    assert_null(km_handle_lookup_locked(&table, handle - sizeof(void *)));
    assert_null(km_handle_lookup_locked(&table, handle + 2 * sizeof(void *))); /* never given */
    assert_null(km_handle_lookup_locked(&table, (char *)table.entries - sizeof(void *)));
    km_handle_free_locked(&table, entry);
    assert_null(km_handle_lookup_locked(&table, handle));
    km_handle_table_release(&table);
}

static void the_table_fills_then_reuses_freed_entries_last(void **state)
{
    (void)state;
    km_host_pages pages;
    km_host_pages_init(&pages);
    km_handle_table table;
    km_handle_table_init(&table, &pages.pages);
    km_handle_entry **entries = malloc(KM_HANDLE_TABLE_CAPACITY * sizeof *entries);
    int payload;
    km_handle_entry *first = km_handle_alloc_locked(&table, &payload, 6);
    km_handle_free_locked(&table, first);
    /* A freed entry reads as Windows' do: no flags, no data. */
    assert_int_equal(first->flags, 0);
    assert_null(first->data);
    /* A freed entry waits until every never-used entry has been given out. */
    for (size_t i = 0; i < KM_HANDLE_TABLE_CAPACITY - 1; i++) {
        entries[i] = km_handle_alloc_locked(&table, NULL, 0);
        assert_non_null(entries[i]);
        assert_ptr_not_equal(entries[i], first);
    }
    assert_ptr_equal(km_handle_alloc_locked(&table, NULL, 0), first);
    assert_null(km_handle_alloc_locked(&table, NULL, 0));
    free(entries);
    km_handle_table_release(&table);
}

static void a_failed_commit_is_a_clean_refusal(void **state)
{
    (void)state;
    km_host_pages pages;
    km_host_pages_init(&pages);
    km_handle_table table;
    km_handle_table_init(&table, &pages.pages);
    km_host_pages_fail_after(&pages, 1); /* the reservation succeeds, the first commit fails */
    assert_null(km_handle_alloc_locked(&table, NULL, 0));
    assert_non_null(km_handle_alloc_locked(&table, NULL, 0));
    km_handle_table_release(&table);
}

/* Entries indexed by their data are found from it in constant time, through removals that move
 * other entries back and through the index's growth; entries not indexed are never found. */
static void indexed_entries_are_found_from_their_data(void **state)
{
    (void)state;
    enum { COUNT = 20000 };
    km_host_pages pages;
    km_host_pages_init(&pages);
    km_handle_table table;
    km_handle_table_init(&table, &pages.pages);
    static char data[COUNT];
    km_handle_entry **entries = calloc(COUNT, sizeof *entries);
    for (size_t i = 0; i < COUNT; i++) {
        entries[i] = km_handle_alloc_locked(&table, &data[i], 0);
        assert_non_null(entries[i]);
        if (i % 2 == 0)
            assert_true(km_handle_index_data_locked(&table, entries[i]));
    }
    for (size_t i = 0; i < COUNT; i += 6)
        km_handle_unindex_data_locked(&table, entries[i]);
    for (size_t i = 0; i < COUNT; i++) {
        bool indexed = i % 2 == 0 && i % 6 != 0;
        assert_ptr_equal(km_handle_find_data_locked(&table, &data[i]), indexed ? entries[i] : NULL);
    }
    /* An entry whose data moves is removed under its old data and added under the new. */
    km_handle_unindex_data_locked(&table, entries[2]);
    entries[2]->data = &data[0];
    assert_true(km_handle_index_data_locked(&table, entries[2]));
    assert_ptr_equal(km_handle_find_data_locked(&table, &data[0]), entries[2]);
    assert_null(km_handle_find_data_locked(&table, &data[2]));
    free(entries);
    km_handle_table_release(&table);
    assert_int_equal(pages.reserved_bytes, 0);
}

static void an_index_that_cannot_grow_refuses_the_entry(void **state)
{
    (void)state;
    km_host_pages pages;
    km_host_pages_init(&pages);
    km_handle_table table;
    km_handle_table_init(&table, &pages.pages);
    int payload;
    km_handle_entry *entry = km_handle_alloc_locked(&table, &payload, 0);
    km_host_pages_fail_after(&pages, 0);
    assert_false(km_handle_index_data_locked(&table, entry));
    assert_null(km_handle_find_data_locked(&table, &payload));
    km_host_pages_fail_after(&pages, -1);
    assert_true(km_handle_index_data_locked(&table, entry));
    assert_ptr_equal(km_handle_find_data_locked(&table, &payload), entry);
    km_handle_table_release(&table);
    assert_int_equal(pages.reserved_bytes, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handles_point_at_their_data_and_have_handle_bits),
        cmocka_unit_test(lookups_refuse_anything_but_live_handles),
        cmocka_unit_test(the_table_fills_then_reuses_freed_entries_last),
        cmocka_unit_test(a_failed_commit_is_a_clean_refusal),
        cmocka_unit_test(indexed_entries_are_found_from_their_data),
        cmocka_unit_test(an_index_that_cannot_grow_refuses_the_entry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
