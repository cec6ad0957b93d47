/*
 * The heap map (km-heap map, and diff --svg): one band per segment, its slots as cells.
 *
 * A band wraps into rows of KH_COLUMNS cells. A segment with more than KH_MAX_CELLS slots gets
 * several slots per cell (the band's label and each cell's tooltip say how many), so a 100 MiB
 * heap stays a few hundred cells a band. A cell is coloured by the kind that holds most of its
 * slots: metadata grey, runs blue (darker the fuller: busy / block_count), spans orange, free
 * slots pale green; the part of a cell whose pages are not committed is hatched. Runs, spans and
 * metadata commit a prefix of their slots, so a cell's committed share follows from its group's
 * committed bytes; a free group committed in part is shown as evenly committed, which the
 * format cannot say better. Spans get an outline and their size as a label. Large blocks have a
 * band of their own per heap, a box each, wider for bigger reservations. Blocks to highlight
 * (diff's new blocks) outline their cell or box in red.
 *
 * The drawing is linear in the groups and cells, never in slots or bytes.
 */
#define _POSIX_C_SOURCE 200809L
#include "kh_cli.h"
#include "kh_svg.h"

#include <stdlib.h>
#include <string.h>

#define KH_CELL_W 14
#define KH_CELL_H 18
#define KH_COLUMNS 64
#define KH_MAX_CELLS 512
#define KH_MARGIN 16
#define KH_LINE 16
#define KH_WIDTH (2 * KH_MARGIN + KH_COLUMNS * KH_CELL_W)

typedef struct canvas {
    FILE *out;
    int y;
    const kh_snapshot *snapshot;
    const uint64_t *highlight;
    size_t highlight_count;
} canvas;

typedef struct cell {
    uint64_t first_slot, slots;
    uint64_t kind_slots[4];
    double committed;    /* bytes, estimated as the file comment says */
    double fullness;     /* sum over run slots of busy / block_count */
    unsigned highlights; /* highlighted blocks in the cell */
    size_t first_group, last_group;
    bool touched;
} cell;

static const char *const kind_colors[] = {"#8c8c8c", "#3b73b9", "#f0a040", "#d7ecd0"};

static void run_color(double fullness, char color[8])
{
    /* From #dceaf7 (empty) to #1d4f91 (full). */
    static const int empty[3] = {0xdc, 0xea, 0xf7}, full[3] = {0x1d, 0x4f, 0x91};
    int rgb[3];
    for (int i = 0; i < 3; i++)
        rgb[i] = (int)(empty[i] + (full[i] - empty[i]) * fullness + 0.5);
    snprintf(color, 8, "#%02x%02x%02x", rgb[0] & 0xff, rgb[1] & 0xff, rgb[2] & 0xff);
}

/* The first index of sorted addresses at or after address. */
static size_t lower_bound(const uint64_t *addresses, size_t count, uint64_t address)
{
    size_t low = 0, high = count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        if (addresses[mid] < address)
            low = mid + 1;
        else
            high = mid;
    }
    return low;
}

static bool highlighted(const canvas *c, uint64_t address)
{
    size_t i = lower_bound(c->highlight, c->highlight_count, address);
    return i < c->highlight_count && c->highlight[i] == address;
}

static double committed_in(const kh_group *group, uint64_t slot_size, uint64_t from, uint64_t to)
{
    double span = (double)(to - from) * (double)slot_size;
    if (group->kind == KH_FREE)
        return (double)group->committed * (double)(to - from) / (double)group->count;
    double before = (double)(from - group->first) * (double)slot_size;
    double left = (double)group->committed - before;
    return left < 0 ? 0 : left > span ? span : left;
}

