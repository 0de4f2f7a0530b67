// SGP4 initialization (Vallado's initl and sgp4init) and the Sgp4 class wrapper.

#include <cmath>
#include <string>

#include "link/frames.h"
#include "link/sgp4.h"
#include "link/sgp4_deep_space.h"

namespace apsis::link {
namespace sgp4_internal {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kTwoPi = 2.0 * kPi;
constexpr double kTwoThirds = 2.0 / 3.0;

// WGS-72 constants, as SGP4 element sets are fitted with them.
void SetWgs72(Record* rec) {
  const double mu = 398600.8;  // km³/s²
  rec->radiusearthkm = 6378.135;
  rec->xke = 60.0 / std::sqrt(rec->radiusearthkm * rec->radiusearthkm * rec->radiusearthkm / mu);
  rec->tumin = 1.0 / rec->xke;
  rec->j2 = 0.001082616;
  const double j3 = -0.00000253881;
  rec->j4 = -0.00000165597;
  rec->j3oj2 = j3 / rec->j2;
}

// Greenwich sidereal angle at epoch in AFSPC mode: the 1970-based polynomial of the original code.
double AfspcGsto(double epoch_days) {
  const double ts70 = epoch_days - 7305.0;
  const double ds70 = std::floor(ts70 + 1.0e-8);
  const double tfrac = ts70 - ds70;
  const double c1 = 1.72027916940703639e-2;
  const double thgr70 = 1.7321343856509374;
  const double fk5r = 5.07551419432269442e-15;
  const double c1p2p = c1 + kTwoPi;
  double gsto = std::fmod(thgr70 + c1 * ds70 + c1p2p * tfrac + ts70 * ts70 * fk5r, kTwoPi);
  if (gsto < 0.0) gsto += kTwoPi;
  return gsto;
}

}  // namespace

void Sgp4Init(double epoch_days, Record* rec) {
  const double temp4 = 1.5e-12;
  const double ss = 78.0 / rec->radiusearthkm + 1.0;
  const double qzms2ttemp = (120.0 - 78.0) / rec->radiusearthkm;
  const double qzms2t = qzms2ttemp * qzms2ttemp * qzms2ttemp * qzms2ttemp;

  // ---- initl: recover the original (un-Kozai) mean motion and semi-major axis ----
  const double eccsq = rec->ecco * rec->ecco;
  const double omeosq = 1.0 - eccsq;
  const double rteosq = std::sqrt(omeosq);
  const double cosio = std::cos(rec->inclo);
  const double cosio2 = cosio * cosio;
  const double ak = std::pow(rec->xke / rec->no_kozai, kTwoThirds);
  const double d1 = 0.75 * rec->j2 * (3.0 * cosio2 - 1.0) / (rteosq * omeosq);
  double del = d1 / (ak * ak);
  const double adel = ak * (1.0 - del * del - del * (1.0 / 3.0 + 134.0 * del * del / 81.0));
  del = d1 / (adel * adel);
  rec->no_unkozai = rec->no_kozai / (1.0 + del);
  const double ao = std::pow(rec->xke / rec->no_unkozai, kTwoThirds);
  const double sinio = std::sin(rec->inclo);
  const double po = ao * omeosq;
  const double con42 = 1.0 - 5.0 * cosio2;
  rec->con41 = -con42 - cosio2 - cosio2;
  const double posq = po * po;
  const double rp = ao * (1.0 - rec->ecco);
  rec->gsto = rec->mode == Sgp4Mode::kAfspc ? AfspcGsto(epoch_days)
                                            : GmstFromJulianDate(epoch_days + 2433281.5);

  // ---- sgp4init ----
  if (omeosq < 0.0 && rec->no_unkozai < 0.0) return;  // as in the reference: nothing to set up
  rec->isimp = rp < 220.0 / rec->radiusearthkm + 1.0 ? 1 : 0;
  double sfour = ss;
  double qzms24 = qzms2t;
  const double perige = (rp - 1.0) * rec->radiusearthkm;
  // For perigees below 156 km the atmosphere's s and q0 parameters are altered.
  if (perige < 156.0) {
    sfour = perige < 98.0 ? 20.0 : perige - 78.0;
    const double qzms24temp = (120.0 - sfour) / rec->radiusearthkm;
    qzms24 = qzms24temp * qzms24temp * qzms24temp * qzms24temp;
    sfour = sfour / rec->radiusearthkm + 1.0;
  }
  const double pinvsq = 1.0 / posq;
  const double tsi = 1.0 / (ao - sfour);
  rec->eta = ao * rec->ecco * tsi;
  const double etasq = rec->eta * rec->eta;
  const double eeta = rec->ecco * rec->eta;
  const double psisq = std::fabs(1.0 - etasq);
  const double coef = qzms24 * std::pow(tsi, 4.0);
  const double coef1 = coef / std::pow(psisq, 3.5);
  const double cc2 =
      coef1 * rec->no_unkozai *
      (ao * (1.0 + 1.5 * etasq + eeta * (4.0 + etasq)) +
       0.375 * rec->j2 * tsi / psisq * rec->con41 * (8.0 + 3.0 * etasq * (8.0 + etasq)));
  rec->cc1 = rec->bstar * cc2;
  double cc3 = 0.0;
  if (rec->ecco > 1.0e-4) {
    cc3 = -2.0 * coef * tsi * rec->j3oj2 * rec->no_unkozai * sinio / rec->ecco;
  }
  rec->x1mth2 = 1.0 - cosio2;
  rec->cc4 = 2.0 * rec->no_unkozai * coef1 * ao * omeosq *
             (rec->eta * (2.0 + 0.5 * etasq) + rec->ecco * (0.5 + 2.0 * etasq) -
              rec->j2 * tsi / (ao * psisq) *
                  (-3.0 * rec->con41 * (1.0 - 2.0 * eeta + etasq * (1.5 - 0.5 * eeta)) +
                   0.75 * rec->x1mth2 * (2.0 * etasq - eeta * (1.0 + etasq)) *
                       std::cos(2.0 * rec->argpo)));
  rec->cc5 = 2.0 * coef1 * ao * omeosq * (1.0 + 2.75 * (etasq + eeta) + eeta * etasq);
  const double cosio4 = cosio2 * cosio2;
  const double temp1 = 1.5 * rec->j2 * pinvsq * rec->no_unkozai;
  const double temp2 = 0.5 * temp1 * rec->j2 * pinvsq;
  const double temp3 = -0.46875 * rec->j4 * pinvsq * pinvsq * rec->no_unkozai;
  rec->mdot = rec->no_unkozai + 0.5 * temp1 * rteosq * rec->con41 +
              0.0625 * temp2 * rteosq * (13.0 - 78.0 * cosio2 + 137.0 * cosio4);
  rec->argpdot = -0.5 * temp1 * con42 + 0.0625 * temp2 * (7.0 - 114.0 * cosio2 + 395.0 * cosio4) +
                 temp3 * (3.0 - 36.0 * cosio2 + 49.0 * cosio4);
  const double xhdot1 = -temp1 * cosio;
  rec->nodedot =
      xhdot1 + (0.5 * temp2 * (4.0 - 19.0 * cosio2) + 2.0 * temp3 * (3.0 - 7.0 * cosio2)) * cosio;
  const double xpidot = rec->argpdot + rec->nodedot;
  rec->omgcof = rec->bstar * cc3 * std::cos(rec->argpo);
  rec->xmcof = 0.0;
  if (rec->ecco > 1.0e-4) rec->xmcof = -kTwoThirds * coef * rec->bstar / eeta;
  rec->nodecf = 3.5 * omeosq * xhdot1 * rec->cc1;
  rec->t2cof = 1.5 * rec->cc1;
  // Avoid a division by zero for inclination = 180°.
  const double one_plus_cosio = std::fabs(cosio + 1.0) > 1.5e-12 ? 1.0 + cosio : temp4;
  rec->xlcof = -0.25 * rec->j3oj2 * sinio * (3.0 + 5.0 * cosio) / one_plus_cosio;
  rec->aycof = -0.5 * rec->j3oj2 * sinio;
  const double delmotemp = 1.0 + rec->eta * std::cos(rec->mo);
  rec->delmo = delmotemp * delmotemp * delmotemp;
  rec->sinmao = std::sin(rec->mo);
  rec->x7thm1 = 7.0 * cosio2 - 1.0;

  // Periods of 225 minutes or more use the deep-space equations.
  if (kTwoPi / rec->no_unkozai >= 225.0) {
    rec->deep_space = true;
    rec->isimp = 1;
    DeepSpaceCommon common;
    DeepSpaceCommonTerms(epoch_days, rec->ecco, rec->argpo, /*tc=*/0.0, rec->inclo, rec->nodeo,
                         rec->no_unkozai, rec, &common);
    // dpper at initialization only evaluates terms that this version of the model leaves
    // unapplied (peo..pho stay zero), so the elements are unchanged here.
    DeepSpaceInit(common, eccsq, xpidot, rec);
  }

  if (rec->isimp != 1) {
    const double cc1sq = rec->cc1 * rec->cc1;
    rec->d2 = 4.0 * ao * tsi * cc1sq;
    const double temp = rec->d2 * tsi * rec->cc1 / 3.0;
    rec->d3 = (17.0 * ao + sfour) * temp;
    rec->d4 = 0.5 * temp * ao * tsi * (221.0 * ao + 31.0 * sfour) * rec->cc1;
    rec->t3cof = rec->d2 + 2.0 * cc1sq;
    rec->t4cof = 0.25 * (3.0 * rec->d3 + rec->cc1 * (12.0 * rec->d2 + 10.0 * cc1sq));
    rec->t5cof = 0.2 * (3.0 * rec->d4 + 12.0 * rec->cc1 * rec->d3 + 6.0 * rec->d2 * rec->d2 +
                        15.0 * cc1sq * (2.0 * rec->d2 + cc1sq));
  }
}

}  // namespace sgp4_internal

