/// \file
/// Logging that never blocks the calling thread (a shard's event loop).
///
/// Each thread formats its lines into its own bounded lock-free SPSC ring; one background
/// writer thread drains every ring to stderr or a file. When a ring is full the line is
/// dropped and counted, and the writer reports "N log lines dropped" later. Before init()
/// (and after shutdown()) lines go straight to stderr with one write(2).
/// \code
///   zp::log::init({.level = zp::log::Level::info, .path = "/var/log/zproto.log"});
///   ZP_LOG_INFO("listening on {}", addr);
///   zp::log::shutdown();   // after every logging thread has stopped
/// \endcode
///
/// Line format: `2024-05-01T12:34:56.789Z INFO  [shard 0] message` (UTC; the tag is the
/// one given to set_thread_tag(), else `t<kernel tid>`). Lines from different threads
/// are written in drain order, not strictly in time order.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "zp/result.h"

namespace zp::log {

/// Severity of a log line, lowest first; `off` writes nothing.
enum class Level : uint8_t { trace, debug, info, warn, error, off };

/// "trace" ... "error", "off" (case-sensitive); std::nullopt for anything else.
std::optional<Level> parse_level(std::string_view name) noexcept;
/// Lower-case name of the level ("warn" for Level::warn).
std::string_view level_name(Level level) noexcept;

/// What init() starts the logger with.
struct Options {
  Level level = Level::info;  ///< lowest level written
  std::string path;                     ///< empty: stderr
  size_t ring_bytes = size_t{1} << 16;  ///< per-thread ring, rounded up to a power of two
  size_t max_line_bytes = 4096;         ///< longer lines are truncated, marked with "..."
  uint32_t flush_interval_ms = 50;      ///< the writer drains at least this often
};

/// Starts the writer thread and opens the log file (O_APPEND). Returns the open(2)
/// error (and keeps logging to stderr) if the file cannot be opened; EALREADY if a
/// logger is already running.
Result<void> init(Options opts);
/// Drains every ring, reports drops, closes the file and joins the writer. No other
/// thread may be inside a log call while shutdown() runs. No-op without init().
void shutdown();
/// Asks the writer to reopen the log file (logrotate, SIGHUP). Async-signal-safe: only
/// sets a flag; the writer reopens within flush_interval_ms. No-op for stderr.
void reopen() noexcept;

/// Minimum level written. Before init() the level is fixed at info: set_level() then
/// returns false and does nothing (pass the level to init()).
bool set_level(Level level) noexcept;
Level level() noexcept;  ///< the minimum level written
/// True if a line at `level` would be written.
bool enabled(Level level) noexcept;

/// Names this thread in the prefix ("shard 3"); at most 31 bytes are kept.
void set_thread_tag(std::string_view tag) noexcept;

/// Lines dropped so far because a ring was full (all threads; 0 without init()).
uint64_t dropped_lines() noexcept;

/// Formats and queues one line. Never throws, never blocks once init() ran.
void vwrite(Level level, fmt::string_view format, fmt::format_args args) noexcept;

/// Formats and queues one line without checking the level (the macros check first).
template <class... Args>
void write_unchecked(Level lvl, fmt::format_string<Args...> format, Args&&... args) noexcept {
  vwrite(lvl, format, fmt::make_format_args(args...));
}
/// Formats and queues one line if `lvl` is enabled.
template <class... Args>
void write(Level lvl, fmt::format_string<Args...> format, Args&&... args) noexcept {
  if (enabled(lvl)) vwrite(lvl, format, fmt::make_format_args(args...));
}
template <class... Args>
void trace(fmt::format_string<Args...> f, Args&&... a) noexcept { write(Level::trace, f, a...); }  ///< write(Level::trace, ...)
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... a) noexcept { write(Level::debug, f, a...); }  ///< write(Level::debug, ...)
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... a) noexcept { write(Level::info, f, a...); }  ///< write(Level::info, ...)
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... a) noexcept { write(Level::warn, f, a...); }  ///< write(Level::warn, ...)
template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... a) noexcept { write(Level::error, f, a...); }  ///< write(Level::error, ...)

}  // namespace zp::log

/// The macros check the level before evaluating their arguments.
#define ZP_LOG(lvl, ...)                                            \
  do {                                                              \
    if (::zp::log::enabled(lvl)) ::zp::log::write_unchecked(lvl, __VA_ARGS__); \
  } while (0)
/// Logs at trace (arguments evaluated only when trace is enabled).
#define ZP_LOG_TRACE(...) ZP_LOG(::zp::log::Level::trace, __VA_ARGS__)
/// Logs at debug.
#define ZP_LOG_DEBUG(...) ZP_LOG(::zp::log::Level::debug, __VA_ARGS__)
/// Logs at info.
#define ZP_LOG_INFO(...) ZP_LOG(::zp::log::Level::info, __VA_ARGS__)
/// Logs at warn.
#define ZP_LOG_WARN(...) ZP_LOG(::zp::log::Level::warn, __VA_ARGS__)
/// Logs at error.
#define ZP_LOG_ERROR(...) ZP_LOG(::zp::log::Level::error, __VA_ARGS__)
