// Counting newlines is the one pass over every byte that line numbers cost;
// it runs on every chunk, so it is vectorised (AVX2 when the CPU has it,
// SSE2 otherwise on x86-64, a plain loop elsewhere).
#pragma once
#include <cstddef>
#include <cstdint>

namespace gw502 {

uint64_t count_newlines(const char* p, size_t n);

}  // namespace gw502
