// Internal: one RDATA field read with the shared rules (see schema.h).
#pragma once

#include <cstddef>
#include <span>

#include "schema.h"
#include "zp/codec/dns/name.h"
#include "zp/result.h"

namespace zp::codec::dns::detail {

struct FieldValue {
  Field kind = Field::end;
  std::size_t start = 0;  // offset in the buffer
  std::size_t size = 0;   // in-place octets (a compressed name: up to its first pointer)
  Name name{};            // name fields
};

// Reads field `f` at `pos` (< end for all but bitmap/rest kinds) and advances `pos`. Names
// may hold pointers when `in_message` and the kind allows it. Errors: bad_rdata_length,
// bad_character_string, bad_type_bitmap, bad_caa, and the name errors.
Result<FieldValue> read_field(Field f, std::span<const std::byte> buf, std::size_t& pos,
                              std::size_t end, bool in_message, std::size_t max_hops) noexcept;

std::span<const TypeInfo> pseudo_types() noexcept;

}  // namespace zp::codec::dns::detail
