// Follow mode: `gw502-logs -f` (README section; the README carries a copy).
//
//   gw502-logs -f /var/log/nginx/error.log
//   gw502-logs -f '/data/logs/proxy-host-*_error.log'      # quoted: new hosts are picked up
//   gw502-logs -f --events error.log | jq .                 # one NDJSON line per failure, as it happens
//   gw502-logs -f --metrics 127.0.0.1:9502 error.log        # Prometheus at /metrics
//   docker compose logs -f proxy | gw502-logs -f -
//
// Like `tail -F`, without losing or doubling a line. Files present at start
// are read from their end (--from-start: from their beginning; compressed
// rotated files matching a glob are then read once, never followed); a
// file that appears later at a followed path, or matching a followed glob,
// is read from its beginning. Wildcards in the last path component pick up
// new files at once (inotify on the directory); wildcards in directory
// components are re-expanded once a second. Quote globs: a glob the shell
// expanded is a fixed list. A path whose directory does not exist yet is
// waited for. Standard input is read until it ends; then, when nothing
// else is followed, the final report is printed.
//
// Output. On a terminal: a live table redrawn every second (cause, count,
// failures in the last minute, last seen, upstream, host; busiest first).
// With --events: one NDJSON object per classified line, flushed as it
// comes. Otherwise: a summary every --interval (default 60 s; with
// --format json one JSON report per line). SIGINT or SIGTERM (or the end of
// followed stdin) prints the final report (not with --events) and exits
// with the usual status: 0 no upstream failure, 1 some, 2 input problems.
// --metrics [ADDR:]PORT serves Prometheus text (see metrics.hpp) on
// 127.0.0.1 unless an address is given.
//
// Rotation. Files are known by device and inode, paths by name:
// - rename (logrotate `create`; also delete and re-create): the old file is
//   read to its end, then kept open and read while it still grows (nginx
//   writes to it until it is told to reopen) and closed after
//   FollowOptions::retire_ms (5 s) without growth. The new file is read
//   from its beginning.
// - a closed file is remembered (the last 4096): device, inode, a hash of
//   its first bytes (1 KiB, or all of it when shorter; a shorter file that
//   grew is compared on as many bytes as it had) and where reading stopped.
//   If it comes back at a followed path (renamed back, a symlink to it),
//   reading goes on from there: nothing is read twice. The same inode with
//   other first bytes (an inode reused after a delete, common on ext4), or
//   shorter than what was read, is a new file, read from its beginning.
// - copytruncate: every read re-reads the 128 bytes before the offset (the
//   same preadv); if they changed, or the file is shorter, it was
//   truncated. The lines written between our last read and the truncation
//   are then read from the copy, found in the same directory by name (the
//   file name followed by anything: error.log.1, error.log-20240115) and
//   confirmed by content; then the file is read again from 0. A copy that
//   is compressed at once (`compress` without `delaycompress`) or put
//   elsewhere (`olddir`) cannot be read: what was not yet read is lost, as
//   with tail -F. Lines written between logrotate's copy and its truncate
//   are lost for every reader (logrotate's documented race).
// - lost data is counted, never skipped silently (FollowCounters::lost_bytes,
//   a note in warnings(), gw502_follow_lost_bytes_total): what fstat showed
//   the file held before the truncation beyond what was read (from the file
//   or its copy), and whole generations truncated away before any of them
//   was read (the follower fell behind by more than one copytruncate, or a
//   generation came and went while it read a long copy). Those are other
//   uncompressed copies beside the file, ordered by mtime: the ones made
//   after the last copy accounted for (or after the file was opened) that
//   are neither the copy f went on from, nor the live generation's own copy
//   (same first KiB as the live file), nor read before. Reading a long copy
//   takes time, during which the live file may be truncated again: then the
//   copies made meanwhile are read too, oldest first, until the next one is
//   the live file's own or there is none (at most 64; the loop is not
//   served meanwhile, as while reading the first copy). It is a lower bound in
//   bytes: a copy compressed or removed before it is looked at, or with a
//   preserved mtime older than the opening, is not counted; no line count
//   (that would mean reading what is not read).
// - a new file named like a rotated copy of a followed file in the same
//   directory (error.log.1 beside error.log, also through a glob such as
//   'error.log*') is not followed: its lines were read under the original
//   name.
// - two rotations closer together than the follower reacts (a few
//   milliseconds idle; under load, as long as it takes to read 4 MiB of
//   each busy file; both `create` and then copytruncate of the new file
//   before it was opened) can lose that generation. logrotate does not
//   rotate that often. With `create`, such files are counted in lost_bytes
//   when the next file takes the path: files beside it named like it, never
//   opened, written after the previous one was opened there. They are not
//   read (such a name may as well be a copy of lines already read).
// - delete and re-create: the deleted file stays open and is read to its
//   end (as with rename). A file created at a followed path and deleted
//   before it was opened (the follower was stopped, or one pump took longer
//   than the file lived) cannot be read: it is counted in
//   FollowCounters::lost_files (gw502_follow_lost_files_total, a note in
//   warnings(), the final report), its size unknown. inotify names, not
//   inodes: a followed path's entry that goes (IN_DELETE, IN_MOVED_FROM) is
//   the oldest file opened under it that is no longer there and whose going
//   was not seen yet; none, and the path was created (IN_CREATE) since it
//   was last emptied: the deleted file was never opened. To keep that
//   window short, the inotify queue is looked at after each file's read in
//   a pump, not only at its start.
// Line numbers are per file: they count from the file's first line (up to
// 1 GiB of existing content is counted at start; beyond that they count
// from where following began) and restart at 1 when a new file takes a
// followed path or a file is truncated. Events name the path the file was
// opened under (a renamed file keeps its old name).
//
// Data path: preadv into one reused buffer (no mmap: a truncation would
// kill the process with SIGBUS), the partial last line kept per file,
// complete lines handed to Scanner::scan_buffer, one Classifier. inotify
// watches each followed directory (create, move, delete) and each open file
// (modify); once a second a tick re-checks names, sizes and directories
// that did not exist yet, so nothing relies on inotify alone (network file
// systems, a full inotify queue). Idle, the process sleeps in poll() and
// wakes once a second. One busy file is read at most 4 MiB per pump, so
// directory events are handled every few milliseconds under load.
//
// The Follower never prints, exits or waits: the caller polls fds() and
// calls pump(). Events go to an EventSink as they are found.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "classify/classifier.hpp"
#include "scan/pipeline.hpp"
#include "scan/scanner.hpp"

