#include "agents/contact_plan.h"

#include <algorithm>

#include "link/frames.h"

namespace apsis::agents {

ContactPlan::ContactPlan(link::Sgp4 satellite, std::vector<link::GroundStation> stations)
    : satellite_(std::move(satellite)), stations_(std::move(stations)) {}

Result<std::vector<ContactWindow>> ContactPlan::Windows(TimePoint start, TimePoint end) const {
  // One search over all stations shares the satellite's coarse position grid between them.
  link::SatelliteContacts contacts =
      link::FindSatelliteContactWindows(satellite_, stations_, start, end);
  if (!contacts.status.ok()) return contacts.status;
  std::vector<ContactWindow> all = std::move(contacts.windows);
  std::sort(all.begin(), all.end(), [](const ContactWindow& a, const ContactWindow& b) {
    return a.aos != b.aos ? a.aos < b.aos : a.station < b.station;
  });
  return all;
}

Result<double> ContactPlan::RangeKm(const std::string& station, TimePoint t) const {
  auto it = std::find_if(stations_.begin(), stations_.end(),
                         [&](const link::GroundStation& s) { return s.name == station; });
  if (it == stations_.end()) return NotFoundError("no ground station named '" + station + "'");
  ASSIGN_OR_RETURN(link::TemeState state, satellite_.PropagateAt(t));
  const link::EcefState ecef = link::TemeToEcef(state, link::Gmst(t));
  return link::Topocentric(it->location).Look(ecef).range_km;
}

}  // namespace apsis::agents