std::string_view Sgp4ErrorText(Sgp4Error error) {
  switch (error) {
    case Sgp4Error::kNone:
      return "no error";
    case Sgp4Error::kMeanEccentricity:
      return "mean eccentricity out of range [-0.001, 1)";
    case Sgp4Error::kMeanMotion:
      return "mean motion is zero or negative";
    case Sgp4Error::kPerturbedEccentricity:
      return "perturbed eccentricity out of range [0, 1]";
    case Sgp4Error::kSemiLatusRectum:
      return "semi-latus rectum is negative";
    case Sgp4Error::kDecayed:
      return "satellite has decayed (radius below 1 Earth radius)";
    case Sgp4Error::kInvalidTime:
      return "time is not finite or more than 1e9 minutes from epoch";
  }
  return "unknown SGP4 error";
}

double DaysSince1950(TimePoint t) {
  // 1949-12-31 00:00 UTC is 7306 days before the Unix epoch.
  constexpr int64_t kMicrosPerDay = 86400LL * 1000000LL;
  const int64_t us = t.micros() + 7306LL * kMicrosPerDay;
  const int64_t days = us >= 0 ? us / kMicrosPerDay : -((-us + kMicrosPerDay - 1) / kMicrosPerDay);
  return static_cast<double>(days) +
         static_cast<double>(us - days * kMicrosPerDay) / static_cast<double>(kMicrosPerDay);
}

