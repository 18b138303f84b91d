// Names: validation with pointer rules, iteration, comparison, text conversion.
#include "zp/codec/dns/name.h"

#include <array>
#include <cstring>

#include "zp/codec/wire.h"

namespace zp::codec::dns {
namespace {

constexpr std::uint8_t lower(std::uint8_t c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + 32) : c;
}
constexpr std::uint8_t u8(std::byte b) noexcept { return static_cast<std::uint8_t>(b); }

const std::byte root_octet[1] = {std::byte{0}};

// Offsets of the length octets of each label of `n` (left to right), pointers followed.
std::size_t label_offsets(const Name& n, std::array<std::uint16_t, max_labels + 1>& out) noexcept {
  std::size_t count = 0;
  const auto buf = n.buffer();
  std::size_t pos = n.offset();
  for (std::size_t i = 0; i < n.label_count(); ++i) {
    while ((u8(buf[pos]) & 0xC0) == 0xC0) pos = ((u8(buf[pos]) & 0x3F) << 8) | u8(buf[pos + 1]);
    out[count++] = static_cast<std::uint16_t>(pos);
    pos += 1 + u8(buf[pos]);
  }
  return count;
}

}  // namespace

Result<Name> parse_name(std::span<const std::byte> buf, std::size_t& pos, Compression compression,
                        std::size_t max_pointer_hops, std::size_t header_bytes) noexcept {
  std::size_t p = pos;
  std::size_t limit = pos;  // every pointer must go strictly below the previous one
  std::size_t in_place_end = 0;
  std::size_t len = 0, labels = 0, hops = 0;
  const std::size_t size = buf.size();
  for (;;) {
    if (p >= size) return make_error_code(Errc::name_overrun);
    const std::uint8_t b = u8(buf[p]);
    if (b == 0) {
      len += 1;
      if (!in_place_end) in_place_end = p + 1;
      break;
    }
    if ((b & 0xC0) == 0xC0) {
      if (compression == Compression::forbidden) return make_error_code(Errc::compression_not_allowed);
      if (p + 1 >= size) return make_error_code(Errc::name_overrun);
      const std::size_t target = (std::size_t{b & 0x3Fu} << 8) | u8(buf[p + 1]);
      if (!in_place_end) in_place_end = p + 2;
      if (target == p) return make_error_code(Errc::pointer_loop);
      if (target > p) return make_error_code(Errc::forward_pointer);
      if (target >= limit) return make_error_code(Errc::pointer_loop);
      if (target < header_bytes) return make_error_code(Errc::pointer_into_header);
      if (++hops > max_pointer_hops) return make_error_code(Errc::too_many_pointers);
      limit = target;
      p = target;
      continue;
    }
    if (b & 0xC0) return make_error_code(Errc::label_too_long);
    if (size - p - 1 < b) return make_error_code(Errc::name_overrun);
    len += 1 + std::size_t{b};
    if (len + 1 > max_name_bytes) return make_error_code(Errc::name_too_long);
    ++labels;
    p += 1 + std::size_t{b};
  }
  const std::size_t start = pos;
  pos = in_place_end;
  return Name(buf.data(), size, start, len, labels, hops == 0);
}

Result<Name> Name::from_wire(std::span<const std::byte> wire) noexcept {
  std::size_t pos = 0;
  auto n = parse_name(wire, pos, Compression::forbidden, 0, 0);
  if (!n) return n;
  if (pos != wire.size()) return make_error_code(Errc::trailing_data);
  return n;
}

Name Name::root() noexcept { return Name(root_octet, 1, 0, 1, 0, true); }

Result<std::size_t> Name::to_wire(std::span<std::byte> out) const noexcept {
  if (out.size() < wire_size_) return make_error_code(Errc::buffer_too_small);
  if (contiguous_) {
    std::memcpy(out.data(), base_ + offset_, wire_size_);
    return std::size_t{wire_size_};
  }
  std::size_t w = 0;
  for (auto label : *this) {
    out[w++] = static_cast<std::byte>(label.size());
    std::memcpy(out.data() + w, label.data(), label.size());
    w += label.size();
  }
  out[w++] = std::byte{0};
  return w;
}

void Name::LabelIterator::settle() noexcept {
  if (left_ == 0) return;
  while ((u8(base_[pos_]) & 0xC0) == 0xC0) pos_ = ((u8(base_[pos_]) & 0x3F) << 8) | u8(base_[pos_ + 1]);
}
std::span<const std::byte> Name::LabelIterator::operator*() const noexcept {
  return {base_ + pos_ + 1, u8(base_[pos_])};
}
Name::LabelIterator& Name::LabelIterator::operator++() noexcept {
  pos_ += 1 + u8(base_[pos_]);
  --left_;
  settle();
  return *this;
}
Name::LabelIterator Name::begin() const noexcept {
  LabelIterator it;
  it.base_ = base_;
  it.pos_ = offset_;
  it.left_ = labels_;
  it.settle();
  return it;
}
Name::LabelIterator Name::end() const noexcept {
  LabelIterator it;
  it.base_ = base_;
  return it;
}

Name Name::suffix(std::size_t n) const noexcept {
  if (n == 0 || empty()) return *this;
  std::size_t pos = offset_, size = wire_size_;
  bool contiguous = contiguous_;
  for (std::size_t i = 0; i < n && i < labels_; ++i) {
    while ((u8(base_[pos]) & 0xC0) == 0xC0) pos = ((u8(base_[pos]) & 0x3F) << 8) | u8(base_[pos + 1]);
    size -= 1 + u8(base_[pos]);
    pos += 1 + u8(base_[pos]);
  }
  if (!contiguous) {
    // Contiguous again once no pointer remains ahead.
    std::size_t q = pos;
    contiguous = true;
    while (u8(base_[q]) != 0) {
      if ((u8(base_[q]) & 0xC0) == 0xC0) {
        contiguous = false;
        break;
      }
      q += 1 + u8(base_[q]);
    }
  }
  const std::size_t labels = n < labels_ ? labels_ - n : 0;
  return Name(base_, size_, pos, size, labels, contiguous);
}

