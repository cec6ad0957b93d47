#include "suite.h"

#include <stdlib.h>
#include <string.h>

typedef struct bench_run {
    double ns_per_op;
    size_t peak_committed, peak_live;
} bench_run;

typedef struct bench_row {
    double median, minimum, maximum;
    size_t peak_committed, peak_live;
} bench_row;

bool bench_options_parse(int argc, char **argv, bench_options *options)
{
    *options = (bench_options){.scale = BENCH_FULL, .repetitions = 0};
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!value) {
            fprintf(stderr, "%s: unknown or incomplete argument\n", argv[i]);
            return false;
        }
        if (!strcmp(argv[i], "--scale")) {
            if (!strcmp(value, "smoke"))
                options->scale = BENCH_SMOKE;
            else if (!strcmp(value, "short"))
                options->scale = BENCH_SHORT;
            else if (!strcmp(value, "full"))
                options->scale = BENCH_FULL;
            else {
                fprintf(stderr, "--scale takes smoke, short or full\n");
                return false;
            }
        } else if (!strcmp(argv[i], "--repetitions")) {
            options->repetitions = atoi(value);
            if (options->repetitions < 1) {
                fprintf(stderr, "--repetitions takes a positive count\n");
                return false;
            }
        } else if (!strcmp(argv[i], "--csv")) {
            options->csv_path = value;
        } else if (!strcmp(argv[i], "--workload")) {
            options->workload = value;
        } else {
            fprintf(stderr, "%s: unknown argument\n", argv[i]);
            return false;
        }
        i++;
    }
    if (!options->repetitions)
        options->repetitions = options->scale == BENCH_SMOKE ? 1 : options->scale == BENCH_SHORT ? 3 : 5;
    return true;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static bench_row summarize(const bench_run *runs, int count)
{
    double *figures = malloc((size_t)count * sizeof *figures);
    if (!figures)
        exit(2);
    bench_row row = {0};
    for (int i = 0; i < count; i++) {
        figures[i] = runs[i].ns_per_op;
        if (runs[i].peak_committed > row.peak_committed)
            row.peak_committed = runs[i].peak_committed;
        if (runs[i].peak_live > row.peak_live)
            row.peak_live = runs[i].peak_live;
    }
    qsort(figures, (size_t)count, sizeof *figures, compare_doubles);
    row.minimum = figures[0];
    row.maximum = figures[count - 1];
    row.median = count % 2 ? figures[count / 2]
                           : (figures[count / 2 - 1] + figures[count / 2]) / 2;
    free(figures);
    return row;
}

static bench_run run_once(const bench_entry *entry, bench_scale scale)
{
    const bench_allocator *a = entry->allocator;
    if (a->begin)
        a->begin(a->context);
    bench_meter meter;
    entry->workload->run(a, scale, &meter);
    bench_dump_instructions(entry->workload->name, a->name, entry->workload->threads,
                            meter.operations);
    if (a->end)
        a->end(a->context);
    return (bench_run){
        .ns_per_op = (double)meter.elapsed_ns / (double)(meter.operations ? meter.operations : 1),
        .peak_committed = meter.peak_committed,
        .peak_live = meter.peak_live,
    };
}

static void write_csv(FILE *file, const bench_entry *entries, const bench_row *rows, size_t count)
{
    fprintf(file, "workload,allocator,threads,ns_per_op,ns_per_op_min,ns_per_op_max,"
                  "peak_committed_bytes,peak_live_bytes\n");
    for (size_t i = 0; i < count; i++)
        fprintf(file, "%s,%s,%d,%.1f,%.1f,%.1f,%zu,%zu\n", entries[i].workload->name,
                entries[i].allocator->name, entries[i].workload->threads, rows[i].median,
                rows[i].minimum, rows[i].maximum, rows[i].peak_committed, rows[i].peak_live);
}

/* The table: each workload's rows, with the ratio of each allocator's time to the first
 * allocator's (ours), so "12.0x" means twelve times slower than kernel32_mem. */
static void print_table(const bench_entry *entries, const bench_row *rows, size_t count)
{
    printf("%-13s %-18s %12s %23s %9s %15s %8s\n", "workload", "allocator", "ns/op",
           "(min - max)", "vs ours", "peak committed", "/ live");
    double reference = 0;
    for (size_t i = 0; i < count; i++) {
        if (i == 0 || entries[i].workload != entries[i - 1].workload)
            reference = rows[i].median;
        char spread[48];
        snprintf(spread, sizeof spread, "(%.1f - %.1f)", rows[i].minimum, rows[i].maximum);
        printf("%-13s %-18s %12.1f %23s %8.2fx %15zu", entries[i].workload->name,
               entries[i].allocator->name, rows[i].median, spread,
               reference > 0 ? rows[i].median / reference : 0.0, rows[i].peak_committed);
        /* Below a megabyte live, fixed costs (a first slot, an arena) swamp the ratio. */
        if (rows[i].peak_live >= (1u << 20))
            printf(" %8.3f\n", (double)rows[i].peak_committed / (double)rows[i].peak_live);
        else
            printf(" %8s\n", "-");
    }
}

/* Keeps the entries of the chosen workload (all when none is chosen); returns their count. */
static size_t select_workload(bench_entry *entries, size_t count, const char *workload)
{
    if (!workload)
        return count;
    size_t kept = 0;
    for (size_t i = 0; i < count; i++)
        if (!strcmp(entries[i].workload->name, workload))
            entries[kept++] = entries[i];
    return kept;
}

int bench_suite_run(bench_entry *entries, size_t count, const bench_options *options)
{
    count = select_workload(entries, count, options->workload);
    if (!count) {
        fprintf(stderr, "no workload is called %s\n", options->workload);
        return 2;
    }
    int repetitions = options->repetitions;
    bench_run *runs = calloc(count * (size_t)repetitions, sizeof *runs);
    bench_row *rows = calloc(count, sizeof *rows);
    if (!runs || !rows)
        return 2;
    for (int r = 0; r < repetitions; r++) {
        fprintf(stderr, "[bench] repetition %d of %d\n", r + 1, repetitions);
        for (size_t i = 0; i < count; i++)
            runs[i * (size_t)repetitions + (size_t)r] = run_once(&entries[i], options->scale);
    }
    for (size_t i = 0; i < count; i++)
        rows[i] = summarize(&runs[i * (size_t)repetitions], repetitions);

    int status = 0;
    if (options->csv_path) {
        /* Binary: the CSV has Unix line ends on every platform. */
        FILE *file = fopen(options->csv_path, "wb");
        if (!file) {
            fprintf(stderr, "cannot write %s\n", options->csv_path);
            status = 1;
        } else {
            write_csv(file, entries, rows, count);
            if (fclose(file))
                status = 1;
        }
    }
    print_table(entries, rows, count);
    free(runs);
    free(rows);
    return status;
}
