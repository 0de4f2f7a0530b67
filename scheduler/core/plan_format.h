// Canonical text forms of plans and reservations: one line per item, fixed precision, in the
// order given. Used to log plans and to compare them byte for byte (determinism tests).
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "scheduler/core/model.h"

namespace apsis::core {

std::string FormatAction(const Action& action);
std::string SerializeActions(const std::vector<Action>& actions);
std::string SerializeReservations(const std::vector<Reservation>& reservations);

}  // namespace apsis::core
