/*
 * Runs: slots holding blocks of one size class, found free or busy by one bit each.
 *
 * A run's blocks follow each other from KM_BLOCK_LEAD bytes into its first slot, with no
 * header, so a block's index is its offset divided by the class size (a multiplication by the
 * size's reciprocal, kept beside it), and a pointer that is not a whole number of blocks from
 * the start is not a block. The free map lives in the run record, out of the blocks' reach;
 * allocation takes the lowest set bit at or after search_word, so busy blocks pack towards the
 * start of the run.
 *
 * The size a block was requested with is kept in the block's slack (core/slack_code.h).
 *
 * A run's slots are committed as allocation reaches them, ahead by as much as the run has
 * committed already (KM_RUN_COMMIT_STEP at first), so a size class used for a handful of blocks
 * costs a few pages, not the whole run, and a run of big blocks fills in a few requests; blocks
 * are handed out lowest first, so the committed part is always a prefix.
 *
 * A class keeps its runs with a free block in KM_RUN_BINS lists by how full they are, and
 * allocates from the fullest. Runs that have lost most of their blocks then get no new ones and
 * drain, and an empty run goes back to its segment: under random churn a class holds about as
 * many runs as its live blocks need, where taking any run with room would leave every run a
 * little empty and none empty enough to return. A class keeps one empty run, though, so that
 * its population going up and down by a few blocks (or one block allocated and freed in a loop)
 * does not make and return runs at every swing.
 *
 * A thread's allocation and free in its own runs start inline in heap.c (run_owned.h): a free
 * may wait there, uncounted, among the thread's recent frees.
 */
#include "core/heap_types.h"
#include "core/run_owned.h"
#include "core/slack_code.h"

#include <string.h>

size_t km_run_blocks_in(const km_heap *heap, unsigned size_class, size_t slots)
{
    size_t blocks =
        ((slots << heap->slot_shift) - KM_BLOCK_LEAD) / km_size_class_block_size(size_class);
    size_t most = (size_t)heap->run_map_words * 64;
    return blocks < most ? blocks : most;
}

size_t km_run_least_slots(const km_heap *heap, unsigned size_class)
{
    return km_heap_slots_for(heap, KM_BLOCK_LEAD + km_size_class_block_size(size_class));
}

static bool wastes_an_eighth_at_most(const km_heap *heap, unsigned size_class, size_t slots)
{
    size_t bytes = slots << heap->slot_shift;
    return (bytes -
            km_run_blocks_in(heap, size_class, slots) * km_size_class_block_size(size_class)) *
               8 <=
           bytes;
}

/* The smallest number of slots, doubling, whose run wastes at most an eighth of its bytes; at
 * most 512 KiB of them, and in a fixed heap at most a 64th of its maximum (or the slots one
 * block needs): a fixed heap's runs of big blocks would otherwise take slots its other classes
 * need. */
void km_heap_init_run_geometry(km_heap *heap)
{
    size_t most_bytes = 8 * KM_SLOT_SIZE;
    if (heap->maximum && heap->maximum / 64 < most_bytes)
        most_bytes = heap->maximum / 64;
    for (unsigned c = 0; c < KM_SIZE_CLASS_COUNT; c++) {
        heap->run_slots[c] = 0;
        if (km_size_class_block_size(c) > KM_RUN_BLOCK_MAX)
            continue;
        size_t least = km_run_least_slots(heap, c);
        size_t most = most_bytes >> heap->slot_shift;
        size_t slots = least;
        while (slots < most && !wastes_an_eighth_at_most(heap, c, slots))
            slots = slots * 2 < most ? slots * 2 : most;
        heap->run_slots[c] = (uint8_t)slots;
    }
}

static size_t map_words(const km_run *run)
{
    return ((size_t)run->block_count + 63) / 64;
}

_Static_assert(KM_RUN_BINS <= 8, "a class keeps a byte of bins with runs");

/* The bin of a run with free_count free blocks: 0 for the fullest, KM_RUN_BINS - 1 for the
 * emptiest. */
