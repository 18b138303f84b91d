// Starting peers and the zproto binary from tests: finding a program on PATH, fork+exec with
// output to a file, a probe for a TCP port on 127.0.0.1 that accepts, and both together.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace zp::test {

// The absolute path of a program on PATH (then /usr/sbin and /sbin, where daemons such as
// knotd and nsd live), or "" when it is not installed.
inline std::string which(const std::string& prog) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(std::string(path ? path : "/usr/bin:/bin") + ":/usr/sbin:/sbin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    std::string p = dir + "/" + prog;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

// Starts args[0] (a full path) with stdout and stderr to out_path, in cwd (empty: ours).
// Returns the pid; the caller stops it by that pid.
inline pid_t spawn(const std::vector<std::string>& args, const std::string& out_path, const std::string& cwd = {}) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// Whether something accepts TCP connections on 127.0.0.1:port.
inline bool port_open(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// spawn(), then waits (up to 5 s) until 127.0.0.1:port accepts. Returns the pid, or -1 when
// the process exited or never listened (then it is killed and reaped): the caller retries
// with another port or fails showing out_path.
inline pid_t spawn_listening(const std::vector<std::string>& args, const std::string& out_path, uint16_t port,
                             const std::string& cwd = {}) {
  const pid_t pid = spawn(args, out_path, cwd);
  for (int i = 0; i < 500; ++i) {
    if (port_open(port)) return pid;
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

}  // namespace zp::test
