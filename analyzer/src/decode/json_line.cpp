#include "decode/json_line.hpp"

#include <simdjson.h>

#include <cstring>
#include <vector>

namespace gw502 {

using simdjson::dom::element;
using simdjson::dom::object;

struct JsonLine::Impl {
  simdjson::dom::parser parser;
  std::vector<char> padded;
  object root;
  bool ok = false;

  bool member(std::string_view key, element& out) const {
    return ok && root.at_key(key).get(out) == simdjson::SUCCESS;
  }
  bool member(std::string_view obj, std::string_view key, element& out) const {
    element o;
    object oo;
    return member(obj, o) && o.get_object().get(oo) == simdjson::SUCCESS &&
           oo.at_key(key).get(out) == simdjson::SUCCESS;
  }
  static std::string_view as_str(const element& e) {
    std::string_view v;
    return e.get_string().get(v) == simdjson::SUCCESS ? v : std::string_view();
  }
  static bool as_num(const element& e, double& out) {
    if (e.is_int64()) {
      out = static_cast<double>(int64_t(e.get_int64()));
      return true;
    }
    if (e.is_uint64()) {
      out = static_cast<double>(uint64_t(e.get_uint64()));
      return true;
    }
    return e.get_double().get(out) == simdjson::SUCCESS;
  }
};

JsonLine::JsonLine() : impl_(std::make_unique<Impl>()) {}
JsonLine::~JsonLine() = default;

bool JsonLine::parse(std::string_view text) {
  Impl& m = *impl_;
  m.ok = false;
  const size_t need = text.size() + simdjson::SIMDJSON_PADDING;
  if (m.padded.size() < need) m.padded.resize(need);
  std::memcpy(m.padded.data(), text.data(), text.size());
  std::memset(m.padded.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  element doc;
  if (m.parser.parse(m.padded.data(), text.size(), false).get(doc) != simdjson::SUCCESS) return false;
  m.ok = doc.get_object().get(m.root) == simdjson::SUCCESS;
  return m.ok;
}

bool JsonLine::has(std::string_view key) const {
  element e;
  return impl_->member(key, e);
}

std::string_view JsonLine::str(std::string_view key) const {
  element e;
  return impl_->member(key, e) ? Impl::as_str(e) : std::string_view();
}

std::string_view JsonLine::str(std::string_view obj, std::string_view key) const {
  element e;
  return impl_->member(obj, key, e) ? Impl::as_str(e) : std::string_view();
}

std::string_view JsonLine::first_str(std::string_view obj, std::string_view key) const {
  element e;
  simdjson::dom::array a;
  if (!impl_->member(obj, key, e) || e.get_array().get(a) != simdjson::SUCCESS) return {};
  for (element x : a) return Impl::as_str(x);
  return {};
}

bool JsonLine::num(std::string_view key, double& out) const {
  element e;
  return impl_->member(key, e) && Impl::as_num(e, out);
}

bool JsonLine::num(std::string_view obj, std::string_view key, double& out) const {
  element e;
  return impl_->member(obj, key, e) && Impl::as_num(e, out);
}

bool JsonLine::is_object(std::string_view key) const {
  element e;
  return impl_->member(key, e) && e.is_object();
}

}  // namespace gw502
