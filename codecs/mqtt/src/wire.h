// Byte-level reading and writing of MQTT fields (1.5): big-endian integers, length-prefixed
// strings and binary data, variable byte integers. Internal to codecs/mqtt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "zp/codec/mqtt/encoding.h"
#include "zp/codec/mqtt/properties.h"

namespace zp::codec::mqtt::wire {

// A cursor over one packet's bytes. The first failure sticks: later reads return zeros and
// the caller checks error() once per field group.
class Reader {
 public:
  explicit Reader(std::span<const std::byte> in) noexcept : in_(in) {}

  std::size_t left() const noexcept { return in_.size() - pos_; }
  std::size_t pos() const noexcept { return pos_; }
  Errc error() const noexcept { return error_; }
  void fail(Errc e) noexcept {
    if (error_ == Errc::ok) error_ = e;
  }
  std::span<const std::byte> rest() noexcept {
    auto r = in_.subspan(pos_);
    pos_ = in_.size();
    return r;
  }
  std::span<const std::byte> peek() const noexcept { return in_.subspan(pos_); }
  void skip(std::size_t n) noexcept { pos_ += n; }  // n <= left(), the caller checked
  // A packet identifier where one is required: non-zero (MQTT-2.3.1-1).
  Errc packet_id(std::uint16_t& id) noexcept {
    id = u16();
    if (error_ != Errc::ok) return error_;
    return id == 0 ? Errc::zero_packet_id : Errc::ok;
  }

  std::uint8_t u8() noexcept {
    if (!need(1)) return 0;
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  std::uint16_t u16() noexcept {
    if (!need(2)) return 0;
    const auto v = static_cast<std::uint16_t>((static_cast<unsigned>(in_[pos_]) << 8) | static_cast<unsigned>(in_[pos_ + 1]));
    pos_ += 2;
    return v;
  }
  std::uint32_t u32() noexcept {
    if (!need(4)) return 0;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(in_[pos_ + i]);
    pos_ += 4;
    return v;
  }
  std::uint32_t varint() noexcept {
    if (error_ != Errc::ok) return 0;
    const VarintResult v = decode_varint(in_.subspan(pos_));
    if (v.error != Errc::ok) return fail(v.error), 0;
    if (v.size == 0) return fail(Errc::truncated), 0;
    pos_ += v.size;
    return v.value;
  }
  std::span<const std::byte> binary() noexcept {
    const std::uint16_t n = u16();
    if (!need(n)) return {};
    auto r = in_.subspan(pos_, n);
    pos_ += n;
    return r;
  }
  // A UTF-8 string, validated (MQTT-1.5.4-1, -2).
  std::string_view utf8() noexcept {
    const auto b = binary();
    const std::string_view s(reinterpret_cast<const char*>(b.data()), b.size());
    if (error_ == Errc::ok && !valid_utf8(s)) fail(Errc::bad_utf8);
    return s;
  }

 private:
  bool need(std::size_t n) noexcept {
    if (error_ != Errc::ok) return false;
    if (left() < n) return fail(Errc::truncated), false;
    return true;
  }

  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
  Errc error_ = Errc::ok;
};

// The two sinks a packet body is written through: Counter sizes it (and notes a string or
// block too large to encode), Writer writes it into a buffer already checked to be large
// enough. One template per packet drives both, so size and bytes cannot disagree.
class Counter {
 public:
  void u8(std::uint8_t) noexcept { n_ += 1; }
  void u16(std::uint16_t) noexcept { n_ += 2; }
  void u32(std::uint32_t) noexcept { n_ += 4; }
  void varint(std::uint32_t v) noexcept {
    const std::size_t s = varint_size(v);
    if (s == 0) fail();
    n_ += s;
  }
  void binary(std::span<const std::byte> b) noexcept {
    if (b.size() > 65535) fail();
    n_ += 2 + b.size();
  }
  void utf8(std::string_view s) noexcept { binary({reinterpret_cast<const std::byte*>(s.data()), s.size()}); }
  void raw(std::span<const std::byte> b) noexcept { n_ += b.size(); }
  void skip(std::size_t n) noexcept { n_ += n; }
  // A field the packet cannot carry (QoS 3, packet id 0, ...) or a value too large.
  void fail(Errc e = Errc::value_too_large) noexcept {
    if (error_ == Errc::ok) error_ = e;
  }

  std::size_t size() const noexcept { return n_; }
  bool bad() const noexcept { return error_ != Errc::ok; }
  Errc error() const noexcept { return error_; }

 private:
  std::size_t n_ = 0;
  Errc error_ = Errc::ok;
};

class Writer {
 public:
  explicit Writer(std::byte* out) noexcept : p_(out) {}
  void u8(std::uint8_t v) noexcept { *p_++ = std::byte{v}; }
  void u16(std::uint16_t v) noexcept {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) noexcept {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void varint(std::uint32_t v) noexcept { p_ += encode_varint(v, {p_, 4}); }
  void binary(std::span<const std::byte> b) noexcept {
    u16(static_cast<std::uint16_t>(b.size()));
    raw(b);
  }
  void utf8(std::string_view s) noexcept { binary({reinterpret_cast<const std::byte*>(s.data()), s.size()}); }
  void raw(std::span<const std::byte> b) noexcept {
    if (!b.empty()) std::memcpy(p_, b.data(), b.size());
    p_ += b.size();
  }
  void skip(std::size_t n) noexcept { p_ += n; }  // bytes the caller wrote at pos()
  void fail(Errc = Errc::value_too_large) noexcept {}  // the Counter pass already refused

  std::byte* pos() const noexcept { return p_; }

 private:
  std::byte* p_;
};

// Writes the property block of `p` (properties_size(p) != 0) at `out`; returns its end.
std::byte* put_properties(const Properties& p, std::byte* out) noexcept;

}  // namespace zp::codec::mqtt::wire
