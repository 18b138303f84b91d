// The "bridges" array of the "mqtt" config section (mosquitto's connection/address/topic).
#pragma once

#include <vector>

#include "zp/mqtt/bridge.h"
#include "zp/service/config_reader.h"

namespace zp::mqtt::detail {

// Reads `"bridges": [ {...}, ... ]` into out; false with r's error set (the key's path and
// position) for an unknown key, a bad value or a missing one, a duplicate name, a limit.
bool parse_bridges(service::ConfigReader& r, const service::Node& n, std::vector<BridgeConfig>& out);

}  // namespace zp::mqtt::detail
