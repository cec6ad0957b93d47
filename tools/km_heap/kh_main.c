/*
 * km-heap: reads the heap snapshots and traces kernel32_mem writes (SCHEMA.md) and answers
 * questions about them. One command per file; this one picks the command.
 */
#include "kh_cli.h"

#include <string.h>

static const char usage[] =
    "usage: km-heap COMMAND ...\n"
    "  stats SNAPSHOT                 per heap and size class: blocks, bytes, fragmentation\n"
    "  where SNAPSHOT ADDRESS         what the address is: heap, segment, slot, block\n"
    "  diff OLD NEW [--svg OUT.svg]   what grew, and the blocks new and still live\n"
    "  map SNAPSHOT -o OUT.svg        a picture of every segment's slots\n"
    "  replay TRACE [--snapshot OUT]  replays a trace into the heap core\n";

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } commands[] = {
        {"stats", kh_stats_main}, {"where", kh_where_main},   {"diff", kh_diff_main},
        {"map", kh_map_main},     {"replay", kh_replay_main},
    };
    if (argc < 2) {
        kh_error("no command given (km-heap --help lists them)");
        return KH_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, stdout);
        return KH_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    kh_error("unknown command '%s' (km-heap --help lists them)", argv[1]);
    return KH_EXIT_USAGE;
}
