// Vec3: a plain three-component vector of doubles for orbit geometry (km, km/s, unit vectors).
//
// Value type, thread-compatible; all operations are inline and allocation-free.
#pragma once

#include <cmath>

namespace apsis::link {

struct Vec3 {
  double x = 0;
  double y = 0;
  double z = 0;

  constexpr Vec3 operator+(const Vec3& o) const { return {x + o.x, y + o.y, z + o.z}; }
  constexpr Vec3 operator-(const Vec3& o) const { return {x - o.x, y - o.y, z - o.z}; }
  constexpr Vec3 operator-() const { return {-x, -y, -z}; }
  constexpr Vec3 operator*(double s) const { return {x * s, y * s, z * s}; }
  constexpr Vec3 operator/(double s) const { return {x / s, y / s, z / s}; }
  constexpr bool operator==(const Vec3&) const = default;
};

inline constexpr Vec3 operator*(double s, const Vec3& v) { return v * s; }
inline constexpr double Dot(const Vec3& a, const Vec3& b) {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}
inline constexpr Vec3 Cross(const Vec3& a, const Vec3& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
inline double Norm(const Vec3& v) { return std::sqrt(Dot(v, v)); }
inline Vec3 Normalized(const Vec3& v) { return v / Norm(v); }

}  // namespace apsis::link
