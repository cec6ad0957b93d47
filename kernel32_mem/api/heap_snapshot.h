/*
 * Heap snapshots as the DLL takes them (heap_snapshot.c): at load, at exit, and the gate that
 * keeps a snapshot from reading a heap HeapDestroy is releasing.
 */
#ifndef KM_API_HEAP_SNAPSHOT_H
#define KM_API_HEAP_SNAPSHOT_H

/* Reads KM_SNAPSHOT and, when it is set, starts the thread that answers the named event. */
void km_heap_snapshot_start(void);

/* Writes the snapshot KM_SNAPSHOT asks for at exit, if it asks for one. */
void km_heap_snapshot_at_exit(void);

/* HeapDestroy passes through the gate: no snapshot reads a heap while it is released. */
void km_snapshot_gate_enter(void);
void km_snapshot_gate_leave(void);

#endif
