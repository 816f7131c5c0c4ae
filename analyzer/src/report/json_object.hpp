// A small builder for JSON text: members and elements separated by commas
// without the caller keeping count. Writes straight into one string.
//
//   JsonOut j(out);
//   j.open('{'); j.key("count").num(3); j.key("name").str("x"); j.close('}');
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/json_writer.hpp"

namespace gw502 {

class JsonOut {
 public:
  explicit JsonOut(std::string& out) : out_(out) {}
  JsonOut& open(char c) {  // '{' or '['
    comma();
    out_ += c;
    first_.push_back(1);
    return *this;
  }
  JsonOut& close(char c) {
    out_ += c;
    first_.pop_back();
    return *this;
  }
  JsonOut& key(std::string_view k) {
    comma();
    json_string(out_, k);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  JsonOut& str(std::string_view v) {
    comma();
    json_string(out_, v);
    return *this;
  }
  JsonOut& num(int64_t v) {
    comma();
    json_number(out_, v);
    return *this;
  }
  JsonOut& boolean(bool v) {
    comma();
    out_ += v ? "true" : "false";
    return *this;
  }
  JsonOut& null() {
    comma();
    out_ += "null";
    return *this;
  }
  // A value already written as JSON text (by another JsonOut).
  JsonOut& raw(std::string_view json) {
    comma();
    out_ += json;
    return *this;
  }
  JsonOut& strs(const std::vector<std::string>& v) {
    open('[');
    for (auto& s : v) str(s);
    return close(']');
  }

 private:
  void comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ += ',';
    first_.back() = 0;
  }
  std::string& out_;
  std::vector<unsigned char> first_;  // per open level: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace gw502
