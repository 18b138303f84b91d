#include "zp/engine/task.h"

namespace zp {

void TaskCtx::cancel() {
  if (cancelled) return;
  cancelled = true;
  if (child) child->cancel();
  if (cancel_hook) {
    auto hook = cancel_hook;
    cancel_hook = nullptr;
    hook(cancel_arg);
  }
}

}  // namespace zp
