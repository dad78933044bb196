// The control API's HTTP side (cpp-httplib, 127.0.0.1 only, one worker thread so that it is the
// single producer of the command queue). Internal to src/control.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "src/control/control_plane.hpp"

namespace httplib {
class Server;
struct Response;
}  // namespace httplib

namespace sy::control {

struct ControlPlane::Api {
  explicit Api(ControlPlane& cp);
  ~Api();
  uint16_t start(uint16_t port);  // binds 127.0.0.1:port (0: any); throws std::runtime_error
  void stop();

  bool parse_command(const std::string& body, CommandRequest& c, std::string& error);
  void submit(const CommandRequest& c, httplib::Response& res);
  void health(httplib::Response& res);
  nlohmann::json stats();
  std::string metrics();

  ControlPlane& cp;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  uint64_t next_id = 1;
};

// The state every command answer and /health carry.
nlohmann::json state_json(const ControlStatus& s);
// Bearer token check in constant time (digests compared with CRYPTO_memcmp).
bool token_matches(const std::string& expected, const std::string& presented);

}  // namespace sy::control