static void fill_cells(const canvas *c, const kh_segment *segment, uint64_t per_cell, cell *cells,
                       size_t cell_count)
{
    uint64_t slot_size = segment->slot_size;
    for (size_t i = 0; i < cell_count; i++) {
        cells[i].first_slot = i * per_cell;
        uint64_t end = cells[i].first_slot + per_cell;
        cells[i].slots =
            (end < segment->slot_count ? end : segment->slot_count) - cells[i].first_slot;
    }
    for (size_t g = 0; g < segment->group_count; g++) {
        const kh_group *group = &segment->groups[g];
        uint64_t end = group->first + group->count;
        for (uint64_t i = group->first / per_cell; i <= (end - 1) / per_cell; i++) {
            cell *cl = &cells[i];
            uint64_t from = group->first > cl->first_slot ? group->first : cl->first_slot;
            uint64_t to = end < cl->first_slot + cl->slots ? end : cl->first_slot + cl->slots;
            cl->kind_slots[group->kind] += to - from;
            cl->committed += committed_in(group, slot_size, from, to);
            if (group->kind == KH_RUN && group->block_count)
                cl->fullness +=
                    (double)(to - from) * (double)group->busy_count / (double)group->block_count;
            if (!cl->touched)
                cl->first_group = g;
            cl->touched = true;
            cl->last_group = g;
        }
    }
    uint64_t per_cell_bytes = per_cell * slot_size;
    size_t i = lower_bound(c->highlight, c->highlight_count, segment->base);
    for (; i < c->highlight_count && c->highlight[i] < kh_segment_end(segment); i++)
        cells[(c->highlight[i] - segment->base) / per_cell_bytes].highlights++;
}

static void group_summary(FILE *out, const kh_group *group, uint64_t slot_size)
{
    kh_svg_escapef(out, "\n%s, slots %llu-%llu, %s of %s committed",
                   kh_group_kind_name(group->kind), (unsigned long long)group->first,
                   (unsigned long long)(group->first + group->count - 1),
                   kh_bytes(group->committed).text, kh_bytes(group->count * slot_size).text);
    if (group->kind == KH_RUN)
        kh_svg_escapef(out, ": class %u, %llu-byte blocks, %llu of %llu busy", group->size_class,
                       (unsigned long long)group->block_size, (unsigned long long)group->busy_count,
                       (unsigned long long)group->block_count);
    else if (group->kind == KH_SPAN)
        kh_svg_escapef(
            out, ": block 0x%llx, %s, requested %llu", (unsigned long long)group->blocks[0].address,
            kh_bytes(group->blocks[0].size).text, (unsigned long long)group->blocks[0].requested);
}

static void draw_cell(const canvas *c, const kh_segment *segment, const cell *cl, uint64_t per_cell,
                      size_t index, int top)
{
    FILE *out = c->out;
    uint64_t slot_size = segment->slot_size;
    int x = KH_MARGIN + (int)(index % KH_COLUMNS) * KH_CELL_W;
    int y = top + (int)(index / KH_COLUMNS) * KH_CELL_H;
    unsigned kind = 0;
    for (unsigned k = 1; k < 4; k++)
        if (cl->kind_slots[k] > cl->kind_slots[kind])
            kind = k;
    char color[8];
    if (kind == KH_RUN)
        run_color(cl->fullness / (double)cl->kind_slots[KH_RUN], color);
    else
        snprintf(color, sizeof color, "%s", kind_colors[kind]);
    double bytes = (double)cl->slots * (double)slot_size;
    double share = bytes > 0 ? cl->committed / bytes : 0;
    if (share > 1)
        share = 1;
    if (kind == KH_FREE && share < 0.005)
        snprintf(color, sizeof color, "#ffffff");

    fprintf(out, "<g class=\"cell %s\"><title>", kh_group_kind_name((kh_group_kind)kind));
    uint64_t address = segment->base + cl->first_slot * slot_size;
    if (per_cell == 1)
        kh_svg_escapef(out, "slot %llu at 0x%llx", (unsigned long long)cl->first_slot,
                       (unsigned long long)address);
    else
        kh_svg_escapef(
            out,
            "slots %llu-%llu at 0x%llx (%llu slots per cell): meta %llu, run "
            "%llu, span %llu, free %llu; %.0f%% committed",
            (unsigned long long)cl->first_slot,
            (unsigned long long)(cl->first_slot + cl->slots - 1), (unsigned long long)address,
            (unsigned long long)per_cell, (unsigned long long)cl->kind_slots[KH_META],
            (unsigned long long)cl->kind_slots[KH_RUN], (unsigned long long)cl->kind_slots[KH_SPAN],
            (unsigned long long)cl->kind_slots[KH_FREE], share * 100);
    size_t shown = 0;
    for (size_t g = cl->first_group; g <= cl->last_group && shown < 4; g++, shown++)
        group_summary(out, &segment->groups[g], slot_size);
    if (cl->last_group - cl->first_group + 1 > shown)
        kh_svg_escapef(out, "\nand %zu more groups", cl->last_group - cl->first_group + 1 - shown);
    if (cl->highlights)
        kh_svg_escapef(out, "\n%u new blocks", cl->highlights);
    fprintf(out, "</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>", x, y,
            KH_CELL_W - 1, KH_CELL_H - 1, color);
    if (share < 0.995) {
        double w = (KH_CELL_W - 1) * (1 - share);
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                "fill=\"url(#uncommitted)\"/>",
                x + (KH_CELL_W - 1) - w, y, w, KH_CELL_H - 1);
    }
    if (cl->highlights)
        fprintf(out,
                "<rect class=\"new\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                "fill=\"none\" stroke=\"#d0021b\" stroke-width=\"2\"/>",
                x + 1, y + 1, KH_CELL_W - 3, KH_CELL_H - 3);
    fprintf(out, "</g>\n");
}

