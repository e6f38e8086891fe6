// A fixed set of threads running queued closures in FIFO order.
//
// mikeyd serves RPCs on gRPC's callback threads, which must not block: work
// that waits on the network (a Redis replay-cache round trip) is handed to
// a WorkerPool instead, so a slow Redis never stalls the threads that serve
// every other call.

#ifndef MIKEY_SERVICE_WORKER_POOL_H_
#define MIKEY_SERVICE_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace mikey {
namespace service {

class WorkerPool {
 public:
  // Starts `threads` (at least 1) threads.
  explicit WorkerPool(size_t threads);
  // Runs what is queued, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `work`; it runs on one of the pool's threads.
  void Schedule(std::function<void()> work);

  size_t size() const { return threads_.size(); }

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_WORKER_POOL_H_
