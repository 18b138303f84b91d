// Multipart framing and the nested structure walk: see zp/codec/mime/multipart.h.
#include "zp/codec/mime/multipart.h"

#include <cstring>

#include "text.h"

namespace zp::codec::mime {
namespace {

using namespace detail;

constexpr std::size_t max_padding = 76;  // transport padding considered before a CRLF

bool is_bchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

}  // namespace

bool valid_boundary(std::string_view b) noexcept {
  if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
  for (char c : b)
    if (!is_bchar(c)) return false;
  return true;
}

MultipartParser::MultipartParser(std::string_view boundary) noexcept {
  if (!valid_boundary(boundary)) {
    state_ = State::bad;
    return;
  }
  std::memcpy(delim_.data(), "\r\n--", 4);
  std::memcpy(delim_.data() + 4, boundary.data(), boundary.size());
  size_ = 4 + boundary.size();
}

PartEvent MultipartParser::next(std::string_view in) noexcept {
  if (state_ == State::bad) return {Event::error, 0, {}, Errc::bad_boundary};
  if (state_ == State::end) return {Event::end, 0, {}, Errc::ok};
  const std::string_view delim(delim_.data(), size_);
  const Event data_event = state_ == State::part ? Event::part_data : Event::preamble;
  // At the very start the first delimiter may lack its CRLF.
  std::size_t search_from = 0;
  if (state_ == State::start) {
    const std::string_view bare = delim.substr(2);
    if (in.size() < bare.size() && bare.starts_with(in)) return {};
    state_ = State::preamble;
    if (in.starts_with(bare)) {
      // Pretend the CRLF was there: match at -2.
      std::size_t i = bare.size();
      return [&]() -> PartEvent {
        if (in.size() < i + 2) { state_ = State::start; return {}; }
        if (in.substr(i, 2) == "--") { state_ = State::end; return {Event::end, i + 2, {}, Errc::ok}; }
        std::size_t p = i;
        while (p < in.size() && p - i < max_padding && is_wsp(in[p])) ++p;
        if (p + 2 > in.size()) { state_ = State::start; return {}; }
        if (in.substr(p, 2) != "\r\n") return {Event::preamble, 1, in.substr(0, 1), Errc::ok};
        state_ = State::part;
        return {Event::part_begin, p + 2, {}, Errc::ok};
      }();
    }
  }
  for (;;) {
    const std::size_t at = in.find(delim, search_from);
    if (at == std::string_view::npos) {
      // Keep back a tail that could be the start of a delimiter.
      const std::size_t keep = in.size() < size_ - 1 ? in.size() : size_ - 1;
      std::size_t cut = in.size() - keep;
      const std::size_t cr = in.find('\r', cut);
      cut = cr == std::string_view::npos ? in.size() : cr;
      if (cut == 0) return {};
      return {data_event, cut, in.substr(0, cut), Errc::ok};
    }
    if (at > 0) return {data_event, at, in.substr(0, at), Errc::ok};
    // A delimiter at the front: close ("--"), or padding and CRLF, or just data.
    std::size_t i = size_;
    if (in.size() < i + 2) return {};
    if (in.substr(i, 2) == "--") {
      const Event e = state_ == State::part ? Event::part_end : Event::end;
      if (state_ == State::part) {
        // part_end first, then the close delimiter is consumed as end.
        state_ = State::preamble;  // reused: the next call sees the delimiter again
        return {e, 0, {}, Errc::ok};
      }
      state_ = State::end;
      return {Event::end, i + 2, {}, Errc::ok};
    }
    std::size_t p = i;
    while (p < in.size() && p - i < max_padding && is_wsp(in[p])) ++p;
    if (p + 2 > in.size()) {
      if (p - i < max_padding) return {};
    } else if (in.substr(p, 2) == "\r\n") {
      if (state_ == State::part) {
        state_ = State::preamble;  // after part_end, this delimiter begins the next part
        return {Event::part_end, 0, {}, Errc::ok};
      }
      state_ = State::part;
      return {Event::part_begin, p + 2, {}, Errc::ok};
    }
    // "--boundaryX": not a delimiter; the CR is data.
    return {data_event, 1, in.substr(0, 1), Errc::ok};
  }
}

namespace {

struct Walker {
  const StructureLimits& limits;
  std::span<Entity> out;
  std::size_t count = 0;

  Errc entity(std::string_view text, std::uint8_t depth, std::int32_t parent) noexcept {
    if (count == out.size() || count == limits.max_parts) return Errc::too_many_parts;
    const auto index = static_cast<std::int32_t>(count);
    Entity& e = out[count++];
    e = Entity{};
    e.depth = depth;
    e.parent = parent;
    std::array<Field, 128> fields{};
    HeaderResult h = parse_header(text, limits.header, fields);
    if (h.status == Status::error) return h.error;
    if (h.status == Status::need_more) {
      // No empty line (an empty part, or a truncated header): all header, no body, defaults.
      h.consumed = text.size();
      h.count = 0;
    }
    e.header = text.substr(0, h.consumed);
    e.body = text.substr(h.consumed);
    e.type = "text";
    e.subtype = "plain";
    if (const auto cte = find_field(fields, h.count, "Content-Transfer-Encoding")) e.cte = parse_cte(*cte);
    const auto ctv = find_field(fields, h.count, "Content-Type");
    if (!ctv) return Errc::ok;
    std::array<Param, 16> params{};
    std::array<char, 512> scratch{};
    ContentType ct;
    if (const Errc pe = parse_content_type(*ctv, ct, params, scratch); pe != Errc::ok) return pe;
    e.type = ct.type;
    e.subtype = ct.subtype;
    if (!ct.is("multipart")) return Errc::ok;
    if (depth >= limits.max_depth) return Errc::too_deep;
    const auto boundary = ct.param("boundary");
    if (!boundary || !valid_boundary(*boundary)) return Errc::bad_boundary;
    // Copy: the scratch may hold the boundary, and entity() below reuses the stack.
    std::array<char, 70> bcopy{};
    std::memcpy(bcopy.data(), boundary->data(), boundary->size());
    MultipartParser mp(std::string_view(bcopy.data(), boundary->size()));
    std::string_view rest = e.body;
    const char* part_start = nullptr;
    for (;;) {
      const PartEvent ev = mp.next(rest);
      if (ev.event == Event::need_more || ev.event == Event::error) return Errc::no_close_delimiter;
      if (ev.event == Event::part_begin) part_start = rest.data() + ev.consumed;
      if (ev.event == Event::part_end) {
        const std::string_view part(part_start, static_cast<std::size_t>(rest.data() - part_start));
        if (const Errc pe = entity(part, static_cast<std::uint8_t>(depth + 1), index); pe != Errc::ok) return pe;
      }
      rest.remove_prefix(ev.consumed);
      if (ev.event == Event::end) return Errc::ok;
    }
  }
};

}  // namespace

Result<std::size_t> parse_structure(std::string_view message, const StructureLimits& limits,
                                    std::span<Entity> out) noexcept {
  Walker w{limits, out};
  if (const Errc e = w.entity(message, 0, -1); e != Errc::ok) return make_error_code(e);
  return w.count;
}

}  // namespace zp::codec::mime