static unsigned bin_of(const km_run *run)
{
    /* The commonest case, a full run that just got one block back, needs no division. */
    if (run->free_count == 1 && run->block_count >= KM_RUN_BINS)
        return 0;
    return (unsigned)(((size_t)run->free_count * KM_RUN_BINS - 1) / run->block_count);
}

/* The free counts bin_of maps to bin, from low to high: its inverse, without a division. */
static bool in_bin(const km_run *run, unsigned bin)
{
    size_t low = ((size_t)bin * run->block_count + KM_RUN_BINS) / KM_RUN_BINS;
    size_t high = ((size_t)bin + 1) * run->block_count / KM_RUN_BINS;
    return run->free_count >= low && run->free_count <= high;
}

static km_run_pool *pool_of(const km_run *run)
{
    return atomic_load_explicit(&run->pool, memory_order_relaxed);
}

static void link_partial(km_run_pool *pool, km_run *run)
{
    unsigned size_class = run->size_class;
    run->bin = (uint16_t)bin_of(run);
    km_run **head = &pool->partial[size_class][run->bin];
    run->prev = NULL;
    run->next = *head;
    if (*head)
        (*head)->prev = run;
    *head = run;
    pool->partial_bins[size_class] |= (uint8_t)(1u << run->bin);
    pool->partial_runs[size_class]++;
}

static void unlink_partial(km_run_pool *pool, km_run *run)
{
    unsigned size_class = run->size_class;
    if (run->prev)
        run->prev->next = run->next;
    else if (!(pool->partial[size_class][run->bin] = run->next))
        pool->partial_bins[size_class] &= (uint8_t) ~(1u << run->bin);
    if (run->next)
        run->next->prev = run->prev;
    run->next = run->prev = NULL;
    pool->partial_runs[size_class]--;
}

/* Moves a listed run to the bin its free count now calls for; a free count changes by one at a
 * time, so this seldom moves anything. */
static inline __attribute__((always_inline)) void rebin(km_run_pool *pool, km_run *run)
{
    if (in_bin(run, run->bin))
        return;
    unlink_partial(pool, run);
    link_partial(pool, run);
}

/* Free checking (KM_HEAP_DEBUG_FREE): every free block of a run holds the free fill, from the
 * run's making on, so that allocation can check that nobody wrote to a freed block. */
#define KM_FREE_FILL 0xfeeefeeeu

static void fill_free(uintptr_t block, size_t size)
{
    uint32_t *words = (uint32_t *)block;
    for (size_t i = 0; i < size / sizeof(uint32_t); i++)
        words[i] = KM_FREE_FILL;
}

static bool free_fill_is_intact(uintptr_t block, size_t size)
{
    const uint32_t *words = (const uint32_t *)block;
    for (size_t i = 0; i < size / sizeof(uint32_t); i++)
        if (words[i] != KM_FREE_FILL)
            return false;
    return true;
}

static km_status commit_through(km_run *run, uintptr_t end);
static void count_recent_frees_of(km_heap *heap, km_thread_cache *cache, unsigned size_class);

/* A new run committed whole and every block filled (run slots are fresh or retained, so this
 * is the only time a block is filled without having been freed); false without the memory. */
static bool fill_new_run(km_run *run, km_status *status)
{
    uintptr_t end = run->first_block + (size_t)run->block_count * run->block_size;
    *status = commit_through(run, end);
    if (*status != KM_OK)
        return false;
    fill_free(run->first_block, end - run->first_block);
    return true;
}

/* Slots for a new run of the class: as many as its runs have, or in a fixed heap short of them,
 * as few as one block needs. */
static km_status take_run_slots(km_heap *heap, unsigned size_class, size_t *slots,
                                km_segment **segment, size_t *slot)
{
    *slots = heap->run_slots[size_class];
    km_status status = km_heap_take_slots_locked(heap, *slots, 0, KM_SLOT_RUN, segment, slot);
    size_t least = km_run_least_slots(heap, size_class);
    if (status != KM_NO_MEMORY || !heap->maximum || least >= *slots)
        return status;
    *slots = least;
    return km_heap_take_slots_locked(heap, *slots, 0, KM_SLOT_RUN, segment, slot);
}

