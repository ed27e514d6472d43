// The execution model: one launch at a time (a process-wide mutex), blocks one after another, and within a
// block every CUDA thread a cooperative fiber with its own stack. A fiber runs until it reaches a barrier
// (__syncthreads), a warp collective, or returns; the scheduler then runs the next ready fiber. Barriers
// release when every live thread of the block (or every lane of the warp op's mask) has arrived; threads
// that returned no longer count at __syncthreads. When nothing can run but threads remain, the block has
// deadlocked and the launch fails with a description instead of hanging.
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "emu_internal.h"

namespace emu
{
ThreadCtx* g_cur;
uint3 g_block_idx, g_block_dim, g_grid_dim;
}

// Static __shared__ arrays of every kernel live in section "emu_shared" (see emu_runtime.h).
extern "C" char __start_emu_shared[] __attribute__((weak, visibility("hidden")));
extern "C" char __stop_emu_shared[] __attribute__((weak, visibility("hidden")));

// ---- context switch ------------------------------------------------------------------------------------------
// emu_ctx_switch(save, next): push the callee-saved registers, store the stack pointer in *save, load `next`
// and pop the other fiber's registers. A few nanoseconds, no syscall (ucontext's swapcontext does sigprocmask).
#if defined(__x86_64__)
extern "C" void emu_ctx_switch(void** save, void* next);
asm(R"(
    .text
    .p2align 4
    .globl emu_ctx_switch
    .hidden emu_ctx_switch
    .type emu_ctx_switch, @function
emu_ctx_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size emu_ctx_switch, .-emu_ctx_switch
)");
#elif defined(__aarch64__)
extern "C" void emu_ctx_switch(void** save, void* next);
asm(R"(
    .text
    .p2align 4
    .globl emu_ctx_switch
    .hidden emu_ctx_switch
    .type emu_ctx_switch, %function
emu_ctx_switch:
    sub sp, sp, #176
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x2, sp
    str x2, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #176
    ret
    .size emu_ctx_switch, .-emu_ctx_switch
)");
#else
#error "the CUDA emulator's context switch is written for x86-64 and aarch64"
#endif

