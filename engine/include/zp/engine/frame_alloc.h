// Coroutine frame allocation: size-classed slab pools owned by the shard running on
// this thread; the heap (mimalloc in the zproto binary) when no shard runs here or the
// frame is larger than the largest class. The thread's pools are installed by the shard.
#pragma once

#include <cstddef>

namespace zp {

class FramePools;

/// The pools used by frame_alloc on this thread (nullptr: use the heap).
void set_thread_frame_pools(FramePools* pools);
FramePools* thread_frame_pools();

void* frame_alloc(size_t size);
void frame_free(void* p, size_t size);

}  // namespace zp
