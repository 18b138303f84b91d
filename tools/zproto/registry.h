// The services `zproto serve` knows, in start order: generated at configure time from the
// zp_add_service() calls (cmake/zp_component.cmake), so adding a protocol edits no CLI code.
#pragma once

#include <span>

#include "zp/service/service.h"

namespace zp::cli {

std::span<const service::Definition* const> registered_services();

}  // namespace zp::cli
