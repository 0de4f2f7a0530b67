// Deep-space (SDP4) parts of the SGP4 model, shared by sgp4_init.cc and sgp4_propagate.cc.
//
// Internal to link/: the names follow Vallado's dscom, dsinit, dpper and dspace routines so that
// the code can be read side by side with the paper. Pure functions, thread-safe.
#pragma once

#include "link/sgp4.h"

namespace apsis::link::sgp4_internal {

// The values dscom computes that dsinit needs (the rest go straight into the Record).
struct DeepSpaceCommon {
  double snodm, cnodm, sinim, cosim, sinomm, cosomm, day, em, emsq, gam, rtemsq;
  double s1, s2, s3, s4, s5, s6, s7, ss1, ss2, ss3, ss4, ss5, ss6, ss7;
  double sz1, sz2, sz3, sz11, sz12, sz13, sz21, sz22, sz23, sz31, sz32, sz33;
  double nm, z1, z2, z3, z11, z12, z13, z21, z22, z23, z31, z32, z33;
};

// Lunar-solar terms common to initialization (dscom): fills the periodic coefficients of `rec`.
void DeepSpaceCommonTerms(double epoch_days, double ep, double argpp, double tc, double inclp,
                          double nodep, double np, Record* rec, DeepSpaceCommon* out);

// Secular and resonance initialization (dsinit). `xpidot` is argpdot + nodedot.
void DeepSpaceInit(const DeepSpaceCommon& c, double eccsq, double xpidot, Record* rec);

// Mean elements that dspace and dpper update during propagation.
struct MeanElements {
  double em, argpm, inclm, mm, nm, nodem;
};

// Secular effects and resonance integration at `t` minutes (dspace).
void DeepSpaceSecular(const Record& rec, double t, MeanElements* m);

// Lunar-solar periodics at `t` minutes (dpper, init = 'n'); updates the osculating-ish elements.
void DeepSpacePeriodics(const Record& rec, double t, double* ep, double* inclp, double* nodep,
                        double* argpp, double* mp);

}  // namespace apsis::link::sgp4_internal
