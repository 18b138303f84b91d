// The "http" config section's parser (service.cpp registers it).
#pragma once

#include <memory>

#include "zp/http/service.h"

namespace zp::http {

std::unique_ptr<service::Service> parse_config_section(service::ConfigReader& r, const service::Node& section);

}  // namespace zp::http