__attribute__((noinline)) static km_run *new_run(km_heap *heap, km_run_pool *pool,
                                                 unsigned size_class, km_status *status)
{
    size_t slots;
    km_segment *segment;
    size_t slot;
    *status = take_run_slots(heap, size_class, &slots, &segment, &slot);
    if (*status != KM_OK)
        return NULL;
    size_t blocks = km_run_blocks_in(heap, size_class, slots);
    km_run *run = km_segment_run_record(segment, slot);
    *run = (km_run){
        .segment = segment,
        .first_block = km_slot_address(segment, slot) + KM_BLOCK_LEAD,
        .block_size = (uint32_t)km_size_class_block_size(size_class),
        .block_count = (uint16_t)blocks,
        .free_count = (uint16_t)blocks,
        .size_class = (uint16_t)size_class,
        .head_slot = (uint32_t)slot,
    };
    segment->slots[slot].run.block_size = run->block_size;
    segment->slots[slot].run.reciprocal = (uint32_t)(((uint64_t)1 << 32) / run->block_size + 1);
    /* A run before this one in the slot may have left bits in any word. */
    memset(run->maps, 0, heap->run_map_words * sizeof run->maps[0]);
    size_t full_words = run->block_count / 64;
    for (size_t w = 0; w < full_words; w++)
        run->maps[w].free = ~(uint64_t)0;
    if (run->block_count % 64)
        run->maps[full_words].free = ((uint64_t)1 << (run->block_count % 64)) - 1;
    /* Published whole: another thread's free reads the record only once the pool says whose
     * it is (a release, paired with its acquire). */
    atomic_store_explicit(&run->pool, pool, memory_order_release);
    link_partial(pool, run);
    pool->empty_runs[size_class]++;
    if (__builtin_expect(heap->debug & KM_HEAP_DEBUG_FREE, 0) && !fill_new_run(run, status)) {
        pool->empty_runs[size_class]--;
        unlink_partial(pool, run);
        km_segment_give_slots_locked(segment, slot);
        return NULL;
    }
    return run;
}

/* Commits the run's slots to cover `needed` bytes and as much again as the run has committed
 * (KM_RUN_COMMIT_STEP at least): a run of big blocks grows in a few requests, not one per
 * block, and a class used for a handful of small blocks still costs a few pages. Pages past the
 * last block are committed with the rest, so that a slot the run gives back is whole for the
 * next run (stopping at the last block saved 2% of committed memory in churn, for a third more
 * requests). The slots' own records say what is committed already, so pages a free slot kept
 * committed cost nothing. Kept out of line: allocation's fast path should not pay for this
 * one's registers. */
__attribute__((noinline)) static km_status commit_more(km_run *run, size_t needed)
{
    km_segment *segment = run->segment;
    size_t page = segment->heap->pages->page_size;
    size_t slots_bytes = (size_t)segment->slots[run->head_slot].span << segment->slot_shift;
    size_t ahead =
        run->committed_end > KM_RUN_COMMIT_STEP ? run->committed_end : KM_RUN_COMMIT_STEP;
    size_t wanted = (needed + ahead + page - 1) & ~(page - 1);
    if (wanted > slots_bytes)
        wanted = slots_bytes;
    km_status status = km_segment_commit_slots_locked(segment, run->head_slot,
                                                      segment->slots[run->head_slot].span, wanted);
    if (status == KM_OK)
        run->committed_end = (uint32_t)wanted;
    return status;
}

/* Makes sure the run's pages are committed through address `end`. */
static km_status commit_through(km_run *run, uintptr_t end)
{
    size_t needed = end - (run->first_block - KM_BLOCK_LEAD);
    return needed <= run->committed_end ? KM_OK : commit_more(run, needed);
}

