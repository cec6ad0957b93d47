/*
 * Per-export call counts (KM_STATS=FILE) and the way an export passes a call it must not serve
 * to the system's own implementation of the same export.
 *
 * Each export counts itself on entry with KM_COUNT_CALL; when it passes the call on, KM_SYSTEM
 * counts that too and gives the system kernel32's function of the same name, typed as ours.
 * A call that was not passed on was served here. Counting costs a load and a branch when
 * KM_STATS is unset. At process exit each export that was called appends one line to the file:
 *
 *     HeapAlloc served=100012 passed_on=3 pid=1234
 */
#ifndef KM_API_EXPORT_STATS_H
#define KM_API_EXPORT_STATS_H

#include "api/win32.h"
#include "export_ids.h"

#include <stdbool.h>

extern bool km_export_stats_enabled;

void km_export_stats_count_call(km_export_id id);

static inline void km_count_call(km_export_id id)
{
    if (__builtin_expect(km_export_stats_enabled, 0))
        km_export_stats_count_call(id);
}

#define KM_COUNT_CALL(name) km_count_call(KM_EXPORT_##name)

/* The system kernel32's implementation of export id, counted as a call passed on. Every
 * export that passes calls on is one that each kernel32 since Windows NT has. */
void *km_pass_on(km_export_id id);

#define KM_SYSTEM(name) ((__typeof__(&name))km_pass_on(KM_EXPORT_##name))

/* The same for an export known by its id, typed as export `twin` (GlobalLock and LocalLock, and
 * each Global/Local pair, share one signature and one implementation here). */
#define KM_SYSTEM_AS(twin, id) ((__typeof__(&twin))km_pass_on(id))

/* Reads KM_STATS at process start; km_export_stats_write appends the counts at exit. */
void km_export_stats_start(void);
void km_export_stats_write(void);

#endif
