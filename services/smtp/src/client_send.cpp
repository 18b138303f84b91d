// One mail transaction: the envelope checked at the API, RSET between messages, MAIL, RCPT
// and DATA (one write with PIPELINING, replies matched in order, RFC 2920 3.1), then the
// message dot-stuffed by the codec's encoder in blocks, and the final reply.
#include <algorithm>
#include <vector>

#include "client_impl.h"
#include "zp/codec/smtp/command.h"
#include "zp/codec/smtp/data.h"
#include "zp/smtp/client.h"

namespace zp::smtp {

namespace cs = zp::codec::smtp;

Result<void> check_mailbox(std::string_view address, bool utf8) {
  if (address.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
    return make_error_code(ClientErrc::bad_input);
  const std::string path = "<" + std::string(address) + ">";
  cs::Path p;
  if (cs::parse_path(path, {}, utf8, p) != cs::Errc::ok || p.null) return make_error_code(ClientErrc::bad_mailbox);
  return {};
}

namespace detail {

namespace {

// True when a line (CRLF, or a bare LF/CR the encoder makes one) has more than `max` octets.
bool has_long_line(std::string_view s, std::size_t max) {
  std::size_t run = 0;
  for (char ch : s) {
    if (ch == '\r' || ch == '\n') {
      run = 0;
    } else if (++run > max) {
      return true;
    }
  }
  return false;
}

bool eight_bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char ch) { return static_cast<unsigned char>(ch) >= 0x80; });
}

// The message, dot-stuffed and CRLF-normalised, then the terminator; one send per block.
Task<Result<void>> send_data(ClientImpl* c, std::string_view message) {
  cs::DataEncoder enc;
  std::string block;
  const std::size_t in_block = c->opts.block_bytes;
  bool finished = false;
  while (!finished) {
    const std::size_t take = std::min(in_block, message.size());
    block.resize(cs::DataEncoder::max_encoded(take) + 8);
    std::size_t used = 0;
    std::size_t written = 0;
    // The encoder may stop short of an escape: call again for the rest of the block.
    while (used < take) {
      const auto step = enc.encode(message.substr(used, take - used), std::span<char>(block).subspan(written));
      if (step.consumed == 0) break;
      used += step.consumed;
      written += step.written;
    }
    message.remove_prefix(used);
    if (message.empty()) {
      written += enc.finish(std::span<char>(block).subspan(written));
      finished = true;
    }
    block.resize(written);
    auto w = co_await write(c, &block, c->opts.timeouts.data_block_ms);
    if (!w) co_return w;
  }
  co_return Result<void>{};
}

}  // namespace

}  // namespace detail