/* Takes the lowest free block of a run that has one. */
/* The same where blocks in quarantine are free to lookups but not to allocation
 * (quarantine.c): a word's held blocks are masked out. Out of line: without a quarantine the
 * allocation path should not carry it. */
__attribute__((noinline)) static size_t take_unheld_block(km_run *run)
{
    for (size_t w = run->search_word;; w++) {
        uint64_t word = run->maps[w].free & ~run->maps[w].exact;
        if (word) {
            run->maps[w].free &= ~(word & -word);
            run->search_word = (uint16_t)w;
            return w * 64 + (size_t)__builtin_ctzll(word);
        }
    }
}

static size_t take_free_block(const km_heap *heap, km_run *run)
{
    if (__builtin_expect(heap->quarantine.limit != 0, 0))
        return take_unheld_block(run);
    for (size_t w = run->search_word;; w++) {
        /* An acquire: a block another thread freed was last written before its bit was set. */
        uint64_t word = __atomic_load_n(&run->maps[w].free, __ATOMIC_ACQUIRE);
        if (word) {
            /* An atomic clear: another thread may be freeing a block of the word in its fast
             * path (a thread's run, allocated from under the lock). */
            __atomic_fetch_and(&run->maps[w].free, ~(word & -word), __ATOMIC_RELAXED);
            run->search_word = (uint16_t)w;
            return w * 64 + (size_t)__builtin_ctzll(word);
        }
    }
}

/* Moves a listed run from one pool to another, under the heap's lock. */
static void move_listed_run(km_run_pool *from, km_run_pool *to, km_run *run)
{
    bool empty = run->free_count == run->block_count;
    unlink_partial(from, run);
    from->empty_runs[run->size_class] -= empty;
    atomic_store_explicit(&run->pool, to, memory_order_release);
    link_partial(to, run);
    to->empty_runs[run->size_class] += empty;
}

/* A run of the class with a free block for the pool: its own fullest, else the heap's (a
 * thread cache takes it over), else a new one. */
/* A listed run of the class with room, the pool's or else the heap's (taken over). */
static km_run *listed_run_with_room(km_heap *heap, km_run_pool *pool, unsigned size_class)
{
    km_run *run = km_run_pool_fullest(pool, size_class);
    if (__builtin_expect(run != NULL, 1))
        return run;
    if (pool != &heap->pool && (run = km_run_pool_fullest(&heap->pool, size_class)))
        move_listed_run(&heap->pool, pool, run);
    return run;
}

static km_run *run_with_room(km_heap *heap, km_run_pool *pool, unsigned size_class,
                             km_status *status)
{
    km_run *run = listed_run_with_room(heap, pool, size_class);
    if (__builtin_expect(run != NULL, 1))
        return run;
    run = new_run(heap, pool, size_class, status);
    if (run || *status != KM_NO_MEMORY || !heap->maximum)
        return run;
    /* A fixed heap with no slot left for the class serves the request from the smallest bigger
     * block it has free, as a heap that keeps blocks of any size side by side would: the block's
     * code says what was requested, whatever its run's class. */
    for (unsigned bigger = size_class + 1; !run && bigger < KM_SIZE_CLASS_COUNT; bigger++)
        run = listed_run_with_room(heap, pool, bigger);
    if (run)
        *status = KM_OK;
    return run;
}

/* Trimming a thread's pool stops every fast path, so a pool is trimmed once the runs that became
 * empty beyond what it keeps add up to KM_CACHE_TRIM_BYTES, not at each one: a thread churning a
 * class of one-slot runs stops the others a few times less often, for at most that much memory
 * kept committed. */
#define KM_CACHE_TRIM_BYTES ((size_t)256 << 10)

static size_t run_bytes(const km_run *run)
{
    return (size_t)run->block_count * run->block_size;
}

