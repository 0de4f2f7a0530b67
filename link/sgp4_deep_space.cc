// Deep-space (SDP4) terms of SGP4: lunar-solar perturbations and the 12 h / 24 h resonances.
//
// Follows Vallado et al. (2006) routine by routine; the short variable names are the paper's.

#include "link/sgp4_deep_space.h"

#include <cmath>

namespace apsis::link::sgp4_internal {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kTwoPi = 2.0 * kPi;

// Solar and lunar constants.
constexpr double kZes = 0.01675;
constexpr double kZel = 0.05490;
constexpr double kZns = 1.19459e-5;
constexpr double kZnl = 1.5835218e-4;
// Earth rotation rate, rad/min.
constexpr double kRptim = 4.37526908801129966e-3;

}  // namespace

void DeepSpaceCommonTerms(double epoch_days, double ep, double argpp, double tc, double inclp,
                          double nodep, double np, Record* rec, DeepSpaceCommon* out) {
  const double c1ss = 2.9864797e-6;
  const double c1l = 4.7968065e-7;
  const double zsinis = 0.39785416;
  const double zcosis = 0.91744867;
  const double zcosgs = 0.1945905;
  const double zsings = -0.98088458;

  DeepSpaceCommon& c = *out;
  c.nm = np;
  c.em = ep;
  c.snodm = std::sin(nodep);
  c.cnodm = std::cos(nodep);
  c.sinomm = std::sin(argpp);
  c.cosomm = std::cos(argpp);
  c.sinim = std::sin(inclp);
  c.cosim = std::cos(inclp);
  c.emsq = c.em * c.em;
  const double betasq = 1.0 - c.emsq;
  c.rtemsq = std::sqrt(betasq);

  // Initialize lunar-solar terms.
  rec->peo = 0.0;
  rec->pinco = 0.0;
  rec->plo = 0.0;
  rec->pgho = 0.0;
  rec->pho = 0.0;
  c.day = epoch_days + 18261.5 + tc / 1440.0;
  const double xnodce = std::fmod(4.5236020 - 9.2422029e-4 * c.day, kTwoPi);
  const double stem = std::sin(xnodce);
  const double ctem = std::cos(xnodce);
  const double zcosil = 0.91375164 - 0.03568096 * ctem;
  const double zsinil = std::sqrt(1.0 - zcosil * zcosil);
  const double zsinhl = 0.089683511 * stem / zsinil;
  const double zcoshl = std::sqrt(1.0 - zsinhl * zsinhl);
  c.gam = 5.8351514 + 0.0019443680 * c.day;
  double zx = 0.39785416 * stem / zsinil;
  const double zy = zcoshl * ctem + 0.91744867 * zsinhl * stem;
  zx = std::atan2(zx, zy);
  zx = c.gam + zx - xnodce;
  const double zcosgl = std::cos(zx);
  const double zsingl = std::sin(zx);

  // Do solar terms (pass 1), then lunar terms (pass 2).
  double zcosg = zcosgs;
  double zsing = zsings;
  double zcosi = zcosis;
  double zsini = zsinis;
  double zcosh = c.cnodm;
  double zsinh = c.snodm;
  double cc = c1ss;
  const double xnoi = 1.0 / c.nm;

  for (int lsflg = 1; lsflg <= 2; ++lsflg) {
    const double a1 = zcosg * zcosh + zsing * zcosi * zsinh;
    const double a3 = -zsing * zcosh + zcosg * zcosi * zsinh;
    const double a7 = -zcosg * zsinh + zsing * zcosi * zcosh;
    const double a8 = zsing * zsini;
    const double a9 = zsing * zsinh + zcosg * zcosi * zcosh;
    const double a10 = zcosg * zsini;
    const double a2 = c.cosim * a7 + c.sinim * a8;
    const double a4 = c.cosim * a9 + c.sinim * a10;
    const double a5 = -c.sinim * a7 + c.cosim * a8;
    const double a6 = -c.sinim * a9 + c.cosim * a10;

    const double x1 = a1 * c.cosomm + a2 * c.sinomm;
    const double x2 = a3 * c.cosomm + a4 * c.sinomm;
    const double x3 = -a1 * c.sinomm + a2 * c.cosomm;
    const double x4 = -a3 * c.sinomm + a4 * c.cosomm;
    const double x5 = a5 * c.sinomm;
    const double x6 = a6 * c.sinomm;
    const double x7 = a5 * c.cosomm;
    const double x8 = a6 * c.cosomm;

    c.z31 = 12.0 * x1 * x1 - 3.0 * x3 * x3;
    c.z32 = 24.0 * x1 * x2 - 6.0 * x3 * x4;
    c.z33 = 12.0 * x2 * x2 - 3.0 * x4 * x4;
    c.z1 = 3.0 * (a1 * a1 + a2 * a2) + c.z31 * c.emsq;
    c.z2 = 6.0 * (a1 * a3 + a2 * a4) + c.z32 * c.emsq;
    c.z3 = 3.0 * (a3 * a3 + a4 * a4) + c.z33 * c.emsq;
    c.z11 = -6.0 * a1 * a5 + c.emsq * (-24.0 * x1 * x7 - 6.0 * x3 * x5);
    c.z12 = -6.0 * (a1 * a6 + a3 * a5) +
            c.emsq * (-24.0 * (x2 * x7 + x1 * x8) - 6.0 * (x3 * x6 + x4 * x5));
    c.z13 = -6.0 * a3 * a6 + c.emsq * (-24.0 * x2 * x8 - 6.0 * x4 * x6);
    c.z21 = 6.0 * a2 * a5 + c.emsq * (24.0 * x1 * x5 - 6.0 * x3 * x7);
    c.z22 = 6.0 * (a4 * a5 + a2 * a6) +
            c.emsq * (24.0 * (x2 * x5 + x1 * x6) - 6.0 * (x4 * x7 + x3 * x8));
    c.z23 = 6.0 * a4 * a6 + c.emsq * (24.0 * x2 * x6 - 6.0 * x4 * x8);
    c.z1 = c.z1 + c.z1 + betasq * c.z31;
    c.z2 = c.z2 + c.z2 + betasq * c.z32;
    c.z3 = c.z3 + c.z3 + betasq * c.z33;
    c.s3 = cc * xnoi;
    c.s2 = -0.5 * c.s3 / c.rtemsq;
    c.s4 = c.s3 * c.rtemsq;
    c.s1 = -15.0 * c.em * c.s4;
    c.s5 = x1 * x3 + x2 * x4;
    c.s6 = x2 * x3 + x1 * x4;
    c.s7 = x2 * x4 - x1 * x3;

    if (lsflg == 1) {
      c.ss1 = c.s1;
      c.ss2 = c.s2;
      c.ss3 = c.s3;
      c.ss4 = c.s4;
      c.ss5 = c.s5;
      c.ss6 = c.s6;
      c.ss7 = c.s7;
      c.sz1 = c.z1;
      c.sz2 = c.z2;
      c.sz3 = c.z3;
      c.sz11 = c.z11;
      c.sz12 = c.z12;
      c.sz13 = c.z13;
      c.sz21 = c.z21;
      c.sz22 = c.z22;
      c.sz23 = c.z23;
      c.sz31 = c.z31;
      c.sz32 = c.z32;
      c.sz33 = c.z33;
      zcosg = zcosgl;
      zsing = zsingl;
      zcosi = zcosil;
      zsini = zsinil;
      zcosh = zcoshl * c.cnodm + zsinhl * c.snodm;
      zsinh = c.snodm * zcoshl - c.cnodm * zsinhl;
      cc = c1l;
    }
  }

  rec->zmol = std::fmod(4.7199672 + 0.22997150 * c.day - c.gam, kTwoPi);
  rec->zmos = std::fmod(6.2565837 + 0.017201977 * c.day, kTwoPi);

  // Solar terms.
  rec->se2 = 2.0 * c.ss1 * c.ss6;
  rec->se3 = 2.0 * c.ss1 * c.ss7;
  rec->si2 = 2.0 * c.ss2 * c.sz12;
  rec->si3 = 2.0 * c.ss2 * (c.sz13 - c.sz11);
  rec->sl2 = -2.0 * c.ss3 * c.sz2;
  rec->sl3 = -2.0 * c.ss3 * (c.sz3 - c.sz1);
  rec->sl4 = -2.0 * c.ss3 * (-21.0 - 9.0 * c.emsq) * kZes;
  rec->sgh2 = 2.0 * c.ss4 * c.sz32;
  rec->sgh3 = 2.0 * c.ss4 * (c.sz33 - c.sz31);
  rec->sgh4 = -18.0 * c.ss4 * kZes;
  rec->sh2 = -2.0 * c.ss2 * c.sz22;
  rec->sh3 = -2.0 * c.ss2 * (c.sz23 - c.sz21);

  // Lunar terms.
  rec->ee2 = 2.0 * c.s1 * c.s6;
  rec->e3 = 2.0 * c.s1 * c.s7;
  rec->xi2 = 2.0 * c.s2 * c.z12;
  rec->xi3 = 2.0 * c.s2 * (c.z13 - c.z11);
  rec->xl2 = -2.0 * c.s3 * c.z2;
  rec->xl3 = -2.0 * c.s3 * (c.z3 - c.z1);
  rec->xl4 = -2.0 * c.s3 * (-21.0 - 9.0 * c.emsq) * kZel;
  rec->xgh2 = 2.0 * c.s4 * c.z32;
  rec->xgh3 = 2.0 * c.s4 * (c.z33 - c.z31);
  rec->xgh4 = -18.0 * c.s4 * kZel;
  rec->xh2 = -2.0 * c.s2 * c.z22;
  rec->xh3 = -2.0 * c.s2 * (c.z23 - c.z21);
}

