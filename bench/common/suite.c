#include "suite.h"

#include <stdlib.h>
#include <string.h>

typedef struct bench_run {
    double ns_per_op;
    size_t peak_committed, peak_live;
    double page_requests_per_10k; /* negative: not counted */
} bench_run;

/* One line of the results: a row of an entry's workload. */
typedef struct bench_row {
    const bench_entry *entry;
    const char *name;
    int repetitions;
    double median, minimum, maximum;
    size_t peak_committed, peak_live;
    double page_requests_per_10k;
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
        } else if (!strcmp(argv[i], "--allocator")) {
            options->allocator = value;
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

static double median_of(double *figures, int count)
{
    qsort(figures, (size_t)count, sizeof *figures, compare_doubles);
    return count % 2 ? figures[count / 2] : (figures[count / 2 - 1] + figures[count / 2]) / 2;
}

static void summarize(bench_row *row, const bench_run *runs)
{
    int count = row->repetitions;
    double *figures = malloc((size_t)count * sizeof *figures);
    if (!figures)
        exit(2);
    for (int i = 0; i < count; i++) {
        figures[i] = runs[i].ns_per_op;
        if (runs[i].peak_committed > row->peak_committed)
            row->peak_committed = runs[i].peak_committed;
        if (runs[i].peak_live > row->peak_live)
            row->peak_live = runs[i].peak_live;
    }
    row->median = median_of(figures, count);
    row->minimum = figures[0];
    row->maximum = figures[count - 1];
    for (int i = 0; i < count; i++)
        figures[i] = runs[i].page_requests_per_10k;
    row->page_requests_per_10k = median_of(figures, count);
    free(figures);
}

static int rows_of(const bench_workload *workload)
{
    int rows = 0;
    while (rows < BENCH_MAX_ROWS && workload->row_names[rows])
        rows++;
    return rows ? rows : 1;
}

static const char *row_name(const bench_workload *workload, int row)
{
    return workload->row_names[0] ? workload->row_names[row] : workload->name;
}

/* Runs the entry's workload once; fills runs[row * stride] for each of its rows. */
static void run_once(const bench_entry *entry, bench_scale scale, bench_run *runs, size_t stride)
{
    const bench_workload *workload = entry->workload;
    const bench_allocator *a = entry->allocator;
    if (a->begin)
        a->begin(a->context);
    bench_meter meters[BENCH_MAX_ROWS];
    for (int row = 0; row < BENCH_MAX_ROWS; row++)
        meters[row] = (bench_meter){.allocator = a};
    workload->run(a, scale, meters);
    /* One count per run: a run that fills several rows cannot split it between them. */
    if (rows_of(workload) == 1)
        bench_dump_instructions(workload->name, a->name, workload->threads, meters[0].operations);
    else
        bench_drop_instructions();
    if (a->end)
        a->end(a->context);
    for (int row = 0; row < rows_of(workload); row++) {
        const bench_meter *meter = &meters[row];
        double operations = (double)(meter->operations ? meter->operations : 1);
        runs[(size_t)row * stride] = (bench_run){
            .ns_per_op = (double)meter->elapsed_ns / operations,
            .peak_committed = meter->peak_committed,
            .peak_live = meter->peak_live,
            .page_requests_per_10k =
                a->page_requests ? (double)meter->page_requests * 1e4 / operations : -1,
        };
    }
}

static void write_csv(FILE *file, const bench_row *rows, size_t count)
{
    fprintf(file, "workload,allocator,threads,ns_per_op,ns_per_op_min,ns_per_op_max,"
                  "peak_committed_bytes,peak_live_bytes\n");
    for (size_t i = 0; i < count; i++)
        fprintf(file, "%s,%s,%d,%.1f,%.1f,%.1f,%zu,%zu\n", rows[i].name,
                rows[i].entry->allocator->name, rows[i].entry->workload->threads, rows[i].median,
                rows[i].minimum, rows[i].maximum, rows[i].peak_committed, rows[i].peak_live);
}

/* System calls beside the CSV (RESULTS.system_calls.csv), for the allocators whose page
 * requests are counted: per 10,000 operations, while the clock ran. */
static int write_system_calls(const char *csv_path, const bench_row *rows, size_t count)
{
    size_t counted = 0;
    for (size_t i = 0; i < count; i++)
        if (rows[i].page_requests_per_10k >= 0)
            counted++;
    if (!counted)
        return 0;
    size_t length = strlen(csv_path);
    if (length > 4 && !strcmp(csv_path + length - 4, ".csv"))
        length -= 4;
    char *path = malloc(length + sizeof ".system_calls.csv");
    if (!path)
        return 1;
    snprintf(path, length + sizeof ".system_calls.csv", "%.*s.system_calls.csv", (int)length,
             csv_path);
    FILE *file = fopen(path, "wb");
    int status = 0;
    if (!file) {
        fprintf(stderr, "cannot write %s\n", path);
        status = 1;
    } else {
        fprintf(file, "workload,allocator,threads,system_calls_per_10k_ops\n");
        for (size_t i = 0; i < count; i++)
            if (rows[i].page_requests_per_10k >= 0)
                fprintf(file, "%s,%s,%d,%.1f\n", rows[i].name, rows[i].entry->allocator->name,
                        rows[i].entry->workload->threads, rows[i].page_requests_per_10k);
        if (fclose(file))
            status = 1;
    }
    free(path);
    return status;
}

/* The table: each workload's rows, with the ratio of each allocator's time to the first
 * allocator's (ours), so "12.0x" means twelve times slower than kernel32_mem. */
static void print_table(const bench_row *rows, size_t count)
{
    printf("%-15s %-18s %12s %23s %9s %15s %8s\n", "workload", "allocator", "ns/op", "(min - max)",
           "vs ours", "peak committed", "/ live");
    double reference = 0;
    for (size_t i = 0; i < count; i++) {
        if (i == 0 || strcmp(rows[i].name, rows[i - 1].name))
            reference = rows[i].median;
        char spread[48];
        snprintf(spread, sizeof spread, "(%.1f - %.1f)", rows[i].minimum, rows[i].maximum);
        printf("%-15s %-18s %12.1f %23s %8.2fx %15zu", rows[i].name, rows[i].entry->allocator->name,
               rows[i].median, spread, reference > 0 ? rows[i].median / reference : 0.0,
               rows[i].peak_committed);
        /* Below a megabyte live, fixed costs (a first slot, an arena) swamp the ratio. */
        if (rows[i].peak_live >= (1u << 20))
            printf(" %8.3f\n", (double)rows[i].peak_committed / (double)rows[i].peak_live);
        else
            printf(" %8s\n", "-");
    }
}

/* Whether the workload is called name, or has a row called name. */
static bool workload_is(const bench_workload *workload, const char *name)
{
    if (!strcmp(workload->name, name))
        return true;
    for (int row = 0; row < BENCH_MAX_ROWS && workload->row_names[row]; row++)
        if (!strcmp(workload->row_names[row], name))
            return true;
    return false;
}

/* Keeps the entries of the chosen workload and allocator (all when none is chosen); returns
 * their count. */
static size_t select_entries(bench_entry *entries, size_t count, const char *workload,
                             const char *allocator)
{
    size_t kept = 0;
    for (size_t i = 0; i < count; i++)
        if ((!workload || workload_is(entries[i].workload, workload)) &&
            (!allocator || !strcmp(entries[i].allocator->name, allocator)))
            entries[kept++] = entries[i];
    return kept;
}

/* The rows regrouped so that rows of one name follow each other, names in the order of their
 * first row (a workload with two rows, run on every allocator, lists each row's allocators
 * together). A new array. */
static bench_row *group_by_name(const bench_row *rows, size_t count)
{
    bench_row *ordered = malloc(count * sizeof *ordered);
    bool *taken = calloc(count, sizeof *taken);
    if (!ordered || !taken)
        exit(2);
    size_t next = 0;
    for (size_t i = 0; i < count; i++) {
        if (taken[i])
            continue;
        for (size_t j = i; j < count; j++)
            if (!taken[j] && !strcmp(rows[j].name, rows[i].name)) {
                ordered[next++] = rows[j];
                taken[j] = true;
            }
    }
    free(taken);
    return ordered;
}

int bench_suite_run(bench_entry *entries, size_t count, const bench_options *options)
{
    count = select_entries(entries, count, options->workload, options->allocator);
    if (!count) {
        fprintf(stderr, "no workload and allocator match the choice\n");
        return 2;
    }
    /* Rows in the order of the entries, a workload's rows together; the table and the CSV
     * group them by row name, in the order the workloads ran. */
    size_t row_count = 0;
    for (size_t i = 0; i < count; i++)
        row_count += (size_t)rows_of(entries[i].workload);
    int repetitions = options->repetitions;
    bench_run *runs = calloc(row_count * (size_t)repetitions, sizeof *runs);
    bench_row *rows = calloc(row_count, sizeof *rows);
    size_t *first_row = calloc(count, sizeof *first_row);
    if (!runs || !rows || !first_row)
        return 2;
    for (size_t i = 0, next = 0; i < count; i++) {
        const bench_workload *workload = entries[i].workload;
        first_row[i] = next;
        int cap = workload->max_repetitions;
        for (int row = 0; row < rows_of(workload); row++)
            rows[next++] = (bench_row){.entry = &entries[i],
                                       .name = row_name(workload, row),
                                       .repetitions = cap && cap < repetitions ? cap : repetitions};
    }
    for (int r = 0; r < repetitions; r++) {
        fprintf(stderr, "[bench] repetition %d of %d\n", r + 1, repetitions);
        for (size_t i = 0; i < count; i++)
            if (r < rows[first_row[i]].repetitions)
                run_once(&entries[i], options->scale,
                         &runs[first_row[i] * (size_t)repetitions + (size_t)r],
                         (size_t)repetitions);
    }
    for (size_t i = 0; i < row_count; i++)
        summarize(&rows[i], &runs[i * (size_t)repetitions]);
    bench_row *ordered = group_by_name(rows, row_count);

    int status = 0;
    if (options->csv_path) {
        /* Binary: the CSV has Unix line ends on every platform. */
        FILE *file = fopen(options->csv_path, "wb");
        if (!file) {
            fprintf(stderr, "cannot write %s\n", options->csv_path);
            status = 1;
        } else {
            write_csv(file, ordered, row_count);
            if (fclose(file))
                status = 1;
        }
        if (write_system_calls(options->csv_path, ordered, row_count))
            status = 1;
    }
    print_table(ordered, row_count);
    free(ordered);
    free(first_row);
    free(runs);
    free(rows);
    return status;
}
