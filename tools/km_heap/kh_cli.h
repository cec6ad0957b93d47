/*
 * What every km-heap command shares: its exit codes, its one-line messages on standard error
 * ("km-heap: ..."), loading a snapshot with such a message on failure, and byte counts written
 * for people (1.5 MiB).
 */
#ifndef KH_CLI_H
#define KH_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "kh_snapshot.h"

enum {
    KH_EXIT_OK = 0,
    KH_EXIT_NOT_FOUND = 1, /* a well-formed question with a negative answer (where: no heap) */
    KH_EXIT_USAGE = 2,     /* bad arguments or bad input */
    KH_EXIT_FAILED = 3,    /* the work itself failed (out of memory, cannot write) */
};

void kh_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Reads a snapshot; on failure says why and returns false. */
bool kh_load(const char *path, kh_snapshot *snapshot);

/* Parses an address given on the command line: hex with or without 0x. */
bool kh_parse_cli_address(const char *text, uint64_t *address);

/* n bytes for a reader: "512 B", "12.0 KiB", "1.5 MiB", "2.00 GiB". Returns buffer. */
typedef struct kh_human {
    char text[24];
} kh_human;
kh_human kh_bytes(uint64_t n);

/* Opens path for writing ("-": standard output); on failure says why. */
FILE *kh_open_output(const char *path);
/* Closes what kh_open_output opened; false (and a message) when the writes failed. */
bool kh_close_output(FILE *file, const char *path);

/* The commands (kh_main.c dispatches; argv[0] is the command's name). */
int kh_stats_main(int argc, char **argv);
int kh_where_main(int argc, char **argv);
int kh_diff_main(int argc, char **argv);
int kh_map_main(int argc, char **argv);
int kh_replay_main(int argc, char **argv);

#endif
