/*
 * A named event that another program sets to ask this one for something (a heap snapshot), and
 * the thread of ours that waits for it. The thread exists only when a user asked for it (the
 * DLL makes none otherwise); it lives until the process ends.
 */
#ifndef KM_NT_EVENT_LISTENER_H
#define KM_NT_EVENT_LISTENER_H

#include "nt/nt_types.h"

#include <stdbool.h>

/* Creates (or opens) the auto-reset events `name` and `done_name` in the session's
 * named-object directory ("Local\..."), and a thread that, each time `name` is set, calls
 * on_signal and then sets `done_name`, so that the asker can wait for the answer. */
bool km_nt_event_listener_start(const WCHAR *name, const WCHAR *done_name,
                                void (*on_signal)(void));

#endif
