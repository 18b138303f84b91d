// Zone transfers without sockets: the transfer ACL, the AXFR message stream (every record of
// the zone, SOA first and last, a zone over 64 KiB cut into several messages), IXFR
// differences and history bounds, the replies to IXFR for current, in-history and too-old
// serials, IXFR/AXFR over UDP through the Responder, and the NOTIFY message.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dns_test_util.h"
#include "zp/codec/dns/rdata.h"
#include "zp/dns/acl.h"
#include "zp/dns/answer.h"
#include "zp/dns/notify.h"
#include "zp/dns/xfr.h"
#include "zp/dns/zone.h"

namespace zp::dns {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace rrtype = codec::dns::rrtype;
using codec::dns::Record;

sockaddr_in v4(const char* a) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  inet_pton(AF_INET, a, &s.sin_addr);
  return s;
}
sockaddr_in6 v6(const char* a) {
  sockaddr_in6 s{};
  s.sin6_family = AF_INET6;
  inet_pton(AF_INET6, a, &s.sin6_addr);
  return s;
}
const sockaddr* sa(const sockaddr_in& s) { return reinterpret_cast<const sockaddr*>(&s); }
const sockaddr* sa(const sockaddr_in6& s) { return reinterpret_cast<const sockaddr*>(&s); }

TEST(DnsAcl, MatchesAddressesAndPrefixes) {
  auto r = Acl::parse({"127.0.0.1", "::1/128", "10.0.0.0/8", "2001:db8::/32", "192.0.2.128/25"});
  ASSERT_TRUE(r) << r.error_text;
  const Acl& acl = *r.acl;
  EXPECT_TRUE(acl.allows(sa(v4("127.0.0.1"))));
  EXPECT_FALSE(acl.allows(sa(v4("127.0.0.2"))));
  EXPECT_TRUE(acl.allows(sa(v4("10.255.1.2"))));
  EXPECT_FALSE(acl.allows(sa(v4("11.0.0.1"))));
  EXPECT_TRUE(acl.allows(sa(v4("192.0.2.128"))));
  EXPECT_TRUE(acl.allows(sa(v4("192.0.2.255"))));
  EXPECT_FALSE(acl.allows(sa(v4("192.0.2.127"))));
  EXPECT_TRUE(acl.allows(sa(v6("::1"))));
  EXPECT_FALSE(acl.allows(sa(v6("::2"))));
  EXPECT_TRUE(acl.allows(sa(v6("2001:db8:ffff::1"))));
  EXPECT_FALSE(acl.allows(sa(v6("2001:db9::1"))));
  EXPECT_TRUE(acl.allows(sa(v6("::ffff:10.1.2.3"))));   // IPv4-mapped peer of a dual-stack socket
  EXPECT_FALSE(acl.allows(sa(v6("::ffff:11.1.2.3"))));
  EXPECT_FALSE(acl.allows(nullptr));
  sockaddr un{};
  un.sa_family = AF_UNIX;
  EXPECT_FALSE(acl.allows(&un));

  auto none = Acl::parse({});
  ASSERT_TRUE(none);
  EXPECT_FALSE(none.acl->allows(sa(v4("127.0.0.1"))));
  auto all4 = Acl::parse({"0.0.0.0/0"});
  ASSERT_TRUE(all4);
  EXPECT_TRUE(all4.acl->allows(sa(v4("203.0.113.9"))));
  EXPECT_FALSE(all4.acl->allows(sa(v6("2001:db8::1"))));  // an IPv4 prefix never matches IPv6
}

TEST(DnsAcl, RejectsBadEntries) {
  for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0.1/8", "host.example", "10.0.0.0/", "10.0.0.0/x",
                          "1.2.3", "fe80::1%eth0", "10.0.0.0/8/8"}) {
    auto r = Acl::parse({"127.0.0.1", bad});
    EXPECT_FALSE(r) << bad;
    EXPECT_THAT(r.error_text, HasSubstr("is not an IP address or prefix")) << bad;
  }
}