void DeepSpaceInit(const DeepSpaceCommon& c, double eccsq, double xpidot, Record* rec) {
  const double q22 = 1.7891679e-6;
  const double q31 = 2.1460748e-6;
  const double q33 = 2.2123015e-7;
  const double root22 = 1.7891679e-6;
  const double root44 = 7.3636953e-9;
  const double root54 = 2.1765803e-9;
  const double root32 = 3.7393792e-7;
  const double root52 = 1.1428639e-7;
  const double x2o3 = 2.0 / 3.0;

  const double nm = c.nm;
  const double em = c.em;
  const double cosim = c.cosim;
  const double sinim = c.sinim;
  const double emsq = c.emsq;
  const double inclm = rec->inclo;

  // Deep-space resonance: 1 = 24-hour (geosynchronous), 2 = 12-hour (Molniya-like).
  rec->irez = 0;
  if (nm < 0.0052359877 && nm > 0.0034906585) rec->irez = 1;
  if (nm >= 8.26e-3 && nm <= 9.24e-3 && em >= 0.5) rec->irez = 2;

  // Solar secular terms.
  const double ses = c.ss1 * kZns * c.ss5;
  const double sis = c.ss2 * kZns * (c.sz11 + c.sz13);
  const double sls = -kZns * c.ss3 * (c.sz1 + c.sz3 - 14.0 - 6.0 * emsq);
  const double sghs = c.ss4 * kZns * (c.sz31 + c.sz33 - 6.0);
  double shs = -kZns * c.ss2 * (c.sz21 + c.sz23);
  // Near-equatorial orbits: the node rate is undefined, so drop it.
  const bool near_equatorial = inclm < 5.2359877e-2 || inclm > kPi - 5.2359877e-2;
  if (near_equatorial) shs = 0.0;
  if (sinim != 0.0) shs = shs / sinim;
  const double sgs = sghs - cosim * shs;

  // Lunar secular terms.
  rec->dedt = ses + c.s1 * kZnl * c.s5;
  rec->didt = sis + c.s2 * kZnl * (c.z11 + c.z13);
  rec->dmdt = sls - kZnl * c.s3 * (c.z1 + c.z3 - 14.0 - 6.0 * emsq);
  const double sghl = c.s4 * kZnl * (c.z31 + c.z33 - 6.0);
  double shll = -kZnl * c.s2 * (c.z21 + c.z23);
  if (near_equatorial) shll = 0.0;
  rec->domdt = sgs + sghl;
  rec->dnodt = shs;
  if (sinim != 0.0) {
    rec->domdt = rec->domdt - cosim / sinim * shll;
    rec->dnodt = rec->dnodt + shll / sinim;
  }

  // Resonance terms (evaluated at epoch: t = tc = 0, so the secular updates are zero).
  const double theta = std::fmod(rec->gsto, kTwoPi);
  if (rec->irez == 0) return;
  const double aonv = std::pow(nm / rec->xke, x2o3);

  if (rec->irez == 2) {
    // Geopotential resonance for 12-hour orbits.
    const double cosisq = cosim * cosim;
    const double e = rec->ecco;
    const double esq = eccsq;
    const double eoc = e * esq;
    const double g201 = -0.306 - (e - 0.64) * 0.440;
    double g211, g310, g322, g410, g422, g520, g521, g532, g533;
    if (e <= 0.65) {
      g211 = 3.616 - 13.2470 * e + 16.2900 * esq;
      g310 = -19.302 + 117.3900 * e - 228.4190 * esq + 156.5910 * eoc;
      g322 = -18.9068 + 109.7927 * e - 214.6334 * esq + 146.5816 * eoc;
      g410 = -41.122 + 242.6940 * e - 471.0940 * esq + 313.9530 * eoc;
      g422 = -146.407 + 841.8800 * e - 1629.014 * esq + 1083.4350 * eoc;
      g520 = -532.114 + 3017.977 * e - 5740.032 * esq + 3708.2760 * eoc;
    } else {
      g211 = -72.099 + 331.819 * e - 508.738 * esq + 266.724 * eoc;
      g310 = -346.844 + 1582.851 * e - 2415.925 * esq + 1246.113 * eoc;
      g322 = -342.585 + 1554.908 * e - 2366.899 * esq + 1215.972 * eoc;
      g410 = -1052.797 + 4758.686 * e - 7193.992 * esq + 3651.957 * eoc;
      g422 = -3581.690 + 16178.110 * e - 24462.770 * esq + 12422.520 * eoc;
      if (e > 0.715) {
        g520 = -5149.66 + 29936.92 * e - 54087.36 * esq + 31324.56 * eoc;
      } else {
        g520 = 1464.74 - 4664.75 * e + 3763.64 * esq;
      }
    }
    if (e < 0.7) {
      g533 = -919.22770 + 4988.6100 * e - 9064.7700 * esq + 5542.21 * eoc;
      g521 = -822.71072 + 4568.6173 * e - 8491.4146 * esq + 5337.524 * eoc;
      g532 = -853.66600 + 4690.2500 * e - 8624.7700 * esq + 5341.4 * eoc;
    } else {
      g533 = -37995.780 + 161616.52 * e - 229838.20 * esq + 109377.94 * eoc;
      g521 = -51752.104 + 218913.95 * e - 309468.16 * esq + 146349.42 * eoc;
      g532 = -40023.880 + 170470.89 * e - 242699.48 * esq + 115605.82 * eoc;
    }

    const double sini2 = sinim * sinim;
    const double f220 = 0.75 * (1.0 + 2.0 * cosim + cosisq);
    const double f221 = 1.5 * sini2;
    const double f321 = 1.875 * sinim * (1.0 - 2.0 * cosim - 3.0 * cosisq);
    const double f322 = -1.875 * sinim * (1.0 + 2.0 * cosim - 3.0 * cosisq);
    const double f441 = 35.0 * sini2 * f220;
    const double f442 = 39.3750 * sini2 * sini2;
    const double f522 = 9.84375 * sinim *
                        (sini2 * (1.0 - 2.0 * cosim - 5.0 * cosisq) +
                         0.33333333 * (-2.0 + 4.0 * cosim + 6.0 * cosisq));
    const double f523 = sinim * (4.92187512 * sini2 * (-2.0 - 4.0 * cosim + 10.0 * cosisq) +
                                 6.56250012 * (1.0 + 2.0 * cosim - 3.0 * cosisq));
    const double f542 =
        29.53125 * sinim * (2.0 - 8.0 * cosim + cosisq * (-12.0 + 8.0 * cosim + 10.0 * cosisq));
    const double f543 =
        29.53125 * sinim * (-2.0 - 8.0 * cosim + cosisq * (12.0 + 8.0 * cosim - 10.0 * cosisq));
    const double xno2 = nm * nm;
    const double ainv2 = aonv * aonv;
    double temp1 = 3.0 * xno2 * ainv2;
    double temp = temp1 * root22;
    rec->d2201 = temp * f220 * g201;
    rec->d2211 = temp * f221 * g211;
    temp1 = temp1 * aonv;
    temp = temp1 * root32;
    rec->d3210 = temp * f321 * g310;
    rec->d3222 = temp * f322 * g322;
    temp1 = temp1 * aonv;
    temp = 2.0 * temp1 * root44;
    rec->d4410 = temp * f441 * g410;
    rec->d4422 = temp * f442 * g422;
    temp1 = temp1 * aonv;
    temp = temp1 * root52;
    rec->d5220 = temp * f522 * g520;
    rec->d5232 = temp * f523 * g532;
    temp = 2.0 * temp1 * root54;
    rec->d5421 = temp * f542 * g521;
    rec->d5433 = temp * f543 * g533;
    rec->xlamo = std::fmod(rec->mo + rec->nodeo + rec->nodeo - theta - theta, kTwoPi);
    rec->xfact =
        rec->mdot + rec->dmdt + 2.0 * (rec->nodedot + rec->dnodt - kRptim) - rec->no_unkozai;
  }

  if (rec->irez == 1) {
    // Synchronous resonance terms.
    const double g200 = 1.0 + emsq * (-2.5 + 0.8125 * emsq);
    const double g310 = 1.0 + 2.0 * emsq;
    const double g300 = 1.0 + emsq * (-6.0 + 6.60937 * emsq);
    const double f220 = 0.75 * (1.0 + cosim) * (1.0 + cosim);
    const double f311 = 0.9375 * sinim * sinim * (1.0 + 3.0 * cosim) - 0.75 * (1.0 + cosim);
    double f330 = 1.0 + cosim;
    f330 = 1.875 * f330 * f330 * f330;
    const double del1 = 3.0 * nm * nm * aonv * aonv;
    rec->del2 = 2.0 * del1 * f220 * g200 * q22;
    rec->del3 = 3.0 * del1 * f330 * g300 * q33 * aonv;
    rec->del1 = del1 * f311 * g310 * q31 * aonv;
    rec->xlamo = std::fmod(rec->mo + rec->nodeo + rec->argpo - theta, kTwoPi);
    rec->xfact =
        rec->mdot + xpidot - kRptim + rec->dmdt + rec->domdt + rec->dnodt - rec->no_unkozai;
  }
}

