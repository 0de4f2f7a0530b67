// Counters kept by a transport endpoint. Owned and updated by the endpoint's event-loop thread;
// read them on that thread (the metrics layer copies them there).
#pragma once

#include <cstdint>

namespace apsis::transport {

struct TransportStats {
  uint64_t received = 0;             // envelopes decoded and delivered
  uint64_t sent = 0;                 // envelopes handed to ZeroMQ
  uint64_t dropped_malformed = 0;    // wrong number of frames
  uint64_t dropped_undecodable = 0;  // not a valid Envelope
  uint64_t dropped_oversized = 0;    // larger than max_message_bytes
  uint64_t version_mismatch = 0;     // answered with an UNSUPPORTED_VERSION error
  uint64_t auth_refused = 0;         // CURVE handshakes refused by the allowlist
  uint64_t auth_admitted = 0;        // CURVE handshakes admitted
  uint64_t send_dropped = 0;         // could not be sent (peer gone or its queue full)
  uint64_t requests_timed_out = 0;   // DealerClient::Request deadlines that expired
};

}  // namespace apsis::transport
