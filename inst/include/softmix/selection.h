// The (k, model) pairs of a model selection: side by side with one thread
// each while their posteriors fit in memory (see plan_selection()), or one
// after another with the threads inside each fit. Every fit is the same
// either way.
#ifndef SOFTMIX_SELECTION_H
#define SOFTMIX_SELECTION_H

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "em.h"

namespace softmix {

// The pairs of a selection run side by side, one thread each, while the
// posteriors the workers hold at once (n x K doubles each, for the largest
// K) take at most this many doubles, 256 MB: no thread then ever waits for
// another at a barrier, which on a busy machine costs a scheduler time
// slice each time. Beyond it the threads share each pass and one fit runs
// at a time, holding one posterior.
constexpr double max_parallel_posterior_doubles = 32.0 * 1024 * 1024;

struct SelectionJob {
  std::size_t k;
  Model model;
  // The starting partitions (see fit_mixture_from_partitions()).
  const std::vector<std::vector<std::uint32_t>>* partitions;
};

struct SelectionResult {
  bool ok = false;
  Fit fit;  // parameters in the data's units
  double log_max_posterior_sum = 0.0;
  std::string message;  // why the fit failed
};

// How the pairs are spread over n_threads: workers fitting pairs side by
// side, and the threads of each fit.
struct SelectionPlan {
  int workers = 1;
  int threads_per_fit = 1;
};

inline SelectionPlan plan_selection(std::size_t n, std::size_t largest_k, std::size_t pairs,
                                    int n_threads) {
  SelectionPlan plan;
  const int workers = static_cast<int>(std::min<std::size_t>(pairs, std::max(n_threads, 1)));
  const double held = static_cast<double>(n) * static_cast<double>(largest_k) * workers;
  if (workers > 1 && held <= max_parallel_posterior_doubles) {
    plan.workers = workers;
  } else {
    plan.threads_per_fit = n_threads;
  }
  return plan;
}

// Thrown on a worker thread when the main thread has seen an interrupt.
class cancelled : public std::exception {
 public:
  const char* what() const noexcept override { return "cancelled"; }
};

// The host of a fit on a worker thread: it stops when the main thread says
// so. Partition starts draw no random numbers.
struct WorkerHost {
  const std::atomic<bool>* cancel;
  void check_interrupt() {
    if (cancel->load(std::memory_order_relaxed)) throw cancelled();
  }
  double uniform() { throw error("a worker thread cannot draw random numbers"); }
};

// One pair: EM from each of its partitions, the best kept; its posterior
// is computed (into `scratch`) only for ICL's classification term.
template <typename Host>
SelectionResult fit_selection_job(const Data& x, const arma::vec& ridge, const StartData& from,
                                  const SelectionJob& job, const Control& control, int n_threads,
                                  Host& host, arma::mat& scratch) {
  SelectionResult result;
  try {
    const auto& partitions = *job.partitions;
    MemoryPasses passes(x, n_threads);
    result.fit = best_of_starts(
        x, passes, job.k, job.model, ridge, control, static_cast<int>(partitions.size()),
        HostRef(host), &scratch, [&](int run) {
          return from.to_fit(params_from_labels(from.data(), partitions[run], job.k, job.model,
                                                from.ridge(), n_threads, interruptible_inner(host)),
                             job.model);
        });
    std::vector<int> classification(x.n_total);
    std::vector<double> uncertainty(x.n_total);
    result.log_max_posterior_sum =
        classify(scratch, classification.data(), uncertainty.data(), x.weights);
    result.ok = true;
  } catch (const error& e) {
    result.message = e.what();
  }
  return result;
}

// Fits every job and returns the results in the order of `jobs`. The main
// thread keeps the host: with several workers it waits for them, checking
// for an interrupt and reporting progress(number done) every tenth of a
// second; on an interrupt it stops the workers before passing it on.
template <typename Host, typename Progress>
std::vector<SelectionResult> fit_selection(const arma::mat& matrix,
                                           const std::vector<SelectionJob>& jobs, double reg,
                                           const Control& control, const SelectionPlan& plan,
                                           Host& host, Progress&& progress,
                                           RowInfo rows = RowInfo()) {
  const Data x(matrix, true, rows);
  const arma::vec ridge = scaled_ridge(x, reg);
  const StartData from(x, ridge, reg, rows);
  std::vector<SelectionResult> results(jobs.size());
  if (plan.workers <= 1 || jobs.size() < 2) {
    arma::mat scratch;
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      results[j] =
          fit_selection_job(x, ridge, from, jobs[j], control, plan.threads_per_fit, host, scratch);
      host.check_interrupt();
      progress(static_cast<int>(j + 1));
    }
    return results;
  }
  std::atomic<bool> cancel(false);
  std::atomic<std::size_t> next(0);
  std::mutex mutex;
  std::condition_variable finished;
  std::size_t done = 0;
  std::exception_ptr failure;
  const auto work = [&]() {
    WorkerHost worker_host{&cancel};
    arma::mat scratch;
    for (;;) {
      const std::size_t j = next.fetch_add(1);
      if (j >= jobs.size() || cancel.load()) break;
      try {
        results[j] = fit_selection_job(x, ridge, from, jobs[j], control, 1, worker_host, scratch);
      } catch (const cancelled&) {
        break;
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failure) failure = std::current_exception();
        cancel.store(true);
      }
      std::lock_guard<std::mutex> lock(mutex);
      ++done;
      finished.notify_one();
    }
    std::lock_guard<std::mutex> lock(mutex);
    finished.notify_one();
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < plan.workers; ++w) workers.emplace_back(work);
  const auto stop_workers = [&]() {
    cancel.store(true);
    for (std::thread& worker : workers) {
      if (worker.joinable()) worker.join();
    }
  };
  try {
    std::size_t reported = 0;
    for (;;) {
      std::size_t now;
      {
        std::unique_lock<std::mutex> lock(mutex);
        finished.wait_for(lock, std::chrono::milliseconds(100));
        now = done;
      }
      host.check_interrupt();
      if (now != reported) {
        reported = now;
        progress(static_cast<int>(now));
      }
      if (now == jobs.size() || cancel.load()) break;
    }
  } catch (...) {
    stop_workers();
    throw;
  }
  stop_workers();
  if (failure) std::rethrow_exception(failure);
  return results;
}

}  // namespace softmix

#endif  // SOFTMIX_SELECTION_H
