#include "sandbox/stale_work_sweep.h"

#include <system_error>

#include "walls/home_store.h"

namespace paddock {

std::future<Status> start_stale_work_sweep(const std::string& store, const std::string& run) {
  if (count_stale_work(store, run) < kSweepBatch) {
    std::promise<Status> nothing;
    nothing.set_value(ok_status());
    return nothing.get_future();
  }
  try {
    return std::async(std::launch::async, [store, run] { return discard_stale_work(store, run); });
  } catch (const std::system_error&) {
    std::promise<Status> now;
    now.set_value(discard_stale_work(store, run));
    return now.get_future();
  }
}

}  // namespace paddock
