#include "source/json_document.hpp"

#include <algorithm>
#include <cstring>

namespace gw502 {

bool pretty_json_head(std::string_view head) {
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  size_t i = 0;
  while (i < head.size() && blank(head[i])) ++i;
  if (i == head.size() || (head[i] != '{' && head[i] != '[')) return false;
  const bool array = head[i++] == '[';
  while (i < head.size() && (head[i] == ' ' || head[i] == '\t')) ++i;
  if (array && i < head.size() && head[i] == '{') ++i;
  while (i < head.size() && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r')) ++i;
  return i < head.size() && head[i] == '\n';
}

namespace {
constexpr size_t kBlock = 64 << 10;
// A first member longer than this is no tool's wrapper: the object is a record.
constexpr size_t kMaxHeld = 64 << 10;
constexpr int kNoRecords = -2;  // no depth: a wrapper's later members hold none
}  // namespace

namespace {

// A stream's first bytes, read to look at them, handed out again first; a
// read that failed while looking fails after them, as it would have.
class HeadSource final : public Source {
 public:
  HeadSource(std::string head, std::unique_ptr<Source> inner, std::string failed)
      : head_(std::move(head)), inner_(std::move(inner)), failed_(std::move(failed)) {
    compression_ = inner_->compression();
  }
  long read(char* dst, size_t n, std::string& err) override {
    if (at_ < head_.size()) {
      const size_t k = std::min(n, head_.size() - at_);
      std::memcpy(dst, head_.data() + at_, k);
      at_ += k;
      return static_cast<long>(k);
    }
    if (!failed_.empty()) {
      err = failed_;
      return -1;
    }
    return inner_->read(dst, n, err);
  }

 private:
  std::string head_;
  size_t at_ = 0;
  std::unique_ptr<Source> inner_;
  std::string failed_;
};

}  // namespace

std::unique_ptr<Source> json_document_if_pretty(std::unique_ptr<Source> src) {
  std::string head(64, '\0'), failed;
  bool broke = false;
  head.resize(read_up_to(*src, head.data(), head.size(), failed, broke));
  if (broke && failed.empty()) failed = "read error";
  const bool pretty = !broke && pretty_json_head(head);
  auto peeked = std::make_unique<HeadSource>(std::move(head), std::move(src), std::move(failed));
  if (pretty) return std::make_unique<JsonDocumentSource>(std::move(peeked));
  return peeked;
}

JsonDocumentSource::JsonDocumentSource(std::unique_ptr<Source> inner) : inner_(std::move(inner)) {
  compression_ = inner_->compression();
}

void JsonDocumentSource::step(char c) {
  if (in_string_) {
    if (in_record_) emit(c);
    else if (holding_) held_.push_back(c);
    if (escaped_) escaped_ = false;
    else if (c == '\\') escaped_ = true;
    else if (c == '"') in_string_ = false;
    return;
  }
  if (c == ' ' || c == '\n' || c == '\r' || c == '\t') return;
  if (holding_) {
    if (!after_colon_ && held_.size() < kMaxHeld) {
      held_.push_back(c);
      if (c == '"') {
        in_string_ = true;
      } else if (c == ':') {
        after_colon_ = true;
      } else if (c == '}') {  // {}: a record with nothing in it
        holding_ = false;
        depth_ = 0;
        record_depth_ = -1;
        out_ += held_;
        emit('\n');
        held_.clear();
      }
      return;
    }
    if (after_colon_ && !in_array_ && c == '[' && held_.size() < kMaxHeld) {  // wait for the array's first value
      in_array_ = true;
      held_.push_back(c);
      ++depth_;
      return;
    }
    // The first member's value says what the object is: an array of
    // objects is a tool's answer around its entries; anything else is a
    // record's first member.
    holding_ = false;
    const bool wrapper = in_array_ && c == '{';
    in_array_ = false;
    if (wrapper) {
      record_depth_ = 2;  // the objects of this array, and of no later member
      held_.clear();
    } else {
      record_depth_ = 0;
      in_record_ = true;
      out_ += held_;
      held_.clear();
    }
    // c goes on, as the record's or as the first entry's
  }
  if (c == '"') {
    in_string_ = true;
    if (in_record_) emit(c);
    return;
  }
  if (c == '{' || c == '[') {
    if (!in_record_ && depth_ == 0) {
      ++depth_;
      if (c == '{') {
        holding_ = true;
        after_colon_ = false;
        held_ = "{";
      } else {
        record_depth_ = 1;
      }
      return;
    }
    if (!in_record_ && c == '{' && depth_ == record_depth_) in_record_ = true;
    if (in_record_) emit(c);
    ++depth_;
    return;
  }
  if (c == '}' || c == ']') {
    if (depth_ > 0) --depth_;
    if (in_record_) {
      emit(c);
      if (depth_ == record_depth_) {
        emit('\n');
        in_record_ = false;
      }
    } else if (record_depth_ == 2 && depth_ == 1) {
      record_depth_ = kNoRecords;  // the entries' array has closed: the rest of the answer is dropped
    }
    if (depth_ == 0) record_depth_ = -1;
    return;
  }
  if (in_record_) emit(c);
}

long JsonDocumentSource::read(char* dst, size_t n, std::string& err) {
  while (out_at_ == out_.size()) {
    out_.clear();
    out_at_ = 0;
    if (eof_) return 0;
    in_.resize(kBlock);
    const long r = inner_->read(in_.data(), in_.size(), err);
    if (r < 0) return -1;
    if (r == 0) {
      // A record cut off by the input's end: what there is, as a line.
      eof_ = true;
      if (holding_) out_ += held_;
      if (in_record_ || holding_) emit('\n');
      in_record_ = holding_ = false;
      continue;
    }
    for (long i = 0; i < r; ++i) step(in_[static_cast<size_t>(i)]);
  }
  const size_t k = std::min(n, out_.size() - out_at_);
  std::memcpy(dst, out_.data() + out_at_, k);
  out_at_ += k;
  return static_cast<long>(k);
}

}  // namespace gw502
