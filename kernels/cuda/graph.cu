// CUDA graphs (ops_abi.h): a stream's ops recorded by stream capture, instantiated once and
// replayed. A FlintCudaGraph* is the cudaGraphExec_t itself.
#include "kernels/cuda/ops_common.cuh"

using namespace flint::cuda;

namespace {

cudaGraphExec_t rawGraph(FlintCudaGraph* graph) {
  return reinterpret_cast<cudaGraphExec_t>(graph);
}

}  // namespace

FLINT_CUDA_EXPORT int flint_cuda_graph_begin(FlintCudaContext* ctx, FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (!stream)
    return fail("A CUDA graph records a stream of its own; the default stream cannot be recorded.");
  // Thread-local: this thread's synchronous copies, allocations and synchronizations fail while
  // it records, instead of quietly running outside the graph.
  const cudaError_t err =
      cudaStreamBeginCapture(rawStream(stream), cudaStreamCaptureModeThreadLocal);
  return err == cudaSuccess ? FLINT_CUDA_OK
                            : failCuda("CUDA could not start recording a stream into a graph", err);
}

FLINT_CUDA_EXPORT int flint_cuda_graph_end(FlintCudaContext* ctx, FlintCudaStream* stream,
                                           FlintCudaGraph** out) {
  if (!out) return fail("flint_cuda_graph_end was called without a place for the graph.");
  *out = nullptr;
  if (const int s = useDevice(ctx)) return s;
  if (!stream) return fail("A CUDA graph cannot end on the default stream, which never records.");
  cudaGraph_t graph = nullptr;
  cudaError_t err = cudaStreamEndCapture(rawStream(stream), &graph);
  if (err != cudaSuccess) {
    if (graph) cudaGraphDestroy(graph);
    return failCuda(
        "CUDA could not finish recording a stream (it was not recording, or an op refused "
        "during the recording spoiled it)",
        err);
  }
  cudaGraphExec_t exec = nullptr;
  err = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);  // the executable graph keeps what it needs
  if (err != cudaSuccess) return failCuda("CUDA could not instantiate a recorded graph", err);
  *out = reinterpret_cast<FlintCudaGraph*>(exec);
  return FLINT_CUDA_OK;
}

FLINT_CUDA_EXPORT int flint_cuda_graph_launch(FlintCudaContext* ctx, FlintCudaGraph* graph,
                                              FlintCudaStream* stream) {
  if (const int s = useDevice(ctx)) return s;
  if (!graph) return fail("flint_cuda_graph_launch was called without a graph.");
  const cudaError_t err = cudaGraphLaunch(rawGraph(graph), rawStream(stream));
  return err == cudaSuccess ? FLINT_CUDA_OK : failCuda("CUDA could not launch a graph", err);
}

FLINT_CUDA_EXPORT int flint_cuda_graph_destroy(FlintCudaContext* ctx, FlintCudaGraph* graph) {
  if (!graph) return FLINT_CUDA_OK;
  if (const int s = useDevice(ctx)) return s;
  const cudaError_t err = cudaGraphExecDestroy(rawGraph(graph));
  return err == cudaSuccess ? FLINT_CUDA_OK : failCuda("CUDA could not destroy a graph", err);
}
