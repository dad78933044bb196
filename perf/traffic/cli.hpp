// Command-line reading shared by the traffic tools: "--opt value" and "--opt=value", checked
// integers, and one error type that the tools turn into exit code 2 with their usage text.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace sy::traffic::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline uint64_t parse_uint(const std::string& option, const std::string& text, uint64_t max) {
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || stop != end || v > max)
    throw UsageError(option + ": '" + text + "' is not an integer in 0.." + std::to_string(max));
  return v;
}

// Walks argv: name() is the option ("--opt" of "--opt=value"), value() its argument.
class Args {
 public:
  Args(int argc, char** argv, int first = 1) : argc_(argc), argv_(argv), i_(first - 1) {}

  // Advances to the next argument; false at the end.
  bool next() {
    if (++i_ >= argc_) return false;
    name_ = argv_[i_];
    has_inline_ = false;
    if (const size_t eq = name_.find('='); name_.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_ = name_.substr(eq + 1);
      name_.resize(eq);
      has_inline_ = true;
    }
    return true;
  }
  const std::string& name() const { return name_; }
  std::string value() {
    if (has_inline_) return inline_;
    if (i_ + 1 >= argc_) throw UsageError(name_ + " needs a value");
    return argv_[++i_];
  }
  uint64_t u64() { return parse_uint(name_, value(), UINT64_MAX); }
  uint32_t u32() { return static_cast<uint32_t>(parse_uint(name_, value(), UINT32_MAX)); }
  int index() const { return i_; }

 private:
  int argc_;
  char** argv_;
  int i_;
  std::string name_, inline_;
  bool has_inline_ = false;
};

// A tool's main: usage errors exit 2 with the usage text, --help prints it, any other failure
// exits 1 with its message. Options must have a `help` member.
template <typename Options, typename Parse, typename Run>
int run_tool(const char* tool, const char* usage, int argc, char** argv, Parse parse, Run run) {
  Options options;
  try {
    options = parse(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: %s\n%s", tool, e.what(), usage);
    return 2;
  }
  if (options.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", tool, e.what());
    return 1;
  }
}

}  // namespace sy::traffic::cli