namespace gw502 {

struct FollowOptions {
  bool from_start = false;  // read what files hold at start, not only what is appended
  bool force_proxy = false; // --proxy given: every source is `proxy`
  ProxyKind proxy = ProxyKind::nginx;
  int64_t retire_ms = 5000; // a rotated-away file is closed after this long without growth
  // Per file and pump: a busy file cannot starve the others, and directory
  // events (rotations) are looked at every few milliseconds.
  uint64_t max_read_per_pump = 4u << 20;
};

class Follower {
 public:
  // cls, agg and out (may be null) must outlive the follower.
  Follower(Classifier& cls, Aggregator& agg, const ScanOptions& opt, const FollowOptions& fo,
           EventSink* out);
  ~Follower();
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  // Sets up inotify and finds the files to follow. Returns false (with err)
  // only when inotify is unavailable. Missing paths and globs matching
  // nothing are waited for (warnings() says so).
  bool start(const std::vector<std::string>& specs, std::string& err);

  // Descriptors to poll for POLLIN: inotify, and standard input while followed.
  std::vector<int> fds() const;

  // Handles pending inotify events and reads what the files gained. Never
  // blocks. Call it when a descriptor is readable, and with tick = true
  // about once a second. Returns true when data is still pending (a busy
  // file hit max_read_per_pump): call again without waiting.
  bool pump(bool tick);

  // Only standard input was followed and it has ended.
  bool finished() const;

  size_t open_files() const;
  // One source per path ever followed; Sample::source and the stats index them.
  const std::vector<SourceInfo>& sources() const;
  const std::vector<ScanStats>& stats() const;
  const FollowCounters& counters() const;
  // Input problems (over-long lines, read errors), appended as they happen.
  const std::vector<Problem>& problems() const;
  // Notices that are not errors ("does not exist yet"), appended.
  const std::vector<Problem>& warnings() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw502
