// Root finding, maximization and "where is f positive" search over a time axis.
//
// Shared by contact-window and eclipse prediction: a function of time (seconds from a reference)
// is sampled on a coarse grid, sign changes are refined by bracketing root finding, and sampled
// local maxima that lie below zero but within the function's possible variation of it are
// refined by maximization, so that short excursions above zero between samples are not missed.
// Header-only templates; pure, thread-safe as long as the callables are.
#pragma once

#include <cmath>
#include <utility>
#include <vector>

namespace apsis::link::interval_search {

// A root of f in [a, b] where f(a) and f(b) have opposite signs (Illinois false position, with
// bisection when it stalls), to within `tol` seconds. Returns the end of the final bracket on the
// side where f > 0 so that the returned time is inside the positive region.
template <typename F>
double FindRoot(F&& f, double a, double fa, double b, double fb, double tol) {
  int side = 0;
  for (int iter = 0; iter < 100 && b - a > tol; ++iter) {
    double c = (a * fb - b * fa) / (fb - fa);
    // Keep the trial point well inside the bracket; fall back to bisection when false position
    // would crawl along one end.
    const double margin = 0.1 * (b - a);
    if (!(c > a + margin * 0.01 && c < b - margin * 0.01)) c = 0.5 * (a + b);
    const double fc = f(c);
    if ((fc > 0) == (fb > 0)) {
      b = c;
      fb = fc;
      if (side == -1) fa *= 0.5;
      side = -1;
    } else {
      a = c;
      fa = fc;
      if (side == 1) fb *= 0.5;
      side = 1;
    }
  }
  // Return the bracket end inside the positive region (both are within tol of the root).
  return fa > 0 ? a : b;
}

// Maximum of a unimodal f on [a, b] by Brent's method (golden section with parabolic steps).
// Returns {t, f(t)}.
template <typename F>
std::pair<double, double> Maximize(F&& f, double a, double b, double tol) {
  const double golden = 0.3819660112501051;
  double x = a + golden * (b - a);
  double w = x, v = x;
  double fx = -f(x);
  double fw = fx, fv = fx;
  double d = 0, e = 0;
  for (int iter = 0; iter < 100; ++iter) {
    const double m = 0.5 * (a + b);
    const double tol1 = tol * 0.5 + 1e-9;
    const double tol2 = 2 * tol1;
    if (std::fabs(x - m) <= tol2 - 0.5 * (b - a)) break;
    bool golden_step = true;
    if (std::fabs(e) > tol1) {
      double r = (x - w) * (fx - fv);
      double q = (x - v) * (fx - fw);
      double p = (x - v) * q - (x - w) * r;
      q = 2 * (q - r);
      if (q > 0) p = -p;
      q = std::fabs(q);
      const double etemp = e;
      e = d;
      if (!(std::fabs(p) >= std::fabs(0.5 * q * etemp) || p <= q * (a - x) || p >= q * (b - x))) {
        d = p / q;
        const double u = x + d;
        if (u - a < tol2 || b - u < tol2) d = x < m ? tol1 : -tol1;
        golden_step = false;
      }
    }
    if (golden_step) {
      e = (x >= m) ? a - x : b - x;
      d = golden * e;
    }
    const double u = std::fabs(d) >= tol1 ? x + d : x + (d > 0 ? tol1 : -tol1);
    const double fu = -f(u);
    if (fu <= fx) {
      if (u >= x) {
        a = x;
      } else {
        b = x;
      }
      v = w;
      fv = fw;
      w = x;
      fw = fx;
      x = u;
      fx = fu;
    } else {
      if (u < x) {
        a = u;
      } else {
        b = u;
      }
      if (fu <= fw || w == x) {
        v = w;
        fv = fw;
        w = u;
        fw = fu;
      } else if (fu <= fv || v == x || v == w) {
        v = u;
        fv = fu;
      }
    }
  }
  return {x, -fx};
}

struct Interval {
  double begin;  // seconds from the grid start
  double end;
  bool begins_at_start = false;  // f was already positive at the first sample
  bool ends_at_end = false;      // f was still positive at the last sample
};

// Finds the maximal intervals where f > 0 given samples `values[i] = f(times[i])` on an
// increasing grid. `slack[i]` bounds how much f can exceed values[i] within half a grid step of
// times[i]; local maxima with values[i] + slack[i] > 0 are refined by maximization.
template <typename F>
std::vector<Interval> FindPositiveIntervals(F&& f, const std::vector<double>& times,
                                            const std::vector<double>& values,
                                            const std::vector<double>& slack, double tol) {
  std::vector<Interval> out;
  const size_t n = times.size();
  if (n == 0) return out;
  bool inside = values[0] > 0;
  Interval current{times[0], times[0], true, false};
  for (size_t i = 0; i + 1 < n; ++i) {
    const double v0 = values[i];
    const double v1 = values[i + 1];
    if (!inside && v0 <= 0 && v1 <= 0) {
      // A sampled local maximum below zero may hide a short positive excursion.
      const bool local_max = (i == 0 || values[i] >= values[i - 1]) && values[i] >= v1;
      if (!local_max || values[i] + slack[i] <= 0) continue;
      const double lo = i == 0 ? times[0] : times[i - 1];
      const double hi = times[i + 1];
      const auto [tmax, fmax] = Maximize(f, lo, hi, tol * 0.25);
      if (fmax <= 0) continue;
      const double flo = i == 0 ? values[0] : values[i - 1];
      const double begin = FindRoot(f, lo, flo, tmax, fmax, tol);
      const double end = FindRoot(f, tmax, fmax, hi, v1, tol);
      // The excursion may overlap the previous interval's search window; never emit overlaps.
      if (!out.empty() && begin <= out.back().end) continue;
      out.push_back({begin, end, false, false});
      continue;
    }
    if (!inside && v1 > 0) {
      current = {FindRoot(f, times[i], v0, times[i + 1], v1, tol), 0, false, false};
      inside = true;
    } else if (inside && v1 <= 0) {
      current.end = FindRoot(f, times[i], v0, times[i + 1], v1, tol);
      out.push_back(current);
      inside = false;
    }
  }
  // A local maximum at the last sample (the excursion may lie between the last two samples).
  if (!inside && n >= 2 && values[n - 1] >= values[n - 2] && values[n - 1] + slack[n - 1] > 0) {
    const auto [tmax, fmax] = Maximize(f, times[n - 2], times[n - 1], tol * 0.25);
    if (fmax > 0) {
      const double begin = FindRoot(f, times[n - 2], values[n - 2], tmax, fmax, tol);
      const double end = FindRoot(f, tmax, fmax, times[n - 1], values[n - 1], tol);
      if (out.empty() || begin > out.back().end) out.push_back({begin, end, false, false});
    }
  }
  if (inside) {
    current.end = times[n - 1];
    current.ends_at_end = true;
    out.push_back(current);
  }
  return out;
}

}  // namespace apsis::link::interval_search