// A zone of `serial` with the test zone's data, plus `extra` lines.
std::shared_ptr<const Zone> zone_v(std::uint32_t serial, const std::string& extra = {}, bool with_mail = true) {
  std::string text(test::kTestZone);
  const std::string from = "2024010101";
  text.replace(text.find(from), from.size(), std::to_string(serial));
  if (!with_mail) text.replace(text.find("mail    A     192.0.2.3\n"), 24, "");
  text += extra;
  auto z = build_zone("example.test.", text, "v" + std::to_string(serial) + ".zone", false);
  EXPECT_TRUE(z) << z.error;
  return z.zone;
}

std::shared_ptr<const ZoneSet> set_of(std::shared_ptr<const Zone> z, std::vector<std::string> acl,
                                      std::shared_ptr<const ZoneHistory> h = nullptr) {
  ZoneTransfer t;
  auto a = Acl::parse(acl);
  t.allow_transfer = std::make_shared<const Acl>(*a.acl);
  t.history = std::move(h);
  return std::make_shared<const ZoneSet>(std::vector<std::shared_ptr<const Zone>>{std::move(z)},
                                         std::vector<ZoneTransfer>{t});
}

// A transfer query; for IXFR with the client's SOA (the one of `client`) in authority.
std::vector<std::byte> xfr_query(std::uint16_t type, const Zone* client = nullptr, std::uint16_t id = 0x4242) {
  auto wire = test::wire_name("example.test.");
  auto n = codec::dns::Name::from_wire(wire);
  std::vector<std::byte> buf(1024);
  codec::dns::MessageWriter w(buf);
  codec::dns::Header h;
  h.id = id;
  (void)w.add_question(*n, type, codec::dns::rrclass::in);
  if (client) (void)w.add_record(codec::dns::Section::authority, client->records(client->soa())[0]);
  w.set_header(h);
  auto out = w.finish();
  buf.resize(out ? out->size() : 0);
  return buf;
}

// parse_answer with room for the ~1500 records of a full 64 KiB message.
test::Answer parse_big(std::span<const std::byte> wire) {
  test::Answer a;
  std::vector<Record> rrs(16384);
  codec::dns::Message m;
  if (!codec::dns::parse_message(wire, m, rrs).ok()) return a;
  a.ok = true;
  a.header = m.header;
  a.rcode = m.rcode();
  a.has_opt = m.edns.has_value();
  for (const auto& q : m.question) a.question.push_back(q.owner.wire_size() ? "q" : "");
  for (const auto& rr : m.answer) {
    std::string t;
    codec::dns::record_to_text(rr, t);
    for (auto& c : t) c = c == '\t' ? ' ' : c;
    a.answer.push_back(t);
  }
  return a;
}

// Every message of a stream, parsed; the answer records of all as text lines.
struct Transfer {
  std::vector<std::vector<std::byte>> messages;
  std::vector<std::string> records;
  std::vector<std::size_t> question_counts;
  bool ok = true;
};
Transfer drain(XfrStream& s, std::size_t buf_size = 65535) {
  Transfer t;
  std::vector<std::byte> buf(buf_size);
  for (int guard = 0; guard < 10000; ++guard) {
    auto n = s.next(buf);
    if (!n) {
      t.ok = false;
      break;
    }
    if (*n == 0) break;
    t.messages.emplace_back(buf.begin(), buf.begin() + std::ptrdiff_t(*n));
    auto a = parse_big(t.messages.back());
    if (!a.ok) t.ok = false;
    EXPECT_TRUE(a.header.qr() && a.header.aa());
    EXPECT_EQ(a.header.id, 0x4242);
    EXPECT_EQ(a.rcode, 0);
    t.question_counts.push_back(a.question.size());
    t.records.insert(t.records.end(), a.answer.begin(), a.answer.end());
  }
  return t;
}

