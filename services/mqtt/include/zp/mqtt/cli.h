/// \file
/// The `zproto mqtt pub` and `zproto mqtt sub` verbs, mosquitto_pub/mosquitto_sub-alike:
/// the flags (the CLI parses them into these structs) and the runs over the MQTT client.
/// \code
///   zproto mqtt pub -h 127.0.0.1 -p 1883 -t sensors/t -m 21.5 -q 1 -r
///   zproto mqtt sub -t 'sensors/#' -t alerts -v -C 10 -W 30 -V 5
///   zproto mqtt sub -L mqtts://user:pw@localhost/sensors/t --cafile ca.pem -C 1
/// \endcode
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zp::mqtt::cli {

/// Exit code of a -W time limit that ran out (mosquitto_sub's).
inline constexpr int kExitTimeout = 27;

/// Flags both verbs share.
struct CommonFlags {
  std::string host = "localhost";   ///< -h: an address or a host name (resolved: hosts file, then DNS)
  int port = 0;                     ///< -p (0: 1883, with TLS 8883)
  int qos = 0;                      ///< -q: 0..2
  std::string id{};                 ///< -i: the client id (default: zproto-pub|sub-PID)
  std::string username{};           ///< -u
  std::string password{};           ///< -P
  int keepalive = 60;               ///< -k: seconds
  std::string version = "311";      ///< -V: 311, 5, mqttv311, mqttv5
  std::string will_topic{};         ///< --will-topic: a will is sent when set
  std::string will_payload{};       ///< --will-payload
  int will_qos = 0;                 ///< --will-qos: 0..2
  bool will_retain = false;         ///< --will-retain
  bool tls = false;                 ///< --tls: TLS with the system's CAs (implied by --cafile, --insecure, mqtts://)
  std::string cafile{};             ///< --cafile: trust these CAs (PEM)
  bool insecure = false;            ///< --insecure: no certificate or name check
  std::string url{};                ///< -L: mqtt(s)://[USER[:PASS]@]HOST[:PORT]/TOPIC
};

/// `zproto mqtt pub`.
struct PubFlags : CommonFlags {
  std::string topic{};              ///< -t
  std::vector<std::string> message{};  ///< -m: the message (given once)
  bool null_message = false;        ///< -n: an empty message
  bool stdin_line = false;          ///< -l: each line of stdin is a message
  bool stdin_file = false;          ///< -s: the whole of stdin is one message
  bool retain = false;              ///< -r
};

/// `zproto mqtt sub`.
struct SubFlags : CommonFlags {
  std::vector<std::string> topics{};  ///< -t: filters (repeatable)
  int count = 0;                    ///< -C: exit after this many messages (0: never)
  bool verbose = false;             ///< -v: print "topic payload"
  int timeout_s = 0;                ///< -W: exit with kExitTimeout after this long (0: never)
  bool persistent = false;          ///< -c: clean session off (needs -i)
};

/// Publishes; 0 done, 1 connection or protocol error (one line on stderr), 2 usage error.
int run_pub(const PubFlags& flags);
/// Subscribes and prints each message's payload on its own line (-v: "topic payload");
/// 0 after -C messages, 1 connection or protocol error, 2 usage error, kExitTimeout on -W.
int run_sub(const SubFlags& flags);

}  // namespace zp::mqtt::cli