void DeepSpaceSecular(const Record& rec, double t, MeanElements* m) {
  const double fasx2 = 0.13130908;
  const double fasx4 = 2.8843198;
  const double fasx6 = 0.37448087;
  const double g22 = 5.7686396;
  const double g32 = 0.95240898;
  const double g44 = 1.8014998;
  const double g52 = 1.0508330;
  const double g54 = 4.4108898;
  const double stepp = 720.0;
  const double stepn = -720.0;
  const double step2 = 259200.0;

  // Secular gravity and lunar-solar terms.
  const double theta = std::fmod(rec.gsto + t * kRptim, kTwoPi);
  m->em += rec.dedt * t;
  m->inclm += rec.didt * t;
  m->argpm += rec.domdt * t;
  m->nodem += rec.dnodt * t;
  m->mm += rec.dmdt * t;
  if (rec.irez == 0) return;

  // Numerical integration of the resonance equations from epoch in 720-minute steps (Euler-
  // Maclaurin), then a Taylor step to t. Restarting from epoch keeps the model const.
  double atime = 0.0;
  double xni = rec.no_unkozai;
  double xli = rec.xlamo;
  const double delt = t > 0.0 ? stepp : stepn;
  double ft = 0.0;
  double xndt = 0, xldot = 0, xnddt = 0;
  for (;;) {
    if (rec.irez != 2) {
      // Near-synchronous resonance terms.
      xndt = rec.del1 * std::sin(xli - fasx2) + rec.del2 * std::sin(2.0 * (xli - fasx4)) +
             rec.del3 * std::sin(3.0 * (xli - fasx6));
      xldot = xni + rec.xfact;
      xnddt = rec.del1 * std::cos(xli - fasx2) + 2.0 * rec.del2 * std::cos(2.0 * (xli - fasx4)) +
              3.0 * rec.del3 * std::cos(3.0 * (xli - fasx6));
      xnddt *= xldot;
    } else {
      // Near half-day resonance terms.
      const double xomi = rec.argpo + rec.argpdot * atime;
      const double x2omi = xomi + xomi;
      const double x2li = xli + xli;
      xndt = rec.d2201 * std::sin(x2omi + xli - g22) + rec.d2211 * std::sin(xli - g22) +
             rec.d3210 * std::sin(xomi + xli - g32) + rec.d3222 * std::sin(-xomi + xli - g32) +
             rec.d4410 * std::sin(x2omi + x2li - g44) + rec.d4422 * std::sin(x2li - g44) +
             rec.d5220 * std::sin(xomi + xli - g52) + rec.d5232 * std::sin(-xomi + xli - g52) +
             rec.d5421 * std::sin(xomi + x2li - g54) + rec.d5433 * std::sin(-xomi + x2li - g54);
      xldot = xni + rec.xfact;
      xnddt = rec.d2201 * std::cos(x2omi + xli - g22) + rec.d2211 * std::cos(xli - g22) +
              rec.d3210 * std::cos(xomi + xli - g32) + rec.d3222 * std::cos(-xomi + xli - g32) +
              rec.d5220 * std::cos(xomi + xli - g52) + rec.d5232 * std::cos(-xomi + xli - g52) +
              2.0 * (rec.d4410 * std::cos(x2omi + x2li - g44) + rec.d4422 * std::cos(x2li - g44) +
                     rec.d5421 * std::cos(xomi + x2li - g54) +
                     rec.d5433 * std::cos(-xomi + x2li - g54));
      xnddt *= xldot;
    }
    if (std::fabs(t - atime) < stepp) {
      ft = t - atime;
      break;
    }
    xli = xli + xldot * delt + xndt * step2;
    xni = xni + xndt * delt + xnddt * step2;
    atime += delt;
  }

  m->nm = xni + xndt * ft + xnddt * ft * ft * 0.5;
  const double xl = xli + xldot * ft + xndt * ft * ft * 0.5;
  if (rec.irez != 1) {
    m->mm = xl - 2.0 * m->nodem + 2.0 * theta;
  } else {
    m->mm = xl - m->nodem - m->argpm + theta;
  }
}

