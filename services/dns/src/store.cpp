// ZoneStore::load: reads every zone file, keeps the old version of a zone whose file fails,
// and publishes the new set with each zone's transfer settings and IXFR history.
#include <cstring>

#include "zp/dns/acl.h"
#include "zp/dns/server.h"

namespace zp::dns {

namespace {

// The zone of `set` whose apex is `name` (text), or nullptr.
std::size_t find_apex(const ZoneSet* set, const std::string& name) {
  if (!set) return std::size_t(-1);
  std::byte key[codec::dns::max_name_bytes];
  std::string n = name;
  if (n.empty() || n.back() != '.') n += '.';
  auto len = codec::dns::name_from_text(n, {}, key);
  if (!len) return std::size_t(-1);
  auto nm = codec::dns::Name::from_wire(std::span<const std::byte>(key, *len));
  if (!nm) return std::size_t(-1);
  std::byte lk[codec::dns::max_name_bytes];
  const std::size_t ll = lower_wire(*nm, lk);
  const auto zones = set->zones();
  for (std::size_t i = 0; i < zones.size(); ++i) {
    auto a = zones[i]->apex_key();
    if (a.size() == ll && std::memcmp(a.data(), lk, ll) == 0) return i;
  }
  return std::size_t(-1);
}

}  // namespace

std::string ZoneStore::load() {
  std::lock_guard load_lock(load_mu_);
  std::shared_ptr<const ZoneSet> old = snapshot();
  if (configs_.empty()) return {};
  std::vector<std::shared_ptr<const Zone>> zones;
  std::vector<ZoneTransfer> transfer;
  std::string errors;
  for (const auto& c : configs_) {
    auto acl = Acl::parse(c.allow_transfer);
    if (!acl) {
      errors += c.file + ": allow_transfer: " + acl.error_text + '\n';
      continue;
    }
    bool bad_notify = false;
    for (const auto& n : c.notify) {
      if (!SocketAddr::parse(n)) {
        errors += c.file + ": notify: '" + n + "' is not HOST:PORT\n";
        bad_notify = true;
      }
    }
    if (bad_notify) continue;
    const std::size_t prev = find_apex(old.get(), c.name);
    ZoneTransfer t;
    t.allow_transfer = std::make_shared<const Acl>(std::move(*acl.acl));
    t.notify = c.notify;
    ZoneLoad l = load_zone(c.name, c.file);
    if (!l) {
      errors += l.error;
      if (prev == std::size_t(-1)) {
        errors += '\n';
        continue;
      }
      // Keep the zone (and history) this file served before.
      zones.push_back(old->zones()[prev]);
      t.history = old->transfer(old->zones()[prev].get()).history;
      transfer.push_back(std::move(t));
      errors += " (the previous version stays in service)\n";
      continue;
    }
    if (prev != std::size_t(-1)) {
      const Zone& before = *old->zones()[prev];
      const auto& before_history = old->transfer(&before).history;
      if (serial_lt(before.serial(), l.zone->serial())) {
        t.history = ZoneHistory::extend(before_history.get(), compute_diff(before, *l.zone), history_limits_);
      } else if (before.serial() == l.zone->serial()) {
        t.history = before_history;
      } else {
        errors += c.file + ": warning: the SOA serial went back from " + std::to_string(before.serial()) + " to " +
                  std::to_string(l.zone->serial()) + "; IXFR history cleared (secondaries keep the old data)\n";
      }
    }
    zones.push_back(std::move(l.zone));
    transfer.push_back(std::move(t));
  }
  if (!old && !errors.empty()) return errors;
  auto set = std::make_shared<const ZoneSet>(std::move(zones), std::move(transfer));
  {
    std::lock_guard lock(mu_);
    current_ = std::move(set);
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return errors;
}

}  // namespace zp::dns
