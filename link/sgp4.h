// Sgp4: the SGP4/SDP4 analytic orbit propagator for NORAD element sets.
//
// Implements the model of Vallado, Crawford, Hujsak and Kelso, "Revisiting Spacetrack Report #3"
// (AIAA 2006-6753), with WGS-72 constants: near-Earth SGP4 for periods under 225 minutes and the
// deep-space SDP4 extension (lunar-solar perturbations, 12-hour and 24-hour resonances) above.
// Output is the TEME position (km) and velocity (km/s).
//
// An Sgp4 object is immutable after Create(): the Propagate calls are const and safe to use from
// any number of threads at once. (The deep-space resonance integration restarts from epoch on
// every call instead of caching its last step in the object; the integration steps are the same,
// so the results are identical.)
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "common/time.h"
#include "link/orbital_elements.h"
#include "link/vec3.h"

namespace apsis::link {

// The model's own error conditions, numbered as in Vallado's code.
enum class Sgp4Error {
  kNone = 0,
  kMeanEccentricity = 1,       // mean eccentricity outside [-0.001, 1)
  kMeanMotion = 2,             // mean motion fell to zero or below
  kPerturbedEccentricity = 3,  // eccentricity after lunar-solar terms outside [0, 1]
  kSemiLatusRectum = 4,        // semi-latus rectum below zero
  kDecayed = 6,                // radius below one Earth radius: the satellite has decayed
  kInvalidTime = 7,            // time not finite or beyond ±1e9 minutes (not in the reference)
};

// A sentence such as "satellite has decayed (radius below 1 Earth radius)".
std::string_view Sgp4ErrorText(Sgp4Error error);

// Vallado's two operation modes: improved (the default) and AFSPC compatibility (GMST at epoch
// from the 1970 polynomial and a different node wrap in the lunar-solar terms).
enum class Sgp4Mode { kImproved, kAfspc };

struct TemeState {
  Vec3 r_km;
  Vec3 v_km_s;
};

namespace sgp4_internal {
// Vallado's "satrec" coefficients; filled by Sgp4Init, read by Sgp4Propagate.
struct Record {
  Sgp4Mode mode = Sgp4Mode::kImproved;
  int isimp = 0;
  bool deep_space = false;
  int irez = 0;
  // WGS-72 constants.
  double radiusearthkm = 0, xke = 0, j2 = 0, j3oj2 = 0, j4 = 0, tumin = 0;
  // Elements in radians and radians/minute (deep-space init may perturb ecco..mo).
  double bstar = 0, ecco = 0, argpo = 0, inclo = 0, mo = 0, no_kozai = 0, no_unkozai = 0, nodeo = 0;
  // Near-Earth coefficients.
  double aycof = 0, con41 = 0, cc1 = 0, cc4 = 0, cc5 = 0, d2 = 0, d3 = 0, d4 = 0, delmo = 0,
         eta = 0, argpdot = 0, omgcof = 0, sinmao = 0, t2cof = 0, t3cof = 0, t4cof = 0, t5cof = 0,
         x1mth2 = 0, x7thm1 = 0, mdot = 0, nodedot = 0, xlcof = 0, xmcof = 0, nodecf = 0;
  // Deep-space coefficients.
  double d2201 = 0, d2211 = 0, d3210 = 0, d3222 = 0, d4410 = 0, d4422 = 0, d5220 = 0, d5232 = 0,
         d5421 = 0, d5433 = 0, dedt = 0, del1 = 0, del2 = 0, del3 = 0, didt = 0, dmdt = 0,
         dnodt = 0, domdt = 0, e3 = 0, ee2 = 0, peo = 0, pgho = 0, pho = 0, pinco = 0, plo = 0,
         se2 = 0, se3 = 0, sgh2 = 0, sgh3 = 0, sgh4 = 0, sh2 = 0, sh3 = 0, si2 = 0, si3 = 0,
         sl2 = 0, sl3 = 0, sl4 = 0, gsto = 0, xfact = 0, xgh2 = 0, xgh3 = 0, xgh4 = 0, xh2 = 0,
         xh3 = 0, xi2 = 0, xi3 = 0, xl2 = 0, xl3 = 0, xl4 = 0, xlamo = 0, zmol = 0, zmos = 0;
};

// Initializes `rec` (sgp4init); `epoch_days` is days since 1949-12-31 00:00 UTC.
void Sgp4Init(double epoch_days, Record* rec);
// Propagates `tsince` minutes from epoch (sgp4).
Sgp4Error Sgp4Propagate(const Record& rec, double tsince, TemeState* state);
}  // namespace sgp4_internal

class Sgp4 {
 public:
  // Initializes the model. Fails (INVALID_ARGUMENT, with the SGP4 reason) when the elements are
  // unusable at epoch, e.g. eccentricity out of range or an orbit that has already decayed.
  static Result<Sgp4> Create(const OrbitalElements& elements, Sgp4Mode mode = Sgp4Mode::kImproved);

  // Propagates to `minutes` after epoch. The fast path: no allocation, no Status. On error the
  // state is left unspecified.
  Sgp4Error PropagateMinutes(double minutes, TemeState* state) const {
    return sgp4_internal::Sgp4Propagate(rec_, minutes, state);
  }

  // Propagates to an absolute time; the error Status names the SGP4 reason, satellite and time.
  Result<TemeState> PropagateAt(TimePoint t) const;
  // Minutes from epoch to `t`.
  double MinutesSinceEpoch(TimePoint t) const {
    return static_cast<double>((t - elements_.epoch).count()) / 60e6;
  }

  const OrbitalElements& elements() const { return elements_; }
  bool deep_space() const { return rec_.deep_space; }
  // Orbital period from the recovered (un-Kozai) mean motion, in minutes.
  double period_minutes() const;
  const sgp4_internal::Record& record() const { return rec_; }

 private:
  Sgp4() = default;
  OrbitalElements elements_;
  sgp4_internal::Record rec_;
};

}  // namespace apsis::link