/* A span's outline over its cells, row by row, and its size where there is room. */
static void draw_span(const canvas *c, const kh_group *group, uint64_t per_cell, int top)
{
    uint64_t first = group->first / per_cell, last = (group->first + group->count - 1) / per_cell;
    bool labelled = false;
    while (first <= last) {
        uint64_t row_end = (first / KH_COLUMNS + 1) * KH_COLUMNS - 1;
        uint64_t end = last < row_end ? last : row_end;
        int x = KH_MARGIN + (int)(first % KH_COLUMNS) * KH_CELL_W;
        int y = top + (int)(first / KH_COLUMNS) * KH_CELL_H;
        int w = (int)(end - first + 1) * KH_CELL_W - 1;
        fprintf(c->out,
                "<rect class=\"span-outline\" x=\"%d\" y=\"%d\" width=\"%d\" "
                "height=\"%d\" fill=\"none\" stroke=\"#8a4b00\" stroke-width=\"1\" "
                "pointer-events=\"none\"/>\n",
                x, y, w, KH_CELL_H - 1);
        if (!labelled && w >= 56) {
            fprintf(c->out,
                    "<text x=\"%d\" y=\"%d\" font-size=\"10\" pointer-events=\"none\">"
                    "%s</text>\n",
                    x + 3, y + 12, kh_bytes(group->blocks[0].size).text);
            labelled = true;
        }
        first = end + 1;
    }
}

static bool draw_segment(canvas *c, size_t heap_index, const kh_segment *segment)
{
    const kh_heap *heap = &c->snapshot->heaps[heap_index];
    uint64_t per_cell = (segment->slot_count + KH_MAX_CELLS - 1) / KH_MAX_CELLS;
    size_t cell_count = (size_t)((segment->slot_count + per_cell - 1) / per_cell);
    cell *cells = calloc(cell_count, sizeof *cells);
    if (!cells)
        return false;
    fill_cells(c, segment, per_cell, cells, cell_count);
    fprintf(c->out, "<g class=\"segment\" id=\"segment-%zu-%llu\">\n", heap_index,
            (unsigned long long)segment->index);
    fprintf(c->out, "<text x=\"%d\" y=\"%d\" font-size=\"12\">", KH_MARGIN, c->y + 12);
    kh_svg_escapef(c->out, "heap 0x%llx, segment %llu, base 0x%llx, %s (%llu slots",
                   (unsigned long long)heap->handle, (unsigned long long)segment->index,
                   (unsigned long long)segment->base, kh_bytes(segment->size).text,
                   (unsigned long long)segment->slot_count);
    if (per_cell > 1)
        kh_svg_escapef(c->out, ", %llu per cell", (unsigned long long)per_cell);
    kh_svg_escapef(c->out, "), %s committed", kh_bytes(segment->committed).text);
    fprintf(c->out, "</text>\n");
    int top = c->y + KH_LINE + 2;
    for (size_t i = 0; i < cell_count; i++)
        draw_cell(c, segment, &cells[i], per_cell, i, top);
    for (size_t g = 0; g < segment->group_count; g++)
        if (segment->groups[g].kind == KH_SPAN)
            draw_span(c, &segment->groups[g], per_cell, top);
    fprintf(c->out, "</g>\n");
    c->y = top + (int)((cell_count + KH_COLUMNS - 1) / KH_COLUMNS) * KH_CELL_H + 8;
    free(cells);
    return true;
}

