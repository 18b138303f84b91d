/// \file
/// Coroutine frame allocation: size-classed slab pools owned by the shard running on
/// this thread; the heap (mimalloc in the zproto binary) when no shard runs here or the
/// frame is larger than the largest class. The thread's pools are installed by the shard.
#pragma once

#include <cstddef>

namespace zp {

class FramePools;

/// The pools used by frame_alloc on this thread (nullptr: use the heap).
void set_thread_frame_pools(FramePools* pools);
FramePools* thread_frame_pools();  ///< the pools set for this thread, or nullptr

void* frame_alloc(size_t size);  ///< memory for a coroutine frame of `size` bytes (this thread's pools, else the heap)
void frame_free(void* p, size_t size);  ///< frees a frame from frame_alloc (the same `size`)

}  // namespace zp