/* A thread's pool holds one more empty run than its class keeps. */
static void note_surplus(km_run_pool *pool, const km_run *run)
{
    pool->surplus += run_bytes(run);
    if (pool->surplus >= KM_CACHE_TRIM_BYTES)
        km_thread_cache_of_pool(pool)->trim = true;
}

/* Counts a block just taken from a listed run: the run is no longer empty, and leaves the lists
 * when it is full. */
static inline __attribute__((always_inline)) void count_as_taken(km_run_pool *pool, km_run *run)
{
    if (run->free_count == run->block_count &&
        pool->empty_runs[run->size_class]-- > KM_EMPTY_RUNS_KEPT)
        pool->surplus -= run_bytes(run) < pool->surplus ? run_bytes(run) : pool->surplus;
    if (--run->free_count == 0)
        unlink_partial(pool, run);
    else
        rebin(pool, run);
}

void *km_run_alloc_locked(km_heap *heap, km_run_pool *pool, unsigned size_class, size_t size,
                          km_status *status)
{
    /* The thread's recent frees of the class are counted in before its runs' maps are searched. */
    if (pool != &heap->pool && size_class < KM_RECENT_CLASSES)
        count_recent_frees_of(heap, km_thread_cache_of_pool(pool), size_class);
    km_run *run = run_with_room(heap, pool, size_class, status);
    if (!run)
        return NULL;
    size_t index = take_free_block(heap, run);
    uintptr_t block = run->first_block + index * run->block_size;
    *status = commit_through(run, block + run->block_size);
    /* Free checking: a write after free shows in the fill; the block stays out of use. */
    if (*status == KM_OK && __builtin_expect(heap->debug & KM_HEAP_DEBUG_FREE, 0) &&
        !free_fill_is_intact(block, run->block_size))
        *status = KM_CORRUPTED;
    if (*status != KM_OK) {
        __atomic_fetch_or(&run->maps[index / 64].free, (uint64_t)1 << (index % 64),
                          __ATOMIC_RELAXED);
        return NULL;
    }
    count_as_taken(pool, run);
    km_run_set_requested_locked(heap, run, index, block, size);
    *status = KM_OK;
    return (void *)block;
}

void *km_run_alloc_searched(km_heap *heap, km_run_pool *pool, unsigned size_class, size_t size)
{
    km_run *run = km_run_pool_fullest(pool, size_class);
    if (!run)
        return NULL;
    /* A counted free block lies at or after search_word (blocks other threads freed may lie
     * before it, uncounted yet). Nothing changes until the block is known committed (pages are
     * committed under the lock only) and its size code is written. */
    size_t w = run->search_word;
    uint64_t word;
    /* An acquire: a block another thread freed was last written before its bit was set. */
    while (!(word = __atomic_load_n(&run->maps[w].free, __ATOMIC_ACQUIRE)))
        w++;
    uint64_t bit = word & -word;
    size_t index = w * 64 + (size_t)__builtin_ctzll(word);
    uintptr_t block = run->first_block + index * run->block_size;
    if (block + run->block_size - (run->first_block - KM_BLOCK_LEAD) > run->committed_end)
        return NULL;
    km_run_set_requested_locked(heap, run, index, block, size);
    /* An atomic clear: another thread may be setting a bit of the word (a remote free). */
    __atomic_fetch_and(&run->maps[w].free, ~bit, __ATOMIC_RELEASE);
    run->search_word = (uint16_t)w;
    count_as_taken(pool, run);
    return (void *)block;
}

/* Counts `freed` blocks of the run, free in the map already and none in a word before `word`,
 * as free for allocation: relists the run in its pool, and gives an empty one of the heap's
 * pool back beyond what the pool keeps. An empty run of a thread's pool beyond that counts as the
 * pool's surplus instead, given back with the fast paths stopped (trim_own_cache): other threads
 * free its blocks without the lock, and may be doing so now. */