Task<Result<SendResult>> Client::send(const Envelope& envelope, std::string_view message) {
  detail::ClientImpl* c = impl_.get();
  if (!c || !c->open) co_return make_error_code(ClientErrc::not_connected);
  c->last_send = {};
  SendResult& res = c->last_send;
  const SessionInfo& info = c->info;
  // The envelope first: nothing goes out for a bad one.
  if (envelope.to.empty()) co_return make_error_code(ClientErrc::no_recipients);
  bool utf8 = detail::eight_bit(envelope.from);
  if (!envelope.from.empty()) {
    if (auto ok = check_mailbox(envelope.from); !ok) co_return ok.error();
  }
  for (const auto& to : envelope.to) {
    if (auto ok = check_mailbox(to); !ok) co_return ok.error();
    utf8 = utf8 || detail::eight_bit(to);
  }
  if (utf8 && !info.smtputf8) co_return make_error_code(ClientErrc::smtputf8_unsupported);
  const bool eight = detail::eight_bit(message);
  if (eight && !info.eight_bit_mime) co_return make_error_code(ClientErrc::eight_bit_unsupported);
  // SIZE (RFC 1870 6): the message octets as sent; stuffing adds little, checked up front.
  if (info.size && info.max_size != 0 && message.size() > info.max_size)
    co_return make_error_code(ClientErrc::message_too_large);
  if (!c->opts.allow_long_lines && detail::has_long_line(message, 998))
    co_return make_error_code(ClientErrc::line_too_long);

  std::string mail = "MAIL FROM:<" + envelope.from + ">";
  if (info.size) mail += " SIZE=" + std::to_string(message.size());
  if (eight) mail += " BODY=8BITMIME";
  if (utf8) mail += " SMTPUTF8";
  mail += "\r\n";
  std::vector<std::string> rcpts;
  for (const auto& to : envelope.to) rcpts.push_back("RCPT TO:<" + to + ">\r\n");
  const bool pipelined = info.pipelining && c->opts.pipelining;
  const bool rset = c->had_transaction;
  c->had_transaction = true;
  const auto& t = c->opts.timeouts;
  const std::string rset_line = "RSET\r\n";
  const std::string data_line = "DATA\r\n";

  if (pipelined) {
    // RFC 2920 3.1: RSET, MAIL, the RCPTs and DATA in one write; replies read in order.
    std::string batch = rset ? rset_line : std::string();
    batch += mail;
    for (const auto& r : rcpts) batch += r;
    batch += data_line;
    auto w = co_await detail::write(c, &batch, t.command_ms);
    if (!w) co_return w.error();
  }
  if (rset) {
    if (!pipelined) {
      auto w = co_await detail::write(c, &rset_line, t.command_ms);
      if (!w) co_return w.error();
    }
    auto r = co_await detail::read_reply(c, t.command_ms);
    if (!r) co_return r.error();
    if (r->code != 250) {
      if (pipelined) c->close();  // the pipelined replies would be out of step
      co_return reply_error(r->code);
    }
  }
  if (!pipelined) {
    auto w = co_await detail::write(c, &mail, t.command_ms);
    if (!w) co_return w.error();
  }
  auto m = co_await detail::read_reply(c, t.command_ms);
  if (!m) co_return m.error();
  res.mail = *m;
  if (m->code == 421) co_return reply_error(421);  // closing: the pipelined replies never come
  const bool mail_ok = m->code == 250;
  if (!mail_ok && !pipelined) co_return reply_error(m->code);
  for (std::size_t i = 0; i < rcpts.size(); ++i) {
    if (!pipelined) {
      auto w = co_await detail::write(c, &rcpts[i], t.command_ms);
      if (!w) co_return w.error();
    }
    auto r = co_await detail::read_reply(c, t.command_ms);
    if (!r) co_return r.error();
    RecipientResult rr;
    rr.address = envelope.to[i];
    rr.reply = *r;
    if (rr.accepted()) ++res.accepted;
    res.recipients.push_back(std::move(rr));
    if (!c->open) co_return reply_error(r->code);  // 421
  }
  if (!pipelined) {
    if (res.accepted == 0) co_return make_error_code(ClientErrc::recipients_refused);
    auto w = co_await detail::write(c, &data_line, t.command_ms);
    if (!w) co_return w.error();
  }
  auto d = co_await detail::read_reply(c, t.data_init_ms);
  if (!d) co_return d.error();
  if (d->code != 354) {
    res.data = *d;
    if (d->code == 421) co_return reply_error(421);
    if (!mail_ok) co_return reply_error(m->code);
    if (res.accepted == 0) co_return make_error_code(ClientErrc::recipients_refused);
    co_return reply_error(d->code);
  }
  if (!mail_ok || res.accepted == 0) {
    // RFC 2920 3.1: a 354 without a valid transaction: end the data at once; the server
    // refuses the empty message.
    const std::string dot = ".\r\n";
    auto w = co_await detail::write(c, &dot, t.data_block_ms);
    if (!w) co_return w.error();
    auto e = co_await detail::read_reply(c, t.data_end_ms);
    if (!e) co_return e.error();
    res.data = *e;
    if (!mail_ok) co_return reply_error(m->code);
    co_return make_error_code(ClientErrc::recipients_refused);
  }
  auto body = co_await detail::send_data(c, message);
  if (!body) co_return body.error();
  auto f = co_await detail::read_reply(c, t.data_end_ms);
  if (!f) co_return f.error();
  res.data = *f;
  if (f->code != 250) co_return reply_error(f->code);
  res.delivered = true;
  ++c->sent;
  co_return res;
}

}  // namespace zp::smtp
