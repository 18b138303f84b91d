// The blocking API: send_mail and send_mail_mx on a private one-shard engine.
#include <algorithm>
#include <utility>

#include "zp/engine/private_shard.h"
#include "zp/smtp/client.h"

namespace zp::smtp {

namespace {

Task<Result<SendResult>> send_task(std::string server, const Envelope* env, std::string_view message,
                                   ClientOptions options) {
  auto c = co_await Client::connect(std::move(server), std::move(options));
  if (!c) co_return c.error();
  auto r = co_await c->send(*env, message);
  if (!r) co_return r.error();
  (void)co_await c->quit();
  co_return r;
}

// Recipients by domain, in order of first appearance.
std::vector<std::pair<std::string, std::vector<std::string>>> by_domain(const std::vector<std::string>& to) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& a : to) {
    const std::size_t at = a.rfind('@');
    std::string domain = at == std::string::npos ? std::string() : a.substr(at + 1);
    if (!domain.empty() && domain.front() == '[') domain.clear();  // address literals have no MX
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == domain; });
    if (it == out.end()) {
      out.emplace_back(domain, std::vector<std::string>{});
      it = out.end() - 1;
    }
    it->second.push_back(a);
  }
  return out;
}

Task<Result<std::vector<SendResult>>> send_mx_task(const Envelope* env, std::string_view message,
                                                   const ClientOptions* options) {
  std::vector<SendResult> results;
  auto groups = by_domain(env->to);
  for (auto& [domain, rcpts] : groups) {
    if (domain.empty()) co_return make_error_code(ClientErrc::bad_mailbox);
    auto c = co_await Client::connect_mx(domain, *options);
    if (!c) co_return c.error();
    Envelope part;
    part.from = env->from;
    part.to = std::move(rcpts);
    auto r = co_await c->send(part, message);
    if (!r) co_return r.error();
    (void)co_await c->quit();
    results.push_back(std::move(*r));
  }
  co_return results;
}

}  // namespace

Result<SendResult> send_mail(const std::string& server, const Envelope& envelope, std::string_view message,
                             const ClientOptions& options) {
  return run_on_private_shard<SendResult>([&] { return send_task(server, &envelope, message, options); });
}

Result<std::vector<SendResult>> send_mail_mx(const Envelope& envelope, std::string_view message,
                                             const ClientOptions& options) {
  if (envelope.to.empty()) return make_error_code(ClientErrc::no_recipients);
  return run_on_private_shard<std::vector<SendResult>>([&] { return send_mx_task(&envelope, message, &options); });
}

}  // namespace zp::smtp