static inline __attribute__((always_inline)) void
count_as_free(km_heap *heap, km_run_pool *pool, km_run *run, size_t word, size_t freed)
{
    if (word < run->search_word)
        run->search_word = (uint16_t)word;
    bool was_full = run->free_count == 0;
    run->free_count = (uint16_t)(run->free_count + freed);
    if (was_full)
        link_partial(pool, run);
    else
        rebin(pool, run);
    if (run->free_count < run->block_count)
        return;
    if (pool->empty_runs[run->size_class] < KM_EMPTY_RUNS_KEPT || pool != &heap->pool) {
        if (pool->empty_runs[run->size_class]++ >= KM_EMPTY_RUNS_KEPT)
            note_surplus(pool, run);
        return;
    }
    unlink_partial(pool, run);
    km_segment_give_slots_locked(run->segment, run->head_slot);
}

/* The same, and the block counted in the pool. */
static inline __attribute__((always_inline)) bool set_free(km_heap *heap, km_run_pool *pool,
                                                           const km_block_ref *ref)
{
    if (!km_run_set_free_bit(ref))
        return false;
    count_as_free(heap, pool, ref->run, ref->index / 64, 1);
    return true;
}

bool km_run_free_locked(km_heap *heap, const km_block_ref *ref)
{
    if (__builtin_expect(heap->debug & KM_HEAP_DEBUG_FREE, 0))
        fill_free(ref->block, ref->run->block_size);
    /* With a quarantine, a free block set in the exact map is a held one: a block freed past the
     * quarantine (its ring could not grow) must not keep its exact bit. */
    if (__builtin_expect(heap->quarantine.limit != 0, 0))
        ref->run->maps[ref->index / 64].exact &= ~((uint64_t)1 << (ref->index % 64));
    return set_free(heap, pool_of(ref->run), ref);
}

static void count_recent_frees_of(km_heap *heap, km_thread_cache *cache, unsigned size_class)
{
    km_recent_frees *recent = &cache->recent[size_class];
    while (recent->count) {
        recent->count--;
        size_t index = recent->blocks[recent->count].index;
        count_as_free(heap, &cache->pool, recent->blocks[recent->count].run, index / 64, 1);
    }
}

void km_run_count_recent_frees(km_heap *heap, km_thread_cache *cache)
{
    for (unsigned c = 0; c < KM_RECENT_CLASSES; c++)
        count_recent_frees_of(heap, cache, c);
}

/* The block's last line is fetched once it is counted free. Freed from a full run, it is most
 * often the only free block of its class's fullest run with room, which the class's next
 * allocation takes, writing the size code in that line. Fetched now, the line is at hand for
 * that write (8% less time per pair in native churn, before recent frees). */
void km_run_count_free_owned(km_heap *heap, km_run_pool *pool, const km_block_ref *ref)
{
    count_as_free(heap, pool, ref->run, ref->index / 64, 1);
    __builtin_prefetch((const void *)(ref->block + ref->run->block_size - 1));
}

km_status km_run_free_remote(const km_block_ref *ref)
{
    km_run *run = ref->run;
    if (!km_run_set_free_bit(ref))
        return KM_FREED;
    atomic_fetch_add_explicit(&run->remote_count, 1, memory_order_release);
    if (atomic_exchange_explicit(&run->remote_listed, 1, memory_order_acq_rel))
        return KM_OK;
    km_thread_cache *owner = km_thread_cache_of_pool(pool_of(run));
    km_run *head = atomic_load_explicit(&owner->remote_runs, memory_order_relaxed);
    do
        atomic_store_explicit(&run->remote_next, head, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&owner->remote_runs, &head, run,
                                                  memory_order_release, memory_order_relaxed));
    return KM_OK;
}

void km_run_collect_remote(km_heap *heap, km_thread_cache *cache)
{
    km_run_pool *pool = &cache->pool;
    km_run *run = atomic_exchange_explicit(&cache->remote_runs, NULL, memory_order_acquire);
    while (run) {
        km_run *next = atomic_load_explicit(&run->remote_next, memory_order_relaxed);
        /* Cleared first: a block freed from now on lists the run again. */
        atomic_store_explicit(&run->remote_listed, 0, memory_order_seq_cst);
        uint32_t freed = atomic_exchange_explicit(&run->remote_count, 0, memory_order_acquire);
        if (freed) {
            /* Their bits are set already, anywhere in the run. */
            count_as_free(heap, pool, run, 0, freed);
        }
        run = next;
    }
}

