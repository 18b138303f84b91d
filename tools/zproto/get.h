// `zproto get`: the curl-like verb over the HTTP client (flags in, one request out).
//   zproto get http://127.0.0.1:8080/ -o page.html
//   zproto get --cacert ca.pem https://localhost:8443/
//   zproto get -I -L http://example.test/old
//   zproto get -d 'a=1&b=2' -H 'X-Trace: 1' -v http://[::1]:8080/form
#pragma once

#include <string>
#include <vector>

namespace zp::cli {

struct GetFlags {
  std::string url;
  std::string output;               // -o: body to this file; empty: stdout
  bool head = false;                // -I: HEAD, print the response head
  std::vector<std::string> headers; // -H 'Name: value'
  std::vector<std::string> data;    // -d: POST body pieces (joined with '&'; @file reads one)
  std::string method;               // -X
  bool follow = false;              // -L
  bool verbose = false;             // -v
  double max_time_s = 0;            // --max-time; 0: none
  std::string cacert;               // --cacert: trust this CA bundle instead of the system's
  bool insecure = false;            // -k: no certificate or name check (warned about)
  std::string cert;                 // --cert/--key: a client certificate
  std::string key;
};

// Runs the request. Exit codes follow curl's where they exist: 0 done (any HTTP status),
// 1 unsupported scheme, 2 usage, 3 bad URL, 6 host not found, 7 cannot connect, 8 bad
// response, 23 output write error, 26 cannot read -d @file, 28 timeout, 47 too many
// redirects, 52 empty reply, 56 receive failure, 35 TLS handshake failure, 60 the server's
// certificate failed verification, 58 bad client certificate, 77 bad CA file. Errors print one line on stderr.
int run_get(const GetFlags& flags);

}  // namespace zp::cli
