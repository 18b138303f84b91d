// The state directory: generated files (a self-signed certificate) live there.
#include <unistd.h>

#include <cstdlib>

#include "config.h"

namespace zp::cli {

std::string default_state_dir() {
  if (geteuid() == 0) return "/var/lib/zproto";
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/zproto";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/state/zproto";
  return ".zproto-state";
}

}  // namespace zp::cli