/* Gives the pool's empty runs back to their segments, down to `kept` of each class. */
static void give_back_empty_runs(km_run_pool *pool, unsigned kept)
{
    for (unsigned c = 0; c < KM_SIZE_CLASS_COUNT; c++) {
        km_run *run = pool->partial[c][KM_RUN_BINS - 1];
        while (run && pool->empty_runs[c] > kept) {
            km_run *next = run->next;
            if (run->free_count == run->block_count) {
                pool->empty_runs[c]--;
                unlink_partial(pool, run);
                km_segment_give_slots_locked(run->segment, run->head_slot);
            }
            run = next;
        }
    }
}

void km_run_trim_locked(km_run_pool *pool)
{
    pool->surplus = 0;
    give_back_empty_runs(pool, KM_EMPTY_RUNS_KEPT);
}

void km_run_pool_return_locked(km_heap *heap, km_run_pool *pool)
{
    for (unsigned c = 0; c < KM_SIZE_CLASS_COUNT; c++)
        for (unsigned bin = 0; bin < KM_RUN_BINS; bin++)
            while (pool->partial[c][bin])
                move_listed_run(pool, &heap->pool, pool->partial[c][bin]);
    /* Its full runs are on no list: found by their pool. */
    for (size_t i = 0; i < heap->segment_count; i++) {
        km_segment *segment = heap->segments[i];
        for (size_t slot = segment->meta_slots; slot < segment->described; slot++)
            if (segment->slots[slot].kind == KM_SLOT_RUN &&
                pool_of(km_segment_run_record(segment, slot)) == pool)
                atomic_store_explicit(&km_segment_run_record(segment, slot)->pool, &heap->pool,
                                      memory_order_relaxed);
    }
    km_run_trim_locked(&heap->pool);
}

/* A held block is free in the map and set in the exact map, which a free block otherwise never
 * is while the heap keeps a quarantine; free_count leaves it out. */
void km_run_hold_locked(km_heap *heap, km_run *run, size_t index)
{
    if (__builtin_expect(heap->debug & KM_HEAP_DEBUG_FREE, 0))
        fill_free(run->first_block + index * run->block_size, run->block_size);
    uint64_t bit = (uint64_t)1 << (index % 64);
    run->maps[index / 64].free |= bit;
    run->maps[index / 64].exact |= bit;
}

void km_run_release_held_locked(km_heap *heap, km_run *run, size_t index)
{
    run->maps[index / 64].exact &= ~((uint64_t)1 << (index % 64));
    count_as_free(heap, pool_of(run), run, index / 64, 1);
}

void km_run_release_empty_locked(km_heap *heap)
{
    give_back_empty_runs(&heap->pool, 0);
}

bool km_run_free_block_is_intact_locked(const km_run *run, size_t index)
{
    return free_fill_is_intact(run->first_block + index * run->block_size, run->block_size);
}

bool km_run_free_fills_are_intact_locked(const km_heap *heap, const km_run *run)
{
    if (!(heap->debug & KM_HEAP_DEBUG_FREE))
        return true;
    for (size_t i = 0; i < run->block_count; i++)
        if (km_run_is_block_free(run, i) &&
            !free_fill_is_intact(run->first_block + i * run->block_size, run->block_size))
            return false;
    return true;
}

/* Counts free bits, for validation: the map must agree with free_count. */
size_t km_run_count_free(const km_heap *heap, const km_run *run)
{
    size_t count = 0;
    for (size_t w = 0; w < map_words(run); w++)
        count += (size_t)__builtin_popcountll(
            heap->quarantine.limit ? run->maps[w].free & ~run->maps[w].exact : run->maps[w].free);
    return count;
}
