// A check that stays on in release builds: a fuzz target's assertions are the point of it.
#pragma once

#include <cstdio>
#include <cstdlib>

#define SY_FUZZ_CHECK(cond)                                                              \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)