std::vector<std::string> zone_lines(const Zone& z) {
  std::vector<std::string> out;
  for (const Record& r : z.all_records()) {
    std::string t;
    codec::dns::record_to_text(r, t);
    for (auto& c : t) c = c == '\t' ? ' ' : c;
    out.push_back(t);
  }
  return out;
}

std::string soa_line(const Zone& z) { return zone_lines(z)[z.soa().first]; }

TEST(DnsXfr, IsTransferQuery) {
  auto z = zone_v(1);
  EXPECT_TRUE(is_transfer_query(xfr_query(kTypeAxfr)));
  EXPECT_TRUE(is_transfer_query(xfr_query(kTypeIxfr, z.get())));
  EXPECT_FALSE(is_transfer_query(test::make_query("example.test.", rrtype::soa)));
  EXPECT_FALSE(is_transfer_query(test::make_query("example.test.", kTypeAxfr, {.opcode = 4})));
  auto resp = xfr_query(kTypeAxfr);
  resp[2] |= std::byte{0x80};
  EXPECT_FALSE(is_transfer_query(resp));
  auto cut = xfr_query(kTypeAxfr);
  cut.resize(cut.size() - 3);
  EXPECT_FALSE(is_transfer_query(cut));
  EXPECT_FALSE(is_transfer_query({}));
}

TEST(DnsXfr, AxfrStreamsEveryRecordSoaFirstAndLast) {
  auto z = zone_v(2024010101);
  auto set = set_of(z, {"127.0.0.1"});
  std::vector<std::byte> out(65535);
  auto q = xfr_query(kTypeAxfr);
  auto peer = v4("127.0.0.1");
  XfrPlan p = plan_transfer(set, q, sa(peer), Transport::tcp, out);
  ASSERT_TRUE(p.stream);
  EXPECT_EQ(p.stream->kind(), XfrKind::axfr);
  Transfer t = drain(*p.stream);
  ASSERT_TRUE(t.ok);
  ASSERT_EQ(t.messages.size(), 1u);  // the test zone fits in one
  EXPECT_THAT(t.question_counts, ElementsAre(1u));
  ASSERT_EQ(t.records.size(), z->record_count() + 1);
  EXPECT_EQ(t.records.front(), soa_line(*z));
  EXPECT_EQ(t.records.back(), soa_line(*z));
  std::vector<std::string> got(t.records.begin() + 1, t.records.end() - 1), want = zone_lines(*z);
  want.erase(want.begin() + std::ptrdiff_t(z->soa().first));
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  EXPECT_EQ(p.stream->records_sent(), z->record_count() + 1);
}

