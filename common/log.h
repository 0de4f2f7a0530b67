// Logging: spdlog underneath, one line per event, "message key=value key=value".
//
// Thread-safe. Call InitLogging once at start (daemons pass their --log-level flag).
//   LogInfo("job placed", {{"job", job_id}, {"node", node_id}, {"cost_usd", Kv(cost)}});
#pragma once

#include <fmt/format.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace apsis {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };

Result<LogLevel> ParseLogLevel(std::string_view name);  // trace|debug|info|warn|error|off
void InitLogging(LogLevel level, std::string_view program_name);
void SetLogLevel(LogLevel level);

// A key=value field. Values that contain spaces, quotes or '=' are quoted.
struct LogField {
  std::string_view key;
  std::string value;
};
template <typename T>
std::string Kv(const T& value) {
  return fmt::format("{}", value);
}

using LogFields = std::initializer_list<LogField>;
void Log(LogLevel level, std::string_view message, LogFields fields = {});
inline void LogDebug(std::string_view m, LogFields f = {}) { Log(LogLevel::kDebug, m, f); }
inline void LogInfo(std::string_view m, LogFields f = {}) { Log(LogLevel::kInfo, m, f); }
inline void LogWarn(std::string_view m, LogFields f = {}) { Log(LogLevel::kWarn, m, f); }
inline void LogError(std::string_view m, LogFields f = {}) { Log(LogLevel::kError, m, f); }

// Formats "message key=value ..." exactly as Log writes it (used by tests).
std::string FormatLogLine(std::string_view message, LogFields fields);

}  // namespace apsis