bool Name::equals(const Name& o) const noexcept {
  if (wire_size_ != o.wire_size_ || labels_ != o.labels_) return false;
  auto a = begin(), b = o.begin();
  for (; a != end(); ++a, ++b) {
    const auto la = *a, lb = *b;
    if (la.size() != lb.size()) return false;
    for (std::size_t i = 0; i < la.size(); ++i)
      if (lower(u8(la[i])) != lower(u8(lb[i]))) return false;
  }
  return true;
}

bool Name::is_subdomain_of(const Name& parent) const noexcept {
  if (parent.labels_ > labels_) return false;
  return suffix(labels_ - parent.labels_).equals(parent);
}

int canonical_compare(const Name& a, const Name& b) noexcept {
  std::array<std::uint16_t, max_labels + 1> la{}, lb{};
  const std::size_t na = label_offsets(a, la), nb = label_offsets(b, lb);
  const auto ba = a.buffer(), bb = b.buffer();
  std::size_t i = na, j = nb;
  while (i > 0 && j > 0) {
    --i;
    --j;
    const std::size_t lena = u8(ba[la[i]]), lenb = u8(bb[lb[j]]);
    const std::size_t m = lena < lenb ? lena : lenb;
    for (std::size_t k = 0; k < m; ++k) {
      const int ca = lower(u8(ba[la[i] + 1 + k])), cb = lower(u8(bb[lb[j] + 1 + k]));
      if (ca != cb) return ca < cb ? -1 : 1;
    }
    if (lena != lenb) return lena < lenb ? -1 : 1;
  }
  if (i == 0 && j == 0) return 0;
  return i == 0 ? -1 : 1;
}

void name_to_text(const Name& n, std::string& out) {
  if (n.empty() || n.is_root()) {
    out += '.';
    return;
  }
  for (auto label : n) {
    for (std::byte b : label) {
      const std::uint8_t c = u8(b);
      switch (c) {
        case '.': case '\\': case '"': case '(': case ')': case ';': case '@': case '$':
          out += '\\';
          out += static_cast<char>(c);
          break;
        default:
          if (c < 0x21 || c > 0x7E) {
            char buf[4] = {'\\', static_cast<char>('0' + c / 100), static_cast<char>('0' + c / 10 % 10),
                           static_cast<char>('0' + c % 10)};
            out.append(buf, 4);
          } else {
            out += static_cast<char>(c);
          }
      }
    }
    out += '.';
  }
}

Result<std::size_t> name_from_text(std::string_view text, std::span<const std::byte> origin,
                                   std::span<std::byte> out) noexcept {
  std::array<std::byte, max_name_bytes + 64> tmp{};
  std::size_t w = 0;
  bool absolute = false;
  if (text.empty()) return make_error_code(Errc::bad_name_text);
  if (text == "@") {
    if (origin.empty()) return make_error_code(Errc::bad_name_text);
    if (out.size() < origin.size()) return make_error_code(Errc::buffer_too_small);
    std::memcpy(out.data(), origin.data(), origin.size());
    return origin.size();
  }
  if (text == ".") {
    if (out.empty()) return make_error_code(Errc::buffer_too_small);
    out[0] = std::byte{0};
    return std::size_t{1};
  }
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t len_at = w++;
    std::size_t label = 0;
    while (i < text.size() && text[i] != '.') {
      std::uint8_t c = static_cast<std::uint8_t>(text[i]);
      if (c == '\\') {
        if (i + 1 >= text.size()) return make_error_code(Errc::bad_name_text);
        const char d0 = text[i + 1];
        if (d0 >= '0' && d0 <= '9') {
          if (i + 3 >= text.size()) return make_error_code(Errc::bad_name_text);
          const char d1 = text[i + 2], d2 = text[i + 3];
          if (d1 < '0' || d1 > '9' || d2 < '0' || d2 > '9') return make_error_code(Errc::bad_name_text);
          const int v = (d0 - '0') * 100 + (d1 - '0') * 10 + (d2 - '0');
          if (v > 255) return make_error_code(Errc::bad_name_text);
          c = static_cast<std::uint8_t>(v);
          i += 4;
        } else {
          c = static_cast<std::uint8_t>(d0);
          i += 2;
        }
      } else {
        ++i;
      }
      if (++label > max_label_bytes || w >= max_name_bytes) return make_error_code(Errc::bad_name_text);
      tmp[w++] = static_cast<std::byte>(c);
    }
    if (label == 0) return make_error_code(Errc::bad_name_text);  // empty label ("a..b", leading dot)
    tmp[len_at] = static_cast<std::byte>(label);
    if (i < text.size()) {  // at '.'
      ++i;
      if (i == text.size()) absolute = true;
    }
  }
  if (absolute) {
    tmp[w++] = std::byte{0};
  } else {
    if (origin.empty()) return make_error_code(Errc::bad_name_text);
    if (w + origin.size() > max_name_bytes) return make_error_code(Errc::bad_name_text);
    std::memcpy(tmp.data() + w, origin.data(), origin.size());
    w += origin.size();
  }
  if (w > max_name_bytes) return make_error_code(Errc::bad_name_text);
  if (out.size() < w) return make_error_code(Errc::buffer_too_small);
  std::memcpy(out.data(), tmp.data(), w);
  return w;
}

}  // namespace zp::codec::dns