TEST(DnsXfr, ZoneOver64KiBGoesInSeveralMessages) {
  std::string text = "$ORIGIN big.test.\n$TTL 60\n@ SOA ns hm 7 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n";
  for (int i = 0; i < 3000; ++i) text += "h" + std::to_string(i) + " TXT \"" + std::string(40, char('a' + i % 26)) + "\"\n";
  auto z = build_zone("big.test.", text, "big.zone", false);
  ASSERT_TRUE(z) << z.error;
  ZoneTransfer tr;
  tr.allow_transfer = std::make_shared<const Acl>(*Acl::parse({"::1"}).acl);
  auto set = std::make_shared<const ZoneSet>(std::vector<std::shared_ptr<const Zone>>{z.zone},
                                             std::vector<ZoneTransfer>{tr});
  auto wire = test::wire_name("big.test.");
  std::vector<std::byte> q(512);
  {
    codec::dns::MessageWriter w(q);
    codec::dns::Header h;
    h.id = 0x4242;
    (void)w.add_question(*codec::dns::Name::from_wire(wire), kTypeAxfr, 1);
    codec::dns::EdnsOut e;
    (void)w.add_opt(e);
    w.set_header(h);
    q.resize(w.finish()->size());
  }
  std::vector<std::byte> out(65535);
  auto peer = v6("::1");
  XfrPlan p = plan_transfer(set, q, sa(peer), Transport::tcp, out);
  ASSERT_TRUE(p.stream);
  Transfer t = drain(*p.stream);
  ASSERT_TRUE(t.ok);
  EXPECT_GE(t.messages.size(), 3u);  // ~190 KB of records
  std::size_t total = 0;
  for (std::size_t i = 0; i < t.messages.size(); ++i) {
    EXPECT_LE(t.messages[i].size(), 65535u);
    EXPECT_GT(t.messages[i].size(), 30000u) << "message " << i << " is not filled";
    EXPECT_EQ(t.question_counts[i], i == 0 ? 1u : 0u);
    auto a = parse_big(t.messages[i]);
    EXPECT_TRUE(a.has_opt);  // the query had EDNS
    total += t.messages[i].size();
  }
  EXPECT_GT(total, 65536u);
  EXPECT_EQ(t.records.size(), z.zone->record_count() + 1);
  EXPECT_THAT(t.records.front(), HasSubstr("SOA"));
  EXPECT_THAT(t.records.back(), HasSubstr("SOA"));
  std::vector<std::string> got(t.records.begin() + 1, t.records.end() - 1), want = zone_lines(*z.zone);
  want.erase(want.begin() + std::ptrdiff_t(z.zone->soa().first));
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  // A smaller message bound gives more, smaller messages with the same records.
  XfrOptions small;
  small.max_message_bytes = 4096;
  XfrPlan p2 = plan_transfer(set, q, sa(peer), Transport::tcp, out, small);
  ASSERT_TRUE(p2.stream);
  Transfer t2 = drain(*p2.stream);
  EXPECT_GT(t2.messages.size(), 40u);
  for (const auto& m : t2.messages) EXPECT_LE(m.size(), 4096u);
  EXPECT_EQ(t2.records, t.records);
}

TEST(DnsXfr, RefusalsAndErrors) {
  auto z = zone_v(5);
  auto set = set_of(z, {"10.0.0.0/8"});
  std::vector<std::byte> out(65535);
  auto in = v4("10.1.1.1"), outside = v4("192.0.2.1");
  auto rcode = [&](std::span<const std::byte> q, const sockaddr* peer, Transport t = Transport::tcp,
                   XfrOptions o = {}) -> int {
    XfrPlan p = plan_transfer(set, q, peer, t, out, o);
    if (p.stream) return -1;
    auto a = test::parse_answer(std::span<const std::byte>(out.data(), p.reply_size));
    EXPECT_TRUE(a.ok);
    EXPECT_EQ(a.rcode, p.rcode);
    return a.rcode;
  };
  auto axfr = xfr_query(kTypeAxfr);
  EXPECT_EQ(rcode(axfr, sa(in)), -1);
  EXPECT_EQ(rcode(axfr, sa(outside)), 5);  // REFUSED: not in the ACL
  EXPECT_EQ(rcode(axfr, nullptr), 5);
  EXPECT_EQ(rcode(axfr, sa(in), Transport::udp), 1);  // FORMERR: AXFR over UDP
  XfrOptions busy;
  busy.busy = true;
  EXPECT_EQ(rcode(axfr, sa(in), Transport::tcp, busy), 2);       // SERVFAIL: no transfer slot
  EXPECT_EQ(rcode(axfr, sa(outside), Transport::tcp, busy), 5);  // the ACL first
  // Nobody is allowed by default.
  auto closed = set_of(z, {});
  XfrPlan pc = plan_transfer(closed, axfr, sa(in), Transport::tcp, out);
  EXPECT_FALSE(pc.stream);
  EXPECT_EQ(pc.rcode, 5);
  // Not an apex, not our zone: NOTAUTH.
  auto sub = test::make_query("www.example.test.", kTypeAxfr);
  EXPECT_EQ(rcode(sub, sa(in)), 9);
  auto other = test::make_query("example.org.", kTypeAxfr);
  EXPECT_EQ(rcode(other, sa(in)), 9);
  // IXFR without the client's SOA: FORMERR.
  EXPECT_EQ(rcode(xfr_query(kTypeIxfr), sa(in)), 1);
  // Garbage: FORMERR; a response: nothing.
  std::vector<std::byte> junk(axfr.begin(), axfr.begin() + 14);
  EXPECT_EQ(rcode(junk, sa(in)), 1);
  auto resp = axfr;
  resp[2] |= std::byte{0x80};
  XfrPlan pr = plan_transfer(set, resp, sa(in), Transport::tcp, out);
  EXPECT_FALSE(pr.stream);
  EXPECT_EQ(pr.reply_size, 0u);
}