void DeepSpacePeriodics(const Record& rec, double t, double* ep, double* inclp, double* nodep,
                        double* argpp, double* mp) {
  // Solar periodics.
  double zm = rec.zmos + kZns * t;
  double zf = zm + 2.0 * kZes * std::sin(zm);
  double sinzf = std::sin(zf);
  double f2 = 0.5 * sinzf * sinzf - 0.25;
  double f3 = -0.5 * sinzf * std::cos(zf);
  const double ses = rec.se2 * f2 + rec.se3 * f3;
  const double sis = rec.si2 * f2 + rec.si3 * f3;
  const double sls = rec.sl2 * f2 + rec.sl3 * f3 + rec.sl4 * sinzf;
  const double sghs = rec.sgh2 * f2 + rec.sgh3 * f3 + rec.sgh4 * sinzf;
  const double shs = rec.sh2 * f2 + rec.sh3 * f3;
  // Lunar periodics.
  zm = rec.zmol + kZnl * t;
  zf = zm + 2.0 * kZel * std::sin(zm);
  sinzf = std::sin(zf);
  f2 = 0.5 * sinzf * sinzf - 0.25;
  f3 = -0.5 * sinzf * std::cos(zf);
  const double sel = rec.ee2 * f2 + rec.e3 * f3;
  const double sil = rec.xi2 * f2 + rec.xi3 * f3;
  const double sll = rec.xl2 * f2 + rec.xl3 * f3 + rec.xl4 * sinzf;
  const double sghl = rec.xgh2 * f2 + rec.xgh3 * f3 + rec.xgh4 * sinzf;
  const double shll = rec.xh2 * f2 + rec.xh3 * f3;

  const double pe = ses + sel - rec.peo;
  const double pinc = sis + sil - rec.pinco;
  const double pl = sls + sll - rec.plo;
  double pgh = sghs + sghl - rec.pgho;
  double ph = shs + shll - rec.pho;

  *inclp += pinc;
  *ep += pe;
  const double sinip = std::sin(*inclp);
  const double cosip = std::cos(*inclp);

  if (*inclp >= 0.2) {
    // Apply periodics directly.
    ph /= sinip;
    pgh -= cosip * ph;
    *argpp += pgh;
    *nodep += ph;
    *mp += pl;
  } else {
    // Lyddane modification for low inclinations.
    const double sinop = std::sin(*nodep);
    const double cosop = std::cos(*nodep);
    double alfdp = sinip * sinop;
    double betdp = sinip * cosop;
    const double dalf = ph * cosop + pinc * cosip * sinop;
    const double dbet = -ph * sinop + pinc * cosip * cosop;
    alfdp += dalf;
    betdp += dbet;
    *nodep = std::fmod(*nodep, kTwoPi);
    if (*nodep < 0.0 && rec.mode == Sgp4Mode::kAfspc) *nodep += kTwoPi;
    const double xls = *mp + *argpp + pl + pgh + (cosip - pinc * sinip) * *nodep;
    const double xnoh = *nodep;
    *nodep = std::atan2(alfdp, betdp);
    if (*nodep < 0.0 && rec.mode == Sgp4Mode::kAfspc) *nodep += kTwoPi;
    if (std::fabs(xnoh - *nodep) > kPi) {
      if (*nodep < xnoh) {
        *nodep += kTwoPi;
      } else {
        *nodep -= kTwoPi;
      }
    }
    *mp += pl;
    *argpp = xls - *mp - cosip * *nodep;
  }
}

}  // namespace apsis::link::sgp4_internal