static void draw_large(canvas *c, size_t heap_index)
{
    const kh_heap *heap = &c->snapshot->heaps[heap_index];
    uint64_t slot_size = c->snapshot->slot_size;
    fprintf(c->out,
            "<g class=\"large\" id=\"large-%zu\">\n<text x=\"%d\" y=\"%d\" "
            "font-size=\"12\">",
            heap_index, KH_MARGIN, c->y + 12);
    kh_svg_escapef(c->out, "heap 0x%llx, large blocks: %zu", (unsigned long long)heap->handle,
                   heap->large_count);
    fprintf(c->out, "</text>\n");
    int top = c->y + KH_LINE + 2, x = KH_MARGIN, row = 0;
    const int limit = KH_COLUMNS * KH_CELL_W;
    for (size_t i = 0; i < heap->large_count; i++) {
        const kh_large *large = &heap->large[i];
        double slots = (double)large->reserved / (double)slot_size;
        int w = slots * KH_CELL_W > limit / 2 ? limit / 2 : (int)(slots * KH_CELL_W);
        if (w < 3 * KH_CELL_W)
            w = 3 * KH_CELL_W;
        if (x + w > KH_MARGIN + limit) {
            x = KH_MARGIN;
            row++;
        }
        int y = top + row * KH_CELL_H;
        double share = (double)large->committed / (double)large->reserved;
        fprintf(c->out, "<g class=\"cell large-block\"><title>");
        kh_svg_escapef(c->out,
                       "large block 0x%llx: requested %llu, reserved %s at 0x%llx, %s "
                       "committed%s",
                       (unsigned long long)large->address, (unsigned long long)large->requested,
                       kh_bytes(large->reserved).text, (unsigned long long)large->base,
                       kh_bytes(large->committed).text, large->guarded ? ", guarded" : "");
        if (highlighted(c, large->address))
            kh_svg_escapef(c->out, "\nnew");
        fprintf(c->out,
                "</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                "fill=\"#9b6bc7\"/>",
                x, y, w - 1, KH_CELL_H - 1);
        if (share < 0.995) {
            double u = (w - 1) * (1 - share);
            fprintf(c->out,
                    "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                    "fill=\"url(#uncommitted)\"/>",
                    x + (w - 1) - u, y, u, KH_CELL_H - 1);
        }
        if (w >= 56)
            fprintf(c->out,
                    "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#ffffff\">%s"
                    "</text>",
                    x + 3, y + 12, kh_bytes(large->requested).text);
        if (highlighted(c, large->address))
            fprintf(c->out,
                    "<rect class=\"new\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                    "fill=\"none\" stroke=\"#d0021b\" stroke-width=\"2\"/>",
                    x + 1, y + 1, w - 3, KH_CELL_H - 3);
        fprintf(c->out, "</g>\n");
        x += w;
    }
    fprintf(c->out, "</g>\n");
    c->y = top + (row + 1) * KH_CELL_H + 8;
}

static void legend_item(canvas *c, int *x, const char *fill, const char *label)
{
    fprintf(c->out,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
            "stroke=\"#555555\" stroke-width=\"0.5\"/>",
            *x, c->y, KH_CELL_W - 1, KH_CELL_H - 1, fill);
    fprintf(c->out, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n", *x + KH_CELL_W + 3,
            c->y + 12, label);
    *x += KH_CELL_W + 10 + (int)strlen(label) * 7;
}

static void draw_legend(canvas *c)
{
    char empty[8], half[8], full[8];
    run_color(0, empty);
    run_color(0.5, half);
    run_color(1, full);
    int x = KH_MARGIN;
    fprintf(c->out, "<g class=\"legend\">\n");
    legend_item(c, &x, kind_colors[KH_META], "meta");
    legend_item(c, &x, empty, "run, empty");
    legend_item(c, &x, half, "half full");
    legend_item(c, &x, full, "full");
    legend_item(c, &x, kind_colors[KH_SPAN], "span");
    legend_item(c, &x, kind_colors[KH_FREE], "free, committed");
    legend_item(c, &x, "url(#uncommitted)", "uncommitted");
    legend_item(c, &x, "#9b6bc7", "large block");
    if (c->highlight_count) {
        fprintf(c->out,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                "stroke=\"#d0021b\" stroke-width=\"2\"/>",
                x + 1, c->y + 1, KH_CELL_W - 3, KH_CELL_H - 3);
        fprintf(c->out, "<text x=\"%d\" y=\"%d\" font-size=\"11\">new block</text>\n",
                x + KH_CELL_W + 3, c->y + 12);
    }
    fprintf(c->out, "</g>\n");
    c->y += KH_CELL_H + 12;
}