TEST(DnsXfr, DiffOfTwoVersions) {
  auto a = zone_v(1);
  auto b = zone_v(2, "new A 192.0.2.77\nwww TXT \"added\"\n", /*with_mail=*/false);
  auto d = compute_diff(*a, *b);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->from_serial(), 1u);
  EXPECT_EQ(d->to_serial(), 2u);
  auto text = [](std::span<const Record> rs) {
    std::vector<std::string> out;
    for (const auto& r : rs) {
      std::string t;
      codec::dns::record_to_text(r, t);
      for (auto& c : t) c = c == '\t' ? ' ' : c;
      out.push_back(t);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_THAT(text(d->removed()), ElementsAre("mail.example.test. 3600 IN A 192.0.2.3"));
  EXPECT_THAT(text(d->added()),
              ElementsAre("new.example.test. 3600 IN A 192.0.2.77", "www.example.test. 3600 IN TXT \"added\""));
  EXPECT_THAT(text({&d->old_soa(), 1})[0], HasSubstr(" 1 7200 "));
  EXPECT_THAT(text({&d->new_soa(), 1})[0], HasSubstr(" 2 7200 "));
  EXPECT_GT(d->bytes(), 0u);
  // A TTL change is a removal and an addition.
  auto c = zone_v(3, "ttl 100 A 192.0.2.1\n");
  auto e = zone_v(4, "ttl 200 A 192.0.2.1\n");
  auto d2 = compute_diff(*c, *e);
  EXPECT_THAT(text(d2->removed()), ElementsAre("ttl.example.test. 100 IN A 192.0.2.1"));
  EXPECT_THAT(text(d2->added()), ElementsAre("ttl.example.test. 200 IN A 192.0.2.1"));
  // Same data: an empty diff.
  auto d3 = compute_diff(*a, *zone_v(9));
  EXPECT_TRUE(d3->removed().empty());
  EXPECT_TRUE(d3->added().empty());
}

TEST(DnsXfr, HistoryIsBoundedByVersionsAndBytes) {
  std::vector<std::shared_ptr<const Zone>> v;
  for (std::uint32_t s = 1; s <= 5; ++s) v.push_back(zone_v(s, "n" + std::to_string(s) + " A 192.0.2.9\n"));
  HistoryLimits lim{.max_versions = 3, .max_bytes = 1u << 20};
  std::shared_ptr<const ZoneHistory> h;
  for (std::size_t i = 1; i < v.size(); ++i) h = ZoneHistory::extend(h.get(), compute_diff(*v[i - 1], *v[i]), lim);
  ASSERT_EQ(h->diffs().size(), 3u);  // 2→3, 3→4, 4→5
  EXPECT_EQ(h->diffs().front()->from_serial(), 2u);
  EXPECT_TRUE(h->since(1).empty());
  EXPECT_EQ(h->since(2).size(), 3u);
  EXPECT_EQ(h->since(4).size(), 1u);
  EXPECT_TRUE(h->since(5).empty());
  // Bytes: room for one diff only.
  const std::size_t one = h->diffs().back()->bytes();
  HistoryLimits tight{.max_versions = 16, .max_bytes = one + one / 2};
  std::shared_ptr<const ZoneHistory> t;
  for (std::size_t i = 1; i < v.size(); ++i) t = ZoneHistory::extend(t.get(), compute_diff(*v[i - 1], *v[i]), tight);
  ASSERT_EQ(t->diffs().size(), 1u);
  EXPECT_LE(t->bytes(), tight.max_bytes);
  // A diff that does not continue the history restarts it.
  auto r = ZoneHistory::extend(h.get(), compute_diff(*v[0], *v[2]), lim);
  ASSERT_EQ(r->diffs().size(), 1u);
  EXPECT_EQ(r->diffs()[0]->from_serial(), 1u);
  EXPECT_TRUE(ZoneHistory::extend(h.get(), compute_diff(*v[3], *v[4]), {.max_versions = 0})->diffs().empty());
}

class DnsIxfr : public ::testing::Test {
 protected:
  void SetUp() override {
    v1_ = zone_v(1);
    v2_ = zone_v(2, "new A 192.0.2.77\n", false);
    v3_ = zone_v(3, "new A 192.0.2.78\n", false);
    auto h = ZoneHistory::extend(nullptr, compute_diff(*v1_, *v2_), {});
    h = ZoneHistory::extend(h.get(), compute_diff(*v2_, *v3_), {});
    set_ = set_of(v3_, {"127.0.0.0/8"}, h);
  }
  XfrPlan ask(const Zone* client, Transport t = Transport::tcp) {
    auto q = xfr_query(kTypeIxfr, client);
    return plan_transfer(set_, q, sa(peer_), t, out_);
  }
  std::shared_ptr<const Zone> v1_, v2_, v3_;
  std::shared_ptr<const ZoneSet> set_;
  sockaddr_in peer_ = v4("127.0.0.53");
  std::vector<std::byte> out_ = std::vector<std::byte>(65535);
};

TEST_F(DnsIxfr, InHistoryGivesTheIncrementalForm) {
  XfrPlan p = ask(v1_.get());
  ASSERT_TRUE(p.stream);
  EXPECT_EQ(p.stream->kind(), XfrKind::ixfr_incremental);
  Transfer t = drain(*p.stream);
  ASSERT_TRUE(t.ok);
  EXPECT_THAT(t.records, ElementsAre(soa_line(*v3_),                                      //
                                     soa_line(*v1_), "mail.example.test. 3600 IN A 192.0.2.3",  //
                                     soa_line(*v2_), "new.example.test. 3600 IN A 192.0.2.77",  //
                                     soa_line(*v2_), "new.example.test. 3600 IN A 192.0.2.77",  //
                                     soa_line(*v3_), "new.example.test. 3600 IN A 192.0.2.78",  //
                                     soa_line(*v3_)));
  XfrPlan p2 = ask(v2_.get());
  ASSERT_TRUE(p2.stream);
  // SOA3, SOA2, the .77 removed, SOA3, the .78 added, SOA3.
  EXPECT_EQ(drain(*p2.stream).records.size(), 6u);
}

TEST_F(DnsIxfr, CurrentClientGetsTheSoaAlone) {
  XfrPlan p = ask(v3_.get());
  EXPECT_FALSE(p.stream);
  auto a = test::parse_answer(std::span<const std::byte>(out_.data(), p.reply_size));
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.rcode, 0);
  EXPECT_TRUE(a.aa());
  EXPECT_THAT(a.answer, ElementsAre(soa_line(*v3_)));
  // A client ahead of us (serial arithmetic): the same.
  auto ahead = zone_v(7);
  p = ask(ahead.get());
  EXPECT_FALSE(p.stream);
  EXPECT_THAT(test::parse_answer(std::span<const std::byte>(out_.data(), p.reply_size)).answer,
              ElementsAre(soa_line(*v3_)));
}

