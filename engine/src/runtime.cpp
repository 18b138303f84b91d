#include "zp/engine/runtime.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>

namespace zp {

Runtime::Runtime(RuntimeOptions opts) : opts_(std::move(opts)) {
  if (opts_.shards == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    opts_.shards = n > 0 ? unsigned(n) : 1;
  }
}

Runtime::~Runtime() = default;

const BackendInfo* Runtime::backend_info() const {
  if (shards_.empty() || !shards_[0]) return nullptr;
  return &shards_[0]->backend().info();
}

void Runtime::stop() {
  if (stopping_.exchange(true)) return;
  std::lock_guard lock(shards_mu_);
  for (auto& s : shards_)
    if (s) s->request_stop(opts_.drain_timeout.count());
}

void Runtime::reload() {
  std::lock_guard lock(shards_mu_);
  for (auto& s : shards_)
    if (s) s->request_reload();
}

Result<void> Runtime::run(std::function<Result<void>(Shard&)> setup) {
  const unsigned n = opts_.shards;
  {
    std::lock_guard lock(shards_mu_);
    shards_.clear();
    shards_.resize(n);
  }

  // Signals go to a dedicated waiter, never to shard threads: block them before spawning.
  sigset_t set, old;
  sigemptyset(&set);
  if (opts_.handle_signals) {
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
  }
  sigaddset(&set, SIGUSR2);  // wakes the signal waiter when run() ends on its own
  pthread_sigmask(SIG_BLOCK, &set, &old);

  std::mutex mu;
  std::condition_variable cv;
  unsigned created = 0;  // shards constructed
  unsigned ready = 0;    // shards set up
  unsigned finished = 0;  // shards whose run() returned
  unsigned lingered = 0;  // ... and that stopped answering peers
  bool go = false;
  std::atomic<bool> abort{false};  // read by the shard threads outside mu (TSan)
  Error first_error;

  auto record = [&](Error e) {
    std::lock_guard lock(mu);
    if (!first_error) first_error = e;
    abort = true;
    cv.notify_all();
  };

  std::vector<std::thread> threads;
  threads.reserve(n);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  for (unsigned i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      // A write to a socket the peer has closed raises SIGPIPE in the writing thread, and
      // sendfile(2) (File::send_to) has no MSG_NOSIGNAL: blocked here, it stays pending on
      // this thread and never kills the process (a client closing mid-file did).
      sigset_t pipe_set;
      sigemptyset(&pipe_set);
      sigaddset(&pipe_set, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
      if (opts_.pin_threads && cpus > 0) {
        cpu_set_t cs;
        CPU_ZERO(&cs);
        CPU_SET(i % unsigned(cpus), &cs);
        pthread_setaffinity_np(pthread_self(), sizeof cs, &cs);
      }
      // The backend is made on its own thread: io_uring SINGLE_ISSUER binds the ring to it.
      auto backend = make_backend(opts_.backend, opts_.backend_options);
      if (backend && opts_.faults) {
        FaultOptions f = *opts_.faults;
        f.seed += i;  // distinct but reproducible per shard
        backend = make_fault_backend(std::move(*backend), f);
      }
      if (!backend) {
        record(backend.error());
      } else {
        auto made = std::make_unique<Shard>(i, n, std::move(*backend), opts_.shard_options);
        std::lock_guard lock(shards_mu_);
        shards_[i] = std::move(made);
      }
      {
        std::unique_lock lock(mu);
        ++created;
        cv.notify_all();
        cv.wait(lock, [&] { return created == n || abort; });
      }
      // Every shard exists now: wire the inboxes, then set up services.
      if (!abort) {
        std::vector<Shard*> peers;
        {
          std::lock_guard lock(mu);
          for (auto& s : shards_) peers.push_back(s.get());
        }
        shards_[i]->set_peers(peers);
        auto r = setup(*shards_[i]);
        if (!r) record(r.error());
      }
      {
        std::unique_lock lock(mu);
        ++ready;
        cv.notify_all();
        cv.wait(lock, [&] { return go || abort; });
      }
      if (!abort) shards_[i]->run();
      {
        std::lock_guard lock(mu);
        ++finished;
        cv.notify_all();
      }
      // A shard that drained early keeps answering the others (an invoke_on from a task
      // still draining there would otherwise never complete, and ignores cancellation).
      if (!abort) {
        shards_[i]->linger([&] {
          std::lock_guard lock(mu);
          return finished == n;
        });
      }
      // Destroy on the owning thread (its pools and ring belong here), but only once no
      // shard runs any more: a late cross-shard message must not find it gone.
      {
        std::unique_lock lock(mu);
        ++lingered;
        cv.notify_all();
        cv.wait(lock, [&] { return lingered == n; });
      }
      std::unique_ptr<Shard> gone;
      {
        std::lock_guard lock(shards_mu_);
        gone = std::move(shards_[i]);
      }
      gone.reset();
    });
  }

  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return ready == n || abort; });
  }
  if (!abort && opts_.after_setup) {
    auto r = opts_.after_setup();
    if (!r) record(r.error());
  }
  if (abort) {
    {
      std::lock_guard lock(mu);
      abort = true;
      cv.notify_all();
    }
  } else {
    std::lock_guard lock(mu);
    go = true;
    cv.notify_all();
  }
  // A stop() that came while the shards were being made found none to tell.
  if (!abort && stopping_.load()) {
    std::lock_guard lock(shards_mu_);
    for (auto& s : shards_)
      if (s) s->request_stop(opts_.drain_timeout.count());
  }

  std::thread signal_waiter;
  std::atomic<bool> done{false};
  if (!abort) {
    signal_waiter = std::thread([&] {
      while (!done.load()) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGINT || sig == SIGTERM) stop();
        else if (sig == SIGHUP) reload();
      }
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  if (signal_waiter.joinable()) {
    pthread_kill(signal_waiter.native_handle(), SIGUSR2);
    signal_waiter.join();
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (first_error) return first_error;
  return {};
}

}  // namespace zp
