/* The fiber scheduler of the CPU grid emulator (cuda_emu.h says what it does). */
#include "cuda_emu.h"

#include <setjmp.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <cstdio>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define MIEN_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MIEN_EMU_ASAN 1
#endif
#endif

#ifdef MIEN_EMU_ASAN
extern "C" void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
extern "C" void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old, size_t *size_old);
static const size_t kStackBytes = 512 * 1024; /* ASan's redzones make frames large */
#else
static const size_t kStackBytes = 128 * 1024;
#endif

namespace mien_emu {
namespace {

enum State { RUNNABLE, AT_BLOCK_BARRIER, AT_WARP_BARRIER, DONE };

/* A fiber starts once through its ucontext (setcontext), and after that
 * switches with _setjmp/_longjmp, which unlike swapcontext make no system
 * call to save and restore the signal mask. */
struct Fiber {
  ucontext_t ctx;
  jmp_buf env;
  void *stack = nullptr;
  State state = DONE;
  bool started = false;
  dim3 tid;
};

struct Emulator {
  std::vector<Fiber> fibers;
  std::vector<uint64_t> exchange;
  jmp_buf scheduler;
  unsigned current = 0, nthreads = 0;
  const std::function<void()> *body = nullptr;
  uint64_t rng = 0x9E3779B97F4A7C15ull, launches = 0;
  std::string error;
  bool faulted = false;
#ifdef MIEN_EMU_ASAN
  const void *sched_bottom = nullptr;
  size_t sched_size = 0;
#endif
};

Emulator emu;

uint64_t next_random() { /* xorshift64* */
  emu.rng ^= emu.rng >> 12;
  emu.rng ^= emu.rng << 25;
  emu.rng ^= emu.rng >> 27;
  return emu.rng * 2685821657736338717ull;
}

template <class V>
void shuffle(V &v) {
  for (size_t i = v.size(); i > 1; i--) std::swap(v[i - 1], v[next_random() % i]);
}

void to_scheduler() {
  Fiber &f = emu.fibers[emu.current];
#ifdef MIEN_EMU_ASAN
  void *fake = nullptr;
  const bool done = f.state == DONE;
  if (_setjmp(f.env) == 0) {
    __sanitizer_start_switch_fiber(done ? nullptr : &fake, emu.sched_bottom, emu.sched_size);
    _longjmp(emu.scheduler, 1);
  }
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#else
  if (_setjmp(f.env) == 0) _longjmp(emu.scheduler, 1);
#endif
}

void fiber_entry() {
#ifdef MIEN_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &emu.sched_bottom, &emu.sched_size);
#endif
  (*emu.body)();
  emu.fibers[emu.current].state = DONE;
  to_scheduler();
}

void run_fiber(unsigned i) {
  emu.current = i;
  Fiber &f = emu.fibers[i];
  threadIdx = f.tid;
#ifdef MIEN_EMU_ASAN
  void *fake = nullptr;
  if (_setjmp(emu.scheduler) == 0) {
    __sanitizer_start_switch_fiber(&fake, f.stack, kStackBytes);
    if (!f.started) {
      f.started = true;
      setcontext(&f.ctx);
    }
    _longjmp(f.env, 1);
  }
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#else
  if (_setjmp(emu.scheduler) == 0) {
    if (!f.started) {
      f.started = true;
      setcontext(&f.ctx);
    }
    _longjmp(f.env, 1);
  }
#endif
}

void fail(const std::string &what) {
  if (!emu.faulted) emu.error = what;
  emu.faulted = true;
}

std::string where() {
  char buf[96];
  const Fiber &f = emu.fibers[emu.current];
  snprintf(buf, sizeof buf, " (block %u,%u,%u thread %u,%u,%u)", blockIdx.x, blockIdx.y, blockIdx.z, f.tid.x, f.tid.y,
           f.tid.z);
  return buf;
}

/* Releases the warps and the block whose live threads all wait; false when
 * nothing could be released (a barrier some thread never reaches). */
bool release_barriers() {
  bool released = false;
  for (unsigned w = 0; w < emu.nthreads; w += 32) {
    unsigned waiting = 0, live = 0, end = w + 32 < emu.nthreads ? w + 32 : emu.nthreads;
    for (unsigned t = w; t < end; t++) {
      if (emu.fibers[t].state != DONE) live++;
      if (emu.fibers[t].state == AT_WARP_BARRIER) waiting++;
    }
    if (waiting == 0) continue;
    if (live != end - w) {
      fail("warp shuffle or __syncwarp after a lane of the warp exited (warp " + std::to_string(w / 32) + ")");
      return false;
    }
    if (waiting == live) {
      for (unsigned t = w; t < end; t++) emu.fibers[t].state = RUNNABLE;
      released = true;
    }
  }
  if (released) return true;
  unsigned at_block = 0, done = 0;
  for (unsigned t = 0; t < emu.nthreads; t++) {
    at_block += emu.fibers[t].state == AT_BLOCK_BARRIER;
    done += emu.fibers[t].state == DONE;
  }
  if (at_block > 0 && at_block + done == emu.nthreads) {
    if (done > 0) {
      fail("__syncthreads not reached by every thread of the block: " + std::to_string(done) +
           " exited while " + std::to_string(at_block) + " wait");
      return false;
    }
    for (unsigned t = 0; t < emu.nthreads; t++) emu.fibers[t].state = RUNNABLE;
    return true;
  }
  fail("threads wait at different barriers (__syncthreads in divergent code?)");
  return false;
}

/* Out of line: getcontext returns twice, which would clobber a caller's loop. */
__attribute__((noinline)) void init_fiber(unsigned t) {
  Fiber &f = emu.fibers[t];
  f.tid = dim3(t % blockDim.x, t / blockDim.x % blockDim.y, t / (blockDim.x * blockDim.y));
  f.state = RUNNABLE;
  f.started = false;
  getcontext(&f.ctx);
  f.ctx.uc_stack.ss_sp = f.stack;
  f.ctx.uc_stack.ss_size = kStackBytes;
  f.ctx.uc_link = nullptr;
  makecontext(&f.ctx, fiber_entry, 0);
}

void run_block() {
  for (unsigned t = 0; t < emu.nthreads; t++) init_fiber(t);
  std::vector<unsigned> order;
  for (;;) {
    order.clear();
    for (unsigned t = 0; t < emu.nthreads; t++)
      if (emu.fibers[t].state == RUNNABLE) order.push_back(t);
    if (order.empty()) {
      bool all_done = true;
      for (unsigned t = 0; t < emu.nthreads; t++) all_done &= emu.fibers[t].state == DONE;
      if (all_done || !release_barriers()) return;
      continue;
    }
    shuffle(order);
    for (unsigned t : order) {
      run_fiber(t);
      if (emu.faulted) return;
    }
  }
}

}  // namespace

void set_seed(uint64_t seed) { emu.rng = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull; }
const char *error(void) { return emu.error.c_str(); }
uint64_t launches(void) { return emu.launches; }
unsigned flat_tid(void) { return emu.current; }
void *exchange_slot(unsigned tid) { return &emu.exchange[tid]; }

void fault(const char *what) {
  fail(std::string(what) + where());
  to_scheduler(); /* never resumed: the launch ends */
}

void sync_block(void) {
  emu.fibers[emu.current].state = AT_BLOCK_BARRIER;
  to_scheduler();
}

void sync_warp(void) {
  emu.fibers[emu.current].state = AT_WARP_BARRIER;
  to_scheduler();
}

int launch(dim3 grid, dim3 block, const std::function<void()> &body) {
  emu.launches++;
  emu.error.clear();
  emu.faulted = false;
  const uint64_t nthreads = (uint64_t)block.x * block.y * block.z;
  if (nthreads == 0 || nthreads > 1024 || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 ||
      grid.y > 65535 || grid.z > 65535 || grid.x > 2147483647u) {
    char buf[160];
    snprintf(buf, sizeof buf, "invalid launch: grid (%u,%u,%u) block (%u,%u,%u)", grid.x, grid.y, grid.z, block.x,
             block.y, block.z);
    emu.error = buf;
    return -1;
  }
  emu.nthreads = (unsigned)nthreads;
  while (emu.fibers.size() < nthreads) {
    Fiber f;
    f.stack = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (f.stack == MAP_FAILED) {
      emu.error = "emulator: cannot map a fiber stack";
      return -1;
    }
    emu.fibers.push_back(f);
  }
  emu.exchange.assign(nthreads, 0);
  emu.body = &body;
  blockDim = block;
  gridDim = grid;
  std::vector<uint64_t> blocks((size_t)grid.x * grid.y * grid.z);
  for (size_t b = 0; b < blocks.size(); b++) blocks[b] = b;
  shuffle(blocks);
  for (uint64_t b : blocks) {
    blockIdx = dim3((unsigned)(b % grid.x), (unsigned)(b / grid.x % grid.y), (unsigned)(b / ((uint64_t)grid.x * grid.y)));
    run_block();
    if (emu.faulted) return -1;
  }
  return 0;
}

}  // namespace mien_emu