namespace emu
{
namespace
{
enum State : int { Ready, AtBarrier, AtWarp, Done };

struct Fiber : ThreadCtx
{
    void* sp;
    int lin, lane, warp;
    State state;
    unsigned w_mask;
    int w_kind, w_src;
    unsigned long long w_payload, w_result;
    const char* file;
    int line;
};

constexpr size_t kStackBytes = 256 * 1024;

std::mutex g_launch_mutex;
std::vector<char*> g_stacks;            // stack pool, reused across blocks and launches
std::vector<Fiber> g_fibers;
std::vector<unsigned> g_warp_exists;    // lanes that exist in each warp (a partial last warp has fewer)
std::vector<unsigned> g_warp_arrived;   // lanes of each warp waiting in a warp collective
void* g_sched_sp;
int g_live, g_bar_arrived, g_threads;
const KernelInfo* g_kernel;
const char* g_file;
void** g_args;
void* g_dyn_shared;
bool g_abort;
std::string g_error;

Fiber* cur() { return static_cast<Fiber*>(g_cur); }

// Out-of-bounds accesses: every allocation is followed by a PROT_NONE page (emu_driver.cpp). During a launch a SIGSEGV
// handler turns a fault in such a page into a launch error naming the thread; any other fault goes to the handler
// that was installed before (the .NET runtime's), so nothing else changes.
sigjmp_buf g_fault_jmp;
struct sigaction g_old_segv;
pthread_t g_launch_thread;
volatile sig_atomic_t g_in_kernel;
uintptr_t g_fault_addr, g_fault_base;
size_t g_fault_bytes;

void on_segv(int sig, siginfo_t* info, void* ctx)
{
    auto a = reinterpret_cast<uintptr_t>(info->si_addr);
    if (g_in_kernel && pthread_equal(pthread_self(), g_launch_thread) && guard_hit(a, &g_fault_base, &g_fault_bytes))
    {
        g_fault_addr = a;
        siglongjmp(g_fault_jmp, 1);
    }
    if (g_old_segv.sa_flags & SA_SIGINFO) { g_old_segv.sa_sigaction(sig, info, ctx); return; }
    if (g_old_segv.sa_handler == SIG_DFL || g_old_segv.sa_handler == SIG_IGN)
    {
        sigaction(SIGSEGV, &g_old_segv, nullptr);
        raise(sig);
        return;
    }
    g_old_segv.sa_handler(sig);
}

std::string where(const Fiber* f)
{
    char b[256];
    snprintf(b, sizeof b, "kernel %s (%s) block (%u,%u,%u) thread (%u,%u,%u)", g_kernel->name, g_file, g_block_idx.x, g_block_idx.y,
             g_block_idx.z, f->tid.x, f->tid.y, f->tid.z);
    return b;
}

void abort_launch(const std::string& message)
{
    if (!g_abort) g_error = message;
    g_abort = true;
}

// Hand the OS thread to the next ready fiber directly (usually the next lane, about to reach the same warp op or
// barrier), or back to the scheduler when none is ready (it then finishes the block or reports a deadlock).
void yield(Fiber* f)
{
    if (!g_abort)
    {
        for (int i = f->lin + 1; i < g_threads; i++)
            if (g_fibers[i].state == Ready) { g_cur = &g_fibers[i]; emu_ctx_switch(&f->sp, g_fibers[i].sp); return; }
        for (int i = 0; i < f->lin; i++)
            if (g_fibers[i].state == Ready) { g_cur = &g_fibers[i]; emu_ctx_switch(&f->sp, g_fibers[i].sp); return; }
    }
    emu_ctx_switch(&f->sp, g_sched_sp);
}

[[noreturn]] void finish(Fiber* f)
{
    f->state = Done;
    yield(f);
    __builtin_unreachable();
}

void release_barrier()
{
    unsigned long long count = 0;
    for (int i = 0; i < g_threads; i++)
        if (g_fibers[i].state == AtBarrier) count += g_fibers[i].w_payload;
    for (int i = 0; i < g_threads; i++)
        if (g_fibers[i].state == AtBarrier) g_fibers[i].state = Ready, g_fibers[i].w_result = count;
    g_bar_arrived = 0;
}

void fiber_entry()
{
    Fiber* f = cur();
    g_kernel->run(g_args);
    g_live--;
    if (g_bar_arrived > 0 && g_bar_arrived == g_live) release_barrier();
    finish(f);
}

char* stack_at(size_t i)
{
    static const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    while (g_stacks.size() <= i)
    {
        // A PROT_NONE guard page below each stack turns an overflow into a fault instead of silent corruption.
        void* m = mmap(nullptr, kStackBytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) return nullptr;
        mprotect(m, page, PROT_NONE);
        g_stacks.push_back(static_cast<char*>(m) + page);
    }
    return g_stacks[i];
}

void init_fiber(Fiber& f, char* stack)
{
    auto* top = reinterpret_cast<uintptr_t*>(stack + kStackBytes);
#if defined(__x86_64__)
    // After the 6 register pops, `ret` enters fiber_entry with rsp ≡ 8 (mod 16), as after a call.
    top[-1] = 0;
    top[-2] = reinterpret_cast<uintptr_t>(&fiber_entry);
    for (int i = 3; i <= 8; i++) top[-i] = 0;
    f.sp = top - 8;
#else
    // 176-byte frame: x30 (the return address) at offset 88.
    auto* frame = reinterpret_cast<uintptr_t*>(reinterpret_cast<char*>(top) - 176);
    for (int i = 0; i < 22; i++) frame[i] = 0;
    frame[11] = reinterpret_cast<uintptr_t>(&fiber_entry);
    f.sp = frame;
#endif
}

std::string deadlock_report()
{
    std::string r = "deadlock in kernel " + std::string(g_kernel->name) + " (" + g_file + ") block (" + std::to_string(g_block_idx.x) + "," +
                    std::to_string(g_block_idx.y) + "," + std::to_string(g_block_idx.z) + "): ";
    int bar = 0, done = 0;
    const char* bar_site = nullptr;
    int bar_line = 0;
    for (int i = 0; i < g_threads; i++)
    {
        const Fiber& f = g_fibers[i];
        if (f.state == Done) done++;
        if (f.state == AtBarrier) { bar++; bar_site = f.file; bar_line = f.line; }
    }
    char b[512];
    snprintf(b, sizeof b, "%d of %d threads returned; %d wait at __syncthreads (e.g. %s:%d)", done, g_threads, bar, bar_site ? bar_site : "-", bar_line);
    r += b;
    for (size_t w = 0; w < g_warp_exists.size(); w++)
    {
        const Fiber* lead = nullptr;
        for (int l = 0; l < 32 && !lead; l++)
            if (g_warp_exists[w] >> l & 1 && g_fibers[w * 32 + l].state == AtWarp) lead = &g_fibers[w * 32 + l];
        if (!lead) continue;
        std::string missing;
        for (int l = 0; l < 32; l++)
        {
            if (!(lead->w_mask >> l & 1)) continue;
            const Fiber& g = g_fibers[w * 32 + l];
            if (g.state == AtWarp && g.w_mask == lead->w_mask) continue;
            missing += " " + std::to_string(l) + (g.state == Done ? "(returned)" : g.state == AtBarrier ? "(at __syncthreads)" : g.state == AtWarp ? "(other mask)" : "");
        }
        snprintf(b, sizeof b, "; warp %zu waits in a warp collective (%s:%d, mask 0x%08x) for lanes%s", w, lead->file, lead->line, lead->w_mask, missing.c_str());
        r += b;
    }
    return r;
}

void run_block()
{
    for (int i = 0; i < g_threads; i++) init_fiber(g_fibers[i], g_stacks[i]), g_fibers[i].state = Ready;
    g_warp_arrived.assign(g_warp_exists.size(), 0u);
    g_live = g_threads;
    g_bar_arrived = 0;
    while (g_live > 0)
    {
        bool ran = false;
        for (int i = 0; i < g_threads; i++)
        {
            Fiber& f = g_fibers[i];
            if (f.state != Ready) continue;
            g_cur = &f;
            emu_ctx_switch(&g_sched_sp, f.sp);
            ran = true;
            if (g_abort) return;
        }
        if (!ran) { abort_launch(deadlock_report()); return; }
    }
}

void release_warp(Fiber* base, unsigned m)
{
    int kind = -1;
    bool mixed = false;
    for (int l = 0; l < 32; l++)
        if (m >> l & 1)
        {
            if (kind >= 0 && base[l].w_kind != kind) mixed = true;
            kind = base[l].w_kind;
        }
    if (mixed) abort_launch(where(cur()) + ": lanes of one warp mask met at different warp collectives (e.g. __shfl_sync and __ballot_sync)");
    unsigned long long acc = 0;
    bool any = false, all = true;
    switch (kind)
    {
        case Ballot: case Any: case All:
            for (int l = 0; l < 32; l++)
                if (m >> l & 1)
                {
                    if (base[l].w_payload) { acc |= 1ull << l; any = true; }
                    else all = false;
                }
            break;
        case ReduceAdd: case ReduceMinS: case ReduceMaxS: case ReduceMinU: case ReduceMaxU:
        {
            bool first = true;
            for (int l = 0; l < 32; l++)
            {
                if (!(m >> l & 1)) continue;
                unsigned u = (unsigned)base[l].w_payload;
                int s = (int)u;
                if (first) acc = u;
                else if (kind == ReduceAdd) acc = (unsigned)(acc + u);
                else if (kind == ReduceMinU) acc = u < (unsigned)acc ? u : acc;
                else if (kind == ReduceMaxU) acc = u > (unsigned)acc ? u : acc;
                else if (kind == ReduceMinS) acc = (unsigned)(s < (int)(unsigned)acc ? s : (int)(unsigned)acc);
                else acc = (unsigned)(s > (int)(unsigned)acc ? s : (int)(unsigned)acc);
                first = false;
            }
            break;
        }
        default: break;
    }
    for (int l = 0; l < 32; l++)
    {
        if (!(m >> l & 1)) continue;
        Fiber& f = base[l];
        switch (kind)
        {
            case ShflIdx: case ShflUp: case ShflDown: case ShflXor:
                if (f.w_src >= 0 && f.w_src < 32 && (m >> f.w_src & 1)) f.w_result = base[f.w_src].w_payload;
                else
                {
                    char b[160];
                    snprintf(b, sizeof b, ": lane %d shuffles from lane %d, which is not in the mask 0x%08x (%s:%d)", l, f.w_src, m, f.file, f.line);
                    abort_launch(where(&f) + b);
                    f.w_result = f.w_payload;
                }
                break;
            case Ballot: f.w_result = acc; break;
            case Any: f.w_result = any; break;
            case All: f.w_result = all; break;
            case MatchAny:
                f.w_result = 0;
                for (int j = 0; j < 32; j++)
                    if (m >> j & 1 && base[j].w_payload == f.w_payload) f.w_result |= 1ull << j;
                break;
            case Sync: f.w_result = 0; break;
            default: f.w_result = acc; break;
        }
        f.state = Ready;
    }
}
__attribute__((noinline)) void run_grid(dim3 grid, unsigned dynamic_shared_bytes)
{
    size_t shared_bytes = __start_emu_shared ? (size_t)(__stop_emu_shared - __start_emu_shared) : 0;
    for (unsigned z = 0; z < grid.z && !g_abort; z++)
        for (unsigned y = 0; y < grid.y && !g_abort; y++)
            for (unsigned x = 0; x < grid.x && !g_abort; x++)
            {
                g_block_idx = {x, y, z};
                if (shared_bytes) std::memset(__start_emu_shared, 0xFF, shared_bytes);
                if (dynamic_shared_bytes) std::memset(g_dyn_shared, 0xFF, dynamic_shared_bytes);
                run_block();
            }
}
} // namespace

int syncthreads_count(int pred, const char* file, int line)
{
    Fiber* f = cur();
    f->state = AtBarrier;
    f->file = file;
    f->line = line;
    f->w_payload = pred != 0;
    if (++g_bar_arrived == g_live) release_barrier();
    else yield(f);
    return (int)f->w_result;
}

void syncthreads(const char* file, int line) { syncthreads_count(0, file, line); }

unsigned long long warp_op(unsigned mask, int kind, unsigned long long payload, int arg, int width, const char* file, int line)
{
    Fiber* f = cur();
    unsigned m = mask & g_warp_exists[f->warp];
    int lane = f->lane;
    if (!(m >> lane & 1) || (width & (width - 1)) != 0 || width < 1 || width > 32)
    {
        char b[200];
        snprintf(b, sizeof b, ": warp collective at %s:%d with mask 0x%08x / width %d that does not include the calling lane %d or is invalid", file, line, mask, width, lane);
        abort_launch(where(f) + b);
        finish(f);
    }
    int seg = lane & ~(width - 1), src = lane;
    switch (kind)
    {
        case ShflIdx: src = seg + (arg & (width - 1)); break;
        case ShflUp: src = lane - arg >= seg ? lane - arg : lane; break;
        case ShflDown: src = lane + arg < seg + width ? lane + arg : lane; break;
        case ShflXor: src = (lane ^ arg) < seg + width ? lane ^ arg : lane; break;
        default: break;
    }
    f->w_mask = m;
    f->w_kind = kind;
    f->w_payload = payload;
    f->w_src = src;
    f->file = file;
    f->line = line;
    f->state = AtWarp;
    Fiber* base = &g_fibers[(size_t)f->warp * 32];
    unsigned& arrived = g_warp_arrived[f->warp];
    arrived |= 1u << lane;
    bool all = (arrived & m) == m;
    for (int l = 0; l < 32 && all; l++)
        if (m >> l & 1) all = base[l].w_mask == m;   // lanes of another mask wait for their own group
    if (all)
    {
        arrived &= ~m;
        release_warp(base, m);
    }
    else yield(f);
    if (g_abort) finish(f);
    return f->w_result;
}

unsigned activemask()
{
    Fiber* f = cur();
    unsigned r = 0;
    for (int l = 0; l < 32; l++)
        if (g_warp_exists[f->warp] >> l & 1 && g_fibers[(size_t)f->warp * 32 + l].state != Done) r |= 1u << l;
    return r;
}

void* dynamic_shared() { return g_dyn_shared; }

void trap(const char* what, const char* file, int line)
{
    Fiber* f = cur();
    abort_launch(where(f) + ": " + what + " at " + file + ":" + std::to_string(line));
    finish(f);
}

int launch(const KernelInfo* k, const char* file, dim3 grid, dim3 block, unsigned dynamic_shared_bytes, void** args)
{
    unsigned long long threads = (unsigned long long)block.x * block.y * block.z;
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || threads == 0 || threads > 1024 || block.z > 64 || grid.y > 65535 || grid.z > 65535 || grid.x > 0x7fffffffu)
        return fail(kInvalidValue, std::string("cuLaunchKernel(") + k->name + "): invalid geometry grid (" + std::to_string(grid.x) + "," + std::to_string(grid.y) + "," +
                                       std::to_string(grid.z) + ") block (" + std::to_string(block.x) + "," + std::to_string(block.y) + "," + std::to_string(block.z) +
                                       ") (at most 1024 threads per block, grid.y/z ≤ 65535)");
    for (int i = 0; i < k->nparams; i++)
    {
        if (!k->is_ptr[i]) continue;
        uintptr_t p;
        std::memcpy(&p, args[i], sizeof p);
        if (p != 0 && !is_device_range(p, 0))
            return fail(kIllegalAddress, std::string("cuLaunchKernel(") + k->name + "): pointer argument #" + std::to_string(i) + " = " + describe_pointer(p) +
                                             " is not inside any live cuMemAlloc allocation");
    }
    std::lock_guard<std::mutex> lock(g_launch_mutex);
    g_threads = (int)threads;
    if (g_fibers.size() < threads) g_fibers.resize(threads);
    if (!stack_at(threads - 1)) return fail(kOutOfMemory, "emulator: could not map fiber stacks");
    int warps = (g_threads + 31) / 32;
    g_warp_exists.assign(warps, 0u);
    for (int i = 0; i < g_threads; i++)
    {
        Fiber& f = g_fibers[i];
        f.tid = {(unsigned)(i % block.x), (unsigned)(i / block.x % block.y), (unsigned)(i / (block.x * block.y))};
        f.lin = i;
        f.lane = i & 31;
        f.warp = i >> 5;
        g_warp_exists[f.warp] |= 1u << f.lane;
    }
    g_kernel = k;
    g_file = file;
    g_args = args;
    g_abort = false;
    g_error.clear();
    g_block_dim = {block.x, block.y, block.z};
    g_grid_dim = {grid.x, grid.y, grid.z};
    // Dynamic (extern) shared memory: one buffer per launch, poisoned before each block like the static kind.
    std::vector<unsigned char> dyn((size_t)dynamic_shared_bytes + 16);
    g_dyn_shared = dyn.data() + (16 - (reinterpret_cast<uintptr_t>(dyn.data()) & 15)) % 16;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_old_segv);
    g_launch_thread = pthread_self();
    volatile bool faulted = false;
    if (sigsetjmp(g_fault_jmp, 1) == 0)
    {
        g_in_kernel = 1;
        run_grid(grid, dynamic_shared_bytes);
    }
    else faulted = true;
    g_in_kernel = 0;
    sigaction(SIGSEGV, &g_old_segv, nullptr);
    std::string where_fault = faulted && g_cur ? where(cur()) : "";
    g_cur = nullptr;
    if (faulted)
    {
        char b[256];
        snprintf(b, sizeof b, " touched 0x%llx, %llu bytes past the end of a %zu-byte allocation at 0x%llx", (unsigned long long)g_fault_addr,
                 (unsigned long long)(g_fault_addr - g_fault_base - g_fault_bytes), g_fault_bytes, (unsigned long long)g_fault_base);
        return fail(kIllegalAddress, "emulator: out-of-bounds access: " + where_fault + b);
    }
    if (g_abort) return fail(kLaunchFailed, "emulator: " + g_error);
    return kSuccess;
}
} // namespace emu
