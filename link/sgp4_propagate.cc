// SGP4 propagation (Vallado's sgp4 routine): secular drag and gravity, deep-space terms when
// needed, Kepler's equation, short-period periodics and the TEME position and velocity.

#include <cmath>

#include "link/sgp4.h"
#include "link/sgp4_deep_space.h"

namespace apsis::link::sgp4_internal {
namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kTwoPi = 2.0 * kPi;
constexpr double kTwoThirds = 2.0 / 3.0;
}  // namespace

Sgp4Error Sgp4Propagate(const Record& rec, double t, TemeState* state) {
  // The resonance integration steps 720 minutes at a time: refuse times it could not reach.
  if (!(std::fabs(t) < 1e9)) return Sgp4Error::kInvalidTime;
  const double temp4 = 1.5e-12;
  const double vkmpersec = rec.radiusearthkm * rec.xke / 60.0;

  // Secular gravity and atmospheric drag.
  const double xmdf = rec.mo + rec.mdot * t;
  const double argpdf = rec.argpo + rec.argpdot * t;
  const double nodedf = rec.nodeo + rec.nodedot * t;
  double argpm = argpdf;
  double mm = xmdf;
  const double t2 = t * t;
  double nodem = nodedf + rec.nodecf * t2;
  double tempa = 1.0 - rec.cc1 * t;
  double tempe = rec.bstar * rec.cc4 * t;
  double templ = rec.t2cof * t2;

  if (rec.isimp != 1) {
    const double delomg = rec.omgcof * t;
    const double delmtemp = 1.0 + rec.eta * std::cos(xmdf);
    const double delm = rec.xmcof * (delmtemp * delmtemp * delmtemp - rec.delmo);
    const double temp = delomg + delm;
    mm = xmdf + temp;
    argpm = argpdf - temp;
    const double t3 = t2 * t;
    const double t4 = t3 * t;
    tempa = tempa - rec.d2 * t2 - rec.d3 * t3 - rec.d4 * t4;
    tempe = tempe + rec.bstar * rec.cc5 * (std::sin(mm) - rec.sinmao);
    templ = templ + rec.t3cof * t3 + t4 * (rec.t4cof + t * rec.t5cof);
  }

  double nm = rec.no_unkozai;
  double em = rec.ecco;
  double inclm = rec.inclo;
  if (rec.deep_space) {
    MeanElements m{em, argpm, inclm, mm, nm, nodem};
    DeepSpaceSecular(rec, t, &m);
    em = m.em;
    argpm = m.argpm;
    inclm = m.inclm;
    mm = m.mm;
    nm = m.nm;
    nodem = m.nodem;
  }

  if (nm <= 0.0) return Sgp4Error::kMeanMotion;
  const double am = std::pow(rec.xke / nm, kTwoThirds) * tempa * tempa;
  nm = rec.xke / std::pow(am, 1.5);
  em -= tempe;

  // The tolerance of -0.001 lets slightly negative values through, as in the reference.
  if (em >= 1.0 || em < -0.001) return Sgp4Error::kMeanEccentricity;
  if (em < 1.0e-6) em = 1.0e-6;
  mm += rec.no_unkozai * templ;
  double xlm = mm + argpm + nodem;
  nodem = std::fmod(nodem, kTwoPi);
  argpm = std::fmod(argpm, kTwoPi);
  xlm = std::fmod(xlm, kTwoPi);
  mm = std::fmod(xlm - argpm - nodem, kTwoPi);

  // Lunar-solar periodics.
  double ep = em;
  double xincp = inclm;
  double argpp = argpm;
  double nodep = nodem;
  double mp = mm;
  double sinip = std::sin(inclm);
  double cosip = std::cos(inclm);
  double aycof = rec.aycof;
  double xlcof = rec.xlcof;
  double con41 = rec.con41;
  double x1mth2 = rec.x1mth2;
  double x7thm1 = rec.x7thm1;
  if (rec.deep_space) {
    DeepSpacePeriodics(rec, t, &ep, &xincp, &nodep, &argpp, &mp);
    if (xincp < 0.0) {
      xincp = -xincp;
      nodep += kPi;
      argpp -= kPi;
    }
    if (ep < 0.0 || ep > 1.0) return Sgp4Error::kPerturbedEccentricity;
    // Long-period periodics depend on the perturbed inclination.
    sinip = std::sin(xincp);
    cosip = std::cos(xincp);
    aycof = -0.5 * rec.j3oj2 * sinip;
    const double one_plus_cosip = std::fabs(cosip + 1.0) > 1.5e-12 ? 1.0 + cosip : temp4;
    xlcof = -0.25 * rec.j3oj2 * sinip * (3.0 + 5.0 * cosip) / one_plus_cosip;
  }

  // Long-period periodics.
  const double axnl = ep * std::cos(argpp);
  double temp = 1.0 / (am * (1.0 - ep * ep));
  const double aynl = ep * std::sin(argpp) + temp * aycof;
  const double xl = mp + argpp + nodep + temp * xlcof * axnl;

  // Kepler's equation (Newton steps limited to 0.95 rad).
  const double u = std::fmod(xl - nodep, kTwoPi);
  double eo1 = u;
  double tem5 = 9999.9;
  double sineo1 = 0.0;
  double coseo1 = 0.0;
  for (int ktr = 1; std::fabs(tem5) >= 1.0e-12 && ktr <= 10; ++ktr) {
    sineo1 = std::sin(eo1);
    coseo1 = std::cos(eo1);
    tem5 = 1.0 - coseo1 * axnl - sineo1 * aynl;
    tem5 = (u - aynl * coseo1 + axnl * sineo1 - eo1) / tem5;
    if (std::fabs(tem5) >= 0.95) tem5 = tem5 > 0.0 ? 0.95 : -0.95;
    eo1 += tem5;
  }

  // Short-period preliminary quantities.
  const double ecose = axnl * coseo1 + aynl * sineo1;
  const double esine = axnl * sineo1 - aynl * coseo1;
  const double el2 = axnl * axnl + aynl * aynl;
  const double pl = am * (1.0 - el2);
  if (pl < 0.0) return Sgp4Error::kSemiLatusRectum;

  const double rl = am * (1.0 - ecose);
  const double rdotl = std::sqrt(am) * esine / rl;
  const double rvdotl = std::sqrt(pl) / rl;
  const double betal = std::sqrt(1.0 - el2);
  temp = esine / (1.0 + betal);
  const double sinu = am / rl * (sineo1 - aynl - axnl * temp);
  const double cosu = am / rl * (coseo1 - axnl + aynl * temp);
  double su = std::atan2(sinu, cosu);
  const double sin2u = (cosu + cosu) * sinu;
  const double cos2u = 1.0 - 2.0 * sinu * sinu;
  temp = 1.0 / pl;
  const double temp1 = 0.5 * rec.j2 * temp;
  const double temp2 = temp1 * temp;

  if (rec.deep_space) {
    const double cosisq = cosip * cosip;
    con41 = 3.0 * cosisq - 1.0;
    x1mth2 = 1.0 - cosisq;
    x7thm1 = 7.0 * cosisq - 1.0;
  }

  // Update for short-period periodics.
  const double mrt = rl * (1.0 - 1.5 * temp2 * betal * con41) + 0.5 * temp1 * x1mth2 * cos2u;
  su -= 0.25 * temp2 * x7thm1 * sin2u;
  const double xnode = nodep + 1.5 * temp2 * cosip * sin2u;
  const double xinc = xincp + 1.5 * temp2 * cosip * sinip * cos2u;
  const double mvt = rdotl - nm * temp1 * x1mth2 * sin2u / rec.xke;
  const double rvdot = rvdotl + nm * temp1 * (x1mth2 * cos2u + 1.5 * con41) / rec.xke;

  // Orientation vectors.
  const double sinsu = std::sin(su);
  const double cossu = std::cos(su);
  const double snod = std::sin(xnode);
  const double cnod = std::cos(xnode);
  const double sini = std::sin(xinc);
  const double cosi = std::cos(xinc);
  const double xmx = -snod * cosi;
  const double xmy = cnod * cosi;
  const double ux = xmx * sinsu + cnod * cossu;
  const double uy = xmy * sinsu + snod * cossu;
  const double uz = sini * sinsu;
  const double vx = xmx * cossu - cnod * sinsu;
  const double vy = xmy * cossu - snod * sinsu;
  const double vz = sini * cossu;

  const double mr = mrt * rec.radiusearthkm;
  state->r_km = {mr * ux, mr * uy, mr * uz};
  state->v_km_s = {(mvt * ux + rvdot * vx) * vkmpersec, (mvt * uy + rvdot * vy) * vkmpersec,
                   (mvt * uz + rvdot * vz) * vkmpersec};

  if (mrt < 1.0) return Sgp4Error::kDecayed;
  return Sgp4Error::kNone;
}

}  // namespace apsis::link::sgp4_internal
