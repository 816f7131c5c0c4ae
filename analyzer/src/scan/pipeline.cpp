#include "scan/pipeline.hpp"

#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "core/event_batch.hpp"
#include "scan/source_info.hpp"
#include "source/framer.hpp"

namespace gw502 {
namespace {

struct Job {
  size_t index = 0;
  bool from_map = false;  // text is the map's bytes (a slice or a copy) from `offset` on
  size_t offset = 0;
  std::string_view text;  // into the map, or into `owned`
  ChunkBuffer owned;  // a stream's chunk (from the framer, padded), or a copy
  bool overlong_mark = false;  // no text: the chunk before was an over-long line's start
  size_t skipped = 0;          // an over-long mark: the bytes of that line not in the chunk
};

// What a chunk leaves for the ordered merge. Its hits are not here: each
// worker counts its chunks into one Aggregator of its own (merged once, at
// the end, in an order-independent way), not one per chunk.
struct Result {
  ScanStats stats;
  std::vector<Problem> problems;  // line numbers relative to the chunk (first line = 1)
  EventBatch events;              // line numbers relative to the chunk
  uint64_t lines = 0;
  size_t requests = 0;  // error entries the chunk recorded for pairing
  size_t map_end = 0;  // a slice of the map: where it ends in the map (its pages can go); else 0
};

// Maps a chunk's pages in one call instead of one fault per page
// (MADV_POPULATE_READ, Linux 5.14; older kernels say EINVAL: harmless).
void prefault(std::string_view range) {
  static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  auto begin = reinterpret_cast<uintptr_t>(range.data()) & ~(page - 1);
  auto end = reinterpret_cast<uintptr_t>(range.data()) + range.size();
  ::madvise(reinterpret_cast<void*>(begin), end - begin, 22 /* MADV_POPULATE_READ */);
}

// Drops the pages of merged chunks from the process: a map of a large file
// would otherwise count toward RSS in full (the page cache keeps them). The
// merge gives back, in order, whole 2 MiB blocks of the address space that
// only merged chunks lie in: the kernel maps a file's large folios with
// huge-page entries, and dropping part of one splits it (then a TLB flush
// on every core per chunk: 10 % of one Caddy JSON profile; in timed runs
// the difference stayed within the noise).
class MapRelease {
 public:
  explicit MapRelease(std::string_view map) : base_(reinterpret_cast<uintptr_t>(map.data())), done_(base_) {}
  // Every chunk of the map before `end` (an offset into it) is merged.
  void upto(size_t end) {
    const uintptr_t to = (base_ + end) & ~(kBlock - 1);
    if (to <= done_) return;
    ::madvise(reinterpret_cast<void*>(done_ & ~(page() - 1)), to - (done_ & ~(page() - 1)), MADV_DONTNEED);
    done_ = to;
  }

 private:
  static constexpr uintptr_t kBlock = 2 << 20;
  static uintptr_t page() {
    static const uintptr_t p = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    return p;
  }
  uintptr_t base_, done_;
};

// A stream's producer (decompression, or reading a pipe) is the one stage
// that cannot be shared out, so it should have a core to itself. With fair
// scheduling, two workers and the producer on two cores get two thirds of a
// core each and decompression sets the pace; a worker lowers its own
// priority by a few nice levels so that the producer runs whenever it can.
// (Per thread on Linux; lowering needs no privilege and ends with the thread.)
void yield_to_producer() {
  const auto tid = static_cast<id_t>(::gettid());
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, tid);
  if (errno == 0 && nice < 19) ::setpriority(PRIO_PROCESS, tid, std::min(nice + 4, 19));
}

}  // namespace

struct Pipeline::Impl {
  const Catalogue& cat;
  ScanOptions opt;
  size_t chunk_bytes;
  std::vector<std::unique_ptr<Classifier>> classifiers;
};

Pipeline::Pipeline(const Catalogue& cat, unsigned threads, const ScanOptions& opt, size_t chunk_bytes)
    : impl_(new Impl{cat, opt, chunk_bytes, {}}) {
  if (threads == 0) threads = 1;
  // The first classifier compiles the catalogue; the others share its RE2
  // sets and rules (RE2 matches from many threads at once) and build only
  // their own prefilters and scratch, side by side (D13: start-up and memory
  // do not grow with -j times the catalogue).
  impl_->classifiers.resize(threads);
  impl_->classifiers[0] = std::make_unique<Classifier>(cat, opt.prefilter);
  std::vector<std::thread> build;
  if (impl_->classifiers[0]->ok())
    for (unsigned i = 1; i < threads; ++i)
      build.emplace_back([this, i] {
        impl_->classifiers[i] = std::make_unique<Classifier>(*impl_->classifiers[0], Classifier::share);
      });
  for (auto& t : build) t.join();
  if (!impl_->classifiers[0]->ok()) impl_->classifiers.resize(1);
  for (auto& c : impl_->classifiers)
    if (!c->ok()) {
      error_ = c->error();
      return;
    }
}