static void draw_title(canvas *c, const char *title)
{
    const kh_snapshot *s = c->snapshot;
    uint64_t reserved = 0, committed = 0, requested = 0;
    for (size_t h = 0; h < s->heap_count; h++) {
        reserved += s->heaps[h].reserved;
        committed += s->heaps[h].committed;
        requested += s->heaps[h].requested;
    }
    fprintf(c->out,
            "<text class=\"title\" x=\"%d\" y=\"%d\" font-size=\"16\" "
            "font-weight=\"bold\">",
            KH_MARGIN, c->y + 16);
    kh_svg_escapef(c->out, "%s: %zu heaps, reserved %s, committed %s, requested %s",
                   title ? title : "heap map", s->heap_count, kh_bytes(reserved).text,
                   kh_bytes(committed).text, kh_bytes(requested).text);
    fprintf(c->out, "</text>\n<text x=\"%d\" y=\"%d\" font-size=\"11\">", KH_MARGIN, c->y + 34);
    kh_svg_escapef(c->out, "pid %llu, by %.80s (%.40s), %u-bit, %llu-byte slots",
                   (unsigned long long)s->pid, s->producer, s->reason, s->pointer_bits,
                   (unsigned long long)s->slot_size);
    fprintf(c->out, "</text>\n");
    c->y += 46;
}

bool kh_svg_map(FILE *out, const kh_snapshot *snapshot, const char *title,
                const uint64_t *highlight, size_t highlight_count)
{
    char *body = NULL;
    size_t body_size = 0;
    FILE *stream = open_memstream(&body, &body_size);
    if (!stream)
        return false;
    canvas c = {stream, KH_MARGIN, snapshot, highlight, highlight_count};
    draw_title(&c, title);
    draw_legend(&c);
    bool ok = true;
    for (size_t h = 0; h < snapshot->heap_count && ok; h++) {
        for (size_t s = 0; s < snapshot->heaps[h].segment_count && ok; s++)
            ok = draw_segment(&c, h, &snapshot->heaps[h].segments[s]);
        if (ok && snapshot->heaps[h].large_count)
            draw_large(&c, h);
    }
    ok = ok && !ferror(stream);
    fclose(stream);
    if (ok) {
        fprintf(out,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
                "<defs><pattern id=\"uncommitted\" width=\"6\" height=\"6\" "
                "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
                "<rect width=\"6\" height=\"6\" fill=\"#ffffff\"/>"
                "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#9a9a9a\" "
                "stroke-width=\"2\"/></pattern></defs>\n"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"#fafafa\"/>\n",
                KH_WIDTH, c.y + KH_MARGIN, KH_WIDTH, c.y + KH_MARGIN);
        fwrite(body, 1, body_size, out);
        fprintf(out, "</svg>\n");
    }
    free(body);
    return ok;
}

int kh_map_main(int argc, char **argv)
{
    const char *input = NULL, *output = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            output = argv[++i];
        else if (!input && argv[i][0] != '-')
            input = argv[i];
        else {
            input = NULL;
            break;
        }
    }
    if (!input || !output) {
        kh_error("usage: km-heap map SNAPSHOT -o OUT.svg");
        return KH_EXIT_USAGE;
    }
    kh_snapshot snapshot;
    if (!kh_load(input, &snapshot))
        return KH_EXIT_USAGE;
    int status = KH_EXIT_OK;
    FILE *out = kh_open_output(output);
    if (!out) {
        status = KH_EXIT_FAILED;
    } else {
        bool drawn = kh_svg_map(out, &snapshot, NULL, NULL, 0);
        if (!drawn)
            kh_error("out of memory");
        if (!kh_close_output(out, output) || !drawn)
            status = KH_EXIT_FAILED;
    }
    kh_snapshot_release(&snapshot);
    return status;
}
