// The C API over Catalogue + Classifier. Exceptions stop here.
#include <cstring>
#include <memory>
#include <string>

#include "catalogue/catalogue.hpp"
#include "classify/classifier.hpp"
#include "decode/go_error.hpp"
#include "gw502/gw502.h"
#include "decode/nginx_decoder.hpp"

struct gw502_classifier {
  gw502::Catalogue catalogue;
  std::unique_ptr<gw502::Classifier> classifier;
};

namespace {

void set_error(char* err, size_t errlen, const std::string& msg) {
  if (!err || errlen == 0) return;
  size_t n = std::min(errlen - 1, msg.size());
  std::memcpy(err, msg.data(), n);
  err[n] = '\0';
}

}  // namespace

extern "C" gw502_classifier* gw502_classifier_new(const char* catalogue_path, char* err,
                                                  size_t errlen) {
  try {
    auto c = std::make_unique<gw502_classifier>();
    std::string why;
    std::vector<std::string> files;
    if (catalogue_path) files.emplace_back(catalogue_path);
    if (!c->catalogue.load(files, why)) {
      set_error(err, errlen, why);
      return nullptr;
    }
    c->classifier = std::make_unique<gw502::Classifier>(c->catalogue);
    // Long-lived (the nginx module's, the Caddy bridge's): every rule set is
    // built now, before nginx forks its workers, not in each worker.
    if (!c->classifier->build_all()) {
      set_error(err, errlen, c->classifier->error());
      return nullptr;
    }
    return c.release();
  } catch (const std::exception& e) {
    set_error(err, errlen, std::string("gw502: ") + e.what());
  } catch (...) {
    set_error(err, errlen, "gw502: unknown error");
  }
  return nullptr;
}

static_assert(static_cast<int>(gw502::LogFamily::nginx) == GW502_NGINX &&
                  static_cast<int>(gw502::LogFamily::traefik) == GW502_TRAEFIK &&
                  static_cast<int>(gw502::LogFamily::caddy) == GW502_CADDY,
              "gw502_dialect and LogFamily must agree");

extern "C" int gw502_classify(gw502_classifier* c, gw502_dialect dialect_arg, const char* text,
                              size_t len, gw502_result* out) {
  if (!c || !text || !out) return -1;
  // A C caller may pass any int: read it as one (loading a gw502_dialect
  // outside its enumerators' range is undefined behaviour in C++; UBSan).
  int dialect;
  static_assert(sizeof dialect == sizeof dialect_arg, "gw502_dialect is an int");
  std::memcpy(&dialect, &dialect_arg, sizeof dialect);
  try {
    std::string_view line(text, len);
    std::string_view match = line;
    gw502::Event ev;
    auto family = static_cast<gw502::LogFamily>(dialect);
    if (dialect == GW502_NGINX) {
      if (!gw502::decode_nginx_error(line, ev)) return 0;
      match = ev.message;
    } else if (dialect != GW502_TRAEFIK && dialect != GW502_CADDY) {
      return -1;
    }
    int rule = c->classifier->classify(family, false, match);
    if (rule == gw502::Classifier::kMatchError) return -1;
    if (rule < 0) return 0;
    const gw502::Rule& r = c->catalogue.rules()[static_cast<size_t>(rule)];
    if (r.ignore) return 0;
    std::string_view up = ev.upstream;
    if (up.empty()) {
      std::string_view cap = c->classifier->capture_upstream(rule, match);
      std::string_view scheme;
      if (!cap.empty()) up = gw502::upstream_address(cap, scheme);
    }
    if (up.empty() && dialect != GW502_NGINX) {
      // A Go error names its upstream itself ("dial tcp 10.0.0.5:80: ...";
      // a unix socket comes back as its path).
      bool unix = false;
      up = gw502::go_error_upstream(match, unix);
    }
    out->cause = c->catalogue.causes()[static_cast<size_t>(r.cause)].id.c_str();
    out->rule = r.id.c_str();
    out->upstream = up.empty() ? nullptr : up.data();
    out->upstream_len = up.size();
    return 1;
  } catch (...) {
    return -1;
  }
}

extern "C" void gw502_classifier_free(gw502_classifier* c) { delete c; }

extern "C" const char* gw502_version(void) { return GW502_VERSION; }
