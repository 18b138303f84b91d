// The blocking API: send_mail and send_mail_mx on a private one-shard engine. The engine
// runner is the MQTT client's pattern (services/mqtt/src/private_engine.h); it belongs in
// the engine once a third client needs it.
#include <map>
#include <thread>
#include <utility>

#include "zp/engine/backend.h"
#include "zp/engine/shard.h"
#include "zp/smtp/client.h"

namespace zp::smtp {

namespace {

// make() -> Task<Result<T>>, run to its end on a private shard on this thread (on a helper
// thread when this is a shard thread: it must not block in a nested loop).
template <class T, class F>
Result<T> run_private(F&& make) {
  if (Shard::current()) {
    Result<T> out = zp::fail(ECANCELED);
    std::thread t([&] { out = run_private<T>(std::forward<F>(make)); });
    t.join();
    return out;
  }
  BackendOptions bo;
  bo.sq_entries = 64;
  bo.cq_entries = 256;
  bo.recv_buffer_bytes = 16384;
  bo.recv_buffer_count = 64;
  bo.fixed_buffer_count = 2;
  auto backend = make_backend(BackendKind::automatic, bo);
  if (!backend) return backend.error();
  Shard shard(0, 1, std::move(*backend));
  Result<T> out = shard.block_on(make());
  shard.request_stop(0);
  shard.run();
  return out;
}

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
  return run_private<SendResult>([&] { return send_task(server, &envelope, message, options); });
}

Result<std::vector<SendResult>> send_mail_mx(const Envelope& envelope, std::string_view message,
                                             const ClientOptions& options) {
  if (envelope.to.empty()) return make_error_code(ClientErrc::no_recipients);
  return run_private<std::vector<SendResult>>([&] { return send_mx_task(&envelope, message, &options); });
}

}  // namespace zp::smtp