TEST_F(DnsIxfr, TooOldSerialGetsTheWholeZone) {
  auto old = zone_v(4000000000u);  // behind 3 in serial arithmetic, not in the history
  XfrPlan p = ask(old.get());
  ASSERT_TRUE(p.stream);
  EXPECT_EQ(p.stream->kind(), XfrKind::ixfr_full);
  Transfer t = drain(*p.stream);
  ASSERT_EQ(t.records.size(), v3_->record_count() + 1);
  EXPECT_EQ(t.records.front(), soa_line(*v3_));
  EXPECT_EQ(t.records.back(), soa_line(*v3_));
  EXPECT_THAT(t.records[1], ::testing::Not(HasSubstr("SOA")));  // how a client tells AXFR form
}

TEST_F(DnsIxfr, OverUdpTheSoaAloneThroughTheResponder) {
  Responder r;
  std::vector<std::byte> out(1232);
  auto q = xfr_query(kTypeIxfr, v1_.get());
  AnswerResult a = r.answer(set_.get(), q, out, Transport::udp, sa(peer_));
  auto parsed = test::parse_answer(std::span<const std::byte>(out.data(), a.size));
  ASSERT_TRUE(parsed.ok);
  EXPECT_EQ(parsed.rcode, 0);
  EXPECT_FALSE(parsed.tc());  // RFC 1995 §2: no TC; the lone SOA tells the client to use TCP
  EXPECT_THAT(parsed.answer, ElementsAre(soa_line(*v3_)));
  // Outside the ACL, or no peer: REFUSED. AXFR over UDP: FORMERR.
  auto stranger = v4("192.0.2.1");
  a = r.answer(set_.get(), q, out, Transport::udp, sa(stranger));
  EXPECT_EQ(a.rcode, 5);
  a = r.answer(set_.get(), q, out, Transport::udp);
  EXPECT_EQ(a.rcode, 5);
  auto axfr = xfr_query(kTypeAxfr);
  a = r.answer(set_.get(), axfr, out, Transport::udp, sa(peer_));
  EXPECT_EQ(a.rcode, 1);
}

