#pragma once
// What the host emulation of the CUDA module shares between its files: the context, the
// per-thread error sentence, and the checks an entry point makes before it runs. "Device
// memory" is host memory the module allocated, so every pointer an op is given can be checked
// against the allocation that holds it: a shape that reads past a buffer fails with a sentence
// here, where a real device would fault or read garbage. While a stream is captured into a
// graph, every op called on it is recorded (FLINT_HOST_OPS_RECORD) and re-run, checks
// included, each time the graph is launched.
#include "kernels/cpu/thread_pool.h"
#include "kernels/cuda/abi.h"
#include "kernels/cuda/ops_abi.h"

#include <cstddef>
#include <functional>
#include <mutex>
#include <new>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#define FLINT_HOST_OPS_EXPORT extern "C" __attribute__((visibility("default")))

// The first statement of every op that takes a stream (op: the exported function, then its
// arguments): while its context captures, the call is recorded or refused instead of run.
#define FLINT_HOST_OPS_RECORD(op, ...)                                \
  if (const std::optional<int> recorded =                             \
          ::flint::host_ops::recordIfCapturing(op, #op, __VA_ARGS__)) \
  return *recorded

namespace flint::host_ops {
// A recorded op: the entry point again, with the arguments it was recorded with, on the
// context and stream of the launch.
using RecordedOp = std::function<int(FlintCudaContext* ctx, FlintCudaStream* stream)>;
}  // namespace flint::host_ops

struct FlintCudaContext {
  int ordinal = 0;
  // Matmul rows run on two threads; results do not depend on the pool (rows are independent).
  flint::kernels::ThreadPool pool{2};
  std::mutex poolMutex;  // the pool is not reentrant: a concurrent caller runs without it
  // Between graph_begin and graph_end: the stream being captured and what it recorded.
  std::mutex captureMutex;
  const FlintCudaStream* capturing = nullptr;
  std::vector<flint::host_ops::RecordedOp> recorded;
};

struct FlintCudaStream {
  unsigned long long id = 0;
};

struct FlintCudaGraph {
  std::vector<flint::host_ops::RecordedOp> ops;  // in the order they were recorded
};

namespace flint::host_ops {

// Sets this thread's last error to a printf-formatted sentence; returns FLINT_CUDA_ERROR.
int fail(const char* format, ...) __attribute__((format(printf, 1, 2)));

// FLINT_CUDA_OK when ctx is not null and stream is null or a live stream; else fails.
int needContext(const FlintCudaContext* ctx, const FlintCudaStream* stream = nullptr);

// Bytes from p to the end of the live allocation (device or pinned) that holds it; 0 if none.
unsigned long long bytesFrom(const void* p);

// FLINT_CUDA_OK when bytes is 0 or [p, p + bytes) lies inside one live allocation; else fails
// with a sentence naming the op and the argument (`what`).
int needMemory(const char* op, const char* what, const void* p, unsigned long long bytes);

// ---- capture: ops recorded with copies of their arguments --------------------------------

// The argument structs the caller passes by host pointer. A recorded op keeps a copy, as a
// CUDA graph keeps kernel parameters; arrays in device memory (FlintCudaLinearGroup) are read
// when the op runs.
template <typename S>
concept ArgumentStruct = std::is_same_v<S, FlintCudaWeight> ||
    std::is_same_v<S, FlintCudaRouting> || std::is_same_v<S, FlintCudaHyperShape> ||
    std::is_same_v<S, FlintCudaSparseAttention> || std::is_same_v<S, FlintCudaCompressor> ||
    std::is_same_v<S, FlintCudaIndexerScores> || std::is_same_v<S, FlintCudaAttentionIndices>;

// An argument as a recorded op holds it: by value, and argument structs by a copy of the struct.
template <typename T>
struct Held {
  static_assert(!std::is_class_v<std::remove_cv_t<std::remove_pointer_t<T>>> ||
                    std::is_same_v<T, const FlintCudaLinearGroup*> ||
                    std::is_same_v<T, FlintCudaStream*>,
                "a struct passed by pointer must be listed in ArgumentStruct or be device data");
  explicit Held(T v) : value(v) {}
  T get() const { return value; }
  T value;
};

template <ArgumentStruct S>
struct Held<const S*> {
  explicit Held(const S* p) : copy(p ? std::optional<S>(*p) : std::nullopt) {}
  const S* get() const { return copy ? &*copy : nullptr; }
  std::optional<S> copy;
};

// op(ctx, the held arguments but the stream..., stream).
template <typename... A, std::size_t... I>
int replay(int (*op)(FlintCudaContext*, A...), const std::tuple<Held<A>...>& held,
           FlintCudaContext* ctx, FlintCudaStream* stream, std::index_sequence<I...>) {
  return op(ctx, std::get<I>(held).get()..., stream);
}

// std::nullopt when ctx is not capturing: the op runs now. Otherwise the op's status: a call
// on the capturing stream is recorded (FLINT_CUDA_OK), a call on any other stream fails. The
// recorded op re-runs the whole entry point, checks included, when the graph is launched.
template <typename... A>
std::optional<int> recordIfCapturing(int (*op)(FlintCudaContext*, A...), const char* name,
                                     FlintCudaContext* ctx, std::type_identity_t<A>... args) {
  constexpr std::size_t kStream = sizeof...(A) - 1;
  using Arguments = std::tuple<A...>;
  static_assert(std::is_same_v<std::tuple_element_t<kStream, Arguments>, FlintCudaStream*>,
                "an op's last argument is its stream");
  if (!ctx) return std::nullopt;  // the op's own check refuses it
  std::lock_guard lock(ctx->captureMutex);
  if (!ctx->capturing) return std::nullopt;
  const FlintCudaStream* stream = std::get<kStream>(Arguments(args...));
  if (stream != ctx->capturing)
    return fail("%s was called on %s while a stream is being captured.", name,
                stream ? "another stream" : "the default stream");
  try {
    ctx->recorded.push_back([op, held = std::tuple<Held<A>...>(Held<A>(args)...)](
                                FlintCudaContext* context, FlintCudaStream* launchStream) {
      return replay(op, held, context, launchStream, std::make_index_sequence<kStream>{});
    });
  } catch (const std::bad_alloc&) {
    return fail("There was not enough host memory to record %s in a graph.", name);
  }
  return FLINT_CUDA_OK;
}

}  // namespace flint::host_ops
