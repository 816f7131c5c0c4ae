// How fast Hyperscan scans a file for a set of literals, alone: the same
// kind of database as gw502's prefilter (hs_compile_lit_multi, block mode),
// one hs_scan per 4 MiB slice of the page-cached file. Not a test.
//
//   g++ -O2 -o literal_scan literal_scan.cpp -lhs
//   ./literal_scan LITERALS_FILE LOG_FILE     (one literal per line)
#include <fcntl.h>
#include <hs/hs.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s LITERALS_FILE LOG_FILE\n", argv[0]);
    return 2;
  }
  std::ifstream lf(argv[1]);
  std::vector<std::string> literals;
  for (std::string line; std::getline(lf, line);)
    if (!line.empty()) literals.push_back(line);
  std::vector<const char*> exprs;
  std::vector<size_t> lens;
  std::vector<unsigned> flags(literals.size(), 0), ids;
  for (size_t i = 0; i < literals.size(); ++i) {
    exprs.push_back(literals[i].data());
    lens.push_back(literals[i].size());
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* ce = nullptr;
  if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                           static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db, &ce) != HS_SUCCESS) {
    std::fprintf(stderr, "compile: %s\n", ce ? ce->message : "?");
    return 2;
  }
  hs_scratch_t* scratch = nullptr;
  hs_alloc_scratch(db, &scratch);
  int fd = ::open(argv[2], O_RDONLY);
  struct stat st;
  if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size == 0) {
    std::perror(argv[2]);
    return 2;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  auto* data = static_cast<const char*>(::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0));
  unsigned long long matches = 0;
  auto count = [](unsigned, unsigned long long, unsigned long long, unsigned, void* c) -> int {
    ++*static_cast<unsigned long long*>(c);
    return 0;
  };
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t off = 0; off < size; off += size_t{4} << 20) {
    const size_t len = std::min(size - off, size_t{4} << 20);
    hs_scan(db, data + off, static_cast<unsigned>(len), 0, scratch, count, &matches);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%zu literals: %.3f s, %.2f GB/s, %llu matches\n", literals.size(), s, size / s / 1e9, matches);
  return 0;
}
