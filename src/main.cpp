// switchyard: kernel-bypass market data and order appliance.
//
//   switchyard --config FILE [--set key.path=value ...] [--summary-json FILE]
//   switchyard --check-config FILE [--set key.path=value ...]
#include <cstring>
#include <iostream>
#include <string>

#include "src/app.hpp"
#include "src/common/exit_code.hpp"

namespace {

constexpr const char* kUsage =
    "usage: switchyard --config FILE [--set key.path=value ...] [--summary-json FILE]\n"
    "       switchyard --check-config FILE [--set key.path=value ...]\n"
    "\n"
    "  --config FILE        run the appliance with this YAML profile (conf/profiles/)\n"
    "  --check-config FILE  validate FILE and print the resolved config, then exit\n"
    "  --set key.path=value override one key (repeatable; lists by index or entry name)\n"
    "  --summary-json FILE  also write the exit summary as JSON\n"
    "\n"
    "exit codes: 0 clean, nothing lost; 1 runtime failure; 2 configuration or usage error;\n"
    "            3 finished, but data was lost for lack of capacity (counts printed)\n";

int usage_error(const std::string& message) {
  std::cerr << "switchyard: " << message << "\n\n" << kUsage;
  return sy::kExitConfigError;
}

}  // namespace

int main(int argc, char** argv) {
  sy::Options opts;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      const std::string prefix = std::string(name) + "=";
      if (arg.rfind(prefix, 0) == 0) return argv[i] + prefix.size();
      if (arg == name && i + 1 < argc) return argv[++i];
      return nullptr;
    };
    auto is = [&](const char* name) {
      return arg == name || arg.rfind(std::string(name) + "=", 0) == 0;
    };
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return sy::kExitClean;
    }
    if (arg == "--version") {
      std::cout << "switchyard " << SWITCHYARD_VERSION << "\n";
      return sy::kExitClean;
    }
    if (is("--config") || is("--check-config")) {
      if (!opts.config_path.empty()) return usage_error("only one --config/--check-config");
      opts.check_only = is("--check-config");
      const char* v = value(opts.check_only ? "--check-config" : "--config");
      if (!v) return usage_error(arg + " needs a file");
      opts.config_path = v;
    } else if (is("--set")) {
      const char* v = value("--set");
      if (!v) return usage_error("--set needs key.path=value");
      opts.overrides.emplace_back(v);
    } else if (is("--summary-json")) {
      const char* v = value("--summary-json");
      if (!v) return usage_error("--summary-json needs a file");
      opts.summary_json = v;
    } else {
      return usage_error("unknown argument '" + arg + "'");
    }
  }
  if (opts.config_path.empty()) return usage_error("--config FILE is required");
  return sy::run_appliance(opts);
}