TEST(DnsNotify, MessageAndAcknowledgement) {
  auto z = zone_v(77);
  std::vector<std::byte> out(512);
  auto n = build_notify(*z, 0x7777, out);
  ASSERT_TRUE(n);
  std::vector<Record> rrs(16);
  codec::dns::Message m;
  ASSERT_TRUE(codec::dns::parse_message(std::span<const std::byte>(out.data(), *n), m, rrs).ok());
  EXPECT_EQ(m.header.opcode(), kOpcodeNotify);
  EXPECT_TRUE(m.header.aa());
  EXPECT_FALSE(m.header.qr());
  ASSERT_EQ(m.question.size(), 1u);
  EXPECT_EQ(m.question[0].type, rrtype::soa);
  ASSERT_EQ(m.answer.size(), 1u);
  EXPECT_EQ(codec::dns::soa_view(m.answer[0])->serial, 77u);
  // The secondary's reply: the same message with QR.
  std::vector<std::byte> reply(out.begin(), out.begin() + std::ptrdiff_t(*n));
  reply[2] |= std::byte{0x80};
  std::uint16_t rcode = 99;
  EXPECT_TRUE(is_notify_reply(reply, *z, 0x7777, rcode));
  EXPECT_EQ(rcode, 0);
  EXPECT_FALSE(is_notify_reply(reply, *z, 0x7778, rcode));  // another ID
  auto other = build_zone("other.test.", "@ 60 SOA ns hm 1 2 3 4 5\n@ 60 NS ns\nns 60 A 192.0.2.1\n", "o", false);
  EXPECT_FALSE(is_notify_reply(reply, *other.zone, 0x7777, rcode));  // another zone
  EXPECT_FALSE(is_notify_reply(std::span<const std::byte>(out.data(), *n), *z, 0x7777, rcode));  // not a reply
  std::byte tiny[20];
  EXPECT_FALSE(build_notify(*z, 1, tiny));
  // The server answers an incoming NOTIFY for its own zone with REFUSED.
  Responder r;
  auto set = set_of(z, {});
  std::vector<std::byte> ans(512);
  AnswerResult a = r.answer(set.get(), std::span<const std::byte>(out.data(), *n), ans, Transport::udp);
  EXPECT_EQ(a.rcode, 5);
}

}  // namespace
}  // namespace zp::dns
