// HTTP-date formatting and parsing (RFC 9110 §5.6.7) with civil-date arithmetic of our own
// (no gmtime/timegm: no locale, no time zone, no global state).
#include "zp/codec/http1/date.h"

namespace zp::codec::http1 {
namespace {

constexpr const char* kDays[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kDaysLong[7] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr const char* kMonths[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t y;
  unsigned m, d;
};
constexpr Civil civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

constexpr bool leap(std::int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  constexpr unsigned k[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : k[m - 1];
}

void put2(char* p, unsigned v) noexcept {
  p[0] = static_cast<char>('0' + v / 10 % 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// A tiny cursor over the date text.
struct Reader {
  std::string_view s;
  std::size_t i = 0;
  bool lit(std::string_view t) noexcept {
    if (s.substr(i, t.size()) != t) return false;
    i += t.size();
    return true;
  }
  bool digits(unsigned n, unsigned& v) noexcept {
    if (s.size() - i < n) return false;
    v = 0;
    for (unsigned k = 0; k < n; ++k) {
      const char c = s[i + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    i += n;
    return true;
  }
  bool month(unsigned& m) noexcept {
    for (unsigned k = 0; k < 12; ++k)
      if (lit(kMonths[k])) {
        m = k + 1;
        return true;
      }
    return false;
  }
  // hour ":" minute ":" second
  bool time(unsigned& h, unsigned& mi, unsigned& sec) noexcept {
    return digits(2, h) && lit(":") && digits(2, mi) && lit(":") && digits(2, sec);
  }
  bool at_end() const noexcept { return i == s.size(); }
};

std::optional<std::int64_t> make(std::int64_t y, unsigned m, unsigned d, unsigned h, unsigned mi,
                                 unsigned sec) noexcept {
  // RFC 9110 §5.6.7: second 60 is allowed (leap second); treated as :59 + 1.
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m) || h > 23 || mi > 59 || sec > 60)
    return std::nullopt;
  return days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec;
}

}  // namespace

void format_imf_fixdate(std::time_t t, std::span<char, imf_fixdate_bytes> out) noexcept {
  // Clamp to years 0000..9999 so the text keeps its fixed width.
  constexpr std::int64_t lo = -62167219200;  // 0000-01-01T00:00:00Z
  constexpr std::int64_t hi = 253402300799;  // 9999-12-31T23:59:59Z
  std::int64_t s = static_cast<std::int64_t>(t);
  if (s < lo) s = lo;
  if (s > hi) s = hi;
  std::int64_t days = s / 86400;
  std::int64_t rem = s % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  const Civil c = civil_from_days(days);
  const auto wd = static_cast<unsigned>(((days % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
  char* p = out.data();
  const char* w = kDays[wd];
  p[0] = w[0], p[1] = w[1], p[2] = w[2], p[3] = ',', p[4] = ' ';
  put2(p + 5, c.d);
  p[7] = ' ';
  const char* mo = kMonths[c.m - 1];
  p[8] = mo[0], p[9] = mo[1], p[10] = mo[2], p[11] = ' ';
  const auto y = static_cast<unsigned>(c.y);
  put2(p + 12, y / 100);
  put2(p + 14, y % 100);
  p[16] = ' ';
  const auto r = static_cast<unsigned>(rem);
  put2(p + 17, r / 3600);
  p[19] = ':';
  put2(p + 20, r / 60 % 60);
  p[22] = ':';
  put2(p + 23, r % 60);
  p[25] = ' ', p[26] = 'G', p[27] = 'M', p[28] = 'T';
}

std::optional<std::int64_t> parse_http_date(std::string_view s) noexcept {
  unsigned d = 0, m = 0, y = 0, h = 0, mi = 0, sec = 0;
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  for (const char* day : kDays) {
    Reader r{s};
    if (r.lit(day) && r.lit(", ") && r.digits(2, d) && r.lit(" ") && r.month(m) && r.lit(" ") &&
        r.digits(4, y) && r.lit(" ") && r.time(h, mi, sec) && r.lit(" GMT") && r.at_end())
      return make(y, m, d, h, mi, sec);
  }
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
  for (const char* day : kDaysLong) {
    Reader r{s};
    if (r.lit(day) && r.lit(", ") && r.digits(2, d) && r.lit("-") && r.month(m) && r.lit("-") &&
        r.digits(2, y) && r.lit(" ") && r.time(h, mi, sec) && r.lit(" GMT") && r.at_end())
      return make(y < 70 ? 2000 + y : 1900 + y, m, d, h, mi, sec);
  }
  // asctime: "Sun Nov  6 08:49:37 1994" (day as SP DIGIT or 2DIGIT)
  for (const char* day : kDays) {
    Reader r{s};
    if (!(r.lit(day) && r.lit(" ") && r.month(m) && r.lit(" "))) continue;
    if (r.lit(" ")) {
      if (!r.digits(1, d)) return std::nullopt;
    } else if (!r.digits(2, d)) {
      return std::nullopt;
    }
    if (r.lit(" ") && r.time(h, mi, sec) && r.lit(" ") && r.digits(4, y) && r.at_end())
      return make(y, m, d, h, mi, sec);
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace zp::codec::http1
