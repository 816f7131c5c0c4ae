#include "glob.hpp"

#include <glob.h>
#include <sys/stat.h>

namespace gw502::cli {

std::vector<std::string> expand_input(const std::string& arg) {
  struct stat st;
  if (arg == "-" || arg.find_first_of("*?[") == std::string::npos || ::stat(arg.c_str(), &st) == 0)
    return {arg};
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(arg.c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  if (out.empty()) out.push_back(arg);  // reported as missing by the caller
  return out;
}

}  // namespace gw502::cli