Result<Sgp4> Sgp4::Create(const OrbitalElements& elements, Sgp4Mode mode) {
  constexpr double kDegToRad = 3.14159265358979323846 / 180.0;
  constexpr double kMinutesPerDay = 1440.0;
  Sgp4 model;
  model.elements_ = elements;
  sgp4_internal::Record& rec = model.rec_;
  rec.mode = mode;
  sgp4_internal::SetWgs72(&rec);
  if (!(elements.mean_motion_rev_day > 0.0) || !std::isfinite(elements.mean_motion_rev_day)) {
    return InvalidArgumentError("satellite " + std::to_string(elements.satnum) +
                                ": mean motion must be positive, got " +
                                std::to_string(elements.mean_motion_rev_day) + " rev/day");
  }
  if (!(elements.eccentricity >= 0.0 && elements.eccentricity < 1.0)) {
    return InvalidArgumentError("satellite " + std::to_string(elements.satnum) +
                                ": eccentricity must be in [0, 1), got " +
                                std::to_string(elements.eccentricity));
  }
  rec.bstar = elements.bstar;
  rec.ecco = elements.eccentricity;
  rec.argpo = elements.arg_perigee_deg * kDegToRad;
  rec.inclo = elements.inclination_deg * kDegToRad;
  rec.mo = elements.mean_anomaly_deg * kDegToRad;
  rec.no_kozai = elements.mean_motion_rev_day * 2.0 * 3.14159265358979323846 / kMinutesPerDay;
  rec.nodeo = elements.raan_deg * kDegToRad;
  sgp4_internal::Sgp4Init(DaysSince1950(elements.epoch), &rec);

  TemeState state;
  const Sgp4Error error = model.PropagateMinutes(0.0, &state);
  if (error != Sgp4Error::kNone) {
    return InvalidArgumentError("satellite " + std::to_string(elements.satnum) + ": SGP4 error " +
                                std::to_string(static_cast<int>(error)) + " at epoch (" +
                                std::string(Sgp4ErrorText(error)) + ")");
  }
  return model;
}

Result<TemeState> Sgp4::PropagateAt(TimePoint t) const {
  TemeState state;
  const Sgp4Error error = PropagateMinutes(MinutesSinceEpoch(t), &state);
  if (error != Sgp4Error::kNone) {
    return OutOfRangeError("satellite " + std::to_string(elements_.satnum) + ": SGP4 error " +
                           std::to_string(static_cast<int>(error)) + " at " + FormatRfc3339(t) +
                           " (" + std::string(Sgp4ErrorText(error)) + ")");
  }
  return state;
}

double Sgp4::period_minutes() const { return 2.0 * 3.14159265358979323846 / rec_.no_unkozai; }

}  // namespace apsis::link