Pipeline::~Pipeline() = default;

bool Pipeline::scan(Source& src, const SourceInfo& info, uint32_t source_index, Aggregator& agg,
                    ScanStats& stats, std::vector<Problem>& problems, EventSink* out) {
  Impl& im = *impl_;
  const size_t workers = im.classifiers.size();
  // Chunks in flight (queued, in work, or done and not merged): bounds memory
  // whatever -j says.
  std::string_view mapped;
  const bool use_map = src.map(mapped);
  // A stream's chunks are buffers of their own (kStreamBlock + max_line):
  // fewer of them in flight (queued: one per worker; one spare).
  const size_t window = use_map ? std::min<size_t>(workers * 2, 8) : workers;
  const size_t max_spares = use_map ? 0 : 1;
  // Peak RSS (issue 16) is about window x chunk: the mapped pages of the
  // chunks being scanned, and with events the results waiting to be merged.
  const size_t chunk_bytes = out ? std::min(im.chunk_bytes, kEventChunk) : im.chunk_bytes;
  // With one worker the producer, which only finds where chunks end, has a
  // core of its own to spare: it maps a slice's pages in before it queues
  // it, so the worker only scans (multisite nginx 128 MB, -j1: 3 % less
  // time). With more workers both cores scan: faulting ahead would move the
  // work, not save it, and keep the queued chunks resident too (RSS).
  const bool fault_ahead = use_map && workers == 1;

  std::mutex mu;
  // Each waits on its own condition, woken only when it may go on: the
  // producer for room (cv_space), workers for a chunk (cv_work), the merge
  // for the next result (cv_done). One shared condition woke every thread
  // for every chunk.
  std::condition_variable cv_space, cv_work, cv_done;
  std::deque<Job> queue;
  std::vector<ChunkBuffer> spare_buffers;  // scanned stream chunks' buffers
  std::map<size_t, std::unique_ptr<Result>> done;
  bool producer_done = false;
  size_t produced = 0;
  bool ok = true;
  std::string read_error;
  bool binary = false;

  auto push = [&](Job&& job) {
    std::unique_lock<std::mutex> lk(mu);
    // Wait while too many chunks are in flight (queued or finished, unmerged).
    // A chunk faulted in ahead counts from the start: one in work and one
    // faulted in or queued, not three resident at once (the producer is the
    // only one to add to the queue, so the room stays while it faults).
    const bool ahead = fault_ahead && job.from_map && job.owned.empty();
    const size_t room = ahead ? window - 1 : window;
    cv_space.wait(lk, [&] { return queue.size() + done.size() < room; });
    if (ahead) {
      lk.unlock();
      prefault(job.text);
      lk.lock();
    }
    queue.push_back(std::move(job));
    ++produced;
    cv_work.notify_one();
  };


  // A plain file's chunks are slices of the map, newline-aligned, of about
  // chunk_bytes. Memory stays bounded by the line limit whatever the file
  // holds (D1): a line longer than max_line that a chunk's end falls in is
  // cut out as in a stream (its first max_line bytes, copied, as one line,
  // then the over-long mark) and the rest of it is skipped by the
  // source (read, holes jumped over), not through the map. The last chunk is
  // copied (decoders may read a few bytes past a line's end, and a map ends
  // at the file's last byte); it is at most chunk_bytes + max_line long.
  // A file truncated under us (D3) reads as zeros past its new end: the
  // producer stops at the new end, a worker scans a chunk only up to it, and
  // the file is named as truncated.
  auto produce_mapped = [&](std::string_view m) {
    const size_t max_line = std::max<size_t>(im.opt.max_line, 1);
    size_t pos = 0, index = 0;
    size_t size = m.size();
    auto push_slice = [&](size_t from, size_t to) {
      Job job;
      job.index = index++;
      job.from_map = true;
      job.offset = from;
      if (to == size) {
        job.owned.assign(to - from + Framer::kPadding, '\0');
        std::memcpy(job.owned.data(), m.data() + from, to - from);
        job.text = std::string_view(job.owned.data(), to - from);
      } else {
        job.text = m.substr(from, to - from);
      }
      push(std::move(job));
    };
    while (pos < size) {
      size = std::min(size, src.map_valid_size());  // truncated: read up to the new end
      if (pos >= size) break;
      size_t end = std::min(pos + chunk_bytes, size);
      if (end == size) {
        push_slice(pos, end);
        break;
      }
      const size_t look = std::min(size - end, max_line + 1);
      if (const void* nl = std::memchr(m.data() + end, '\n', look)) {
        push_slice(pos, static_cast<size_t>(static_cast<const char*>(nl) - m.data()) + 1);
        pos = static_cast<size_t>(static_cast<const char*>(nl) - m.data()) + 1;
        continue;
      }
      if (end + look == size) {  // the last line, without its newline, not over-long
        push_slice(pos, size);
        break;
      }
      // A line longer than max_line runs through `end`: the whole lines before it...
      const void* prev = memrchr(m.data() + pos, '\n', end - pos);
      const size_t start = prev ? static_cast<size_t>(static_cast<const char*>(prev) - m.data()) + 1 : pos;
      if (start > pos) push_slice(pos, start);
      // ...then its start as one line, and the mark.
      Job cut;
      cut.index = index++;
      cut.from_map = true;
      cut.offset = start;
      cut.owned.assign(max_line + 1 + Framer::kPadding, '\0');
      std::memcpy(cut.owned.data(), m.data() + start, max_line);
      cut.owned[max_line] = '\n';
      cut.text = std::string_view(cut.owned.data(), max_line + 1);
      push(std::move(cut));
      // Skip the rest of it without touching its pages.
      pos = src.map_skip_line(start + max_line);
      Job mark;
      mark.index = index++;
      mark.overlong_mark = true;
      // The skipped bytes count as read, as when the line lies inside a
      // chunk (fuzz_scan: 4 MiB and 256 B chunks had differed in "bytes").
      mark.skipped = pos > start + max_line + 1 ? pos - start - max_line - 1 : 0;
      push(std::move(mark));
    }
  };

  std::thread producer([&] {
    if (use_map) {
      if (looks_binary(mapped)) {
        binary = true;
      } else {
        produce_mapped(mapped);
      }
    } else {
      // Stream chunks are the framer's own buffers, handed over without a
      // copy and recycled through `spare_buffers` once scanned. kStreamBlock
      // (a 1.5 MiB buffer with room for an over-long line, which is resident
      // only once a line uses it) keeps peak RSS small (issue 16: base .zst
      // 32 -> 27 MiB against 1 MiB blocks); earlier, 1 MiB against 2 MiB had cost
      // 12 % more time on .zst in per-chunk work (512 KiB: within this
      // machine's noise, +-20 %). Smaller chunk sizes (tests) apply here too.
      // Sniffed on its head read ahead (the same bytes as a mapped file's
      // sniff), not on its first chunk, which ends at a newline (D11).
      StreamHead head(src);
      if (looks_binary(head.head())) {
        binary = true;
      } else {
        Framer framer(head, std::min<size_t>(chunk_bytes, kStreamBlock), im.opt.max_line);
        Chunk c;
        size_t index = 0;
        ChunkBuffer spare;
        for (;;) {
          {
            std::lock_guard<std::mutex> lk(mu);
            if (!spare_buffers.empty()) {
              spare.swap(spare_buffers.back());
              spare_buffers.pop_back();
            }
          }
          if (!framer.next_owned(c, spare)) break;
          Job job;
          job.index = index++;
          job.owned.swap(spare);  // holds c.text now
          job.text = c.text;
          // The cut line, as one line: the framer skips the rest of it.
          if (c.overlong) {
            job.owned[c.text.size()] = '\n';
            job.text = std::string_view(c.text.data(), c.text.size() + 1);
          }
          push(std::move(job));
          if (c.overlong) {
            // Mark it so the merge can report it: an empty job right after.
            Job mark;
            mark.index = index++;
            mark.overlong_mark = true;
            push(std::move(mark));
          }
        }
        read_error = framer.error();
      }
    }
    std::lock_guard<std::mutex> lk(mu);
    producer_done = true;
    cv_work.notify_all();
    cv_done.notify_all();
  });

  // One Aggregator per worker, across its chunks: hits carry their chunk's
  // index and lines relative to it until merge_parts() knows every chunk's
  // first line.
  std::vector<Aggregator> parts(workers);
  SampleFloor sample_floor;  // chunk indices of this source
  for (Aggregator& part : parts) {
    part.set_sample_floor(&sample_floor);
    part.share_pin(agg);  // a second pass's fold level and heavy keys
    part.set_pairing(agg.pairing());
  }
  // Error entries for pairing in the whole and in the chunks merged so far
  // (all before any chunk in work): once they reach the whole's limit
  // (kMaxRequests, the first by position), a chunk records none, since the
  // merge would drop them. Without this each worker's part kept up to the
  // limit of its own (1 GiB multisite nginx, -j2: peak RSS 66 -> 57 MiB).
  std::atomic<size_t> requests_before{agg.request_count()};
  std::vector<std::thread> pool;
  for (size_t w = 0; w < workers; ++w) {
    pool.emplace_back([&, w] {
      if (!use_map) yield_to_producer();
      Classifier& cls = *im.classifiers[w];
      // The first chunk's worker compiles the prefilter; the second builds
      // the rule sets the source's proxy needs meanwhile, instead of waiting
      // for the prefilter and then for the sets (once per run: later sources
      // find them built). 16 MB cuts, -j2, 41 rounds: about 1 ms less.
      if (w == 1) cls.prepare(family_of(info.proxy));
      for (;;) {
        Job job;
        {
          std::unique_lock<std::mutex> lk(mu);
          cv_work.wait(lk, [&] { return !queue.empty() || producer_done; });
          if (queue.empty()) return;
          job = std::move(queue.front());
          queue.pop_front();
          cv_space.notify_one();  // the queue is shorter
        }
        if (job.from_map) {  // D3: past a truncation the map reads zeros, not the file
          const size_t valid = src.map_valid_size();
          if (job.offset + job.text.size() > valid)
            job.text = job.text.substr(0, valid > job.offset ? valid - job.offset : 0);
        }
        auto r = std::make_unique<Result>();
        const bool mapped_slice = job.owned.empty() && !job.overlong_mark;
        if (mapped_slice && !fault_ahead) prefault(job.text);  // else the producer did
        if (job.overlong_mark) {
          r->lines = 0;
          r->problems.push_back({info.name, 0, overlong_problem(im.opt.max_line)});
          r->stats.bytes = job.skipped;
        } else {
          Aggregator& agg_w = parts[w];
          if (job.from_map && im.opt.sample_refs)
            agg_w.set_chunk(static_cast<uint32_t>(job.index), job.text, job.offset);
          else
            agg_w.set_chunk(static_cast<uint32_t>(job.index));
          agg_w.set_record_requests(requests_before.load(std::memory_order_relaxed) < Aggregator::kMaxRequests);
          const size_t recorded = agg_w.request_count();
          Scanner scanner(cls, agg_w, out ? &r->events : nullptr, im.opt);
          r->lines = scanner.scan_buffer(job.text, 1, info, source_index, r->stats, r->problems);
          r->stats.lines = r->lines;
          r->stats.bytes = job.text.size();
          r->requests = agg_w.request_count() - recorded;
        }
        // Nothing holds a view into the chunk now: the merge gives its
        // pages back (RSS stays at the chunks in flight).
        if (mapped_slice) r->map_end = job.offset + job.text.size();
        std::lock_guard<std::mutex> lk(mu);
        done.emplace(job.index, std::move(r));
        // The result holds no view into the chunk: its buffer can be reused.
        if (!job.owned.empty() && spare_buffers.size() < max_spares)
          spare_buffers.push_back(std::move(job.owned));
        cv_done.notify_one();  // only the merge waits for results
      }
    });
  }

  // Merge in chunk order: statistics, problems and events; each chunk's
  // first line for the workers' aggregators.
  MapRelease map_release(mapped);
  std::vector<uint64_t> chunk_base;  // lines before chunk i
  uint64_t base = 0;  // lines before the chunk being merged
  for (size_t next = 0;; ++next) {
    std::unique_ptr<Result> r;
    {
      std::unique_lock<std::mutex> lk(mu);
      cv_done.wait(lk, [&] { return done.count(next) || (producer_done && next >= produced); });
      auto it = done.find(next);
      if (it == done.end()) break;
      r = std::move(it->second);
      done.erase(it);
      cv_space.notify_one();
    }
    chunk_base.push_back(base);
    requests_before.fetch_add(r->requests, std::memory_order_relaxed);
    if (r->map_end) map_release.upto(r->map_end);
    stats += r->stats;
    for (auto& p : r->problems) {
      // An overlong marker names the line before it (the cut line).
      p.line = p.line ? p.line + base : base;
      problems.push_back(std::move(p));
    }
    if (out && !r->events.empty()) r->events.commit(info, base, *out);
    base += r->lines;
  }
  producer.join();
  for (auto& t : pool) t.join();
  agg.merge_parts(parts, chunk_base);

  if (binary) {
    problems.push_back({info.name, 0, kBinaryProblem});
    ok = false;
  }
  if (use_map && src.map_valid_size() < mapped.size()) {
    problems.push_back({info.name, 0,
                        "the file shrank while it was read (truncated by log rotation?); what was read before "
                        "is reported (after line " + std::to_string(base) + ")"});
    ok = false;
  }
  if (!read_error.empty()) {
    problems.push_back({info.name, 0, read_error + " (after line " + std::to_string(base) + ")"});
    ok = false;
  }
  return ok;
}

}  // namespace gw502
